import Foundation
import KipCore

/// The command table and the one entry point `main` calls.
public enum Kip {
    public static let version = "0.1.0"

    public static let root: CommandSpec = {
        let r = tree
        Protection.addOptions(r)
        return r
    }()

    static let tree: CommandSpec = CommandSpec(
        "kip", "Projects made of environments on Kubernetes, through kubectl.",
        discussion: """
            A project is a pipeline of environments (test → acc → prod), each one a namespace.
            kip renders what you ask for into Kubernetes objects and applies them with
            'kubectl apply --server-side'; it runs nothing in the cluster.
            """,
        subcommands: [
            InstallCommand.spec,
            ProjectCommands.spec,
            AppCommands.spec,
            WorkloadCommands.service,
            WorkloadCommands.volume,
            WorkloadCommands.function,
            WorkloadCommands.job,
            ClusterCommands.spec,
            CommandSpec(
                "completion", "Print a shell completion script.",
                discussion: "Load it with: source <(kip completion bash)",
                arguments: [ArgumentSpec("shell", "bash or zsh.")],
                handler: { inv, ctx in
                    guard let s = Completion.script(inv.arguments[0], root: Kip.root) else {
                        throw UsageError(
                            message: "Unknown shell '\(inv.arguments[0])'. Please provide one of 'bash' or 'zsh'.",
                            command: ["completion"])
                    }
                    ctx.stdout.write(s)
                    return 0
                }),
            CommandSpec(
                "version", "Show kip's version.",
                handler: { _, ctx in
                    try ctx.show(["version": .string(Kip.version)]) { _ in ctx.stdout.line("kip \(Kip.version)") }
                }),
        ])

    /// `KIP_PROJECT` and `KIP_ENVIRONMENT` stand in for `--project` and `--environment`
    /// when neither flag is given (flags, then these, then the active project).
    static func scopeFromEnvironment(_ inv: Invocation, _ ctx: Context) -> Invocation {
        // `project apply --project/--environment` choose within a file, not the context.
        // KIP_PROJECT fills a missing --project (a job's project, with --environment per
        // step); KIP_ENVIRONMENT only when the line names neither.
        guard let cmd = root.find(inv.command), inv.command.first != "project" else { return inv }
        var out = inv
        let takes = Set(cmd.options.map(\.long))
        let named = inv.options["project"] != nil || inv.options["environment"] != nil
        if takes.contains("environment"), !named, let e = ctx.env["KIP_ENVIRONMENT"], !e.isEmpty {
            out.options["environment"] = [e]
        }
        if takes.contains("project"), inv.options["project"] == nil, let p = ctx.env["KIP_PROJECT"], !p.isEmpty {
            // `KIP_PROJECT=shop/test` with `--environment acc`: the flag says where.
            out.options["project"] = [inv.options["environment"] != nil ? String(p.split(separator: "/")[0]) : p]
        }
        return out
    }

    /// Parses and runs one command line; returns the exit code. Only `main` exits.
    public static func run(_ args: [String], _ process: Context) -> Int32 {
        let parser = Parser(root: root)
        // Until the command line is parsed, the process's context; then the command's own.
        var ctx = process
        defer {
            if ctx.verbose && ctx.rounds.processes > 0 {
                ctx.stderr.line("kip: \(ctx.rounds.processes) kubectl processes in \(ctx.rounds.rounds) rounds")
            }
        }
        do {
            switch try parser.parse(args) {
            case .version:
                ctx.stdout.line("kip \(version)")
                return 0
            case .help(let path):
                ctx.stdout.write(Help.text(root.find(path) ?? root, version: version))
                return 0
            case .run(var inv):
                inv = scopeFromEnvironment(inv, ctx)
                ctx = process.command(inv)
                // With --wait, the wait reports its own time-out; the bound comes just after.
                if let start = ctx.startDeadline, let bound = try ctx.commandTimeout() {
                    start(bound.seconds + (inv.has("wait") ? 30 : 0), bound.text)
                }
                guard let cmd = root.find(inv.command), let handler = cmd.handler else { return 2 }
                let code = try handler(inv, ctx)
                printResult(ctx, error: nil)
                Notifier.notify(ctx, failed: false)
                return code
            }
        } catch let e as UsageError {
            reportUsage(e, ctx)
            return 2
        } catch var e as KipError {
            if e.exitCode == 1 { e.exitCode = errorExitCode(ctx.globals) }
            ctx.printer.error(e)
            printResult(ctx, error: e)
            Notifier.notify(ctx, failed: true, error: e)
            return e.exitCode
        } catch {
            let e = KipError("\(error)", exitCode: errorExitCode(ctx.globals))
            ctx.printer.error(e)
            printResult(ctx, error: e)
            Notifier.notify(ctx, failed: true, error: e)
            return e.exitCode
        }
    }

    /// The one exit-code rule: 0 success; 1 an error, or, for a command that answers a
    /// question with its exit code (`project diff`, `project drift`, `project apply
    /// --dry-run`: 1 "they differ" / "changes pending"), 2 for every error, as diff(1)
    /// does, so that a CI gate tells the two apart; 2 a command-line mistake.
    static func errorExitCode(_ inv: Invocation) -> Int32 {
        switch inv.command {
        case ["project", "diff"], ["project", "drift"]: return 2
        case ["project", "apply"] where inv.has("dry-run"): return 2
        default: return 1
        }
    }

    /// The one place a write's result reaches stdout, when the command ends: with
    /// `-o json|yaml` one document (with `error` when the command failed, also when
    /// nothing was written), with `-o name` the names written.
    static func printResult(_ ctx: Context, error: KipError?) {
        switch ctx.output {
        case "json", "yaml":
            guard let doc = document(ctx, error: error) else { return }
            ctx.printer.document(doc, format: ctx.output)
        case "name":
            guard error == nil, let doc = ctx.result else { return }
            for o in doc["applied"]?.arrayValue ?? [] where o["kind"]?.stringValue != "Secret" {
                ctx.printer.name(
                    "\((o["kind"]?.stringValue ?? "").lowercased())/\(o["name"]?.stringValue ?? "")")
            }
            for d in doc["deleted"]?.arrayValue ?? [] { ctx.printer.name(d["ref"]?.stringValue ?? "") }
        default: return
        }
    }

    /// The command's result document (with `error` when it failed, also when nothing was
    /// written): what `-o json|yaml` prints and `--notify` sends.
    static func document(_ ctx: Context, error: KipError?) -> JSON? {
        let empty: JSON? = error != nil ? [:] : nil
        guard var doc = ctx.result ?? empty else { return nil }
        if let error {
            doc["error"] = ["message": .string(error.message), "exitCode": .int(Int(error.exitCode))]
        }
        return doc
    }

    static func reportUsage(_ e: UsageError, _ ctx: Context) {
        let cmd = root.find(e.command) ?? root
        ctx.stderr.line("Error: \(e.message)")
        ctx.stderr.line("Usage: \(Help.usage(cmd))")
        ctx.stderr.line("  See '\(cmd.fullName) --help'.")
    }

    /// The production context: real streams, terminal, clock, CSPRNG and kubectl.
    public static func liveContext() -> Context {
        let env = ProcessInfo.processInfo.environment
        var overrides: [String: String] = [:]
        if let k = env["KIP_KUBECTL"], !k.isEmpty { overrides["kubectl"] = k }
        let ctx = Context(
            stdin: StandardInput(), stdout: Output(handle: .standardOutput), stderr: Output(handle: .standardError),
            terminal: .current, env: env, clock: Date.init, random: SystemRandom(),
            config: ConfigStore(directory: ConfigStore.defaultDirectory(env: env)),
            runner: ProcessRunner(environment: env, overrides: overrides))
        ctx.startDeadline = { Signals.deadline(after: $0, text: $1) }
        return ctx
    }
}
