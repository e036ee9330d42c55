/// What differs between two environments of a project, kind by kind and object by object.
public struct EnvironmentDiff: Equatable {
    public struct Entry: Equatable {
        public var kind: String
        public var name: String
        /// nil when the object exists on one side only (`only` says which).
        public var field: String?
        public var left: String?
        public var right: String?
        public var only: String?
        /// A secret: values never shown, only that they differ.
        public var secret: Bool = false
    }

    public var left: String
    public var right: String
    public var entries: [Entry]

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
                        o["left"] = e.left.map { .string($0) } ?? .null
                        o["right"] = e.right.map { .string($0) } ?? .null
                    }
                    return o
                }),
        ]
    }

    public static func compare(_ a: Project.Environment, _ b: Project.Environment, observed: Observed) -> EnvironmentDiff {
        var entries: [Entry] = []
        func crs(_ env: Project.Environment, _ k: WorkloadKind) -> [String: JSON] {
            var out: [String: JSON] = [:]
            for o in observed.workloads[env.namespace] ?? [] where o["kind"]?.stringValue == k.rawValue {
                out[o.at("metadata", "name")?.stringValue ?? ""] = o["spec"] ?? [:]
            }
            return out
        }
        func secrets(_ env: Project.Environment, _ app: String) -> [String: String] {
            let s = (observed.secrets[env.namespace] ?? []).first { $0.at("metadata", "name")?.stringValue == "\(app)-secrets" }
            return (s?["data"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        }
        func norm(_ v: String?, _ env: Project.Environment) -> String? {
            v.map { NamespaceRewrite.rewrite($0, from: env.namespace, to: "<namespace>") }
        }
        func host(_ h: String?, _ app: String, _ env: Project.Environment) -> String? {
            guard let h else { return nil }
            let prefix = env.name == Naming.defaultEnvironment ? "\(app)." : "\(app)-\(env.name)."
            return h.hasPrefix(prefix) ? "\(app)-<env>." + h.dropFirst(prefix.count) : h
        }
        func text(_ v: JSON?) -> String? {
            guard let v, !v.isNull else { return nil }
            return v.stringValue ?? v.serialized()
        }
        for kind in WorkloadKind.allCases {
            let l = crs(a, kind)
            let r = crs(b, kind)
            for name in Set(l.keys).union(r.keys).sorted() {
                guard let ls = l[name], let rs = r[name] else {
                    entries.append(Entry(kind: kind.word, name: name, only: l[name] != nil ? a.name : b.name))
                    continue
                }
                func field(_ f: String, _ lv: String?, _ rv: String?) {
                    if lv != rv { entries.append(Entry(kind: kind.word, name: name, field: f, left: lv, right: rv)) }
                }
                switch kind {
                case .app:
                    field("image", text(ls["image"]), text(rs["image"]))
                    field("replicas", text(ls["replicas"]) ?? "1", text(rs["replicas"]) ?? "1")
                    field("autoscale", text(ls["autoscale"]), text(rs["autoscale"]))
                    for k in ["cpuRequest", "cpuLimit", "memoryRequest", "memoryLimit"] {
                        field(k, ls.at("resources", k)?.stringValue, rs.at("resources", k)?.stringValue)
                    }
                    let le = Dictionary((ls["env"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0["value"]?.stringValue ?? "") }, uniquingKeysWith: { $1 })
                    let re = Dictionary((rs["env"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0["value"]?.stringValue ?? "") }, uniquingKeysWith: { $1 })
                    for k in Set(le.keys).union(re.keys).sorted() where norm(le[k], a) != norm(re[k], b) {
                        field("env \(k)", le[k], re[k])
                    }
                    let lh = host(ls.at("route", "host")?.stringValue, name, a)
                    let rh = host(rs.at("route", "host")?.stringValue, name, b)
                    if lh != rh { field("route", ls.at("route", "host")?.stringValue, rs.at("route", "host")?.stringValue) }
                    field("bindings", text(ls["bindings"]), text(rs["bindings"]))
                    field("volumes", text(ls["volumes"]), text(rs["volumes"]))
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
                case .service:
                    for f in ["type", "version", "storage"] { field(f, text(ls[f]), text(rs[f])) }
                case .volume:
                    field("size", text(ls["size"]), text(rs["size"]))
                case .function:
                    for f in ["image", "port"] { field(f, text(ls[f]), text(rs[f])) }
                    field("env", norm(text(ls["env"]), a), norm(text(rs["env"]), b))
                case .job:
                    for f in ["image", "schedule", "command"] { field(f, text(ls[f]), text(rs[f])) }
                    field("env", norm(text(ls["env"]), a), norm(text(rs["env"]), b))
                }
            }
        }
        return EnvironmentDiff(left: a.name, right: b.name, entries: entries)
    }
}
