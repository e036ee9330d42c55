import Foundation
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

/// How long the control plane's asynchronous work takes. Zero runs it at the end of
/// the request that caused it; a real cluster takes seconds to minutes.
public struct Timing: Sendable {
    /// A deleted namespace stays Terminating this long, then goes with its contents.
    public var namespaceDelay: TimeInterval = 0
    /// The garbage collector deletes dependents this long after their owner went.
    public var gcDelay: TimeInterval = 0
    /// A new CustomResourceDefinition is Established (and served) after this long.
    public var crdDelay: TimeInterval = 0
    /// A Deployment's, StatefulSet's or Job's pods are up this long after a change.
    public var rolloutDelay: TimeInterval = 0
    /// Images matching one of these globs never start (ImagePullBackOff).
    public var failImages: [String] = []
    /// Images matching one of these start and exit at once (CrashLoopBackOff).
    public var crashImages: [String] = []
    /// Images matching one of these need root: refused under `runAsNonRoot`, and crash
    /// (`chown … Operation not permitted`) with a non-zero `runAsUser` or `drop: [ALL]`.
    public var rootImages: [String] = []
    /// `progressDeadlineSeconds` is multiplied by this (tests use a small factor).
    public var deadlineScale: Double = 1
    /// Every request is answered this much later (a remote link).
    public var latency: TimeInterval = 0

    public init() {}

    /// The delays the e2e harness runs with: small, so time passes in every test.
    public static var e2e: Timing {
        var t = Timing()
        t.namespaceDelay = 0.5
        t.gcDelay = 0.3
        t.crdDelay = 0.3
        t.rolloutDelay = 0.5
        return t
    }
}

/// Work a control plane does after the request that asked for it.
enum ControllerEvent: Equatable {
    case finalizeNamespace(String)
    case collectGarbage
    case establishCRD(String)
    /// storageKey, object key, generation.
    case rollout(String, String, Int)
    case progressDeadline(String, String, Int)
}

extension APIServer {
    func schedule(_ event: ControllerEvent, after delay: TimeInterval) {
        pending.append((now().addingTimeInterval(max(0, delay)), event))
    }

    /// Runs the events that are due, oldest first, including the ones they schedule
    /// without delay. Callers hold the lock.
    func runDue() {
        while true {
            let t = now()
            guard let i = pending.indices.filter({ pending[$0].0 <= t }).min(by: { pending[$0].0 < pending[$1].0 })
            else { return }
            let event = pending.remove(at: i).1
            switch event {
            case .finalizeNamespace(let name): finalizeNamespace(name)
            case .collectGarbage: collectGarbage()
            case .establishCRD(let name): establishCRD(name)
            case .rollout(let sk, let k, let gen): rollout(sk, k, generation: gen)
            case .progressDeadline(let sk, let k, let gen): progressDeadline(sk, k, generation: gen)
            }
        }
    }

    /// A thread that runs due events while no request comes in.
    func startControllers() {
        let t = Thread { [weak self] in
            while let s = self {
                s.locked { s.runDue() }
                usleep(20_000)
            }
        }
        t.name = "kip-sandbox controllers"
        t.start()
    }

    // MARK: CRDs

    func establishCRD(_ name: String) {
        let sk = "apiextensions.k8s.io/customresourcedefinitions"
        guard var crd = objects[sk]?[name] else { return }
        crd.set(["status", "conditions"], Self.crdConditions(established: true))
        resourceVersion += 1
        crd.set(["metadata", "resourceVersion"], .string(String(resourceVersion)))
        put(sk, name, crd)
        _ = registry.register(crd: crd)
    }

    static func crdConditions(established: Bool) -> JSON {
        [
            ["type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found"],
            established
                ? [
                    "type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                ]
                : [
                    "type": "Established", "status": "False", "reason": "Installing",
                    "message": "the initial names have been accepted",
                ],
        ]
    }

    static func isEstablished(_ crd: JSON) -> Bool {
        (crd.at("status", "conditions")?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True"
        }
    }

    // MARK: Rollouts (no containers: pods are records with a phase)

    /// Schedules the rollout of a workload whose spec changed.
    func workloadChanged(_ o: JSON, _ r: ResourceInfo, old: JSON?) {
        guard ["Deployment", "StatefulSet", "Job"].contains(r.kind), ["apps", "batch"].contains(r.group) else { return }
        let gen = o.at("metadata", "generation")?.intValue ?? 1
        if let old, old.at("metadata", "generation")?.intValue == gen { return }
        let ns = o.at("metadata", "namespace")?.stringValue
        schedule(
            .rollout(r.storageKey, key(ns, o.at("metadata", "name")?.stringValue ?? ""), gen),
            after: timing.rolloutDelay)
    }

    private func template(_ o: JSON) -> JSON? {
        o.at("spec", "template") ?? o.at("spec", "jobTemplate", "spec", "template")
    }

    var runtime: Runtime {
        Runtime(failImages: timing.failImages, crashImages: timing.crashImages, rootImages: timing.rootImages)
    }

    /// Whether any container of the workload's pods would not run.
    private func failing(_ o: JSON) -> Bool {
        let spec = template(o)?["spec"] ?? [:]
        return (spec["containers"]?.arrayValue ?? []).contains { runtime.outcome($0, pod: spec) != .running }
    }

    func rollout(_ sk: String, _ k: String, generation: Int) {
        guard var o = objects[sk]?[k], o.at("metadata", "generation")?.intValue == generation else { return }
        let kind = o["kind"]?.stringValue ?? ""
        let replicas = kind == "Job" ? 1 : (o.at("spec", "replicas")?.intValue ?? 1)
        let bad = failing(o)
        var status: JSON = ["observedGeneration": .int(generation)]
        // A Deployment's pods belong to the ReplicaSet of its template (made now).
        var rs: JSON? = Optional<JSON>.none  // (a bare nil would be JSON.null)
        if kind == "Deployment" { rs = replicaSet(of: &o) }
        let owner = rs ?? o
        // Pod Security admission refuses the pods the controller would create.
        let ns = o.at("metadata", "namespace")?.stringValue ?? ""
        let level = objects["/namespaces"]?[key(nil, ns)]?.at(
            "metadata", "labels", "pod-security.kubernetes.io/enforce")?
            .stringValue
        let denied = level.map { PodSecurity.violations(template(o)?["spec"] ?? [:], level: $0) } ?? []
        if !denied.isEmpty {
            let name = owner.at("metadata", "name")?.stringValue ?? ""
            let message =
                "pods \"\(name)-0\" is forbidden: violates PodSecurity \"\(level!):latest\": "
                + denied.joined(separator: ", ")
            status["replicas"] = 0
            if kind == "Deployment" {
                status["unavailableReplicas"] = .int(replicas)
                status["conditions"] = .array(
                    unavailable + [condition("ReplicaFailure", true, "FailedCreate", message)])
            }
            store(&o, status: status, sk, k)
            replacePods(of: owner, template: template(o) ?? [:], count: 0, done: false)
            if let rs { save(rs, "apps/replicasets") }
            warn(about: owner, reason: "FailedCreate", message: "Error creating: " + message)
            return
        }
        // LimitRange admission fills in what the containers leave out; a quota admits as
        // many of the pods as it has room for (the workload's own pods being replaced).
        var tmpl = template(o) ?? [:]
        tmpl["spec"] = withLimitDefaults(tmpl["spec"] ?? [:], namespace: ns)
        let wanted = kind == "Job" && !bad ? 1 : replicas
        let ownerName = owner.at("metadata", "name")?.stringValue ?? ""
        let replaced = Set(
            [o, owner].compactMap { $0.at("metadata", "uid")?.stringValue }
                + ownedBy(o.at("metadata", "uid")?.stringValue ?? "", in: "apps/replicasets").compactMap {
                    $0.at("metadata", "uid")?.stringValue
                })
        let room = quotaRoom(tmpl["spec"] ?? [:], count: wanted, namespace: ns, except: replaced) { i in
            kind == "Job" ? "\(ownerName)-\(String(generation, radix: 16))-\(i)" : "\(ownerName)-\(i)"
        }
        let short = room.refusal != nil
        // A rolling update that fails keeps the old ReplicaSet's pods serving.
        let keepOld =
            kind == "Deployment" && (bad || short) && o.at("spec", "strategy", "type")?.stringValue != "Recreate"
        let old = kind == "Deployment" ? retireOldReplicaSets(of: o, current: rs!, keepPods: keepOld) : 0
        switch kind {
        case "Deployment":
            status["replicas"] = .int(replicas + old)
            status["updatedReplicas"] = .int(replicas)
            if bad || short {
                let up = bad ? 0 : room.fits
                status["readyReplicas"] = .int(old + up)
                status["availableReplicas"] = .int(old + up)
                status["unavailableReplicas"] = .int(replicas - up)
                status["conditions"] = .array(
                    unavailable
                        + (short ? [condition("ReplicaFailure", true, "FailedCreate", room.refusal ?? "")] : []))
                let deadline = Double(o.at("spec", "progressDeadlineSeconds")?.intValue ?? 600) * timing.deadlineScale
                schedule(.progressDeadline(sk, k, generation), after: deadline)
            } else {
                status["readyReplicas"] = .int(replicas)
                status["availableReplicas"] = .int(replicas)
                status["conditions"] = [
                    condition("Available", true, "MinimumReplicasAvailable", "Deployment has minimum availability."),
                    condition("Progressing", true, "NewReplicaSetAvailable", "ReplicaSet has successfully progressed."),
                ]
            }
        case "StatefulSet":
            let revision = "\(o.at("metadata", "name")?.stringValue ?? "")-\(String(generation, radix: 16))"
            status["replicas"] = .int(replicas)
            status["currentReplicas"] = .int(replicas)
            status["updatedReplicas"] = .int(replicas)
            status["currentRevision"] = .string(revision)
            status["updateRevision"] = .string(revision)
            if !bad {
                status["readyReplicas"] = .int(room.fits)
                status["availableReplicas"] = .int(room.fits)
            }
        default:  // Job
            if bad || short {
                status["active"] = 1
            } else {
                status["succeeded"] = 1
                status["conditions"] = [condition("Complete", true, "", "")]
            }
        }
        store(&o, status: status, sk, k)
        if var rs {
            rs.set(["spec", "replicas"], .int(replicas))
            rs["status"] = [
                "replicas": .int(room.fits), "readyReplicas": .int(bad ? 0 : room.fits),
                "availableReplicas": .int(bad ? 0 : room.fits), "observedGeneration": 1,
            ]
            save(rs, "apps/replicasets")
        }
        var labels: [String: JSON] = [:]
        if kind == "StatefulSet", let rev = status["updateRevision"] { labels["controller-revision-hash"] = rev }
        if let hash = rs?.at("metadata", "labels", "pod-template-hash") { labels["pod-template-hash"] = hash }
        replacePods(of: owner, template: tmpl, count: room.fits, done: kind == "Job" && !short, labels: labels)
        if let refusal = room.refusal {
            warn(about: owner, reason: "FailedCreate", message: "Error creating: " + refusal)
        }
    }

    /// The ReplicaSet of Deployment `d`'s current template, as the deployment controller
    /// keeps it: named `<deployment>-<pod-template-hash>`, labelled with that hash, and
    /// annotated (as is the Deployment) with the revision it is; made when new.
    private func replicaSet(of d: inout JSON) -> JSON {
        let ns = d.at("metadata", "namespace")?.stringValue ?? ""
        let name = d.at("metadata", "name")?.stringValue ?? ""
        let uid = d.at("metadata", "uid")?.stringValue ?? ""
        let tmpl = d.at("spec", "template") ?? [:]
        let hash = String(SHA256.hex(SHA256.digest(Array(tmpl.serialized().utf8))).prefix(10))
        let revKey = "deployment.kubernetes.io/revision"
        let owned = ownedBy(uid, in: "apps/replicasets")
        let rev: Int
        var rs: JSON
        if let same = owned.first(where: { $0.at("metadata", "labels", "pod-template-hash")?.stringValue == hash }) {
            rs = same
            rev = Int(same.at("metadata", "annotations", revKey)?.stringValue ?? "") ?? 1
        } else {
            rev =
                (owned.compactMap { Int($0.at("metadata", "annotations", revKey)?.stringValue ?? "") }.max() ?? 0) + 1
            var labels = tmpl.at("metadata", "labels") ?? [:]
            labels["pod-template-hash"] = .string(hash)
            var t = tmpl
            t.set(["metadata", "labels"], labels)
            rs = [
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": [
                    "name": .string("\(name)-\(hash)"), "namespace": .string(ns), "labels": labels,
                    "uid": .string(nextUID()), "creationTimestamp": .string(timestamp()),
                    "generation": 1,
                    "ownerReferences": [
                        [
                            "apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name), "uid": .string(uid),
                            "controller": true, "blockOwnerDeletion": true,
                        ]
                    ],
                ],
                "spec": [
                    "replicas": d.at("spec", "replicas") ?? 1,
                    "selector": [
                        "matchLabels": .object(
                            (d.at("spec", "selector", "matchLabels")?.objectValue ?? [:]).merging(
                                ["pod-template-hash": .string(hash)], uniquingKeysWith: { $1 }))
                    ],
                    "template": t,
                ],
            ]
        }
        rs.set(["metadata", "annotations", revKey], .string(String(rev)))
        d.set(["metadata", "annotations", revKey], .string(String(rev)))
        return rs
    }

    /// Scales Deployment `d`'s other ReplicaSets to 0 and deletes their pods, unless
    /// `keepPods` (a rolling update whose new pods do not come up). Returns the old pods kept.
    private func retireOldReplicaSets(of d: JSON, current: JSON, keepPods: Bool) -> Int {
        let uid = d.at("metadata", "uid")?.stringValue ?? ""
        let currentName = current.at("metadata", "name")?.stringValue
        var kept = 0
        for var rs in ownedBy(uid, in: "apps/replicasets") where rs.at("metadata", "name")?.stringValue != currentName {
            let pods = ownedBy(rs.at("metadata", "uid")?.stringValue ?? "", in: "/pods")
            let running = pods.filter { p in
                let statuses = p.at("status", "containerStatuses")?.arrayValue ?? []
                return !statuses.isEmpty && statuses.allSatisfy { $0["ready"]?.boolValue == true }
            }
            if keepPods && !running.isEmpty {
                kept += running.count
                continue
            }
            for p in pods {
                remove(
                    "/pods",
                    key(p.at("metadata", "namespace")?.stringValue, p.at("metadata", "name")?.stringValue ?? ""))
            }
            if rs.at("spec", "replicas")?.intValue != 0 {
                rs.set(["spec", "replicas"], 0)
                rs["status"] = ["replicas": 0, "observedGeneration": 1]
                save(rs, "apps/replicasets")
            }
        }
        return kept
    }

    /// A Warning Event about `o`, as its controller records one (`kubectl get events`).
    func warn(about o: JSON, reason: String, message: String) {
        let ns = o.at("metadata", "namespace")?.stringValue ?? "default"
        let name = o.at("metadata", "name")?.stringValue ?? ""
        let kind = o["kind"]?.stringValue ?? ""
        let controller = ["ReplicaSet": "replicaset-controller", "StatefulSet": "statefulset-controller"][kind]
        resourceVersion += 1
        let event: JSON = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": [
                "name": .string("\(name).\(String(resourceVersion, radix: 16))"), "namespace": .string(ns),
                "uid": .string(nextUID()), "creationTimestamp": .string(timestamp()),
                "resourceVersion": .string(String(resourceVersion)),
            ],
            "involvedObject": [
                "apiVersion": o["apiVersion"] ?? "", "kind": .string(kind), "name": .string(name),
                "namespace": .string(ns), "uid": o.at("metadata", "uid") ?? "",
            ],
            "reason": .string(reason), "message": .string(message), "type": "Warning", "count": 1,
            "firstTimestamp": .string(timestamp()), "lastTimestamp": .string(timestamp()),
            "source": ["component": .string(controller ?? "job-controller")],
        ]
        put("/events", key(ns, event.at("metadata", "name")?.stringValue ?? ""), event)
    }

    private func ownedBy(_ uid: String, in sk: String) -> [JSON] {
        (objects[sk] ?? [:]).values.filter { o in
            (o.at("metadata", "ownerReferences")?.arrayValue ?? []).contains { $0["uid"]?.stringValue == uid }
        }.sorted { ($0.at("metadata", "name")?.stringValue ?? "") < ($1.at("metadata", "name")?.stringValue ?? "") }
    }

    /// Stores `o` (of storage key `sk`) as a new version.
    private func save(_ o: JSON, _ sk: String) {
        var o = o
        resourceVersion += 1
        o.set(["metadata", "resourceVersion"], .string(String(resourceVersion)))
        put(sk, key(o.at("metadata", "namespace")?.stringValue, o.at("metadata", "name")?.stringValue ?? ""), o)
    }

    func progressDeadline(_ sk: String, _ k: String, generation: Int) {
        guard var o = objects[sk]?[k], o.at("status", "observedGeneration")?.intValue == generation else { return }
        var conds = (o.at("status", "conditions")?.arrayValue ?? []).filter { $0["type"]?.stringValue != "Progressing" }
        conds.append(
            condition(
                "Progressing", false, "ProgressDeadlineExceeded",
                "ReplicaSet \"\(o.at("metadata", "name")?.stringValue ?? "")\" has timed out progressing."))
        o.set(["status", "conditions"], .array(conds))
        resourceVersion += 1
        o.set(["metadata", "resourceVersion"], .string(String(resourceVersion)))
        put(sk, k, o)
    }

    /// A Deployment's conditions while its pods are not available.
    private var unavailable: [JSON] {
        [
            condition(
                "Available", false, "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
            condition("Progressing", true, "ReplicaSetUpdated", "ReplicaSet is progressing."),
        ]
    }

    /// Writes a workload's new status, as a new version of it.
    private func store(_ o: inout JSON, status: JSON, _ sk: String, _ k: String) {
        o["status"] = .object(status.objectValue ?? [:])
        resourceVersion += 1
        o.set(["metadata", "resourceVersion"], .string(String(resourceVersion)))
        put(sk, k, o)
    }

    private func condition(_ type: String, _ ok: Bool, _ reason: String, _ message: String) -> JSON {
        var c: JSON = ["type": .string(type), "status": ok ? "True" : "False", "lastUpdateTime": .string(timestamp())]
        if !reason.isEmpty { c["reason"] = .string(reason) }
        if !message.isEmpty { c["message"] = .string(message) }
        return c
    }

    /// The pods of `owner` (a ReplicaSet, StatefulSet or Job), one per replica, made anew
    /// from `tmpl`; each container fares as the runtime model says, and leaves its log.
    private func replacePods(of owner: JSON, template tmpl: JSON, count: Int, done: Bool, labels: [String: JSON] = [:])
    {
        guard let uid = owner.at("metadata", "uid")?.stringValue,
            let ns = owner.at("metadata", "namespace")?.stringValue
        else { return }
        let sk = "/pods"
        for p in ownedBy(uid, in: sk) {
            let k = key(ns, p.at("metadata", "name")?.stringValue ?? "")
            podLogs[k] = nil
            remove(sk, k)
        }
        let name = owner.at("metadata", "name")?.stringValue ?? ""
        let gen = owner.at("metadata", "generation")?.intValue ?? 1
        let spec = tmpl["spec"] ?? [:]
        var podLabels = tmpl.at("metadata", "labels")?.objectValue ?? [:]
        podLabels.merge(labels, uniquingKeysWith: { $1 })
        for i in 0..<count {
            let podName =
                owner["kind"]?.stringValue == "Job" ? "\(name)-\(String(gen, radix: 16))-\(i)" : "\(name)-\(i)"
            var logs = ""
            var statuses: [JSON] = []
            for c in spec["containers"]?.arrayValue ?? [] {
                let (s, log) = runtime.status(c, pod: spec, podName: podName, done: done)
                statuses.append(s)
                logs += log
            }
            let running = statuses.allSatisfy {
                $0.at("state", "running") != nil || $0.at("state", "terminated") != nil
            }
            let crashed = statuses.contains { $0.at("lastState", "terminated") != nil }
            resourceVersion += 1
            let pod: JSON = [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": [
                    "name": .string(podName), "namespace": .string(ns), "labels": .object(podLabels),
                    "uid": .string(nextUID()), "creationTimestamp": .string(timestamp()),
                    "resourceVersion": .string(String(resourceVersion)),
                    "ownerReferences": [
                        [
                            "apiVersion": owner["apiVersion"] ?? "", "kind": owner["kind"] ?? "", "name": .string(name),
                            "uid": .string(uid), "controller": true,
                        ]
                    ],
                ],
                "spec": spec,
                "status": [
                    "phase": .string(running ? (done ? "Succeeded" : "Running") : (crashed ? "Running" : "Pending")),
                    "containerStatuses": .array(statuses),
                ],
            ]
            podLogs[key(ns, podName)] = logs
            put(sk, key(ns, podName), pod)
        }
    }
}
