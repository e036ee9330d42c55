import Foundation
import KipCore

/// `kip project …`: projects and their environments.
enum ProjectCommands {
    static let spec = CommandSpec(
        "project", "Create, list and change projects and their environments.",
        subcommands: [
            CommandSpec(
                "create", "Create a project: one namespace per environment.",
                discussion: """
                    Without --environments the project has the single environment 'default', whose
                    namespace is the project name. Image pull secrets of the 'default' namespace are
                    copied into every environment.
                    """,
                arguments: [ArgumentSpec("name", "The project's short code (a DNS-1123 label), used in namespaces.")],
                options: [
                    .list("environments", "env", "Environments in pipeline order (e.g. test,acc,prod)."),
                    .value("display-name", "text", "Human-readable name for consoles."), waitDeletedFlag.spec,
                    quotaOption,
                    .flag(
                        "if-not-exists",
                        "Succeed without change when the project exists with these environments (for scripts)."),
                ], handler: create),
            CommandSpec(
                "list", "List projects and their environments in pipeline order.",
                discussion: "-o wide adds display names and namespaces.", handler: list),
            CommandSpec(
                "show", "Show a project's environments, namespaces and what each holds.",
                arguments: [ArgumentSpec("name", "Project (default: the active project).", optional: true)],
                handler: show),
            CommandSpec(
                "info", "Same as 'kip project show'.",
                arguments: [ArgumentSpec("name", "Project (default: the active project).", optional: true)],
                handler: show),
            CommandSpec(
                "add-env", "Add an environment at the end of a project's pipeline: blank, or a copy of another.",
                discussion: """
                    --copy-from SRC recreates every app, service, volume, function and job of SRC with
                    their user secrets; service credentials and pull secrets are fresh, databases and
                    volumes start empty, routes get the new environment's default host. --customize walks
                    through the five-step wizard; --plan prints the same plan, and --overrides applies an
                    edited one without questions. Running the same copy again finishes one that stopped.
                    """,
                arguments: [
                    ArgumentSpec("project", "Project (default: the active project).", optional: true),
                    ArgumentSpec("env", "New environment name."),
                ], options: CopyCommands.addEnvOptions, handler: addEnv),
            CommandSpec(
                "remove-env", "Remove an environment: its namespace and everything in it.",
                discussion: "Asks to type the environment name. Without a terminal, pass --confirm ENV or --yes.",
                arguments: [
                    ArgumentSpec("project", "Project (default: the active project).", optional: true),
                    ArgumentSpec("env", "Environment to remove."),
                ],
                options: [
                    .value("confirm", "env", "Confirm by naming the environment (for scripts)."),
                    LifecycleCommands.confirmEnv, waitFlag.spec,
                ],
                handler: removeEnv),
            CommandSpec(
                "delete", "Delete a project, all its environments and everything in them.",
                discussion: "Asks to type the project name. Without a terminal, pass --confirm NAME or --yes.",
                arguments: [ArgumentSpec("name", "Project to delete.")],
                options: [
                    .value("confirm", "name", "Confirm by naming the project (for scripts)."),
                    LifecycleCommands.confirmEnv, waitFlag.spec,
                ],
                handler: delete),
            CommandSpec(
                "use", "Set the active project (and environment) of the current cluster.",
                discussion: "After it, --project and --environment may be left out; an explicit flag still wins.",
                arguments: [
                    ArgumentSpec("project", "NAME, NAME/ENV or the namespace form NAME-ENV.", optional: true),
                    ArgumentSpec("env", "Environment (the same as NAME/ENV).", optional: true),
                ],
                options: [.flag("clear", "Forget the active project of the current cluster.")], handler: use),
            CommandSpec(
                "sync", "Bring a project's namespaces back to what its definition says.",
                discussion: """
                    Recreates missing namespaces, repairs their labels and owner references, and
                    re-copies the pull secrets of the 'default' namespace. Namespaces labelled with the
                    project that no environment declares are reported, and removed with --prune, which
                    lists them and asks to type the project name (without a terminal, --confirm NAME
                    or --yes).
                    """,
                arguments: [ArgumentSpec("name", "Project (default: the active project).", optional: true)],
                options: [
                    .flag("prune", "Delete namespaces of environments the project no longer declares."),
                    waitDeletedFlag.spec,
                    .value("confirm", "name", "Confirm --prune by naming the project (for scripts)."),
                    .flag("workloads", "Also write every app, service, … as kip renders it (undoes drift)."),
                ],
                handler: sync),
            CopyCommands.diffSpec,
            CommandSpec(
                "status", "The pipeline at a glance: the image each app runs in each environment.",
                discussion: """
                    One row per app, one column per environment in pipeline order: the image its
                    Deployment runs (not only what the App asks for), marked while a rollout is under
                    way or when it failed; BEHIND names the environments that run another image than
                    the one before them.
                    """,
                arguments: [ArgumentSpec("name", "Project (default: the active project).", optional: true)],
                handler: status),
        ] + LifecycleCommands.specs + [previewSpec, envSpec] + FileCommands.specs + MemberCommands.specs)
}
