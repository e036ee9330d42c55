import Foundation
import KipCore

extension ProjectCommands {
    // MARK: use

    static func use(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let target = try ctx.cluster()
        if inv.has("clear") || inv.arguments.isEmpty { return try clearOrShow(inv, ctx, target) }
        var arg = inv.arguments[0]
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
        let active = try Resolver.active(given, observed: try ctx.everyProject(on: target))
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

    /// `--clear` forgets the active project; no argument says which it is.
    static func clearOrShow(_ inv: Invocation, _ ctx: Context, _ target: ClusterTarget) throws -> Int32 {
        if inv.has("clear") {
            if !inv.arguments.isEmpty {
                throw UsageError(message: "--clear takes no project", command: ["project", "use"])
            }
            try ctx.config.update { $0.active[target.name] = nil }
            ctx.printer.success("No active project on cluster \"\(target.name)\"")
        } else if let a = try ctx.config.load().active[target.name] {
            ctx.printer.line("Active project: \(a.display) on cluster \"\(target.name)\"")
        } else {
            ctx.stderr.line("No active project on cluster \"\(target.name)\": set one with 'kip project use NAME'")
        }
        return 0
    }
}
