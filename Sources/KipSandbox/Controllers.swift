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

    private func failing(_ o: JSON) -> Bool {
        let images = (template(o)?.at("spec", "containers")?.arrayValue ?? []).compactMap { $0["image"]?.stringValue }
        return images.contains { img in timing.failImages.contains { fnmatch($0, img, 0) == 0 } }
    }

    func rollout(_ sk: String, _ k: String, generation: Int) {
        guard var o = objects[sk]?[k], o.at("metadata", "generation")?.intValue == generation else { return }
        let kind = o["kind"]?.stringValue ?? ""
        let replicas = kind == "Job" ? 1 : (o.at("spec", "replicas")?.intValue ?? 1)
        let bad = failing(o)
        var status: JSON = ["observedGeneration": .int(generation)]
        // Pod Security admission refuses the pods the controller would create.
        let ns = o.at("metadata", "namespace")?.stringValue ?? ""
        let level = objects["/namespaces"]?[key(nil, ns)]?.at(
            "metadata", "labels", "pod-security.kubernetes.io/enforce")?
            .stringValue
        let denied = level.map { PodSecurity.violations(template(o)?["spec"] ?? [:], level: $0) } ?? []
        if !denied.isEmpty {
            let name = o.at("metadata", "name")?.stringValue ?? ""
            let message =
                "pods \"\(name)-\(String(generation, radix: 16))-0\" is forbidden: violates PodSecurity \"\(level!):latest\": "
                + denied.joined(separator: ", ")
            status["replicas"] = 0
            if kind == "Deployment" {
                status["unavailableReplicas"] = .int(replicas)
                status["conditions"] = .array(
                    unavailable + [condition("ReplicaFailure", true, "FailedCreate", message)])
            }
            store(&o, status: status, sk, k)
            replacePods(of: o, count: 0, failing: false, done: false)
            return
        }
        switch kind {
        case "Deployment":
            status["replicas"] = .int(replicas)
            status["updatedReplicas"] = .int(replicas)
            if bad {
                status["unavailableReplicas"] = .int(replicas)
                status["conditions"] = .array(unavailable)
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
                status["readyReplicas"] = .int(replicas)
                status["availableReplicas"] = .int(replicas)
            }
        default:  // Job
            if bad {
                status["active"] = 1
            } else {
                status["succeeded"] = 1
                status["conditions"] = [condition("Complete", true, "", "")]
            }
        }
        store(&o, status: status, sk, k)
        replacePods(of: o, count: kind == "Job" && !bad ? 1 : replicas, failing: bad, done: kind == "Job")
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

    /// The workload's pods, one per replica, owned by it so they go with it.
    private func replacePods(of o: JSON, count: Int, failing: Bool, done: Bool) {
        guard let uid = o.at("metadata", "uid")?.stringValue, let ns = o.at("metadata", "namespace")?.stringValue else {
            return
        }
        let sk = "/pods"
        for (k, p) in objects[sk] ?? [:]
        where (p.at("metadata", "ownerReferences")?.arrayValue ?? []).contains(where: { $0["uid"]?.stringValue == uid })
        {
            remove(sk, k)
        }
        let name = o.at("metadata", "name")?.stringValue ?? ""
        let gen = o.at("metadata", "generation")?.intValue ?? 1
        let tmpl = template(o) ?? [:]
        for i in 0..<count {
            let podName =
                o["kind"]?.stringValue == "StatefulSet" ? "\(name)-\(i)" : "\(name)-\(String(gen, radix: 16))-\(i)"
            let containers = (tmpl.at("spec", "containers")?.arrayValue ?? []).map { c -> JSON in
                var s: JSON = ["name": c["name"] ?? "", "image": c["image"] ?? "", "ready": .bool(!failing && !done)]
                s["state"] =
                    failing
                    ? ["waiting": ["reason": "ImagePullBackOff", "message": "kip-sandbox: image matches --fail-image"]]
                    : (done ? ["terminated": ["exitCode": 0, "reason": "Completed"]] : ["running": [:]])
                s["restartCount"] = 0
                return s
            }
            resourceVersion += 1
            let pod: JSON = [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": [
                    "name": .string(podName), "namespace": .string(ns), "labels": tmpl.at("metadata", "labels") ?? [:],
                    "uid": .string(nextUID()), "creationTimestamp": .string(timestamp()),
                    "resourceVersion": .string(String(resourceVersion)),
                    "ownerReferences": [
                        [
                            "apiVersion": o["apiVersion"] ?? "", "kind": o["kind"] ?? "", "name": .string(name),
                            "uid": .string(uid), "controller": true,
                        ]
                    ],
                ],
                "spec": tmpl["spec"] ?? [:],
                "status": [
                    "phase": .string(failing ? "Pending" : (done ? "Succeeded" : "Running")),
                    "containerStatuses": .array(containers),
                ],
            ]
            put(sk, key(ns, podName), pod)
        }
    }
}
