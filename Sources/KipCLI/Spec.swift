/// Declarations the parser, help, and completion are all generated from.
public struct OptionSpec: Sendable {
    public var long: String
    public var short: Character?
    /// nil for a boolean flag.
    public var valueName: String?
    public var help: String
    /// Repeatable; each value may also be comma-separated.
    public var isList: Bool
    public var choices: [String]?
    public var defaultValue: String?
    /// List values also split on commas (`--environments a,b`); off for `--env K=V`.
    public var splitsCommas: Bool = true
    /// The command cannot run without it.
    public var required: Bool = false

    public static func flag(_ long: String, short: Character? = nil, _ help: String) -> OptionSpec {
        OptionSpec(long: long, short: short, valueName: nil, help: help, isList: false, choices: nil, defaultValue: nil)
    }

    public static func value(
        _ long: String, short: Character? = nil, _ valueName: String, _ help: String, choices: [String]? = nil,
        default def: String? = nil
    ) -> OptionSpec {
        OptionSpec(
            long: long, short: short, valueName: valueName, help: help, isList: false, choices: choices,
            defaultValue: def)
    }

    public static func list(_ long: String, _ valueName: String, _ help: String) -> OptionSpec {
        OptionSpec(
            long: long, short: nil, valueName: valueName, help: help, isList: true, choices: nil, defaultValue: nil)
    }

    /// Repeatable, each occurrence one value (values may hold commas).
    public static func repeated(_ long: String, _ valueName: String, _ help: String) -> OptionSpec {
        var o = list(long, valueName, help)
        o.splitsCommas = false
        return o
    }

    public static func required(_ long: String, _ valueName: String, _ help: String) -> OptionSpec {
        var o = value(long, valueName, help)
        o.required = true
        return o
    }

    var label: String {
        var s = short.map { "-\($0), " } ?? ""
        s += "--\(long)"
        if let v = valueName { s += " <\(v)>" }
        return s
    }

    /// How it reads in a usage line and in errors: `--from <env>`.
    var usageForm: String { valueName.map { "--\(long) <\($0)>" } ?? "--\(long)" }
}

public struct ArgumentSpec: Sendable {
    public var name: String
    public var help: String
    public var optional: Bool
    public var variadic: Bool

    public init(_ name: String, _ help: String, optional: Bool = false, variadic: Bool = false) {
        self.name = name
        self.help = help
        self.optional = optional
        self.variadic = variadic
    }
}

/// A command group or verb. Leaves have a handler; groups have subcommands.
public final class CommandSpec: @unchecked Sendable {
    public let name: String
    public let abstract: String
    public let discussion: String?
    public let arguments: [ArgumentSpec]
    public internal(set) var options: [OptionSpec]
    public let subcommands: [CommandSpec]
    public let handler: Handler?
    public private(set) weak var parent: CommandSpec?

    public typealias Handler = (Invocation, Context) throws -> Int32

    public init(
        _ name: String, _ abstract: String, discussion: String? = nil, arguments: [ArgumentSpec] = [],
        options: [OptionSpec] = [], subcommands: [CommandSpec] = [], handler: Handler? = nil
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.arguments = arguments
        self.options = options
        self.subcommands = subcommands
        self.handler = handler
        for s in subcommands { s.parent = self }
    }

    public var path: [String] {
        var p: [String] = []
        var c: CommandSpec? = self
        while let cur = c {
            p.insert(cur.name, at: 0)
            c = cur.parent
        }
        return p
    }

    public var fullName: String { path.joined(separator: " ") }

    public func subcommand(_ name: String) -> CommandSpec? { subcommands.first { $0.name == name } }

    public func find(_ path: [String]) -> CommandSpec? {
        var c: CommandSpec = self
        for p in path {
            guard let n = c.subcommand(p) else { return nil }
            c = n
        }
        return c
    }
}

/// A parsed command line: which command, its option values, its positional arguments.
public struct Invocation: Equatable, Sendable {
    /// Command path without the root (`["project", "create"]`).
    public var command: [String]
    /// Option values by long name; a flag given is present with an empty list.
    public var options: [String: [String]]
    public var arguments: [String]

    public init(command: [String], options: [String: [String]] = [:], arguments: [String] = []) {
        self.command = command
        self.options = options
        self.arguments = arguments
    }

    public func has(_ flag: String) -> Bool { options[flag] != nil }
    public func value(_ name: String) -> String? { options[name]?.last }
    public func values(_ name: String) -> [String] { options[name] ?? [] }
}
