import Foundation

/// `kip project access [USER]`: what a user may do in each environment of a project, asked
/// of the API server (one access review a check an environment), and the kip role that
/// amounts to.
public struct AccessCheck {
    /// The checks, each a column, and what the API server is asked for it.
    public static let checks: [(column: String, verb: String, group: String, resource: String)] = [
        ("VIEW", "list", Keys.group, "apps"),
        ("DEPLOY", "patch", "apps", "deployments"),
        ("SECRETS", "get", "", "secrets"),
        ("GRANT", "create", "rbac.authorization.k8s.io", "rolebindings"),
    ]

    /// The SelfSubjectAccessReviews to ask, environment by environment, check by check.
    public static func reviews(_ project: Project) -> [JSON] {
        project.environments.flatMap { e in
            checks.map { c -> JSON in
                [
                    "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                    "spec": [
                        "resourceAttributes": [
                            "namespace": .string(e.namespace), "verb": .string(c.verb), "group": .string(c.group),
                            "resource": .string(c.resource),
                        ]
                    ],
                ]
            }
        }
    }

    /// One row an environment: its name, the role the answers amount to, yes/no a check.
    public var rows: [[String]] = []
    public var document: [JSON] = []

    /// From the answers to `reviews(project)`, in order.
    public init(_ project: Project, allowed: [Bool]) {
        let n = Self.checks.count
        for (i, e) in project.environments.enumerated() {
            let row = (0..<n).map { i * n + $0 < allowed.count ? allowed[i * n + $0] : false }
            let role =
                row[3]
                ? "admin" : row[1] && row[2] ? "developer" : row[0] ? "viewer" : row.contains(true) ? "partial" : "none"
            rows.append([e.name, role] + row.map { $0 ? "yes" : "no" })
            var d: JSON = ["environment": .string(e.name), "namespace": .string(e.namespace), "role": .string(role)]
            for (c, a) in zip(Self.checks, row) { d[c.column.lowercased()] = .bool(a) }
            document.append(d)
        }
    }

    public static var header: [String] { ["ENVIRONMENT", "ROLE"] + checks.map(\.column) }
}
