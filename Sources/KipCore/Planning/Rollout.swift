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

    /// A container of the current rollout that will not start by itself.
    public struct Stuck: Equatable, Sendable {
        public var pod: String
        public var container: String
        public var reason: String
        public var message: String
        /// It ran and exited (its last log line says why).
        public var exited: Bool

        public init(pod: String, container: String, reason: String, message: String, exited: Bool) {
            (self.pod, self.container, self.reason, self.message, self.exited) = (
                pod, container, reason, message, exited
            )
        }
    }

    /// The pods of the template being rolled out: a Deployment's are labelled with the
    /// `pod-template-hash` of its ReplicaSet of the current revision, a StatefulSet's with
    /// its update revision. Never told apart by image: a started container's status
    /// carries the name the runtime gives it (`docker.io/library/nginx:latest` for
    /// `nginx`), not the spec's. Nil when the current ReplicaSet is not (yet) there.
    static func current(_ w: JSON, pods: [JSON], replicaSets: [JSON]) -> [JSON]? {
        if w["kind"]?.stringValue == "Job" { return pods }
        if w["kind"]?.stringValue == "StatefulSet" {
            guard let rev = w.at("status", "updateRevision")?.stringValue else { return nil }
            return pods.filter { $0.at("metadata", "labels", "controller-revision-hash")?.stringValue == rev }
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
        else { return nil }
        return pods.filter { $0.at("metadata", "labels", "pod-template-hash")?.stringValue == hash }
    }

    /// The first container of the current rollout's pods that is stuck, if any.
    public static func stuck(_ w: JSON, pods allPods: [JSON], replicaSets: [JSON] = []) -> Stuck? {
        for p in current(w, pods: allPods, replicaSets: replicaSets) ?? [] {
            for c in (p.at("status", "initContainerStatuses")?.arrayValue ?? [])
                + (p.at("status", "containerStatuses")?.arrayValue ?? [])
            {
                if let reason = c.at("state", "waiting", "reason")?.stringValue, stuck.contains(reason) {
                    return Stuck(
                        pod: p.at("metadata", "name")?.stringValue ?? "", container: c["name"]?.stringValue ?? "",
                        reason: reason, message: c.at("state", "waiting", "message")?.stringValue ?? "",
                        exited: c.at("lastState", "terminated") != nil)
                }
            }
        }
        return nil
    }

    static func isReady(_ pod: JSON) -> Bool {
        if let c = (pod.at("status", "conditions")?.arrayValue ?? []).first(where: { $0["type"] == "Ready" }) {
            return c["status"] == "True"
        }
        let statuses = pod.at("status", "containerStatuses")?.arrayValue ?? []
        return !statuses.isEmpty && statuses.allSatisfy { $0["ready"]?.boolValue == true }
    }

    /// A one-off Job: done once a pod succeeded, failed when it is marked Failed or a pod
    /// of it is stuck (every pod is the Job's own: its template never changes).
    static func job(_ j: JSON, pods: [JSON], events: [JSON] = []) -> State {
        let conditions = j.at("status", "conditions")?.arrayValue ?? []
        if (j.at("status", "succeeded")?.intValue ?? 0) > 0
            || conditions.contains(where: { $0["type"] == "Complete" && $0["status"] == "True" })
        {
            return .done
        }
        if let c = conditions.first(where: { $0["type"] == "Failed" && $0["status"] == "True" }) {
            return .failed("\(c["reason"]?.stringValue ?? "Failed"): \(c["message"]?.stringValue ?? "the job failed")")
        }
        if let s = stuck(j, pods: pods) {
            return .failed("pod \(s.pod) is in \(s.reason)" + (s.message.isEmpty ? "" : ": \(s.message)"))
        }
        if let why = failedCreate(j, events: events) { return .failed(why) }
        if let why = unscheduled(j, pods: pods, replicaSets: []) { return .progressing(why) }
        return .progressing("\(j.at("status", "active")?.intValue ?? 0) running")
    }

    /// Why a pod of the current rollout is not scheduled (`PodScheduled` False), if one is not.
    static func unscheduled(_ w: JSON, pods: [JSON], replicaSets: [JSON]) -> String? {
        for p in current(w, pods: pods, replicaSets: replicaSets) ?? [] {
            if let c = (p.at("status", "conditions")?.arrayValue ?? []).first(where: {
                $0["type"] == "PodScheduled" && $0["status"] == "False"
            }) {
                return "pod \(p.at("metadata", "name")?.stringValue ?? "") is not scheduled: "
                    + "\(c["reason"]?.stringValue ?? "Unschedulable"): \(c["message"]?.stringValue ?? "")"
            }
        }
        return nil
    }

    /// A controller's FailedCreate Warning about the workload (a StatefulSet or Job: they
    /// have no ReplicaFailure condition) or its current ReplicaSet, among `events`
    /// (those since the wait began): Pod Security, a quota… refusing its pods.
    public static func failedCreate(_ w: JSON, events: [JSON], replicaSets: [JSON] = []) -> String? {
        let name = w.at("metadata", "name")?.stringValue
        let revision = "deployment.kubernetes.io/revision"
        let currentRS = replicaSets.first {
            $0.at("metadata", "annotations", revision) == w.at("metadata", "annotations", revision)
        }?.at("metadata", "name")?.stringValue
        let e = events.last { e in
            guard e["reason"]?.stringValue == "FailedCreate" else { return false }
            let kind = e.at("involvedObject", "kind")?.stringValue
            let n = e.at("involvedObject", "name")?.stringValue
            return (kind == w["kind"]?.stringValue && n == name) || (kind == "ReplicaSet" && n != nil && n == currentRS)
        }
        return e.map { "FailedCreate: \($0["message"]?.stringValue ?? "its pods cannot be created")" }
    }

    /// The rollout of Deployment or StatefulSet `w` (nil: not there yet), `pods` being
    /// those its selector picks, `replicaSets` the ReplicaSets it picks, and `events` the
    /// Warning events in its namespace since the wait began.
    public static func state(_ w: JSON?, pods allPods: [JSON], replicaSets: [JSON] = [], events: [JSON] = []) -> State {
        guard let w else { return .progressing("not created yet") }
        if w["kind"]?.stringValue == "Job" { return job(w, pods: allPods, events: events) }
        let generation = w.at("metadata", "generation")?.intValue ?? 0
        let observed = w.at("status", "observedGeneration")?.intValue ?? 0
        if observed < generation { return .progressing("waiting for the controller") }
        // Only pods of the revision being rolled out count: an old ReplicaSet's pod stuck
        // in CrashLoopBackOff says nothing about the new one.
        if let s = stuck(w, pods: allPods, replicaSets: replicaSets) {
            return .failed("pod \(s.pod) is in \(s.reason)" + (s.message.isEmpty ? "" : ": \(s.message)"))
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
            if let why = failedCreate(w, events: events) { return .failed(why) }
            if let why = unscheduled(w, pods: allPods, replicaSets: replicaSets) { return .progressing(why) }
            return .progressing("\(ready)/\(want) ready")
        }
        if updated >= want && available >= want && total <= updated { return .done }
        if let why = unscheduled(w, pods: allPods, replicaSets: replicaSets) { return .progressing(why) }
        // The new revision's pods alone: an old pod still serving is not progress.
        if let mine = current(w, pods: allPods, replicaSets: replicaSets) {
            return .progressing("\(mine.filter(isReady).count)/\(want) pods of the new revision ready")
        }
        return .progressing("\(updated)/\(want) updated, \(available) available")
    }
}
