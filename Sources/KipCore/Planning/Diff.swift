/// What differs between two environments of a project, kind by kind and object by object.
public struct EnvironmentDiff: Equatable {
    public struct Entry: Equatable, Sendable {
        public var kind: String
        public var name: String
        /// nil when the object exists on one side only (`only` says which).
        public var field: String?
        public var left: String?
        public var right: String?
        public var only: String?
        /// A secret: values never shown, only that they differ.
        public var secret: Bool = false
        /// The values as the specs hold them (numbers as numbers), for `-o json`.
        public var leftValue: JSON?
        public var rightValue: JSON?
    }

    public var left: String
    public var right: String
    public var entries: [Entry]

    public init(left: String, right: String, entries: [Entry]) {
        self.left = left
        self.right = right
        self.entries = entries
    }

    public var lines: [String] {
        entries.map { e in
            let head = "\(e.kind) \(e.name)"
            if let only = e.only { return "\(head): only in \(only)" }
            let f = e.field ?? ""
            if e.secret { return "\(head): \(f) differs" }
            return "\(head): \(f): \(e.left ?? "(none)") → \(e.right ?? "(none)")"
        }
    }

    public var document: JSON {
        [
            "left": .string(left), "right": .string(right), "identical": .bool(entries.isEmpty),
            "differences": .array(
                entries.map { e in
                    var o: JSON = ["kind": .string(e.kind), "name": .string(e.name)]
                    if let only = e.only { o["only"] = .string(only) }
                    if let f = e.field { o["field"] = .string(f) }
                    if e.secret {
                        o["differs"] = true
                    } else if e.only == nil {
                        o["left"] = e.leftValue ?? e.left.map { .string($0) } ?? .null
                        o["right"] = e.rightValue ?? e.right.map { .string($0) } ?? .null
                    }
                    return o
                }),
        ]
    }

    public static func compare(_ a: Project.Environment, _ b: Project.Environment, observed: Observed)
        -> EnvironmentDiff
    {
        var entries: [Entry] = []
        // Each environment's own quota (the install's is the same for both).
        if (a.quota ?? [:]) != (b.quota ?? [:]) {
            let install = "(the install's)"
            entries.append(
                Entry(
                    kind: "environment", name: "settings", field: "quota",
                    left: a.quota.map { Quota($0).text } ?? install, right: b.quota.map { Quota($0).text } ?? install))
        }
        func crs(_ env: Project.Environment, _ k: WorkloadKind) -> [String: JSON] {
            var out: [String: JSON] = [:]
            for o in observed.workloads[env.namespace] ?? [] where o["kind"]?.stringValue == k.rawValue {
                out[o.at("metadata", "name")?.stringValue ?? ""] = o["spec"] ?? [:]
            }
            return out
        }
        func secrets(_ env: Project.Environment, _ app: String) -> [String: String] {
            let s = (observed.secrets[env.namespace] ?? []).first {
                $0.at("metadata", "name")?.stringValue == SecretNames.app(app)
            }
            return (s?["data"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        }
        for kind in WorkloadKind.allCases {
            let l = crs(a, kind)
            let r = crs(b, kind)
            for name in Set(l.keys).union(r.keys).sorted() {
                guard let ls = l[name], let rs = r[name] else {
                    entries.append(Entry(kind: kind.word, name: name, only: l[name] != nil ? a.name : b.name))
                    continue
                }
                entries += specs(kind, name, ls, rs, a, b)
                guard kind == .app else { continue }
                let lsec = secrets(a, name)
                let rsec = secrets(b, name)
                for k in Set(lsec.keys).union(rsec.keys).sorted() where lsec[k] != rsec[k] {
                    var e = Entry(kind: kind.word, name: name, field: "secret \(k)")
                    if lsec[k] == nil || rsec[k] == nil {
                        e.left = lsec[k] == nil ? nil : "(set)"
                        e.right = rsec[k] == nil ? nil : "(set)"
                    } else {
                        e.secret = true
                    }
                    entries.append(e)
                }
            }
        }
        return EnvironmentDiff(left: a.name, right: b.name, entries: entries)
    }

    /// The order fields are reported in; a field not listed here is still compared,
    /// after these.
    static let fieldOrder = [
        "type", "image", "port", "replicas", "autoscale", "resources", "env", "route", "bindings", "volumes", "version",
        "storage",
        "size", "schedule", "command",
    ]

    /// Every field of two specs of one kind, compared on their typed, resolved form
    /// (defaults filled), so that a field a spec gains is compared without any change
    /// here. Env values that differ only by their environment's namespace, and routes
    /// that are each environment's default host, count as the same.
    public static func specs(
        _ kind: WorkloadKind, _ name: String, _ left: JSON, _ right: JSON, _ a: Project.Environment,
        _ b: Project.Environment
    ) -> [Entry] {
        let ls = kind.resolvedSpec(left).objectValue ?? [:]
        let rs = kind.resolvedSpec(right).objectValue ?? [:]
        var out: [Entry] = []
        func field(_ f: String, _ lv: String?, _ rv: String?) {
            if lv != rv { out.append(Entry(kind: kind.word, name: name, field: f, left: lv, right: rv)) }
        }
        func norm(_ v: String?, _ env: Project.Environment) -> String? {
            v.map { NamespaceRewrite.rewrite($0, from: env.namespace, to: "<namespace>") }
        }
        // A default host is `<app>[-<project>][-<env>].<domain>`: the environment's part
        // (its suffix) does not count.
        func host(_ h: String?, _ env: Project.Environment) -> String? {
            guard let h, let dot = h.firstIndex(of: ".") else { return h }
            var label = String(h[..<dot])
            guard label.hasPrefix(name) else { return h }
            if env.name != Naming.defaultEnvironment {
                guard label.hasSuffix("-" + env.name) else { return h }
                label = String(label.dropLast(env.name.count + 1))
            }
            return "\(name)\(label.dropFirst(name.count))-<env>" + h[dot...]
        }
        func text(_ v: JSON?) -> String? {
            guard let v, !v.isNull else { return nil }
            return v.stringValue ?? v.serialized()
        }
        let keys = Set(ls.keys).union(rs.keys)
        let ordered = fieldOrder.filter(keys.contains) + keys.subtracting(fieldOrder).sorted()
        for k in ordered {
            switch k {
            case "secretEnv":
                // The keys of the app's secret: compared with the secrets themselves.
                continue
            case "env":
                let le = EnvVar.list(ls[k])
                let re = EnvVar.list(rs[k])
                let lm = Dictionary(le.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                let rm = Dictionary(re.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                for n in Set(lm.keys).union(rm.keys).sorted() where norm(lm[n], a) != norm(rm[n], b) {
                    field("env \(n)", lm[n], rm[n])
                }
            case "route":
                let lh = ls[k]?["host"]?.stringValue
                let rh = rs[k]?["host"]?.stringValue
                if host(lh, a) != host(rh, b) { field("route", lh, rh) }
            case "resources":
                let lr = ls[k]?.stringMap ?? [:]
                let rr = rs[k]?.stringMap ?? [:]
                for f in Resources().fields.map(\.0)
                    + Set(lr.keys).union(rr.keys).subtracting(Resources().fields.map(\.0)).sorted()
                {
                    field(f, lr[f], rr[f])
                }
            default:
                if text(ls[k]) != text(rs[k]) {
                    var e = Entry(kind: kind.word, name: name, field: k, left: text(ls[k]), right: text(rs[k]))
                    e.leftValue = ls[k]
                    e.rightValue = rs[k]
                    out.append(e)
                }
            }
        }
        return out
    }
}
