import Foundation
import KipCore

/// `kip project grant|revoke|members|access`: who may do what in a project's environments.
enum MemberCommands {
    static let rbacBindings = "rolebindings.v1.rbac.authorization.k8s.io"

    static let subjectOptions: [OptionSpec] = [
        .value("group", "group", "A group instead of a user."),
        .list("environment", "env", "Only these environments (default: every environment, now and added later)."),
        .value("project", "project", "Project (default: the active project)."),
    ]

    static let specs: [CommandSpec] = [
        CommandSpec(
            "grant", "Give a user or group one of kip's roles in a project's environments.",
            discussion: """
                viewer reads everything but secret values; developer deploys, scales, sets env vars
                and secrets and promotes into the environment; admin does everything inside it,
                granting included. Without --environment the role holds in every environment, and
                environments added later get it too: that is recorded in the Project, so it takes
                someone who may change the Project (a cluster administrator). With --environment it
                takes the right to create RoleBindings there (a project admin). A member has one role
                per environment: granting another replaces it.
                """,
            arguments: [ArgumentSpec("user", "User name (or --group).", optional: true)],
            options: [
                .value("role", "role", "viewer, developer or admin.", choices: Member.roles),
                .flag("allow-system-subject", "Allow a system: user or group (system:authenticated is every user)."),
            ] + subjectOptions,
            handler: grant),
        CommandSpec(
            "revoke", "Take a user's or group's role away in a project's environments.",
            discussion: "Without --environment, in every environment.",
            arguments: [ArgumentSpec("user", "User name (or --group).", optional: true)], options: subjectOptions,
            handler: revoke),
        CommandSpec(
            "members", "Who has which role in each environment of a project.",
            arguments: [ArgumentSpec("name", "Project (default: the active project).", optional: true)],
            handler: members),
        CommandSpec(
            "access", "What a user (default: you) may do in each environment of a project.",
            discussion: """
                Asks the API server (SelfSubjectAccessReview), environment by environment: view
                (list apps), deploy (patch deployments), secrets (read secrets), grant (create
                RoleBindings). Checking another user impersonates them, which takes a cluster
                administrator. A user's groups come from the cluster's identity provider (OIDC
                claims, certificates), which impersonation does not ask: name them with --group,
                or access granted to a group does not show.
                """,
            arguments: [ArgumentSpec("user", "User to check (default: you).", optional: true)],
            options: [
                .value("project", "project", "Project (default: the active project)."),
                .list("group", "group", "A group the user is in (repeat for each); with USER only."),
            ], handler: access),
    ]

    // MARK: reading

    /// The subject the arguments name: a user, or `--group`; exactly one.
    static func subject(_ inv: Invocation) throws -> (Member.Kind, String) {
        switch (inv.arguments.first, inv.value("group")) {
        case (let u?, nil): return (.user, u)
        case (nil, let g?): return (.group, g)
        case (_?, _?): throw UsageError(message: "Give a user or --group, not both", command: inv.command)
        case (nil, nil):
            throw UsageError(message: "Missing expected argument '<user>' (or --group)", command: inv.command)
        }
    }

    // MARK: grant / revoke

    static func grant(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (kind, who) = try subject(inv)
        guard let role = inv.value("role") else {
            throw UsageError(message: "Missing expected option '--role <role>'", command: inv.command)
        }
        try checkSubject(kind, who, inv)
        let chosen = inv.values("environment")
        try ctx.write {
            let (project, envs, existing) = try ctx.readMembers(inv, chosen: chosen)
            return try MemberPlanner.grant(
                Member(kind: kind, name: who, role: role, everywhere: chosen.isEmpty), project: project, in: envs,
                existing: existing)
        }
        return 0
    }

    /// `system:` users and groups (anonymous, every authenticated user…) are refused unless
    /// `--allow-system-subject`: one grant would open an environment to everybody.
    static func checkSubject(_ kind: Member.Kind, _ who: String, _ inv: Invocation) throws {
        guard who.hasPrefix("system:"), !inv.has("allow-system-subject") else { return }
        throw KipError(
            "\(kind.rawValue.lowercased()) \(who) is a Kubernetes system subject (it may stand for every user, or anyone at all): nothing was granted; pass --allow-system-subject if that is meant"
        )
    }

    static func revoke(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (kind, who) = try subject(inv)
        let chosen = inv.values("environment")
        try ctx.write {
            let (project, envs, existing) = try ctx.readMembers(inv, chosen: chosen)
            return try MemberPlanner.revoke(
                kind, who, project: project, in: envs, everywhere: chosen.isEmpty, existing: existing)
        }
        return 0
    }

    // MARK: members

    static func members(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (project, envs, bindings) = try ctx.readMembers(
            inv, project: inv.arguments.first, chosen: [], tolerant: true)
        let hidden = envs.filter { bindings[$0.namespace] == nil }.map(\.name)
        struct Row {
            var member: Member
            var environments: [String]
        }
        var rows: [Row] = []
        for e in envs {
            for var m in (bindings[e.namespace] ?? []).flatMap(Member.all(in:)) {
                m.everywhere = project.members.contains { $0.kind == m.kind && $0.name == m.name && $0.role == m.role }
                if let i = rows.firstIndex(where: {
                    $0.member.kind == m.kind && $0.member.name == m.name && $0.member.role == m.role
                }) {
                    rows[i].environments.append(e.name)
                    rows[i].member.everywhere = rows[i].member.everywhere && m.everywhere
                } else {
                    rows.append(Row(member: m, environments: [e.name]))
                }
            }
        }
        rows.sort {
            ($0.member.kind.rawValue, $0.member.name, $0.member.role) < (
                $1.member.kind.rawValue, $1.member.name, $1.member.role
            )
        }
        let doc: JSON = .array(
            rows.map { r in
                [
                    "kind": .string(r.member.kind.rawValue), "name": .string(r.member.name),
                    "role": .string(r.member.role), "environments": JSON.strings(r.environments),
                    "everyEnvironment": .bool(r.member.everywhere),
                ]
            })
        return try ctx.show(doc) { _ in
            if !hidden.isEmpty {
                ctx.printer.warning("not shown: \(hidden.joined(separator: ", ")) (you may not read the members there)")
            }
            if rows.isEmpty {
                ctx.stderr.line(
                    "No members in \(project.name) yet. Add one with 'kip project grant USER --role developer --project \(project.name)'."
                )
                return
            }
            ctx.printer.table(
                ["MEMBER", "KIND", "ROLE", "ENVIRONMENTS"],
                rows.map { r in
                    [
                        r.member.name, r.member.kind.rawValue, r.member.role,
                        r.environments.joined(separator: ", ") + (r.member.everywhere ? " (all)" : ""),
                    ]
                })
        }
    }

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
