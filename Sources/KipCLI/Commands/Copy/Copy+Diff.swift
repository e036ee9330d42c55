import Foundation
import KipCore

extension CopyCommands {
    // MARK: diff

    static let diffSpec = CommandSpec(
        "diff", "What differs between two environments, app by app. Exit 0 when identical, 1 when not.",
        discussion:
            "Secret values are never shown, only whether they differ. A value that differs only by the environment's namespace, and routes that are each environment's default host, count as the same.",
        arguments: [
            ArgumentSpec("project", "Project (default: the active project).", optional: true),
            ArgumentSpec("env1", "One environment."), ArgumentSpec("env2", "The other environment."),
        ], handler: diff)

    /// Exit 0 when identical, 1 when they differ, 2 on error (as diff(1) does; see
    /// `Kip.errorExitCode`).
    static func diff(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let args = inv.arguments
        let name = args.count == 3 ? args[0] : try ctx.projectName(nil)
        let (e1, e2) = args.count == 3 ? (args[1], args[2]) : (args[0], args[1])
        guard args.count >= 2 else {
            throw UsageError(message: "Missing expected argument '<env2>'", command: ["project", "diff"])
        }
        let (project, observed) = try ctx.readProject(
            name, kinds: WorkloadKind.allCases.map(\.resource) + ["secrets"]
        ) { p in p.environments.filter { [e1, e2].contains($0.name) } }
        for e in [e1, e2] where project.environment(e) == nil {
            throw KipError(
                "project \"\(name)\" has no environment \"\(e)\"; it has: \(project.pipeline.joined(separator: ", "))")
        }
        let d = EnvironmentDiff.compare(project.environment(e1)!, project.environment(e2)!, observed: observed)
        try ctx.show(d.document) { _ in
            if d.entries.isEmpty { ctx.printer.success("\(e1) and \(e2) are identical") }
            for line in d.lines { ctx.printer.line(line) }
        }
        return d.entries.isEmpty ? 0 : 1
    }
}
