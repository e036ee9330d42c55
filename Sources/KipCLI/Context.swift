import Foundation
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where text goes: a file descriptor, or a buffer in tests.
public final class Output: @unchecked Sendable {
    private let handle: FileHandle?
    public private(set) var buffer = ""

    public init(handle: FileHandle) { self.handle = handle }
    public init() { handle = nil }

    public func write(_ s: String) {
        if let handle { try? handle.write(contentsOf: Data(s.utf8)) } else { buffer += s }
    }
    public func line(_ s: String = "") { write(s + "\n") }
    /// Bytes as they come (a log stream): not decoded, not buffered.
    public func write(data: Data) {
        if let handle { try? handle.write(contentsOf: data) } else { buffer += String(decoding: data, as: UTF8.self) }
    }
}

/// Where input comes from: standard input, or a script of lines in tests.
public protocol Input: AnyObject {
    func readLine() -> String?
    func readAll() -> Data
}

public final class StandardInput: Input {
    public init() {}
    public func readLine() -> String? { Swift.readLine(strippingNewline: true) }
    public func readAll() -> Data { FileHandle.standardInput.readDataToEndOfFile() }
}

public final class ScriptedInput: Input {
    private var lines: [String]
    public init(_ lines: [String]) { self.lines = lines }
    public func readLine() -> String? { lines.isEmpty ? nil : lines.removeFirst() }
    public func readAll() -> Data {
        defer { lines = [] }
        return Data(lines.joined(separator: "\n").utf8)
    }
}

public struct Terminal: Sendable {
    public var stdinIsTerminal: Bool
    public var stdoutIsTerminal: Bool
    public var stderrIsTerminal: Bool

    public init(stdin: Bool, stdout: Bool, stderr: Bool) {
        stdinIsTerminal = stdin
        stdoutIsTerminal = stdout
        stderrIsTerminal = stderr
    }

    public static var current: Terminal {
        Terminal(stdin: isatty(0) == 1, stdout: isatty(1) == 1, stderr: isatty(2) == 1)
    }
}

/// Random bytes; the system CSPRNG in production, a fixed sequence in tests.
public protocol RandomSource: AnyObject {
    func bytes(_ n: Int) -> [UInt8]
}

public final class SystemRandom: RandomSource {
    public init() {}
    public func bytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }
}

/// Everything a command may touch, injected: streams, terminal facts, environment,
/// clock, randomness, config and the kubectl runner.
public final class Context {
    public let stdin: Input
    public let stdout: Output
    public let stderr: Output
    public let terminal: Terminal
    public let env: [String: String]
    public let clock: () -> Date
    public let random: RandomSource
    public let config: ConfigStore
    public let runner: CommandRunner
    /// The command line this context runs (its global options with it); empty for the
    /// context a process starts with, from which each command gets its own.
    public let globals: Invocation
    /// What every driver of this command has learnt of namespaces (for refusals).
    let places = Places()
    /// The kubectl processes and sequential rounds of this command (every driver's).
    public let rounds = Rounds()

    public init(
        stdin: Input, stdout: Output, stderr: Output, terminal: Terminal, env: [String: String],
        clock: @escaping () -> Date, random: RandomSource, config: ConfigStore, runner: CommandRunner,
        globals: Invocation = Invocation(command: [])
    ) {
        self.globals = globals
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.terminal = terminal
        self.env = env
        self.clock = clock
        self.random = random
        self.config = config
        self.runner = runner
    }

    /// The context of one command line: the same streams, clock, config and kubectl, and
    /// nothing a command before it learnt or printed (its result, its printer's form).
    public func command(_ inv: Invocation) -> Context {
        let c = Context(
            stdin: stdin, stdout: stdout, stderr: stderr, terminal: terminal, env: env, clock: clock, random: random,
            config: config, runner: runner, globals: inv)
        c.startDeadline = startDeadline
        return c
    }

    public var output: String { globals.value("output") ?? "table" }
    public var dryRun: Bool { globals.has("dry-run") }
    public var yes: Bool { globals.has("yes") }
    public var verbose: Bool { globals.has("verbose") }

    /// The colour policy: `--color`, then `NO_COLOR`, then a terminal whose TERM is not dumb.
    public var color: Bool {
        switch globals.value("color") ?? "auto" {
        case "always": return true
        case "never": return false
        default:
            if env["NO_COLOR"].map({ !$0.isEmpty }) ?? false { return false }
            return terminal.stdoutIsTerminal && env["TERM"] != "dumb"
        }
    }

    /// With `-o json|yaml|name`, stdout holds the document (or the names) alone: text
    /// lines go to stderr.
    public lazy var printer = Printer(
        out: ["json", "yaml", "name"].contains(output) ? stderr : stdout, err: stderr, color: color, data: stdout)

    /// What a write did, printed once when the command ends (`-o json|yaml` as a
    /// document, `-o name` as the names it wrote), also when a later step (a `--wait`)
    /// fails: the document then says what failed too.
    var result: JSON?

    /// Protected environments already named for this command (`Protection.check`).
    var confirmedProtected = Set<String>()

    // MARK: Cluster

    /// The cluster this command talks to and its name in kip's config.
    public func cluster() throws -> ClusterTarget {
        let cfg = try config.load()
        let flagContext = globals.value("context")
        let flagKubeconfig = globals.value("kubeconfig")
        if let name = globals.value("cluster") ?? env["KIP_CLUSTER"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let c = cfg.clusters[name] else {
                let known = cfg.clusters.keys.sorted()
                throw KipError(
                    "unknown cluster '\(name)': "
                        + (known.isEmpty
                            ? "add it with 'kip cluster add \(name) --context CONTEXT'"
                            : "known clusters are \(known.joined(separator: ", ")) (see 'kip cluster list')"))
            }
            return ClusterTarget(
                name: name, context: flagContext ?? c.context, kubeconfig: flagKubeconfig ?? c.kubeconfig)
        }
        if let flagContext {
            let named = cfg.clusters.first {
                $0.value.context == flagContext && (flagKubeconfig == nil || $0.value.kubeconfig == flagKubeconfig)
            }
            return ClusterTarget(
                name: named?.key ?? flagContext, context: flagContext,
                kubeconfig: flagKubeconfig ?? named?.value.kubeconfig)
        }
        if flagKubeconfig == nil, let cur = cfg.currentCluster, let c = cfg.clusters[cur] {
            return ClusterTarget(name: cur, context: c.context, kubeconfig: c.kubeconfig)
        }
        // No kip config: kubectl's current context is the implicit cluster.
        let ctx = try currentContext(kubeconfig: flagKubeconfig)
        return ClusterTarget(name: ctx, context: ctx, kubeconfig: flagKubeconfig)
    }

    /// Remembers the org the cluster's settings name, for the next command's first guess
    /// of a namespace (a known cluster only: reading writes no new cluster into the config).
    func cacheOrg(_ org: String?, cluster: String) throws {
        guard let known = try? config.load().clusters[cluster], known.org != org else { return }
        try? config.update { cfg in cfg.clusters[cluster]?.org = org }
    }

    /// Who makes a change, for an app's image history: the user the API server
    /// authenticated (a SelfSubjectReview, `kubectl auth whoami`), with `KIP_ACTOR` (a CI
    /// job's name) beside it as a note — never instead of it: a client may claim any
    /// name. The answer is cached per kubeconfig, context and user entry in
    /// `KIP_HOME/identities.json`, so only a machine's first write asks. A server that
    /// cannot answer (before 1.27) leaves the kubeconfig's user entry name. The API
    /// server's audit log stays the record of truth.
    public func actor() throws -> String {
        if let a = actorMemo { return a }
        let note = env["KIP_ACTOR"].flatMap { $0.isEmpty ? nil : $0 }
        let who = try identity()
        let a = note.map { $0 == who || who.isEmpty ? $0 : "\(who) (KIP_ACTOR: \($0))" } ?? who
        actorMemo = a
        return a
    }

    var actorMemo: String?

    /// Who runs kip as the API server knows them (else the kubeconfig's user, else
    /// `$USER`), never `KIP_ACTOR`'s note: what an approval compares.
    public func identity() throws -> String {
        try authenticatedUser() ?? kubeconfigUser() ?? env["USER"] ?? ""
    }

    /// The kubeconfig's user entry for the current context (the one it impersonates, with
    /// `as:`), read from the file.
    func kubeconfigUser() throws -> String? {
        let t = try cluster()
        let path =
            t.kubeconfig ?? env["KUBECONFIG"].flatMap { $0.split(separator: ":").first.map(String.init) }
            ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.kube/config")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let doc = try? MiniYAML.parse(text),
            let context = t.context ?? doc["current-context"]?.stringValue,
            let userName = doc["contexts"]?.arrayValue?.first(where: { $0["name"]?.stringValue == context })?.at(
                "context", "user")?.stringValue
        else { return nil }
        let user = doc["users"]?.arrayValue?.first { $0["name"]?.stringValue == userName }?["user"]
        return user?["as"]?.stringValue ?? userName
    }

    /// The authenticated user name, from the cache or one SelfSubjectReview.
    func authenticatedUser() throws -> String? {
        let t = try cluster()
        let key = [t.kubeconfig ?? env["KUBECONFIG"] ?? "", t.context ?? "", (try? kubeconfigUser()) ?? ""].joined(
            separator: "|")
        let cache = config.directory + "/identities.json"
        if let data = FileManager.default.contents(atPath: cache), let doc = try? JSON.parse(data),
            let name = doc[key]?.stringValue
        {
            return name
        }
        guard let out = try? driver(t).kubectl(["auth", "whoami", "-o", "json"]), let doc = try? JSON.parse(out),
            let name = doc.at("status", "userInfo", "username")?.stringValue, !name.isEmpty
        else { return nil }
        // Best effort: a cache that cannot be written costs one request next time.
        if (try? config.load()) != nil {
            if !FileManager.default.fileExists(atPath: config.directory) {
                try? FileManager.default.createDirectory(
                    atPath: config.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            var doc = (FileManager.default.contents(atPath: cache).flatMap { try? JSON.parse($0) }) ?? [:]
            doc[key] = .string(name)
            let tmp = cache + ".\(getpid()).tmp"
            if FileManager.default.createFile(
                atPath: tmp, contents: Data((doc.serialized() + "\n").utf8), attributes: [.posixPermissions: 0o600])
            {
                rename(tmp, cache)
            }
        }
        return name
    }

    /// The current context of a kubeconfig, read from the file (no process) when it is
    /// plain YAML, else asked of `kubectl config current-context`.
    public func currentContext(kubeconfig: String?) throws -> String {
        let path =
            kubeconfig ?? env["KUBECONFIG"].flatMap { $0.split(separator: ":").first.map(String.init) }
            ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.kube/config")
        if !FileManager.default.fileExists(atPath: path) {
            if kubeconfig != nil {
                throw KipError("--kubeconfig \(path) does not exist: check the path")
            }
            if let k = env["KUBECONFIG"], !k.isEmpty {
                throw KipError("KUBECONFIG names \(path), which does not exist: check the path, or unset KUBECONFIG")
            }
            throw KipError(
                "kubeconfig \(path) does not exist: pass --kubeconfig, set KUBECONFIG, or add a cluster with 'kip cluster add NAME --kubeconfig PATH'"
            )
        }
        if let text = try? String(contentsOfFile: path, encoding: .utf8), let doc = try? MiniYAML.parse(text),
            let ctx = doc["current-context"]?.stringValue, !ctx.isEmpty
        {
            return ctx
        }
        var argv = ["kubectl", "config", "current-context"]
        if let kubeconfig { argv += ["--kubeconfig", kubeconfig] }
        trace(argv)
        rounds.process()
        let r: ProcessResult
        do { r = try runner.run(argv, stdin: nil) } catch let e as RunnerError { throw KipError(e.description) }
        let ctx = String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard r.status == 0, !ctx.isEmpty else {
            throw KipError(
                "no cluster: kubectl has no current context; run 'kip cluster add NAME --context CONTEXT' or pass --context"
            )
        }
        return ctx
    }

    private func trace(_ argv: [String]) {
        if verbose { stderr.line("+ " + argv.map(KubectlDriver.shellQuote).joined(separator: " ")) }
    }

    public func driver(_ target: ClusterTarget? = nil) throws -> KubectlDriver {
        let t = try target ?? cluster()
        let d = KubectlDriver(
            runner: runner, target: t, requestTimeout: try requestTimeout(),
            trace: verbose ? { [stderr] in stderr.line($0) } : nil, rounds: rounds)
        d.places = places
        if !globals.command.isEmpty {
            d.command = globals.command.joined(separator: " ")
            d.commandRole = Self.role(of: globals.command)
        }
        return d
    }

    /// The least of kip's roles a command needs: looking is a viewer's, granting an
    /// admin's, anything else that acts in an environment a developer's.
    static func role(of command: [String]) -> String {
        switch command.last ?? "" {
        case "grant", "revoke": return "admin"
        case "list", "show", "info", "members", "access", "history", "diff": return "viewer"
        default: return "developer"
        }
    }

    /// `--timeout`, else `KIP_TIMEOUT`, else 15 minutes: the bound on the whole command
    /// (nil for none).
    func commandTimeout() throws -> (seconds: Double, text: String)? {
        let given = globals.value("timeout") ?? env["KIP_TIMEOUT"].flatMap { $0.isEmpty ? nil : $0 }
        // A session lasts as long as its user wants: bounded only when asked.
        if given == nil && Self.isSession(globals) { return nil }
        let t = given ?? "15m"
        guard let s = KubectlDriver.seconds(t) else {
            throw UsageError(
                message:
                    "The value '\(t)' is invalid for '--timeout <duration>': use seconds, minutes or hours (90s, 15m, 1h) or 0 for none",
                command: globals.command)
        }
        return s > 0 ? (Double(s), t) : nil
    }

    /// Commands that last as long as their user wants (a shell, a forwarded port, a log
    /// followed, a dump of any size): no default `--timeout`.
    static func isSession(_ inv: Invocation) -> Bool {
        let sessions: Set<[String]> = [
            ["app", "exec"], ["service", "connect"], ["service", "dump"], ["service", "restore"],
            ["service", "copy-data"],
        ]
        return sessions.contains(inv.command) || (inv.command.last == "logs" && inv.has("follow"))
    }

    /// Starts the bound on the whole command; the live context sets it (tests do not).
    public var startDeadline: ((Double, String) -> Void)?

    /// `--request-timeout`, else `KIP_REQUEST_TIMEOUT`, else 30 s.
    func requestTimeout() throws -> String {
        let given = globals.value("request-timeout") ?? env["KIP_REQUEST_TIMEOUT"].flatMap { $0.isEmpty ? nil : $0 }
        let t = given ?? "30s"
        guard KubectlDriver.seconds(t) != nil else {
            throw UsageError(
                message:
                    "The value '\(t)' is invalid for '--request-timeout <duration>': use seconds, minutes or hours (30s, 2m, 1h) or 0 for none",
                command: globals.command)
        }
        return t
    }

    // MARK: Prompts

    /// Asks a yes/no question on a terminal; never waits without one.
    public func confirm(_ question: String) throws -> Bool {
        if yes { return true }
        guard terminal.stdinIsTerminal else {
            throw KipError(
                "\(question.trimmingCharacters(in: CharacterSet(charactersIn: "? "))): no terminal to ask on; pass --yes to go ahead"
            )
        }
        stderr.write("\(question) [y/N] ")
        guard let answer = stdin.readLine() else {
            stderr.line()
            return false
        }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// A secret value: from stdin when it is not a terminal (one trailing newline
    /// dropped), else typed at a prompt with echo off. Never from argv.
    /// A secret value, as bytes: from a hidden prompt on a terminal, else all of stdin with
    /// one trailing newline (`\n` or `\r\n`) dropped and every other byte kept.
    public func readSecret(prompt: String, allowEmpty: Bool = false) throws -> Data {
        var value: Data
        if terminal.stdinIsTerminal {
            stderr.write(prompt)
            var old = termios()
            let haveTTY = tcgetattr(0, &old) == 0
            if haveTTY {
                Signals.saveTerminal(old)
                var quiet = old
                quiet.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(0, TCSAFLUSH, &quiet)
            }
            let line = stdin.readLine()
            if haveTTY {
                tcsetattr(0, TCSAFLUSH, &old)
                Signals.forgetTerminal()
            }
            stderr.line()
            guard let line else { throw KipError("no value given: nothing was changed") }
            value = Data(line.utf8)
        } else {
            value = stdin.readAll()
            if value.last == 0x0A {
                value.removeLast()
                if value.last == 0x0D { value.removeLast() }
            }
        }
        if value.isEmpty && !allowEmpty {
            throw KipError(
                "the value is empty: pipe it on stdin (printf %s \"$VALUE\" | kip …) or type it at the prompt, or pass --allow-empty"
            )
        }
        return value
    }

    /// The line typed after `prompt` on stderr (spaces around it dropped); nil at the end
    /// of input.
    func typed(_ prompt: String) -> String? {
        stderr.write(prompt)
        return stdin.readLine()?.trimmingCharacters(in: .whitespaces)
    }

    /// Asks to type `expected` to confirm a destructive action; `--yes` or `--confirm
    /// NAME` answer without a terminal.
    public func confirmTyped(_ expected: String, what: String, confirmFlag: String?) throws -> Bool {
        if let c = confirmFlag {
            guard c == expected else {
                throw KipError("--confirm '\(c)' does not match '\(expected)': nothing was deleted")
            }
            return true
        }
        if yes { return true }
        guard terminal.stdinIsTerminal else {
            throw KipError(
                "refusing to delete \(what) without confirmation: no terminal to ask on; pass --confirm \(expected) or --yes"
            )
        }
        guard let answer = typed("Type '\(expected)' to confirm: ") else {
            stderr.line()
            return false
        }
        return answer == expected
    }
}
