import Foundation
import KipCore

/// `kip project export | apply | drift`: environments as files, and what changed behind
/// kip's back.
enum FileCommands {
    static var specs: [CommandSpec] {
        [
            CommandSpec(
                "export", "Write a project's environments as a file (kip's schema, or the rendered manifests).",
                discussion: """
                    The file holds the pipeline and, per environment, its apps, services, volumes,
                    functions and jobs with their bindings, routes, protection and expiry — secrets by
                    key name only, never values, and nothing of one cluster (no uids, no namespaces:
                    ${namespace} stands for it in env values, 'default: true' for the default route).
                    Keys and lists are sorted: an unchanged environment exports byte for byte the same.
                    'kip project apply -f' takes it back, on this cluster or another.
                    --format manifests writes the rendered Deployments, Services, … instead, for
                    Argo CD or Flux to apply on their own: each environment's Namespace first, no
                    owner or kip label (kip never takes them for its own), databases that keep
                    their volumes when deleted, and the Secrets to create named on stderr (no
                    CRs: promotion and kip's other commands do not work on them).
                    """,
                arguments: [
                    ArgumentSpec("project", "Project (default: the active project).", optional: true),
                    ArgumentSpec("env", "One environment (default: all).", optional: true),
                ],
                options: [
                    .flag("all", "Every environment (the default)."),
                    .value("dir", "dir", "Write files into this folder (one per environment, or per object)."),
                    .value("format", "format", "kip (default) or manifests.", choices: ["kip", "manifests"]),
                ], handler: export),
            CommandSpec(
                "apply", "Make a project match a file from 'kip project export'.",
                discussion: """
                    Creates the project or its missing environments, creates and updates what
                    differs, and with --prune deletes what the file does not have (confirmed like
                    other deletions). --dry-run prints the changes (+ added, ~ changed, - removed)
                    and exits 1 when there are some, 0 when none: a CI gate. Secrets the file names
                    are never invented: those not set are listed to do. --project applies it under
                    another name; on another cluster (--cluster) it copies the environments there.
                    """,
                options: [
                    fileOption(required: true),
                    .value("environment", "env", "Only this environment of the file."),
                    .value(
                        "as", "env",
                        "With --environment: apply that environment of the file as this one (e.g. test's as prod)."),
                    .value("project", "name", "Apply it as this project (default: the file's)."),
                    .flag("prune", "Delete what the file does not have."),
                    .value("confirm", "name", "Confirm --prune by naming the project (for scripts)."),
                    ProjectCommands.waitDeletedFlag.spec,
                ], handler: apply),
            CommandSpec(
                "drift", "What differs from what kip wrote: exit 0 none, 1 some, 2 on error.",
                discussion: """
                    Compares each native object kip renders (Deployments, Services, …) with the live
                    one, field by field, on the fields kip sets: it catches 'kubectl scale', 'kubectl
                    set image' and 'kubectl edit' behind kip's back, and ignores what the server and
                    other controllers own. With -f, compares the file with the project's CRs instead.
                    'kip project sync --workloads' puts drifted objects back.
                    """,
                arguments: [
                    ArgumentSpec("project", "Project (default: the active project).", optional: true),
                    ArgumentSpec("env", "One environment (default: all).", optional: true),
                ],
                options: [fileOption(required: false)], handler: drift),
        ]
    }

    /// `-f, --file FILE`, as kubectl spells it.
    static func fileOption(required: Bool) -> OptionSpec {
        var o = OptionSpec.value(
            "file", short: "f", "file",
            required ? "The file (YAML or JSON), - for stdin." : "Compare this file with the project instead.")
        o.required = required
        return o
    }
}
