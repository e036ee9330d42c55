import Foundation
import KipCore

extension ProjectCommands {
    // MARK: use

    static func use(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let target = try ctx.cluster()
        if inv.has("clear") {
            if !inv.arguments.isEmpty {
                throw UsageError(message: "--clear takes no project", command: ["project", "use"])
            }
            try ctx.config.update { $0.active[target.name] = nil }
            ctx.printer.success("No active project on cluster \"\(target.name)\"")
            return 0
        }
        guard var arg = inv.arguments.first else {
            // No argument: say which project is active.
            if let a = try ctx.config.load().active[target.name] {
                ctx.printer.line("Active project: \(a.display) on cluster \"\(target.name)\"")
            } else {
                ctx.stderr.line("No active project on cluster \"\(target.name)\": set one with 'kip project use NAME'")
            }
            return 0
        }
        if arg == "-" {
            // Back to the one before.
            guard inv.arguments.count == 1, let before = try ctx.config.load().previous?[target.name] else {
                throw KipError("no earlier active project on cluster \"\(target.name)\" to go back to")
            }
            arg = before.display
        }
        if inv.arguments.count == 2 && arg.contains("/") {
            throw UsageError(message: "Give NAME/ENV or NAME ENV, not both", command: ["project", "use"])
        }
        let given = inv.arguments.count == 2 && arg != "-" ? "\(arg)/\(inv.arguments[1])" : arg
        let observed = try ctx.everyProject(on: target)
        let parts = given.split(separator: "/", maxSplits: 1).map(String.init)
        let project: Project
        var env: String? = parts.count > 1 ? parts[1] : nil
        if let p = observed.project(parts[0]) {
            if let e = env, p.environment(e) == nil {
                throw KipError(
                    "project \"\(p.name)\" has no environment \"\(e)\"; it has: \(p.pipeline.joined(separator: ", "))")
            }
            // The name alone may also be another project's namespace form: say so.
            if env == nil {
                _ = try Resolver.resolve(
                    project: given, environment: p.pipeline[0], active: nil, projects: observed.projects)
            }
            project = p
        } else {
            // The namespace form (`shop-test`, `org-shop-test`).
            guard
                let s = try? Resolver.resolve(
                    project: given, environment: nil, active: nil, projects: observed.projects),
                let name = s.project, let p = observed.project(name)
            else { throw ProjectPlanner.unknownProject(parts[0], observed: observed) }
            project = p
            env = s.environment
        }
        if env == nil, project.environments.count == 1 { env = project.environments[0].name }
        let active = KipConfig.Active(project: project.name, environment: env)
        if ctx.dryRun {
            ctx.printer.line("Would make \(active.display) the active project on cluster \"\(target.name)\".")
            return 0
        }
        try ctx.config.update { cfg in
            if let was = cfg.active[target.name], was != active {
                var previous = cfg.previous ?? [:]
                previous[target.name] = was
                cfg.previous = previous
            }
            cfg.active[target.name] = active
        }
        ctx.printer.success("Active project: \(active.display) on cluster \"\(target.name)\"")
        return 0
    }
}
