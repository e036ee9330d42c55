import Foundation

/// Kubernetes resource quantities (`500m`, `256Mi`, `1.5Gi`, `1G`), checked and scaled
/// without floating point surprises in the output.
public enum Quantity {
    static let binary: [(String, Int)] = [("Ki", 10), ("Mi", 20), ("Gi", 30), ("Ti", 40), ("Pi", 50), ("Ei", 60)]
    static let decimal: [(String, Int)] = [
        ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18),
    ]

    /// The quantity as a number of base units (`500m` → 0.5, `1Gi` → 1073741824), for
    /// comparing two quantities; nil when it is no quantity.
    public static func value(_ s: String) -> Decimal? {
        guard let (num, suf) = split(s), let n = Decimal(string: num) else { return nil }
        if let b = binary.first(where: { $0.0 == suf }) { return n * pow(Decimal(2), b.1) }
        if let d = decimal.first(where: { $0.0 == suf }) {
            return d.1 >= 0 ? n * pow(Decimal(10), d.1) : n / pow(Decimal(10), -d.1)
        }
        return nil
    }

    /// The form the API server stores and returns a quantity in: the same kind of suffix
    /// (binary or decimal) as written, the largest unit that keeps the number whole
    /// (`1024Mi` → `1Gi`, `0.5` → `500m`, `1000m` → `1`, `1.5Gi` → `1536Mi`); below a
    /// milli-unit, rounded up to `1m`, as the server does. nil when it is no quantity.
    public static func canonical(_ s: String) -> String? {
        guard let (_, suf) = split(s), let v = value(s) else { return nil }
        func whole(_ d: Decimal) -> Bool {
            var x = d
            var r = Decimal()
            NSDecimalRound(&r, &x, 0, .down)
            return r == d
        }
        func text(_ d: Decimal) -> String { NSDecimalNumber(decimal: d).stringValue }
        if v == 0 { return "0" }
        if binary.contains(where: { $0.0 == suf }) && whole(v) {
            for (u, e) in binary.reversed() where whole(v / pow(Decimal(2), e)) {
                return text(v / pow(Decimal(2), e)) + u
            }
            return text(v)
        }
        for (u, e) in decimal.reversed() {
            let unit = e >= 0 ? pow(Decimal(10), e) : 1 / pow(Decimal(10), -e)
            if whole(v / unit) { return text(v / unit) + u }
        }
        var milli = v * 1000
        var up = Decimal()
        NSDecimalRound(&up, &milli, 0, .up)
        return text(up) + "m"
    }

    /// Splits `1.5Gi` into ("1.5", "Gi"); nil when it is no quantity.
    public static func split(_ s: String) -> (number: String, suffix: String)? {
        guard let end = s.firstIndex(where: { !($0.isNumber || $0 == ".") }) ?? Optional(s.endIndex) else { return nil }
        let num = String(s[..<end])
        let suf = String(s[end...])
        guard !num.isEmpty, num.filter({ $0 == "." }).count <= 1, num.first != ".", num.last != "." else { return nil }
        guard binary.contains(where: { $0.0 == suf }) || decimal.contains(where: { $0.0 == suf }) else { return nil }
        return (num, suf)
    }

    public static func isValid(_ s: String) -> Bool { split(s) != nil }

    /// The sentence for a bad quantity, with the likely intended spelling.
    public static func problem(_ s: String, flag: String) -> String? {
        reason(s).map { "\(flag) '\(s)' is \($0)" }
    }

    /// Why `s` is not a quantity (`not a Kubernetes quantity: use 1Gi`), or nil.
    public static func reason(_ s: String) -> String? {
        if isValid(s) { return nil }
        var hint = "e.g. 1Gi, 512Mi, 500m"
        let upper = s.uppercased()
        for (bad, good) in [
            ("KB", "Ki"), ("MB", "Mi"), ("GB", "Gi"), ("TB", "Ti"), ("KIB", "Ki"), ("MIB", "Mi"), ("GIB", "Gi"),
        ] where upper.hasSuffix(bad) {
            let n = String(s.dropLast(bad.count))
            if isValid(n) {
                hint = "use \(n)\(good)"
                break
            }
        }
        return "not a Kubernetes quantity: \(hint)"
    }

    /// Memory × factor, written in the largest binary unit that keeps it whole
    /// (`1Gi` × 1.5 → `1536Mi`, `256Mi` → `384Mi`, `500M` → `750M`).
    public static func scaleMemory(_ s: String, by factor: Decimal) -> String? {
        guard let (num, suf) = split(s), let n = Decimal(string: num) else { return nil }
        if let idx = decimal.firstIndex(where: { $0.0 == suf }), suf != "m" {
            // Decimal units stay decimal: find the largest unit that keeps a whole number.
            let bytes = n * pow(Decimal(10), decimal[idx].1) * factor
            for (u, e) in decimal.reversed() where e >= 0 {
                let v = bytes / pow(Decimal(10), e)
                if isWhole(v), v >= 1 { return "\(format(v))\(u)" }
            }
            return "\(format(bytes))"
        }
        guard let b = binary.first(where: { $0.0 == suf }) else { return nil }
        let bytes = n * pow(Decimal(2), b.1) * factor
        for (u, e) in binary.reversed() {
            let v = bytes / pow(Decimal(2), e)
            if isWhole(v), v >= 1 { return "\(format(v))\(u)" }
        }
        return format(bytes)
    }

    static func isWhole(_ d: Decimal) -> Bool {
        var x = d
        var r = Decimal()
        NSDecimalRound(&r, &x, 0, .plain)
        return r == d
    }

    static func format(_ d: Decimal) -> String { NSDecimalNumber(decimal: d).stringValue }
}

/// Cron schedules as CronJobs take them: five fields, or `@hourly` and friends.
/// Cron schedules as Kubernetes parses them (robfig/cron's standard parser): five fields,
/// day of week 0-6, ranges that ascend, `?` for "any" in the day fields, names for months
/// and days, and the `@daily`-style descriptors (also `@every <duration>`).
public enum Cron {
    static let fields: [(name: String, min: Int, max: Int, names: [String])] = [
        ("minute", 0, 59, []), ("hour", 0, 23, []), ("day of month", 1, 31, []),
        ("month", 1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
        ("day of week", 0, 6, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ]

    /// What is wrong with a schedule, in two wordings: kip's and the API server's.
    public enum Fault: Equatable, Sendable {
        case fieldCount(Int, [String])
        case timezone
        case notANumber(field: String, item: String)
        case badStep(field: String, item: String)
        case belowMinimum(field: String, value: Int, min: Int, item: String)
        case aboveMaximum(field: String, value: Int, max: Int, item: String)
        case backwards(field: String, from: Int, to: Int, item: String)

        /// kube-apiserver's words (`spec.schedule: Invalid value: "…": <this>`).
        public var serverText: String {
            switch self {
            case .fieldCount(let n, let parts):
                return "expected exactly 5 fields, found \(n): [\(parts.joined(separator: " "))]"
            case .timezone: return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
            case .notANumber(_, let item):
                return "failed to parse int from \(item): strconv.Atoi: parsing \(JSON.quoted(item)): invalid syntax"
            case .badStep(_, let item): return "step of range should be a positive number: \(item)"
            case .belowMinimum(_, let v, let min, let item):
                return "beginning of range (\(v)) below minimum (\(min)): \(item)"
            case .aboveMaximum(_, let v, let max, let item):
                return "end of range (\(v)) above maximum (\(max)): \(item)"
            case .backwards(_, let from, let to, let item):
                return "beginning of range (\(from)) beyond end of range (\(to)): \(item)"
            }
        }

        /// kip's words, naming the field.
        public var text: String {
            switch self {
            case .fieldCount: return "needs five fields (minute hour day-of-month month day-of-week), e.g. '0 3 * * *'"
            case .timezone: return "a time zone prefix (TZ=, CRON_TZ=) is not allowed in Kubernetes schedules"
            case .notANumber(let f, let item): return "\(f) field '\(item)' is not valid"
            case .badStep(let f, let item): return "\(f) field '\(item)' has a bad step"
            case .belowMinimum(let f, let v, let min, _):
                return "\(f) '\(v)' is out of range \(min)-\(Self.maximum(f))"
            case .aboveMaximum(let f, let v, let max, _):
                return "\(f) '\(v)' is out of range \(Self.minimum(f))-\(max)"
                    + (f == "day of week" ? " (Sunday is 0)" : "")
            case .backwards(let f, _, _, let item): return "\(f) range '\(item)' goes backwards"
            }
        }

        static func minimum(_ f: String) -> Int { Cron.fields.first { $0.name == f }?.min ?? 0 }
        static func maximum(_ f: String) -> Int { Cron.fields.first { $0.name == f }?.max ?? 0 }
    }

    static let descriptors = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]

    /// nil when Kubernetes accepts the schedule.
    public static func fault(_ s: String) -> Fault? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("TZ=") || t.hasPrefix("CRON_TZ=") { return .timezone }
        if descriptors.contains(t) || t.hasPrefix("@every ") { return nil }
        let parts = t.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 5 else { return .fieldCount(parts.count, parts) }
        for (i, p) in parts.enumerated() {
            let f = fields[i]
            for item in p.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                var rangePart = item
                if let slash = item.firstIndex(of: "/") {
                    rangePart = String(item[..<slash])
                    guard let step = Int(item[item.index(after: slash)...]), step > 0 else {
                        return .badStep(field: f.name, item: item)
                    }
                }
                if rangePart == "*" || (rangePart == "?" && (i == 2 || i == 4)) { continue }
                let bounds = rangePart.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard bounds.count <= 2, !bounds.contains(where: \.isEmpty) else {
                    return .notANumber(field: f.name, item: item)
                }
                var values: [Int] = []
                for b in bounds {
                    let named = f.names.firstIndex(of: b.lowercased()).map { $0 + (f.min == 1 ? 1 : 0) }
                    guard let v = Int(b) ?? named else { return .notANumber(field: f.name, item: b) }
                    values.append(v)
                }
                let (lo, hi) = (values[0], values.last!)
                if lo < f.min { return .belowMinimum(field: f.name, value: lo, min: f.min, item: item) }
                if hi > f.max { return .aboveMaximum(field: f.name, value: hi, max: f.max, item: item) }
                if lo > hi { return .backwards(field: f.name, from: lo, to: hi, item: item) }
            }
        }
        return nil
    }

    /// nil when valid, else what is wrong, in kip's words.
    public static func problem(_ s: String) -> String? {
        fault(s).map { "--schedule '\(s)': \($0.text)" }
    }
}
