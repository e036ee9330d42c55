import Foundation

/// An environment's resource quota: what its pods may request in all, as a ResourceQuota
/// `kip-quota` holds it, with a LimitRange `kip-limits` whose defaults give every
/// container the requests the quota counts (kube-apiserver refuses a pod that leaves out
/// a resource a quota tracks). The install sets the default (`kip install --quota`), an
/// environment may have its own (`create|add-env --quota`, `kip project quota`).
public struct Quota: Equatable, Sendable {
    /// ResourceQuota keys (`requests.cpu`, `pods`, …) and their quantities.
    public var hard: [String: String]

    public init(_ hard: [String: String]) { self.hard = hard }

    /// What a user writes, and the ResourceQuota key it means.
    public static let aliases: [(String, String)] = [
        ("cpu", "requests.cpu"), ("memory", "requests.memory"), ("storage", "requests.storage"),
        ("volumes", "persistentvolumeclaims"),
    ]
    /// The keys kip accepts besides the aliases.
    public static let keys = [
        "requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "requests.storage", "pods",
        "persistentvolumeclaims", "services", "secrets", "configmaps",
    ]
    /// The quota of an environment when the install sets none: room for a few apps, a
    /// database and their rollouts, and a ceiling for one that runs away.
    public static let standard = Quota([
        "requests.cpu": "8", "requests.memory": "16Gi", "pods": "50", "persistentvolumeclaims": "20",
        "requests.storage": "200Gi",
    ])
    /// The requests a container gets when it names none (the LimitRange's defaults).
    public static let defaultRequest = ["cpu": "100m", "memory": "128Mi"]
    /// The limits a container gets when it names none, only for the resources whose
    /// limits the quota counts.
    public static let defaultLimit = ["cpu": "1", "memory": "1Gi"]

    public static let quotaName = "kip-quota"
    public static let limitsName = "kip-limits"

    /// `cpu=4,memory=8Gi,pods=40` (also as separate words); `key=` removes a key.
    public static func parse(_ words: [String]) throws -> (set: [String: String], removed: [String]) {
        var set: [String: String] = [:]
        var removed: [String] = []
        for part in words.flatMap({ $0.split(separator: ",").map(String.init) }) where !part.isEmpty {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard kv.count == 2 else {
                throw UsageProblem("'\(part)' is not KEY=QUANTITY: give e.g. cpu=4,memory=8Gi,pods=40")
            }
            let key = aliases.first { $0.0 == kv[0] }?.1 ?? kv[0]
            guard keys.contains(key) else {
                throw UsageProblem(
                    "'\(kv[0])' is no quota kip sets: use \((aliases.map(\.0) + keys).joined(separator: ", "))")
            }
            if kv[1].isEmpty {
                removed.append(key)
                continue
            }
            guard let v = Quantity.value(kv[1]), v >= 0 else {
                throw UsageProblem("\(kv[0])=\(kv[1]): '\(kv[1])' is not a quantity (e.g. 4, 500m, 8Gi)")
            }
            if ["pods", "persistentvolumeclaims", "services", "secrets", "configmaps"].contains(key),
                !Quantity.isWhole(v)
            {
                throw UsageProblem("\(kv[0])=\(kv[1]): a count is a whole number")
            }
            set[key] = kv[1]
        }
        return (set, removed)
    }

    /// The install's setting: `off`, or the keys it sets (nil: the standard quota).
    public static func cluster(_ setting: String?) -> Quota? {
        guard let setting else { return standard }
        if setting == "off" { return nil }
        return (try? parse([setting])).map { Quota($0.set) } ?? standard
    }

    /// The quota of `env`: the install's (or the standard one), with the environment's own
    /// keys over it. nil when the install turned quotas off and the environment has none.
    public static func of(_ env: Project.Environment, cluster: ClusterSettings) -> Quota? {
        let base = Self.cluster(cluster.quota)
        guard let own = env.quota, !own.isEmpty else { return base }
        return Quota((base?.hard ?? [:]).merging(own) { $1 })
    }

    /// `cpu=4,memory=8Gi,pods=40`: the aliases where there is one, in a fixed order.
    public var text: String {
        let order = Self.aliases.map(\.1) + Self.keys
        return hard.keys.sorted { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }
            .map { k in "\(Self.aliases.first { $0.1 == k }?.0 ?? k)=\(hard[k]!)" }.joined(separator: ",")
    }
}

extension Render {
    /// The environment's ResourceQuota and LimitRange (none when quotas are off).
    public static func quota(_ p: Project, _ env: Project.Environment, uid: String, cluster: ClusterSettings) -> [JSON]
    {
        guard let q = Quota.of(env, cluster: cluster) else { return [] }
        func meta(_ name: String) -> JSON {
            [
                "name": .string(name), "namespace": .string(env.namespace),
                "labels": .object(labels(project: p.name, environment: env.name)),
                "ownerReferences": [ownerReference(kind: "Project", name: p.name, uid: uid)],
            ]
        }
        var limit: JSON = ["type": "Container", "defaultRequest": .object(Quota.defaultRequest.mapValues(JSON.string))]
        let limited = Quota.defaultLimit.filter { q.hard["limits.\($0.key)"] != nil }
        if !limited.isEmpty { limit["default"] = .object(limited.mapValues(JSON.string)) }
        return [
            [
                "apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta(Quota.quotaName),
                "spec": ["hard": .object(q.hard.mapValues(JSON.string))],
            ],
            [
                "apiVersion": "v1", "kind": "LimitRange", "metadata": meta(Quota.limitsName),
                "spec": ["limits": [limit]],
            ],
        ]
    }
}

extension Quota {
    /// Environment `namespace`'s live ResourceQuota `kip-quota` among `natives`.
    public static func live(in natives: [JSON]) -> JSON? {
        natives.first { $0["kind"] == "ResourceQuota" && $0.at("metadata", "name")?.stringValue == quotaName }
    }

    /// `cpu 400m/4, memory 512Mi/8Gi, pods 4/40`: what a live quota's namespace uses of it.
    public static func inUse(_ live: JSON) -> String {
        let hard = live.at("status", "hard")?.stringMap ?? live.at("spec", "hard")?.stringMap ?? [:]
        let used = live.at("status", "used")?.stringMap ?? [:]
        return Quota(hard).text.split(separator: ",").map { pair in
            let alias = String(pair.split(separator: "=")[0])
            let key = aliases.first { $0.0 == alias }?.1 ?? alias
            return "\(alias) \(used[key] ?? "0")/\(hard[key] ?? "")"
        }.joined(separator: ", ")
    }
}
