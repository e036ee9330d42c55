import Foundation
import KipCore

extension MemberCommands {
    // MARK: access

    /// What `kip project access` checks in each environment, and the role that gives it.
    static let checks: [(column: String, verb: String, group: String, resource: String)] = [
        ("VIEW", "list", Keys.group, "apps"),
        ("DEPLOY", "patch", "apps", "deployments"),
        ("SECRETS", "get", "", "secrets"),
        ("GRANT", "create", "rbac.authorization.k8s.io", "rolebindings"),
    ]

    static func access(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let user = inv.arguments.first
        let project = try ctx.namedProject(inv)
        var reviews: [JSON] = []
        for e in project.environments {
            for c in checks {
                reviews.append([
                    "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                    "spec": [
                        "resourceAttributes": [
                            "namespace": .string(e.namespace), "verb": .string(c.verb), "group": .string(c.group),
                            "resource": .string(c.resource),
                        ]
                    ],
                ])
            }
        }
        let groups = inv.values("group")
        if user == nil && !groups.isEmpty {
            throw UsageError(
                message: "--group names the groups of the USER checked: give the user too (your own groups are known)",
                command: inv.command)
        }
        let allowed = try ctx.accessReviews(reviews, as: user, groups: groups)
        let who =
            user.map {
                "Access of user \"\($0)\"\(groups.isEmpty ? "" : " in groups \(groups.joined(separator: ", "))") to"
            } ?? "Your access to"
        var rows: [[String]] = []
        var doc: [JSON] = []
        for (i, e) in project.environments.enumerated() {
            let row = checks.indices.map { allowed[i * checks.count + $0] }
            let role =
                row[3]
                ? "admin" : row[1] && row[2] ? "developer" : row[0] ? "viewer" : row.contains(true) ? "partial" : "none"
            rows.append([e.name, role] + row.map { $0 ? "yes" : "no" })
            var d: JSON = ["environment": .string(e.name), "namespace": .string(e.namespace), "role": .string(role)]
            for (c, a) in zip(checks, row) { d[c.column.lowercased()] = .bool(a) }
            doc.append(d)
        }
        return try ctx.show(.array(doc)) { _ in
            ctx.printer.line("\(who) project \(project.name):")
            ctx.printer.table(["ENVIRONMENT", "ROLE"] + checks.map(\.column), rows)
            if user != nil && groups.isEmpty {
                ctx.stderr.line(
                    "note: only what is granted to the user and to every authenticated user shows; add --group for their groups (the identity provider knows them)"
                )
            }
        }
    }
}
