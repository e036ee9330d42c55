/// Options every command takes, wherever they appear on the line.
public let globalOptions: [OptionSpec] = [
    .value("cluster", "name", "Cluster from kip's config to use (env: KIP_CLUSTER)."),
    .value("kubeconfig", "path", "kubeconfig file for kubectl."),
    .value("context", "name", "kubeconfig context for kubectl."),
    .value(
        "output", short: "o", "format", "Output format (name: one name a line, for lists).",
        choices: ["table", "wide", "json", "yaml", "name"], default: "table"),
    .flag("dry-run", "Print the manifests a change would apply; change nothing."),
    .flag("yes", short: "y", "Answer yes to confirmations (for scripts)."),
    .value("color", "when", "Colour output.", choices: ["auto", "always", "never"], default: "auto"),
    .flag("verbose", short: "v", "Print every kubectl command line to stderr."),
    .value(
        "request-timeout", "duration",
        "Longest one request to the cluster may take: 30s, 2m, 0 for none (env: KIP_REQUEST_TIMEOUT).",
        default: "30s"),
    .value(
        "timeout", "duration",
        "Longest the whole command may take, waits included: 15m, 1h, 0 for none (env: KIP_TIMEOUT).",
        default: "15m"),
    .value(
        "notify", "url",
        "POST the result (as -o json prints it) here after promote, rollback, gc and a failed --wait (env: KIP_NOTIFY_URL)."
    ),
    .flag("help", short: "h", "Show help information."),
]

/// The environment variables kip reads: the one table help's ENVIRONMENT section and the
/// README's list come from.
public let environmentVariables: [(name: String, help: String)] = [
    ("KIP_HOME", "Folder of kip's config (default: ~/.kip)."),
    ("KIP_CLUSTER", "Cluster to use, as --cluster."),
    ("KIP_PROJECT", "Project (NAME or NAME/ENV) when --project is not given."),
    ("KIP_ENVIRONMENT", "Environment when neither --project nor --environment is given."),
    ("KIP_ACTOR", "Who makes a change, noted in image histories (a CI job's name)."),
    ("KIP_REQUEST_TIMEOUT", "As --request-timeout."),
    ("KIP_TIMEOUT", "As --timeout."),
    ("KIP_KUBECTL", "kubectl to run: a path, or a name on PATH (default: kubectl)."),
    ("KIP_NOTIFY_URL", "As --notify."),
    ("NO_COLOR", "Set to turn colour off."),
]

/// A command-line mistake: exit 2 with the message, the usage line and a help hint.
public struct UsageError: Error, Equatable {
    public var message: String
    /// The command the mistake was made in (for its usage line).
    public var command: [String]
}

public enum ParseResult: Equatable {
    case run(Invocation)
    case help([String])
    case version
}

/// Turns argv into an `Invocation` (or help, or a usage error), with no I/O.
public struct Parser {
    public let root: CommandSpec

    public init(root: CommandSpec) { self.root = root }

    public func parse(_ args: [String]) throws -> ParseResult {
        var cmd = root
        var options: [String: [String]] = [:]
        var positionals: [String] = []
        var i = 0
        var onlyPositionals = false

        func known() -> [OptionSpec] { cmd.options + globalOptions }
        func usageError(_ m: String) -> UsageError { UsageError(message: m, command: Array(cmd.path.dropFirst())) }

        func record(_ spec: OptionSpec, _ value: String?) throws {
            guard let value else {
                options[spec.long] = []
                return
            }
            let parts =
                spec.isList && spec.splitsCommas
                ? value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) : [value]
            for p in parts {
                if let choices = spec.choices, !choices.contains(p) {
                    throw usageError(
                        "The value '\(p)' is invalid for '\(spec.usageForm)'. Please provide one of \(Self.orList(choices))."
                    )
                }
                if spec.isList && p.isEmpty {
                    throw usageError("Empty value in '\(spec.usageForm)': '\(value)'")
                }
            }
            if spec.isList { options[spec.long, default: []] += parts } else { options[spec.long] = parts }
        }

        while i < args.count {
            let a = args[i]
            i += 1
            if onlyPositionals || a == "-" || !a.hasPrefix("-") {
                if !onlyPositionals, positionals.isEmpty, !cmd.subcommands.isEmpty {
                    if a == "help" && cmd === root {
                        var rest = Array(args[i...]).filter { !$0.hasPrefix("-") }
                        // `kip help help`: the help of help is kip's own.
                        while rest.first == "help" { rest.removeFirst() }
                        guard root.find(rest) != nil else {
                            throw UsageError(
                                message: "Unknown command '\(rest.joined(separator: " "))'"
                                    + suggest(
                                        rest.last ?? "",
                                        root.find(Array(rest.dropLast()))?.subcommands.map(\.name) ?? []), command: [])
                        }
                        return .help(rest)
                    }
                    guard let sub = cmd.subcommand(a) else {
                        throw usageError("Unknown command '\(a)'." + suggest(a, cmd.subcommands.map(\.name)))
                    }
                    cmd = sub
                    continue
                }
                positionals.append(a)
                continue
            }
            if a == "--" {
                onlyPositionals = true
                continue
            }
            if a.hasPrefix("--") {
                var name = String(a.dropFirst(2))
                var inline: String? = nil
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                if name == "version" && cmd === root { return .version }
                guard let spec = known().first(where: { $0.long == name }) else {
                    throw usageError(
                        "Unknown option '--\(name)'." + suggest("--" + name, known().map { "--" + $0.long }))
                }
                if spec.valueName == nil {
                    if inline != nil { throw usageError("Option '--\(name)' takes no value") }
                    try record(spec, nil)
                } else if let inline {
                    try record(spec, inline)
                } else {
                    guard i < args.count, !(args[i].hasPrefix("--") && args[i].count > 2) else {
                        throw usageError("Missing value for '\(spec.usageForm)'")
                    }
                    try record(spec, args[i])
                    i += 1
                }
                continue
            }
            // Short options: -o json, -ojson, -yv.
            let letters = Array(a.dropFirst())
            var k = 0
            while k < letters.count {
                let c = letters[k]
                guard let spec = known().first(where: { $0.short == c }) else {
                    throw usageError("Unknown option '-\(c)'.")
                }
                if spec.valueName == nil {
                    try record(spec, nil)
                    k += 1
                    continue
                }
                if k + 1 < letters.count {
                    // `-o=json` as kubectl takes it, `-ojson` too.
                    var value = String(letters[(k + 1)...])
                    if value.hasPrefix("=") { value.removeFirst() }
                    try record(spec, value)
                } else {
                    guard i < args.count else { throw usageError("Missing value for '-\(c) <\(spec.valueName!)>'") }
                    try record(spec, args[i])
                    i += 1
                }
                break
            }
        }

        let path = Array(cmd.path.dropFirst())
        if options["help"] != nil { return .help(path) }
        if cmd.handler == nil {
            if cmd === root, positionals.isEmpty { return .help([]) }
            return .help(path)
        }
        for o in cmd.options where o.required && options[o.long] == nil {
            throw usageError("Missing expected option '\(o.usageForm)'")
        }
        // Positional arguments against the declaration.
        let required = cmd.arguments.filter { !$0.optional }.count
        let variadic = cmd.arguments.last?.variadic == true
        if positionals.count < required {
            let missing = cmd.arguments.filter { !$0.optional }[positionals.count]
            throw usageError("Missing expected argument '<\(missing.name)>'")
        }
        if !variadic, positionals.count > cmd.arguments.count {
            throw usageError("Unexpected argument '\(positionals[cmd.arguments.count])'")
        }
        return .run(Invocation(command: path, options: options, arguments: positionals))
    }

    /// ` Did you mean '--environments'?` for a close match, else empty.
    func suggest(_ word: String, _ candidates: [String]) -> String {
        var best: (String, Int)? = nil
        for c in candidates {
            let d = Self.distance(word, c)
            if d <= max(2, word.count / 3), best == nil || d < best!.1 { best = (c, d) }
        }
        if best == nil, word.count >= 3, let p = candidates.first(where: { $0.hasPrefix(word) }) { best = (p, 0) }
        return best.map { " Did you mean '\($0.0)'?" } ?? ""
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a)
        let y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count)
        for i in 1...x.count {
            var cur = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[y.count]
    }

    static func orList(_ items: [String]) -> String {
        let q = items.map { "'\($0)'" }
        if q.count <= 1 { return q.joined() }
        return q.dropLast().joined(separator: ", ") + " or " + q.last!
    }
}
