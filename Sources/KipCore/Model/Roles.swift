/// kip's roles: the ClusterRoles `kip install` applies, derived from what each command
/// reads and writes. A project admin binds them per environment (a RoleBinding in the
/// environment's namespace); `kip-reader` is bound cluster-wide.
public enum KipRoles {
    public static let reader = "kip-reader"
    public static let viewer = "kip-viewer"
    public static let developer = "kip-developer"
    public static let admin = "kip-admin"

    static let read = ["get", "list", "watch"]
    /// Server-side apply is a PATCH that creates what does not exist yet; pruning deletes.
    static let write = ["create", "patch", "update", "delete"]

    /// The kinds an environment holds: kip's own and what kip renders from them.
    static var kinds: [(group: String, resources: [String])] {
        [(Keys.group, WorkloadKind.allCases.map(\.plural))] + WorkloadKind.rendered
    }

    static func rule(_ groups: [String], _ resources: [String], _ verbs: [String], names: [String] = []) -> JSON {
        var r: JSON = [
            "apiGroups": JSON.strings(groups), "resources": JSON.strings(resources), "verbs": JSON.strings(verbs),
        ]
        if !names.isEmpty { r["resourceNames"] = JSON.strings(names) }
        return r
    }

    /// What each role may do.
    public static var rules: [String: [JSON]] {
        // Reading the environment's own Namespace object (bound in that namespace, a rule
        // on `namespaces` covers only it), and who has which role (`kip project members`).
        // The environment's quota and its use are read, never written: like its
        // NetworkPolicy, only whoever may change the Project sets them.
        let look = [
            rule([""], ["namespaces"], ["get"]), rule(["rbac.authorization.k8s.io"], ["rolebindings"], read),
            rule([""], ["resourcequotas", "limitranges"], read),
        ]
        // Approvals: read by whoever promotes and shown by history and status; written
        // by admins alone, so that the promoter cannot approve by themselves.
        let approvals = rule([Keys.group], ["approvals"], read)
        let viewerRules = look + kinds.map { rule([$0.group], $0.resources, read) } + [approvals]
        // `--wait` follows rollouts through the pods' states (those of the current
        // ReplicaSet) and the controllers' Warning events; `app logs` reads the pods' logs;
        // each change is told as an Event; developers get into their pods. Viewers do not:
        // an exec reads what the pod can, its Secrets' values among them.
        let developerRules =
            look + kinds.map { rule([$0.group], $0.resources, read + write) } + [approvals]
            + [
                rule([""], ["secrets"], read + write), rule([""], ["pods"], read), rule([""], ["pods/log"], ["get"]),
                // `app exec`, `service dump|restore|copy-data` and `service connect`: a
                // WebSocket exec or port-forward is a GET that kube-apiserver (1.31+)
                // authorizes as `create` too.
                rule([""], ["pods/exec", "pods/portforward"], ["get", "create"]),
                rule(["apps"], ["replicasets"], read), rule(["", "events.k8s.io"], ["events"], read + ["create"]),
            ]
        // Granting: RoleBindings to kip's roles. RBAC's escalation check lets a subject
        // bind a role whose every permission it holds in that namespace, and a kip-admin
        // holds all of kip-viewer's, kip-developer's and its own: no `bind` rule needed.
        let adminRules =
            developerRules + [
                rule(["rbac.authorization.k8s.io"], ["rolebindings"], write), rule([Keys.group], ["approvals"], write),
            ]
        return [
            // `kip project access` asks SelfSubjectAccessReviews, which every authenticated
            // user may create already (the built-in system:basic-user role).
            // Route hosts are claimed once, first come first served, and never changed:
            // create without update, patch or delete, so no one takes another's host.
            reader: [
                rule([Keys.group], ["projects"], read),
                rule([Keys.group], ["routeclaims"], ["get", "create"]),
                rule([""], ["namespaces"], ["get"], names: [Keys.systemNamespace]),
            ],
            viewer: viewerRules, developer: developerRules, admin: adminRules,
        ]
    }

    /// Whether role `name`'s rules allow `verb` on `resource` (`pods/log` for a
    /// subresource) of `group`.
    /// Rules compared as sets (order and duplicates aside), as RBAC reads them.
    public static func normalized(_ rules: [JSON]) -> Set<String> {
        Set(
            rules.map { r in
                ["apiGroups", "resources", "verbs", "resourceNames"].map { k in
                    (r[k]?.arrayValue ?? []).compactMap(\.stringValue).sorted().joined(separator: ",")
                }.joined(separator: "|")
            })
    }

    public static func allows(_ name: String, verb: String, group: String, resource: String) -> Bool {
        (rules[name] ?? []).contains { r in
            let groups = (r["apiGroups"]?.arrayValue ?? []).compactMap(\.stringValue)
            let resources = (r["resources"]?.arrayValue ?? []).compactMap(\.stringValue)
            let verbs = (r["verbs"]?.arrayValue ?? []).compactMap(\.stringValue)
            return groups.contains(group) && resources.contains(resource) && verbs.contains(verb)
                && r["resourceNames"] == nil
        }
    }

    /// kip's own resources added to the cluster's built-in namespace roles by
    /// aggregation: whoever holds `admin` or `edit` in a namespace may manage kip's
    /// objects there, `view` may read them (the built-in roles cover the rest).
    public static var aggregated: [String: (labels: [String], rules: [JSON])] {
        let own = [Keys.group]
        let resources = WorkloadKind.allCases.map(\.plural)
        return [
            "kip-aggregate-to-edit": (
                ["admin", "edit"], [rule(own, resources, read + write + ["deletecollection"])]
            ),
            "kip-aggregate-to-view": (["view"], [rule(own, resources + ["approvals"], read)]),
            // Only a namespace's admins approve promotions into it.
            "kip-aggregate-to-admin": (["admin"], [rule(own, ["approvals"], write)]),
        ]
    }

    /// The ClusterRoles, labelled as kip's.
    public static var clusterRoles: [JSON] {
        let label = [Keys.managedBy: Keys.managedByValue]
        return rules.keys.sorted().map { name in
            [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": ["name": .string(name), "labels": JSON.strings(label)],
                "rules": .array(rules[name]!),
            ]
        }
            + aggregated.keys.sorted().map { name in
                let a = aggregated[name]!
                var labels = label
                for l in a.labels { labels["rbac.authorization.k8s.io/aggregate-to-\(l)"] = "true" }
                return [
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": ["name": .string(name), "labels": JSON.strings(labels)], "rules": .array(a.rules),
                ]
            }
    }

    /// `kip-reader` for every authenticated user, or only for `group`.
    public static func readerBinding(group: String?) -> JSON {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": ["name": .string(reader), "labels": JSON.strings([Keys.managedBy: Keys.managedByValue])],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(reader)],
            "subjects": [
                [
                    "apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                    "name": .string(group ?? "system:authenticated"),
                ]
            ],
        ]
    }
}

/// A project member: a user or group bound to one of kip's roles in one environment, as a
/// RoleBinding in the environment's namespace, labelled and owned by the Project like
/// everything else kip writes. A binding granted to every environment is labelled
/// `kipper.run/grant=all`: those are the project's default bindings, which a new
/// environment gets too.
public struct Member: Equatable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case user = "User"
        case group = "Group"
    }

    public static let roles = ["viewer", "developer", "admin"]
    public static let everyEnvironment = "all"
    public static let someEnvironments = "environment"

    public var kind: Kind
    public var name: String
    /// viewer, developer or admin.
    public var role: String
    /// Granted to every environment (a default binding of the project).
    public var everywhere: Bool

    public init(kind: Kind, name: String, role: String, everywhere: Bool) {
        self.kind = kind
        self.name = name
        self.role = role
        self.everywhere = everywhere
    }

    /// A kip RoleBinding read back; nil for anything else.
    /// Every member a RoleBinding grants one of kip's roles to, whoever wrote it and
    /// whatever it is named: each User and Group subject (a ServiceAccount is left out:
    /// kip never grants to one, and `members` names it apart). `everywhere` is false: only
    /// the Project says which members are project-wide.
    public static func all(in o: JSON) -> [Member] {
        guard o["kind"]?.stringValue == "RoleBinding", o.at("roleRef", "kind")?.stringValue == "ClusterRole",
            let ref = o.at("roleRef", "name")?.stringValue, ref.hasPrefix("kip-"),
            roles.contains(String(ref.dropFirst(4)))
        else { return [] }
        return (o["subjects"]?.arrayValue ?? []).compactMap { s in
            guard let k = Kind(rawValue: s["kind"]?.stringValue ?? ""), let n = s["name"]?.stringValue else {
                return nil
            }
            return Member(kind: k, name: n, role: String(ref.dropFirst(4)), everywhere: false)
        }
    }

    /// Whether the binding is exactly one kip writes for this member: its name, one
    /// subject, kip's labels. Anything else granting a kip role is someone else's.
    public func isKips(_ o: JSON) -> Bool {
        o.at("metadata", "name")?.stringValue == bindingName && (o["subjects"]?.arrayValue?.count ?? 0) == 1
            && o.at("metadata", "labels", Keys.managedBy)?.stringValue == Keys.managedByValue
    }

    /// `{kind, name, role}` in the Project's `spec.members`.
    public var json: JSON { ["kind": .string(kind.rawValue), "name": .string(name), "role": .string(role)] }

    public init?(json o: JSON) {
        guard let k = Kind(rawValue: o["kind"]?.stringValue ?? ""), let n = o["name"]?.stringValue, !n.isEmpty,
            let r = o["role"]?.stringValue, Self.roles.contains(r)
        else { return nil }
        self.init(kind: k, name: n, role: r, everywhere: true)
    }

    public init?(binding o: JSON) {
        guard o["kind"]?.stringValue == "RoleBinding",
            o.at("metadata", "labels", Keys.managedBy)?.stringValue == Keys.managedByValue,
            let ref = o.at("roleRef", "name")?.stringValue, ref.hasPrefix("kip-"),
            Self.roles.contains(String(ref.dropFirst(4))),
            let s = o["subjects"]?.arrayValue?.first, let k = Kind(rawValue: s["kind"]?.stringValue ?? ""),
            let n = s["name"]?.stringValue
        else { return nil }
        self.init(
            kind: k, name: n, role: String(ref.dropFirst(4)),
            everywhere: o.at("metadata", "labels", Keys.grant)?.stringValue == Self.everyEnvironment)
    }

    /// `kip-developer-user-dev`: one binding per role and subject. Characters a name may
    /// not hold become '-', and a long or altered name ends in a hash of the subject, so
    /// that two subjects never share a binding.
    public var bindingName: String {
        let base = "kip-\(role)-\(kind.rawValue.lowercased())-"
        let cleaned = String(
            name.lowercased().map { c -> Character in
                c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == ".") ? c : "-"
            })
        if cleaned == name, base.count + cleaned.count <= 253 { return base + cleaned }
        var h: UInt32 = 2_166_136_261
        for b in name.utf8 {
            h ^= UInt32(b)
            h = h &* 16_777_619
        }
        return base + String(cleaned.prefix(200)) + "-" + String(format: "%08x", h)
    }

    /// The RoleBinding granting this member its role in `env`.
    public func binding(_ p: Project, _ env: Project.Environment, uid: String) -> JSON {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": [
                "name": .string(bindingName), "namespace": .string(env.namespace),
                "labels": .object(
                    Render.labels(
                        project: p.name, environment: env.name,
                        extra: [Keys.grant: everywhere ? Self.everyEnvironment : Self.someEnvironments])),
                "ownerReferences": [Render.ownerReference(kind: "Project", name: p.name, uid: uid)],
            ],
            "roleRef": [
                "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string("kip-\(role)"),
            ],
            "subjects": [
                ["apiGroup": "rbac.authorization.k8s.io", "kind": .string(kind.rawValue), "name": .string(name)]
            ],
        ]
    }

    /// `user dev` / `group qa`: how output names a member.
    public var subject: String { "\(kind.rawValue.lowercased()) \(name)" }
}
