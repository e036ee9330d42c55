import Foundation
import KipCore

/// ResourceQuota and LimitRange as kube-apiserver's admission and the quota controller
/// apply them to the pods the sandbox's controllers create: LimitRange defaults fill in
/// a container's missing requests and limits, then a pod that would take a namespace
/// past a quota's `hard` is refused (`exceeded quota: …`, a FailedCreate on its
/// ReplicaSet), and a quota's status counts what is in use.
extension APIServer {
    func inNamespace(_ sk: String, _ ns: String) -> [JSON] {
        (objects[sk] ?? [:]).values.filter { $0.at("metadata", "namespace")?.stringValue == ns }
            .sorted { ($0.at("metadata", "name")?.stringValue ?? "") < ($1.at("metadata", "name")?.stringValue ?? "") }
    }

    /// Pod spec `spec` as LimitRange admission leaves it in namespace `ns`.
    func withLimitDefaults(_ spec: JSON, namespace ns: String) -> JSON {
        let limits = inNamespace("/limitranges", ns).flatMap { $0.at("spec", "limits")?.arrayValue ?? [] }
            .filter { $0["type"]?.stringValue == "Container" }
        guard !limits.isEmpty else { return spec }
        var out = spec
        out["containers"] = .array(
            (spec["containers"]?.arrayValue ?? []).map { c in
                var c = c
                for l in limits {
                    for (field, from) in [("limits", "default"), ("requests", "defaultRequest")] {
                        for (res, v) in l[from]?.objectValue ?? [:] where c.at("resources", field, res) == nil {
                            c.set(["resources", field, res], v)
                        }
                    }
                    // A limit but no request: the request is the limit.
                    for (res, v) in c.at("resources", "limits")?.objectValue ?? [:]
                    where c.at("resources", "requests", res) == nil {
                        c.set(["resources", "requests", res], v)
                    }
                }
                return c
            })
        return out
    }

    /// What one pod counts against a quota, by quota key.
    static func usage(ofPod spec: JSON) -> [String: Decimal] {
        var u: [String: Decimal] = ["pods": 1]
        for c in spec["containers"]?.arrayValue ?? [] {
            for field in ["requests", "limits"] {
                for (res, v) in c.at("resources", field)?.stringMap ?? [:] {
                    guard let q = Quantity.value(v) else { continue }
                    u["\(field).\(res)", default: 0] += q
                    if field == "requests" { u[res, default: 0] += q }
                }
            }
        }
        return u
    }

    /// What namespace `ns` uses now, by quota key: its pods that have not finished (but
    /// those owned by `except`), its claims, and the counted kinds.
    func used(namespace ns: String, except: Set<String> = []) -> [String: Decimal] {
        var u: [String: Decimal] = [:]
        for p in inNamespace("/pods", ns) {
            if ["Succeeded", "Failed"].contains(p.at("status", "phase")?.stringValue ?? "") { continue }
            let owners = (p.at("metadata", "ownerReferences")?.arrayValue ?? []).compactMap { $0["uid"]?.stringValue }
            if owners.contains(where: except.contains) { continue }
            for (k, v) in Self.usage(ofPod: p["spec"] ?? [:]) { u[k, default: 0] += v }
        }
        for c in inNamespace("/persistentvolumeclaims", ns) {
            u["persistentvolumeclaims", default: 0] += 1
            if let s = c.at("spec", "resources", "requests", "storage")?.stringValue, let q = Quantity.value(s) {
                u["requests.storage", default: 0] += q
            }
        }
        for (key, sk) in [("services", "/services"), ("secrets", "/secrets"), ("configmaps", "/configmaps")] {
            u[key] = Decimal(inNamespace(sk, ns).count)
        }
        return u
    }

    /// How many of `count` pods of spec `spec` namespace `ns` admits, and the refusal of
    /// the first it does not (kube-apiserver's words), pods owned by `except` aside.
    func quotaRoom(_ spec: JSON, count: Int, namespace ns: String, except: Set<String>, podName: (Int) -> String)
        -> (fits: Int, refusal: String?)
    {
        let quotas = inNamespace("/resourcequotas", ns)
        guard !quotas.isEmpty, count > 0 else { return (count, nil) }
        let each = Self.usage(ofPod: spec)
        var inUse = used(namespace: ns, except: except)
        for i in 0..<count {
            for q in quotas {
                let name = q.at("metadata", "name")?.stringValue ?? ""
                let hard = q.at("spec", "hard")?.stringMap ?? [:]
                let podKeys = hard.keys.filter { $0.hasPrefix("requests.") || $0.hasPrefix("limits.") || $0 == "pods" }
                    .filter { $0 != "requests.storage" }.sorted()
                let missing = podKeys.filter { each[$0] == nil }
                if !missing.isEmpty {
                    return (
                        i,
                        "pods \"\(podName(i))\" is forbidden: failed quota: \(name): must specify \(missing.joined(separator: ","))"
                    )
                }
                let over = podKeys.filter { k in
                    guard let limit = hard[k].flatMap(Quantity.value) else { return false }
                    return (inUse[k] ?? 0) + (each[k] ?? 0) > limit
                }
                if !over.isEmpty {
                    func list(_ f: (String) -> String) -> String {
                        over.map { "\($0)=\(f($0))" }.joined(separator: ",")
                    }
                    return (
                        i,
                        "pods \"\(podName(i))\" is forbidden: exceeded quota: \(name), requested: \(list { Self.text(each[$0] ?? 0) }), used: \(list { Self.text(inUse[$0] ?? 0) }), limited: \(list { hard[$0] ?? "" })"
                    )
                }
            }
            for (k, v) in each { inUse[k, default: 0] += v }
        }
        return (count, nil)
    }

    /// A quantity as the quota controller prints it: whole units, or milli-units.
    static func text(_ d: Decimal) -> String {
        let s = NSDecimalNumber(decimal: d).stringValue
        if !s.contains(".") { return s }
        return NSDecimalNumber(decimal: d * 1000).rounding(accordingToBehavior: nil).stringValue + "m"
    }

    /// A ResourceQuota with the status the quota controller keeps: its `hard`, and what
    /// the namespace uses of each key.
    func withQuotaStatus(_ q: JSON) -> JSON {
        let ns = q.at("metadata", "namespace")?.stringValue ?? ""
        let hard = q.at("spec", "hard")?.stringMap ?? [:]
        let inUse = used(namespace: ns)
        var o = q
        o["status"] = [
            "hard": .object(hard.mapValues(JSON.string)),
            "used": .object(
                Dictionary(
                    uniqueKeysWithValues: hard.keys.map { k in
                        (k, JSON.string(Self.usedText(inUse[k] ?? 0, like: hard[k]!)))
                    })),
        ]
        return o
    }

    /// `used` in the form of its `hard`: `1536Mi` beside `8Gi`, `300m` beside `4`.
    static func usedText(_ d: Decimal, like hard: String) -> String {
        if d == 0 { return "0" }
        let binary = ["Ki", "Mi", "Gi", "Ti"].contains { hard.hasSuffix($0) }
        if binary {
            return Quantity.canonical(NSDecimalNumber(decimal: d / 1_048_576).stringValue + "Mi") ?? text(d)
        }
        return text(d)
    }
}

extension APIServer {
    /// A quota that changed gives the controllers another try at the pods it refused, as
    /// the ReplicaSet and StatefulSet controllers retry a FailedCreate.
    func quotaChanged(_ o: JSON, _ r: ResourceInfo) {
        guard r.kind == "ResourceQuota", r.group.isEmpty, let ns = o.at("metadata", "namespace")?.stringValue else {
            return
        }
        for sk in ["apps/deployments", "apps/statefulsets"] {
            for w in inNamespace(sk, ns) {
                let short = (w.at("status", "conditions")?.arrayValue ?? []).contains {
                    $0["type"]?.stringValue == "ReplicaFailure" && $0["status"]?.stringValue == "True"
                }
                let want = w.at("spec", "replicas")?.intValue ?? 1
                guard short || (w.at("status", "readyReplicas")?.intValue ?? 0) < want,
                    let gen = w.at("metadata", "generation")?.intValue
                else { continue }
                schedule(
                    .rollout(sk, key(ns, w.at("metadata", "name")?.stringValue ?? ""), gen), after: timing.rolloutDelay)
            }
        }
    }
}
