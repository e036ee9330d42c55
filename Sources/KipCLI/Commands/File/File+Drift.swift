import Foundation
import KipCore

extension FileCommands {
    // MARK: drift

    /// Exit 0 when nothing drifted, 1 when something did, 2 on error (`Kip.errorExitCode`).
    static func drift(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        if let f = inv.value("file") {
            var file = try load(f, ctx)
            if let p = inv.arguments.first { file.project = p }
            let (project, observed) = try ctx.readProject(file.project, kinds: CRDs.workloadKinds) {
                p in p.environments.filter { e in file.environments.contains { $0.name == e.name } }
            }
            let lines = EnvironmentFile.differences(file, project: project, observed: observed)
            return try report(lines, ctx, clean: "\(project.name) matches \(f)")
        }
        let name = try ctx.projectName(inv.arguments.first)
        let only = inv.arguments.count > 1 ? inv.arguments[1] : nil
        // What kip renders, never Secrets: a viewer may look for drift too.
        let (project, observed) = try ctx.readProject(
            name, kinds: EnvironmentView.kinds.filter { $0 != "secrets" } + ["resourcequotas", "limitranges"]
        ) { p in p.environments.filter { only == nil || $0.name == only } }
        if let only, project.environment(only) == nil {
            throw KipError(
                "project \"\(name)\" has no environment \"\(only)\"; it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        let lines = Drift.lines(project, observed: observed, only: only)
        return try report(lines, ctx, clean: "no drift in \(name)" + (only.map { "/\($0)" } ?? ""))
    }

    static func report(_ lines: [String], _ ctx: Context, clean: String) throws -> Int32 {
        try ctx.show(["drifted": .bool(!lines.isEmpty), "differences": JSON.strings(lines)]) { _ in
            if lines.isEmpty { ctx.printer.success(clean) }
            for l in lines { ctx.printer.line(l) }
        }
        return lines.isEmpty ? 0 : 1
    }
}
