/// How a workload's rollout stands, from the workload and its pods as read (pure).
public enum Rollout {
    public enum State: Equatable, Sendable {
        case done
        /// Still going: what it is at, in words.
        case progressing(String)
        /// It will not finish by itself: why.
        case failed(String)
    }

    /// Waiting reasons a pod does not get out of by itself.
    public static let stuck: Set<String> = [
        "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError",
        "CreateContainerError",
    ]

    /// The pods of the template being rolled out: a Deployment's are labelled with the
    /// `pod-template-hash` of its ReplicaSet of the current revision, a StatefulSet's with
    /// its update revision. Without those (no ReplicaSets read), every pod, told apart
    /// by image below.
    static func current(_ w: JSON, pods: [JSON], replicaSets: [JSON]) -> [JSON] {
        if w["kind"]?.stringValue == "StatefulSet", let rev = w.at("status", "updateRevision")?.stringValue {
            let mine = pods.filter { $0.at("metadata", "labels", "controller-revision-hash")?.stringValue == rev }
            return pods.contains { $0.at("metadata", "labels", "controller-revision-hash") != nil } ? mine : pods
        }
        let revision = "deployment.kubernetes.io/revision"
        guard let rev = w.at("metadata", "annotations", revision)?.stringValue,
            let uid = w.at("metadata", "uid")?.stringValue,
            let rs = replicaSets.first(where: { r in
                r.at("metadata", "annotations", revision)?.stringValue == rev
                    && (r.at("metadata", "ownerReferences")?.arrayValue ?? []).contains {
                        $0["uid"]?.stringValue == uid
                    }
            }),
            let hash = rs.at("metadata", "labels", "pod-template-hash")?.stringValue
        else { return pods }
        return pods.filter { $0.at("metadata", "labels", "pod-template-hash")?.stringValue == hash }
    }

    /// The rollout of Deployment or StatefulSet `w` (nil: not there yet), `pods` being
    /// those its selector picks and `replicaSets` the ReplicaSets it picks.
    public static func state(_ w: JSON?, pods allPods: [JSON], replicaSets: [JSON] = []) -> State {
        guard let w else { return .progressing("not created yet") }
        let generation = w.at("metadata", "generation")?.intValue ?? 0
        let observed = w.at("status", "observedGeneration")?.intValue ?? 0
        if observed < generation { return .progressing("waiting for the controller") }
        let pods = current(w, pods: allPods, replicaSets: replicaSets)
        // Only pods of the template being rolled out count: an old ReplicaSet's pod stuck
        // in CrashLoopBackOff says nothing about the new one (told apart by image).
        let images = Set(
            (w.at("spec", "template", "spec", "containers")?.arrayValue ?? []).compactMap { $0["image"]?.stringValue })
        for p in pods {
            for c in p.at("status", "containerStatuses")?.arrayValue ?? []
            where images.isEmpty || images.contains(c["image"]?.stringValue ?? "") {
                if let reason = c.at("state", "waiting", "reason")?.stringValue, stuck.contains(reason) {
                    let message = c.at("state", "waiting", "message")?.stringValue.map { ": \($0)" } ?? ""
                    return .failed("pod \(p.at("metadata", "name")?.stringValue ?? "") is in \(reason)\(message)")
                }
            }
        }
        let conditions = w.at("status", "conditions")?.arrayValue ?? []
        // The controller cannot create the pods (Pod Security admission, a quota…).
        if let c = conditions.first(where: { $0["type"] == "ReplicaFailure" }), c["status"] == "True" {
            return .failed(
                "\(c["reason"]?.stringValue ?? "FailedCreate"): \(c["message"]?.stringValue ?? "its pods cannot be created")"
            )
        }
        if let c = conditions.first(where: { $0["type"] == "Progressing" }),
            c["reason"]?.stringValue == "ProgressDeadlineExceeded"
        {
            return .failed("ProgressDeadlineExceeded: \(c["message"]?.stringValue ?? "the rollout timed out")")
        }
        let want = w.at("spec", "replicas")?.intValue ?? 1
        let updated = w.at("status", "updatedReplicas")?.intValue ?? 0
        let ready = w.at("status", "readyReplicas")?.intValue ?? 0
        let available = w.at("status", "availableReplicas")?.intValue ?? 0
        let total = w.at("status", "replicas")?.intValue ?? 0
        if w["kind"]?.stringValue == "StatefulSet" {
            let current = w.at("status", "currentRevision")?.stringValue
            let update = w.at("status", "updateRevision")?.stringValue
            if ready >= want && (current == update || update == nil) { return .done }
            return .progressing("\(ready)/\(want) ready")
        }
        if updated >= want && available >= want && total <= updated { return .done }
        return .progressing("\(updated)/\(want) updated, \(available) available")
    }
}
