import KipCore

/// Protected environments (`kip project protect`), in one place: the commands that
/// destroy data or stop serving, which in a protected environment need the environment
/// named (`--confirm-env ENV`, or typed on a terminal) and never take `--yes` alone.
/// Protection is judged by the state before the command.
enum Protection {
    /// Each guarded command (its path under `kip`) and what it does, in the words of the
    /// refusal; nil when this invocation of it destroys nothing (`app scale web 3`).
    static let guarded: [[String]: (Invocation) -> String?] = [
        ["app", "delete"]: { "delete app \($0.arguments.first ?? "")" },
        ["app", "deploy"]: { $0.has("reset") ? "reset app \($0.value("name") ?? "")" : nil },
        ["app", "scale"]: { inv in
            inv.arguments.count > 1 && Int(inv.arguments[1]) == 0 ? "scale app \(inv.arguments[0]) to 0" : nil
        },
        ["app", "secret", "unset"]: { "remove secret \($0.arguments.dropFirst().first ?? "")" },
        ["function", "delete"]: { "delete function \($0.arguments.first ?? "")" },
        ["job", "delete"]: { "delete job \($0.arguments.first ?? "")" },
        ["service", "delete"]: { "delete service \($0.arguments.first ?? "")" },
        ["service", "restore"]: { "replace the data of service \($0.arguments.first ?? "")" },
        ["service", "copy-data"]: { "replace the data of service \($0.arguments.first ?? "")" },
        ["volume", "delete"]: { "delete volume \($0.arguments.first ?? "")" },
        ["volume", "unmount"]: { "unmount volume \($0.arguments.first ?? "")" },
        ["app", "promote"]: { $0.has("force") ? "promote into it with --force" : nil },
        ["project", "remove-env"]: { _ in "remove it" },
        ["project", "preview", "down"]: { _ in "remove it" },
        ["project", "sleep"]: { _ in "put it to sleep" },
        ["project", "delete"]: { _ in "delete the project" },
        ["project", "unprotect"]: { _ in "lift its protection" },
        ["project", "apply"]: { $0.has("prune") ? "prune it" : nil },
    ]

    /// The guarded commands in words, for help.
    static var summary: String {
        let named: [[String]: String] = [
            ["app", "deploy"]: "app deploy --reset", ["app", "scale"]: "app scale APP 0",
            ["app", "promote"]: "app promote --force",
            ["project", "apply"]: "project apply --prune (or a file that lifts protection)",
        ]
        return guarded.keys.map { named[$0] ?? $0.joined(separator: " ") }.sorted().joined(separator: ", ")
    }

    /// What this command line would do that protection guards, or nil.
    static func action(_ inv: Invocation) -> String? { guarded[inv.command].flatMap { $0(inv) } }

    /// Gives every guarded command the `--confirm-env` option (once).
    static func addOptions(_ root: CommandSpec) {
        if guarded[Array(root.path.dropFirst())] != nil,
            !root.options.contains(where: { $0.long == LifecycleCommands.confirmEnv.long })
        {
            root.options.append(LifecycleCommands.confirmEnv)
        }
        for s in root.subcommands { addOptions(s) }
    }

    /// In a protected environment of `envs` (as they were before the command), the
    /// guarded action needs the environment named; asked once per environment and
    /// command, however often the command reads and plans again.
    static func check(_ envs: [Project.Environment], project: String, _ inv: Invocation, _ ctx: Context) throws {
        guard let action = action(inv) else { return }
        let due = envs.filter { $0.protected && !ctx.confirmedProtected.contains($0.namespace) }
        if due.isEmpty { return }
        try confirmProtected(due, project: project, action: action, inv, ctx)
        for e in due { ctx.confirmedProtected.insert(e.namespace) }
    }

    /// In a protected environment a destructive command needs the environment named:
    /// `--confirm-env ENV`, or typed on a terminal; `--yes` is not enough.
    static func confirmProtected(
        _ envs: [Project.Environment], project: String, action: String, _ inv: Invocation, _ ctx: Context
    ) throws {
        let given = Set(inv.values("confirm-env").flatMap { $0.split(separator: ",").map(String.init) })
        for e in envs where e.protected && !given.contains(e.name) {
            guard ctx.terminal.stdinIsTerminal, !ctx.dryRun else {
                throw KipError(
                    "\(project)/\(e.name) is protected: to \(action), pass --confirm-env \(e.name) (--yes is not enough)"
                )
            }
            guard ctx.typed("🔒 \(project)/\(e.name) is protected. Type '\(e.name)' to \(action): ") == e.name else {
                throw KipError("\(project)/\(e.name) is protected and was not named: nothing was changed")
            }
        }
    }
}
