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
}
