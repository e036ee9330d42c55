import KipCore

/// Why a value given to an option is unusable; the parser's caller turns it into a usage
/// error naming the option.
public struct BadValue: Error {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// An option declared together with the type of its value: the command table takes its
/// `spec`, and a handler reads it with `inv.get(option)`, which parses and checks the
/// value. A bad value is a usage error (exit 2, with the usage line), before any I/O.
public struct Option<Value> {
    public let spec: OptionSpec
    let parse: (String) throws -> Value

    public init(_ spec: OptionSpec, parse: @escaping (String) throws -> Value) {
        self.spec = spec
        self.parse = parse
    }
}

/// A repeatable option, each value parsed on its own.
public struct ListOption<Value> {
    public let spec: OptionSpec
    let parse: (String) throws -> Value
}

/// A boolean flag.
public struct Flag {
    public let spec: OptionSpec
    public init(_ long: String, _ help: String, short: Character? = nil) { spec = .flag(long, short: short, help) }
}

extension Option where Value == String {
    public static func string(_ long: String, _ valueName: String, _ help: String, required: Bool = false) -> Option {
        var s = OptionSpec.value(long, valueName, help)
        s.required = required
        return Option(s) { $0 }
    }

    /// A kip name: a DNS-1035 label (≤ 63 characters, a letter first).
    public static func name(_ long: String, _ valueName: String, _ help: String, required: Bool = false) -> Option {
        var s = OptionSpec.value(long, valueName, help)
        s.required = required
        return Option(s) { v in
            guard DNS.isDNS1035Label(v) else {
                throw BadValue("use at most 63 lower-case letters, digits and '-', starting with a letter (e.g. api)")
            }
            return v
        }
    }

    /// A Kubernetes quantity (`500m`, `1Gi`).
    /// A Kubernetes quantity (`500m`, `1Gi`); `positive` for sizes, which the API server
    /// wants greater than zero.
    public static func quantity(
        _ long: String, _ help: String, valueName: String = "quantity", default def: String? = nil,
        positive: Bool = false
    ) -> Option {
        Option(.value(long, valueName, help, default: def)) { v in
            if let why = Quantity.reason(v) { throw BadValue(why) }
            if positive, let n = Quantity.value(v), n <= 0 { throw BadValue("must be greater than zero (e.g. 1Gi)") }
            return v
        }
    }

    /// A DNS name, each label at most 63 characters (a longer one never resolves).
    public static func hostname(_ long: String, _ help: String) -> Option {
        Option(.value(long, "host", help)) { v in
            guard DNS.isSubdomain(v) else { throw BadValue("not a DNS hostname (e.g. api.example.com)") }
            if let long = v.split(separator: ".").first(where: { $0.count > DNS.labelMax }) {
                throw BadValue("its label '\(long.prefix(12))…' is \(long.count) characters; DNS allows 63")
            }
            return v
        }
    }

    /// A Kubernetes object name that is a DNS-1123 subdomain (a StorageClass, an
    /// IngressClass, a Secret).
    public static func objectName(_ long: String, _ valueName: String, _ help: String) -> Option {
        Option(.value(long, valueName, help)) { v in
            guard DNS.isSubdomain(v) else {
                throw BadValue("not a Kubernetes object name: lower-case letters, digits, '-' and '.'")
            }
            return v
        }
    }
}

extension Option where Value == Int {
    public static func int(
        _ long: String, _ valueName: String, _ help: String, default def: Int? = nil, min: Int, max: Int = Int.max
    )
        -> Option
    {
        Option(.value(long, valueName, help, default: def.map(String.init))) { v in
            guard let n = Int(v), n >= min, n <= max else {
                throw BadValue(
                    max == Int.max
                        ? "must be a whole number, \(min) or more" : "must be a whole number from \(min) to \(max)")
            }
            return n
        }
    }

    public static func port(_ help: String, long: String = "port", default def: Int? = nil, required: Bool = false)
        -> Option
    {
        var o = int(long, "port", help, default: def, min: 1, max: 65535)
        var s = o.spec
        s.required = required
        o = Option(s, parse: o.parse)
        return o
    }
}

extension ListOption where Value == EnvVar {
    /// `--env KEY=VALUE`, repeatable; the value may hold `=` and commas.
    public static func env(_ help: String = "Environment variable.") -> ListOption {
        ListOption(spec: .repeated("env", "key=value", help)) { p in
            guard let eq = p.firstIndex(of: "=") else { throw BadValue("must be KEY=VALUE") }
            let k = String(p[..<eq])
            if let why = EnvNames.problem(k) { throw BadValue(why) }
            return EnvVar(name: k, value: String(p[p.index(after: eq)...]))
        }
    }
}

extension ListOption where Value == Mount {
    /// `--volume NAME:/path` (or `--mount APP:/path`): a name and an absolute path.
    public static func mount(_ long: String, _ valueName: String, _ help: String) -> ListOption {
        ListOption(spec: .repeated(long, valueName, help)) { v in
            let parts = v.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("/") else {
                throw BadValue("must be \(valueName.uppercased().replacingOccurrences(of: ":/PATH", with: "")):/path")
            }
            return Mount(volume: parts[0], path: parts[1])
        }
    }
}

extension ListOption where Value == String {
    public static func strings(_ long: String, _ valueName: String, _ help: String) -> ListOption {
        ListOption(spec: .repeated(long, valueName, help)) { $0 }
    }
}

extension Invocation {
    /// A duration option (`72h`, `30m`, `1h30m`) in seconds; nil when not given, a usage
    /// mistake (naming `examples`) when it is no duration.
    func duration(_ long: String, examples: String) throws -> Double? {
        guard let v = value(long) else { return nil }
        guard let s = Durations.seconds(v) else {
            throw UsageError(
                message: "The value '\(v)' is invalid for '--\(long) <duration>': give a duration such as \(examples)",
                command: command)
        }
        return s
    }

    private func bad(_ spec: OptionSpec, _ value: String, _ e: BadValue) -> UsageError {
        UsageError(message: "The value '\(value)' is invalid for '\(spec.usageForm)': \(e.reason)", command: command)
    }

    /// The option's value, parsed; nil when not given.
    public func get<V>(_ o: Option<V>) throws -> V? {
        guard let v = value(o.spec.long) else { return nil }
        do { return try o.parse(v) } catch let e as BadValue { throw bad(o.spec, v, e) }
    }

    /// A required option's value (the parser already refused a line without it).
    public func require<V>(_ o: Option<V>) throws -> V {
        guard let v = try get(o) else {
            throw UsageError(message: "Missing expected argument '\(o.spec.usageForm)'", command: command)
        }
        return v
    }

    public func get<V>(_ o: ListOption<V>) throws -> [V] {
        try values(o.spec.long).map { v in
            do { return try o.parse(v) } catch let e as BadValue { throw bad(o.spec, v, e) }
        }
    }

    public func has(_ f: Flag) -> Bool { has(f.spec.long) }

    /// Refuses two options that contradict each other.
    public func exclusive(_ a: OptionSpec, _ b: OptionSpec) throws {
        if has(a.long) && has(b.long) {
            throw UsageError(message: "'\(a.usageForm)' and '\(b.usageForm)' cannot be used together", command: command)
        }
    }

    /// Refuses an option that only means something with another.
    public func requires(_ a: OptionSpec, _ b: OptionSpec) throws {
        if has(a.long) && !has(b.long) {
            throw UsageError(message: "'\(a.usageForm)' needs '\(b.usageForm)'", command: command)
        }
    }
}
