import Foundation

/// `kip project sleep|wake`: an environment's Deployments and StatefulSets scaled to 0
/// at night and back in the morning (pure). The count before is kept on each workload,
/// in an annotation written with the replicas by a field manager of its own, so that
/// waking finds it and kip's own writes keep both apart; an app deployed while its
/// environment sleeps wakes up (kip's write takes the replicas back).
public enum Sleep {
    public static let annotation = "kipper.run/replicas-before-sleep"
    public static let fieldManager = "kip-sleep"

    /// The workloads kip rendered among `natives`: Deployments and StatefulSets.
    static func workloads(_ natives: [JSON]) -> [JSON] {
        natives.filter {
            ["Deployment", "StatefulSet"].contains($0["kind"]?.stringValue ?? "")
                && $0.at("metadata", "labels", Keys.managedBy)?.stringValue == Keys.managedByValue
        }.sorted { ($0.at("metadata", "name")?.stringValue ?? "") < ($1.at("metadata", "name")?.stringValue ?? "") }
    }

    static func partial(_ w: JSON, replicas: Int, before: Int?) -> JSON {
        var meta: JSON = ["name": w.at("metadata", "name") ?? "", "namespace": w.at("metadata", "namespace") ?? ""]
        if let before { meta["annotations"] = [annotation: .string(String(before))] }
        return [
            "apiVersion": w["apiVersion"] ?? "", "kind": w["kind"] ?? "", "metadata": meta,
            "spec": ["replicas": .int(replicas)],
        ]
    }

    /// Whether a workload sleeps: at 0, with the count it had.
    public static func asleep(_ w: JSON) -> Bool {
        w.at("metadata", "annotations", annotation) != nil && (w.at("spec", "replicas")?.intValue ?? 1) == 0
    }

    /// What puts them to sleep: each awake workload at 0, its count kept; with the names
    /// and counts, for the report.
    public static func down(_ natives: [JSON]) -> (objects: [JSON], counts: [(String, Int)]) {
        let awake = workloads(natives).filter { !asleep($0) && ($0.at("spec", "replicas")?.intValue ?? 1) > 0 }
        return (
            awake.map { partial($0, replicas: 0, before: $0.at("spec", "replicas")?.intValue ?? 1) },
            awake.map { ($0.at("metadata", "name")?.stringValue ?? "", $0.at("spec", "replicas")?.intValue ?? 1) }
        )
    }

    /// What wakes them: each sleeping workload at the count it had, the annotation gone
    /// (the sleep manager no longer sets it).
    public static func up(_ natives: [JSON]) -> (objects: [JSON], counts: [(String, Int)]) {
        let sleeping = workloads(natives).filter(asleep)
        func count(_ w: JSON) -> Int { Int(w.at("metadata", "annotations", annotation)?.stringValue ?? "") ?? 1 }
        return (
            sleeping.map { partial($0, replicas: count($0), before: nil) },
            sleeping.map { ($0.at("metadata", "name")?.stringValue ?? "", count($0)) }
        )
    }

    /// An environment sleeps when every workload kip rendered there does (and it has some).
    public static func environmentAsleep(_ natives: [JSON]) -> Bool {
        let w = workloads(natives)
        return !w.isEmpty && w.allSatisfy(asleep)
    }
}
