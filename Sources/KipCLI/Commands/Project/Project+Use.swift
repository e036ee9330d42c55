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
        return try ctx.run {
            Attempt(
                Plan.local(
                    .success("Active project: \(active.display) on cluster \"\(target.name)\""),
                    would: "Would make \(active.display) the active project on cluster \"\(target.name)\"."),
                config: [.activate(cluster: target.name, active)])
        }.code
    }

    /// `--clear` forgets the active project; no argument says which it is.
    static func clearOrShow(_ inv: Invocation, _ ctx: Context, _ target: ClusterTarget) throws -> Int32 {
        if inv.has("clear") {
            if !inv.arguments.isEmpty {
                throw UsageError(message: "--clear takes no project", command: ["project", "use"])
            }
            return try ctx.run {
                Attempt(
                    Plan.local(
                        .success("No active project on cluster \"\(target.name)\""),
                        would: "Would clear the active project on cluster \"\(target.name)\"."),
                    config: [.clearActive(cluster: target.name)])
            }.code
        }
        let active = try ctx.config.load().active[target.name]
        var doc: JSON = ["cluster": .string(target.name)]
        if let active {
            doc["project"] = .string(active.project)
            if let e = active.environment { doc["environment"] = .string(e) }
        }
        return try ctx.show(
            doc,
            empty: active == nil
                ? "No active project on cluster \"\(target.name)\": set one with 'kip project use NAME'" : nil
        ) { _ in
            ctx.printer.line("Active project: \(active!.display) on cluster \"\(target.name)\"")
        }
    }
}
