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

extension Sleep {
    /// When someone last changed an environment: the newest write any field manager made
    /// to kip's objects and the Deployments and StatefulSets there (their managedFields,
    /// which the API server stamps on every write), but sleep's own and status reports;
    /// the namespace's creation when nothing was written since. nil when nothing tells.
    public static func lastChange(_ objects: [JSON], namespace: JSON?) -> Date? {
        var times: [Date] = []
        if let c = namespace?.at("metadata", "creationTimestamp")?.stringValue.flatMap(Durations.parse) {
            times.append(c)
        }
        for o in objects {
            for m in o.at("metadata", "managedFields")?.arrayValue ?? [] {
                if m["manager"]?.stringValue == fieldManager || m["subresource"]?.stringValue == "status" { continue }
                if let t = m["time"]?.stringValue.flatMap(Durations.parse) { times.append(t) }
            }
        }
        return times.max()
    }

    /// The environments of `project` nobody changed for `idle` at `now` that are awake:
    /// `gc --sleep-after` puts them to sleep. Protected ones never.
    public static func idle(
        _ project: Project, observed: Observed, now: Date, after idle: TimeInterval
    ) -> [(env: Project.Environment, since: Date)] {
        project.environments.compactMap { e in
            guard !e.protected, let ns = observed.namespaces[e.namespace] else { return nil }
            let natives = observed.natives[e.namespace] ?? []
            guard !down(natives).objects.isEmpty,
                let last = lastChange(natives + (observed.workloads[e.namespace] ?? []), namespace: ns),
                now.timeIntervalSince(last) >= idle
            else { return nil }
            return (e, last)
        }
    }

    /// `kip project sleep` (`down`) or `wake` of `project`/`env` in `namespace`, from its
    /// workloads as read: the partial writes by the sleep field manager, the report and
    /// the Event; nothing to write when it is so already.
    public static func plan(project: String, env: String, namespace: String, down: Bool, natives: [JSON], actor: String)
        -> Plan
    {
        let (objects, counts) = down ? Self.down(natives) : up(natives)
        var plan = Plan()
        plan.partial = objects
        plan.partialManager = fieldManager
        let at = "\(project)/\(env)"
        if objects.isEmpty {
            plan.report = [.success(down ? "\(at) sleeps already (or runs nothing)" : "\(at) is awake")]
            return plan
        }
        let list = counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        plan.report = [
            down
                ? .success(
                    "\(at) asleep: \(counts.count) workload(s) at 0 (\(list)); 'kip project wake \(at)' brings them back"
                )
                : .success("\(at) awake: \(list)")
        ]
        plan.changes = [
            .environment(
                down ? "Slept" : "Woke", down ? "Sleep" : "Wake", namespace: namespace,
                note: "kip project \(down ? "sleep" : "wake") by \(actor): \(list)")
        ]
        return plan
    }

    /// `gc --sleep-after`: the idle environments of `project` asleep, in one write by the
    /// sleep field manager, each said and told.
    public static func idlePlan(
        _ project: Project, idle: [(env: Project.Environment, since: Date)], observed: Observed, now: Date,
        actor: String
    ) -> Plan {
        var plan = Plan()
        plan.partialManager = fieldManager
        for (e, since) in idle {
            let (objects, counts) = down(observed.natives[e.namespace] ?? [])
            plan.partial += objects
            let list = counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            plan.report.append(
                .success(
                    "\(project.name)/\(e.name) asleep: nobody changed it for \(Durations.short(now.timeIntervalSince(since))) (\(list)); 'kip project wake \(project.name)/\(e.name)' brings it back"
                ))
            plan.changes.append(
                .environment(
                    "Slept", "Sleep", namespace: e.namespace, note: "kip project gc --sleep-after by \(actor): \(list)")
            )
        }
        return plan
    }
}
