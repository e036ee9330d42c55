import Foundation
import KipCore

/// Who a request comes from.
public struct Identity: Equatable, Sendable {
    public var user: String
    public var groups: [String]

    public init(user: String, groups: [String]) {
        self.user = user
        self.groups = groups
    }

    /// A request without a token: the cluster's administrator.
    public static let admin = Identity(user: "kubernetes-admin", groups: ["system:masters", "system:authenticated"])
}

/// Bearer tokens, in kube-apiserver's `--token-auth-file` format: one user a line,
/// `token,user,uid,"group1,group2"` (uid and groups optional).
public struct TokenFile: Sendable {
    public var users: [String: Identity] = [:]

    public init() {}

    public init(text: String) throws {
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var fields: [String] = []
            var cur = ""
            var quoted = false
            for ch in line {
                if ch == "\"" {
                    quoted.toggle()
                } else if ch == "," && !quoted {
                    fields.append(cur)
                    cur = ""
                } else {
                    cur.append(ch)
                }
            }
            fields.append(cur)
            guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw SandboxError.usage("--users line \(i + 1): expected token,user[,uid[,\"group1,group2\"]]")
            }
            let groups = fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
            users[fields[0]] = Identity(user: fields[1], groups: groups + ["system:authenticated"])
        }
    }
}

/// What a request asks to do, in RBAC's terms.
struct Attributes {
    var verb: String
    var group: String
    var resource: String
    var subresource: String?
    var namespace: String?
    var name: String?
}

extension APIServer {
    /// The ClusterRoles a cluster starts with (the user-facing ones, as `kubectl describe
    /// clusterrole` shows them on 1.33, aggregated rules flattened).
    static var defaultClusterRoles: [JSON] {
        let read = ["get", "list", "watch"]
        let write = ["create", "delete", "deletecollection", "patch", "update"]
        func rule(_ groups: [String], _ resources: [String], _ verbs: [String]) -> JSON {
            ["apiGroups": JSON.strings(groups), "resources": JSON.strings(resources), "verbs": JSON.strings(verbs)]
        }
        let viewRules: [JSON] = [
            rule(
                [""],
                [
                    "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
                    "pods/log", "pods/status", "replicationcontrollers", "serviceaccounts", "services",
                    "services/status", "limitranges", "resourcequotas", "events", "namespaces", "namespaces/status",
                ], read),
            rule(
                ["apps"],
                [
                    "daemonsets", "deployments", "deployments/scale", "replicasets", "statefulsets",
                    "statefulsets/scale",
                ], read),
            rule(["autoscaling"], ["horizontalpodautoscalers"], read),
            rule(["batch"], ["cronjobs", "jobs"], read),
            rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], read),
            rule(["policy"], ["poddisruptionbudgets"], read),
        ]
        let editRules: [JSON] = [
            rule(
                [""],
                [
                    "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "configmaps", "endpoints",
                    "persistentvolumeclaims", "replicationcontrollers", "secrets", "serviceaccounts", "services",
                ], write + read),
            rule(
                ["apps"],
                [
                    "daemonsets", "deployments", "deployments/scale", "replicasets", "statefulsets",
                    "statefulsets/scale",
                ], write + read),
            rule(["autoscaling"], ["horizontalpodautoscalers"], write + read),
            rule(["batch"], ["cronjobs", "jobs"], write + read),
            rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], write + read),
            rule(["policy"], ["poddisruptionbudgets"], write + read),
        ]
        let adminRules: [JSON] = [
            rule(["rbac.authorization.k8s.io"], ["roles", "rolebindings"], write + read),
            rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
        ]
        /// `aggregated`: the role also has the rules of every ClusterRole labelled
        /// `rbac.authorization.k8s.io/aggregate-to-<name>: "true"` (its aggregationRule).
        func role(_ name: String, _ rules: [JSON], aggregated: Bool = false) -> JSON {
            var r: JSON = [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": ["name": .string(name), "labels": ["kubernetes.io/bootstrapping": "rbac-defaults"]],
                "rules": .array(rules),
            ]
            if aggregated {
                r["aggregationRule"] = [
                    "clusterRoleSelectors": [
                        ["matchLabels": ["rbac.authorization.k8s.io/aggregate-to-\(name)": "true"]]
                    ]
                ]
            }
            return r
        }
        return [
            role("cluster-admin", [rule(["*"], ["*"], ["*"]), ["nonResourceURLs": ["*"], "verbs": ["*"]]]),
            role("admin", viewRules + editRules + adminRules, aggregated: true),
            role("edit", viewRules + editRules, aggregated: true),
            role("view", viewRules, aggregated: true),
        ]
    }

    /// The identity of a request: its bearer token's user (an unknown token is a 401),
    /// else the administrator; an identity allowed to impersonate may act as another
    /// (`kubectl --as USER --as-group G`).
    func authenticate(_ req: HTTPRequest) throws -> Identity {
        var who = Identity.admin
        if let auth = req.headers["authorization"], auth.hasPrefix("Bearer ") {
            let token = String(auth.dropFirst(7))
            guard let id = tokens.users[token] else {
                throw APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
            }
            who = id
        }
        if let user = req.headers["impersonate-user"] {
            let attrs = Attributes(verb: "impersonate", group: "", resource: "users", namespace: nil, name: user)
            guard allowed(who, attrs) else {
                throw APIError(
                    code: 403, reason: "Forbidden",
                    message:
                        "users \"\(user)\" is forbidden: User \"\(who.user)\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
                )
            }
            let groups = (req.headers["impersonate-group"] ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
            who = Identity(user: user, groups: groups + ["system:authenticated"])
        }
        return who
    }

    /// RBAC: a request is allowed when a rule of a role bound to the user (or one of its
    /// groups) covers it, cluster-wide through a ClusterRoleBinding or in the request's
    /// namespace through a RoleBinding. `system:masters` may do everything.
    func allowed(_ who: Identity, _ a: Attributes) -> Bool {
        if who.groups.contains("system:masters") { return true }
        for rule in rules(for: who, namespace: a.namespace) where covers(rule, a) { return true }
        return false
    }

    func rules(for who: Identity, namespace: String?) -> [JSON] {
        func bound(_ b: JSON) -> Bool {
            (b["subjects"]?.arrayValue ?? []).contains { s in
                let name = s["name"]?.stringValue ?? ""
                switch s["kind"]?.stringValue {
                case "User": return name == who.user
                case "Group": return who.groups.contains(name)
                default: return false
                }
            }
        }
        func roleRules(_ ref: JSON?, namespace: String?) -> [JSON] {
            let name = ref?["name"]?.stringValue ?? ""
            let role =
                ref?["kind"]?.stringValue == "Role"
                ? objects["rbac.authorization.k8s.io/roles"]?[key(namespace, name)]
                : objects["rbac.authorization.k8s.io/clusterroles"]?[name]
            var rules = role?["rules"]?.arrayValue ?? []
            // The clusterrole-aggregation controller's work: the rules of every ClusterRole
            // a selector of the aggregationRule picks.
            for s in role?.at("aggregationRule", "clusterRoleSelectors")?.arrayValue ?? [] {
                let want = s["matchLabels"]?.stringMap ?? [:]
                for other in (objects["rbac.authorization.k8s.io/clusterroles"] ?? [:]).values {
                    let labels = other.at("metadata", "labels")?.stringMap ?? [:]
                    if !want.isEmpty && want.allSatisfy({ labels[$0.key] == $0.value }) {
                        rules += other["rules"]?.arrayValue ?? []
                    }
                }
            }
            return rules
        }
        var out: [JSON] = []
        for b in (objects["rbac.authorization.k8s.io/clusterrolebindings"] ?? [:]).values where bound(b) {
            out += roleRules(b["roleRef"], namespace: nil)
        }
        if let namespace {
            for b in (objects["rbac.authorization.k8s.io/rolebindings"] ?? [:]).values
            where b.at("metadata", "namespace")?.stringValue == namespace && bound(b) {
                out += roleRules(b["roleRef"], namespace: namespace)
            }
        }
        return out
    }

    func covers(_ rule: JSON, _ a: Attributes) -> Bool {
        func has(_ field: String, _ value: String) -> Bool {
            let list = (rule[field]?.arrayValue ?? []).compactMap(\.stringValue)
            return list.contains("*") || list.contains(value)
        }
        guard has("verbs", a.verb), has("apiGroups", a.group) else { return false }
        let resource = a.subresource.map { "\(a.resource)/\($0)" } ?? a.resource
        let resources = (rule["resources"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard
            resources.contains("*") || resources.contains(resource) || resources.contains("\(a.resource)/*")
                || (a.subresource != nil && resources.contains("*/\(a.subresource!)"))
        else { return false }
        let names = (rule["resourceNames"]?.arrayValue ?? []).compactMap(\.stringValue)
        if !names.isEmpty { return a.name.map(names.contains) ?? false }
        return true
    }

    /// RBAC's escalation check (`ConfirmNoEscalation`): a RoleBinding may be written only
    /// by someone who holds every permission of the role it binds, in that namespace, or
    /// may `bind` that role.
    func checkEscalation(_ r: ResourceInfo, namespace: String?, _ body: JSON) throws {
        guard r.group == "rbac.authorization.k8s.io", r.plural == "rolebindings", let namespace,
            !requester.groups.contains("system:masters"), let ref = body["roleRef"],
            let roleName = ref["name"]?.stringValue
        else { return }
        let isClusterRole = ref["kind"]?.stringValue != "Role"
        let bind = Attributes(
            verb: "bind", group: "rbac.authorization.k8s.io", resource: isClusterRole ? "clusterroles" : "roles",
            namespace: namespace, name: roleName)
        if allowed(requester, bind) { return }
        let role =
            isClusterRole
            ? objects["rbac.authorization.k8s.io/clusterroles"]?[roleName]
            : objects["rbac.authorization.k8s.io/roles"]?[key(namespace, roleName)]
        var missing: [String] = []
        for rule in role?["rules"]?.arrayValue ?? [] {
            let strings = { (k: String) in (rule[k]?.arrayValue ?? []).compactMap(\.stringValue) }
            let names = strings("resourceNames")
            for g in strings("apiGroups") {
                for res in strings("resources") {
                    let parts = res.split(separator: "/", maxSplits: 1).map(String.init)
                    for v in strings("verbs") {
                        let held = (names.isEmpty ? [nil] : names.map { Optional($0) }).allSatisfy { n in
                            allowed(
                                requester,
                                Attributes(
                                    verb: v, group: g, resource: parts[0],
                                    subresource: parts.count > 1 ? parts[1] : nil,
                                    namespace: namespace, name: n))
                        }
                        if !held {
                            missing.append("{APIGroups:[\"\(g)\"], Resources:[\"\(res)\"], Verbs:[\"\(v)\"]}")
                        }
                    }
                }
            }
        }
        guard !missing.isEmpty else { return }
        let groups = requester.groups.map { "\"\($0)\"" }.joined(separator: " ")
        throw APIError(
            code: 403, reason: "Forbidden",
            message:
                "rolebindings.rbac.authorization.k8s.io \"\(body.at("metadata", "name")?.stringValue ?? "")\" is forbidden: user \"\(requester.user)\" (groups=[\(groups)]) is attempting to grant RBAC permissions not currently held:\n"
                + missing.joined(separator: "\n"))
    }

    /// The 403 a real API server answers with.
    static func forbidden(_ who: Identity, _ a: Attributes) -> APIError {
        let resource = a.subresource.map { "\(a.resource)/\($0)" } ?? a.resource
        let qualified = a.group.isEmpty ? resource : "\(resource).\(a.group)"
        let subject = a.name.map { "\(qualified) \"\($0)\"" } ?? qualified
        let scope = a.namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
        return APIError(
            code: 403, reason: "Forbidden",
            message:
                "\(subject) is forbidden: User \"\(who.user)\" cannot \(a.verb) resource \"\(resource)\" in API group \"\(a.group)\" \(scope)",
            details: ["name": a.name.map { .string($0) } ?? "", "group": .string(a.group), "kind": .string(a.resource)])
    }

    /// `kubectl auth can-i` and `kubectl auth whoami`.
    func review(_ r: ResourceInfo, _ body: JSON, _ who: Identity) -> JSON? {
        switch r.kind {
        case "SelfSubjectAccessReview":
            let ra = body.at("spec", "resourceAttributes") ?? [:]
            let a = Attributes(
                verb: ra["verb"]?.stringValue ?? "", group: ra["group"]?.stringValue ?? "",
                resource: ra["resource"]?.stringValue ?? "",
                subresource: ra["subresource"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
                namespace: ra["namespace"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
                name: ra["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
            var out = body
            out["status"] = ["allowed": .bool(allowed(who, a))]
            return out
        case "SelfSubjectReview":
            return [
                "apiVersion": .string(r.groupVersion), "kind": "SelfSubjectReview",
                "metadata": ["creationTimestamp": .null],
                "status": ["userInfo": ["username": .string(who.user), "groups": JSON.strings(who.groups)]],
            ]
        default:
            return nil
        }
    }
}

/// Just enough of Kubernetes' protobuf encoding to read what `kubectl auth can-i` and
/// `kubectl auth whoami` send (they send nothing but protobuf).
enum Protobuf {
    /// Length-delimited and varint fields of one message, by field number.
    static func fields(_ b: [UInt8]) -> [Int: [UInt8]] {
        var out: [Int: [UInt8]] = [:]
        var i = 0
        func varint() -> Int? {
            var v = 0
            var shift = 0
            while i < b.count {
                let byte = b[i]
                i += 1
                v |= Int(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return v }
                shift += 7
                if shift > 56 { return nil }
            }
            return nil
        }
        while i < b.count, let tag = varint() {
            let field = tag >> 3
            switch tag & 7 {
            case 0: _ = varint()
            case 2:
                guard let n = varint(), n >= 0, i + n <= b.count else { return out }
                out[field] = Array(b[i..<(i + n)])
                i += n
            case 1: i += 8
            case 5: i += 4
            default: return out
            }
        }
        return out
    }

    /// A SelfSubjectAccessReview sent as protobuf (the `k8s\0` envelope around it), as
    /// the JSON it stands for.
    static func accessReview(_ data: Data) -> JSON? {
        let bytes = [UInt8](data)
        guard bytes.count > 4, bytes[0..<4] == [0x6b, 0x38, 0x73, 0x00], let raw = fields(Array(bytes[4...]))[2] else {
            return nil
        }
        let spec = fields(raw)[2].map(fields) ?? [:]
        let ra = spec[1].map(fields) ?? [:]
        var attrs: [String: JSON] = [:]
        for (n, key) in [
            (1, "namespace"), (2, "verb"), (3, "group"), (4, "version"), (5, "resource"), (6, "subresource"),
            (7, "name"),
        ] {
            if let v = ra[n] { attrs[key] = .string(String(decoding: v, as: UTF8.self)) }
        }
        return [
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": ["resourceAttributes": .object(attrs)],
        ]
    }
}
