import Foundation

/// Durations as kip's flags take them (`72h`, `30m`, `7d`, `1h30m`), and the times they
/// lead to, in RFC 3339 as the API server writes them.
public enum Durations {
    static let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]

    /// Seconds, or nil when `s` is not one or more NUMBER+UNIT (s, m, h, d) greater than 0.
    public static func seconds(_ s: String) -> Double? {
        var total = 0.0
        var number = ""
        for c in s {
            if c.isASCII && c.isNumber {
                number.append(c)
            } else if let u = units[c], let n = Double(number) {
                total += n * u
                number = ""
            } else {
                return nil
            }
        }
        return number.isEmpty && total > 0 ? total : nil
    }

    public static func parse(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    /// `3h`, `2d`, `45m`, `20s`: the largest unit that fits, for AGE and EXPIRES columns.
    public static func short(_ seconds: Double) -> String {
        let s = Int(max(0, seconds))
        if s >= 2 * 86400 { return "\(s / 86400)d" }
        if s >= 2 * 3600 { return "\(s / 3600)h" }
        if s >= 2 * 60 { return "\(s / 60)m" }
        return "\(s)s"
    }
}
