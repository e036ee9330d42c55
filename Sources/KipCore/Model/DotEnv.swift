import Foundation

/// `.env` files, as docker compose and most tools read them: `KEY=VALUE` lines, blank
/// lines and `#` comments skipped, an optional `export `, a value in single quotes taken
/// as it is, in double quotes with `\n`, `\"` and `\\` read as escapes, an unquoted one
/// trimmed and ending at ` #`.
public enum DotEnv {
    public static func parse(_ text: String, file: String) throws -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        // "\r\n" is one Character to Swift: made "\n" before splitting.
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false)
        for (i, raw) in lines.enumerated() {
            var line = String(raw).trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let eq = line.firstIndex(of: "=") else {
                throw KipError("\(file) line \(i + 1): expected KEY=VALUE")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard isKey(key) else {
                throw KipError(
                    "\(file) line \(i + 1): '\(key)' is not a variable name (letters, digits and _, not starting with a digit)"
                )
            }
            out.append((key, try value(String(line[line.index(after: eq)...]), file: file, line: i + 1)))
        }
        var seen = Set<String>()
        for (k, _) in out.reversed() where !seen.insert(k).inserted {
            throw KipError("\(file): \(k) is set twice: keep one")
        }
        return out
    }

    static func isKey(_ k: String) -> Bool {
        guard let first = k.unicodeScalars.first, !CharacterSet.decimalDigits.contains(first) else { return false }
        return k.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_") }
    }

    static func value(_ v: String, file: String, line: Int) throws -> String {
        let v = v.trimmingCharacters(in: .whitespaces)
        if v.hasPrefix("'") {
            guard v.count >= 2, let end = v.dropFirst().firstIndex(of: "'") else {
                throw KipError("\(file) line \(line): a quote is not closed")
            }
            return String(v[v.index(after: v.startIndex)..<end])
        }
        if v.hasPrefix("\"") {
            var out = ""
            var escaped = false
            for c in v.dropFirst() {
                if escaped {
                    out.append(c == "n" ? "\n" : c == "t" ? "\t" : c)
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    return out
                } else {
                    out.append(c)
                }
            }
            throw KipError("\(file) line \(line): a quote is not closed")
        }
        if let hash = v.range(of: " #") { return String(v[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
        return v
    }
}
