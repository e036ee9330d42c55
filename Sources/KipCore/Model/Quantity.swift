import Foundation

/// Kubernetes resource quantities (`500m`, `256Mi`, `1.5Gi`, `1G`), checked and scaled
/// without floating point surprises in the output.
public enum Quantity {
    static let binary: [(String, Int)] = [("Ki", 10), ("Mi", 20), ("Gi", 30), ("Ti", 40), ("Pi", 50), ("Ei", 60)]
    static let decimal: [(String, Int)] = [
        ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18),
    ]

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
public enum Cron {
    static let fields: [(name: String, min: Int, max: Int, names: [String])] = [
        ("minute", 0, 59, []), ("hour", 0, 23, []), ("day of month", 1, 31, []),
        ("month", 1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
        ("day of week", 0, 7, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ]

    /// nil when valid, else what is wrong.
    public static func problem(_ s: String) -> String? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"].contains(t) { return nil }
        let parts = t.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 5 else {
            return "--schedule '\(s)' needs five fields (minute hour day-of-month month day-of-week), e.g. '0 3 * * *'"
        }
        for (i, p) in parts.enumerated() {
            let f = fields[i]
            for item in p.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                var rangePart = item
                if let slash = item.firstIndex(of: "/") {
                    rangePart = String(item[..<slash])
                    guard let step = Int(item[item.index(after: slash)...]), step > 0 else {
                        return "--schedule '\(s)': \(f.name) field '\(p)' has a bad step"
                    }
                }
                if rangePart == "*" { continue }
                let bounds = rangePart.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard bounds.count <= 2, !bounds.contains(where: \.isEmpty) else {
                    return "--schedule '\(s)': \(f.name) field '\(p)' is not valid"
                }
                for b in bounds {
                    let v = Int(b) ?? f.names.firstIndex(of: b.lowercased()).map { $0 + (f.min == 1 ? 1 : 0) }
                    guard let v else { return "--schedule '\(s)': \(f.name) field '\(p)' is not valid" }
                    guard v >= f.min, v <= f.max else {
                        return "--schedule '\(s)': \(f.name) '\(b)' is out of range \(f.min)-\(f.max)"
                    }
                }
            }
        }
        return nil
    }
}
