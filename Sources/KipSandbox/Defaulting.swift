import KipCore

/// What the API server fills in and normalises on every built-in object it stores, owned
/// by no field manager: a Deployment's strategy (RollingUpdate, 25% / 25%), replicas,
/// revision history and progress deadline (`SetDefaults_Deployment`), and every resource
/// quantity in its canonical form (`0.5` → `500m`, `1024Mi` → `1Gi`).
enum Defaulting {
    static func apply(_ o: inout JSON, _ r: ResourceInfo) {
        guard r.schema == nil else { return }  // built-in kinds only
        if r.group == "apps" && r.kind == "Deployment", o["spec"] != nil {
            if o.at("spec", "replicas") == nil { o.set(["spec", "replicas"], 1) }
            if o.at("spec", "revisionHistoryLimit") == nil { o.set(["spec", "revisionHistoryLimit"], 10) }
            if o.at("spec", "progressDeadlineSeconds") == nil { o.set(["spec", "progressDeadlineSeconds"], 600) }
            let type = o.at("spec", "strategy", "type")?.stringValue ?? ""
            if type.isEmpty { o.set(["spec", "strategy", "type"], "RollingUpdate") }
            if type.isEmpty || type == "RollingUpdate" {
                if o.at("spec", "strategy", "rollingUpdate", "maxSurge") == nil {
                    o.set(["spec", "strategy", "rollingUpdate", "maxSurge"], "25%")
                }
                if o.at("spec", "strategy", "rollingUpdate", "maxUnavailable") == nil {
                    o.set(["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%")
                }
            }
        }
        o = canonicalQuantities(o)
    }

    /// Quantities under `requests`, `limits` (containers, claims, LimitRanges, quotas
    /// alike) and `sizeLimit`, written as the server writes them back.
    static func canonicalQuantities(_ v: JSON, key: String = "") -> JSON {
        switch v {
        case .object(let m):
            var out: [String: JSON] = [:]
            for (k, x) in m {
                if ["requests", "limits", "hard"].contains(k), case .object(let q) = x {
                    out[k] = .object(q.mapValues { canonical($0) })
                } else if k == "sizeLimit" {
                    out[k] = canonical(x)
                } else {
                    out[k] = canonicalQuantities(x, key: k)
                }
            }
            return .object(out)
        case .array(let a): return .array(a.map { canonicalQuantities($0, key: key) })
        default: return v
        }
    }

    static func canonical(_ v: JSON) -> JSON {
        if let s = v.stringValue, let c = Quantity.canonical(s) { return .string(c) }
        if let i = v.intValue { return .string(String(i)) }
        return v
    }
}
