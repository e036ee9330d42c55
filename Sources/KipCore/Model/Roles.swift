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
    static let kinds: [(group: String, resources: [String])] = [
        (Keys.group, ["apps", "services", "volumes", "functions", "jobs"]),
        ("", ["services", "persistentvolumeclaims"]),
        ("apps", ["deployments", "statefulsets"]),
        ("networking.k8s.io", ["ingresses"]),
        ("autoscaling", ["horizontalpodautoscalers"]),
        ("batch", ["cronjobs", "jobs"]),
    ]

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
        // on `namespaces` covers only it) and the pods' state and logs.
        let look = [rule([""], ["namespaces"], ["get"]), rule([""], ["pods", "pods/log"], read)]
        let viewerRules = look + kinds.map { rule([$0.group], $0.resources, read) }
        let developerRules =
            look + kinds.map { rule([$0.group], $0.resources, read + write) }
            + [rule([""], ["secrets"], read + write)]
        let adminRules =
            developerRules + [
                rule(["rbac.authorization.k8s.io"], ["roles", "rolebindings"], read + write),
                // Granting kip's roles to others, and nothing more (RBAC's escalation check).
                rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["bind"], names: [viewer, developer, admin]),
            ]
        return [
            reader: [
                rule([Keys.group], ["projects"], read),
                rule([""], ["namespaces"], ["get"], names: [Keys.systemNamespace]),
                rule(["authorization.k8s.io"], ["selfsubjectaccessreviews"], ["create"]),
                rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"]),
            ],
            viewer: viewerRules, developer: developerRules, admin: adminRules,
        ]
    }

    /// The ClusterRoles, labelled as kip's.
    public static var clusterRoles: [JSON] {
        rules.keys.sorted().map { name in
            [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": ["name": .string(name), "labels": JSON.strings([Keys.managedBy: Keys.managedByValue])],
                "rules": .array(rules[name]!),
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
