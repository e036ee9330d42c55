/// A reader for the block-style YAML subset that kip writes (and that people hand-edit
/// from it): mappings, sequences, plain, single- and double-quoted scalars, `#` comments,
/// and flow collections written as JSON. Anchors, tags and multi-line scalars are refused.
public enum MiniYAML {
    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public let line: Int
        public let reason: String
        public var description: String { "YAML line \(line): \(reason)" }
    }

    private struct Line {
        var number: Int
        var indent: Int
        var text: String  // without indentation and comments
    }

    /// The most a file may hold: kip's own files are a few KiB; a kubeconfig a few hundred.
    public static let maxBytes = 8 << 20
    /// The deepest nesting read (kip's files nest six levels).
    public static let maxDepth = 64

    /// Parses one document in linear time. Refused with the line and the limit: more than
    /// `maxBytes`, nesting deeper than `maxDepth`, and a second document (`---` after the
    /// first one's content: kip reads one document, and never drops the rest silently).
    public static func parse(_ text: String) throws -> JSON {
        if text.utf8.count > maxBytes {
            throw Error(line: 1, reason: "the text has \(text.utf8.count) bytes; kip reads at most \(maxBytes)")
        }
        var lines: [Line] = []
        var ended = false
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for (i, raw) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let s = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            let body = stripComment(s)
            let trimmed = body.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed == "---" || trimmed.hasPrefix("--- ") {
                if lines.isEmpty && !ended { continue }
                ended = true
                continue
            }
            if trimmed == "..." {
                ended = true
                continue
            }
            if ended {
                throw Error(
                    line: i + 1,
                    reason: "a second YAML document: kip reads one document per file; split it into files")
            }
            let indent = body.prefix { $0 == " " }.count
            lines.append(Line(number: i + 1, indent: indent, text: trimmed))
        }
        if lines.isEmpty { return .null }
        var pos = 0
        let v = try block(&pos, &lines, indent: lines[0].indent, depth: 0)
        if pos < lines.count { throw Error(line: lines[pos].number, reason: "unexpected indentation") }
        return v
    }

    private static func stripComment(_ s: String) -> String {
        var inSingle = false
        var inDouble = false
        var prev: Character = " "
        var out = ""
        var escaped = false
        for c in s {
            if inDouble {
                if escaped {
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    inDouble = false
                }
            } else if inSingle {
                if c == "'" { inSingle = false }
            } else if c == "\"" {
                inDouble = true
            } else if c == "'" {
                inSingle = true
            } else if c == "#" && (prev == " " || out.isEmpty) {
                break
            }
            out.append(c)
            prev = c
        }
        return out
    }

    private static func block(_ pos: inout Int, _ lines: inout [Line], indent: Int, depth: Int) throws -> JSON {
        let first = lines[pos]
        if depth > maxDepth {
            throw Error(line: first.number, reason: "nested more than \(maxDepth) levels deep")
        }
        if first.text == "-" || first.text.hasPrefix("- ") {
            var items: [JSON] = []
            while pos < lines.count, lines[pos].indent == indent,
                lines[pos].text == "-" || lines[pos].text.hasPrefix("- ")
            {
                let l = lines[pos]
                let rest = l.text == "-" ? "" : String(l.text.dropFirst(2)).trimmingCharacters(in: .whitespaces)
                if rest.isEmpty {
                    pos += 1
                    guard pos < lines.count, lines[pos].indent > indent else {
                        items.append(.null)
                        continue
                    }
                    items.append(try block(&pos, &lines, indent: lines[pos].indent, depth: depth + 1))
                } else if isMappingEntry(rest) || rest == "-" || rest.hasPrefix("- ") {
                    // "- key: value" starts a mapping whose keys sit at indent + 2 (and
                    // "- - x" a sequence): the line is read again as that, in place.
                    let inner = l.indent + 2 + (l.text.dropFirst(2).prefix { $0 == " " }.count)
                    lines[pos] = Line(number: l.number, indent: inner, text: rest)
                    items.append(try block(&pos, &lines, indent: inner, depth: depth + 1))
                } else {
                    items.append(try scalar(rest, line: l.number))
                    pos += 1
                }
            }
            return .array(items)
        }
        guard isMappingEntry(first.text) else {
            pos += 1
            return try scalar(first.text, line: first.number)
        }
        var o: [String: JSON] = [:]
        while pos < lines.count, lines[pos].indent == indent {
            let l = lines[pos]
            guard let (k, rest) = splitEntry(l.text) else {
                throw Error(line: l.number, reason: "expected 'key: value'")
            }
            let key = try unquoteKey(k, line: l.number)
            if o[key] != nil { throw Error(line: l.number, reason: "duplicate key '\(key)'") }
            pos += 1
            if rest.isEmpty {
                if pos < lines.count, lines[pos].indent > indent {
                    o[key] = try block(&pos, &lines, indent: lines[pos].indent, depth: depth + 1)
                } else if pos < lines.count, lines[pos].indent == indent,
                    lines[pos].text.hasPrefix("- ") || lines[pos].text == "-"
                {
                    o[key] = try block(&pos, &lines, indent: indent, depth: depth + 1)
                } else {
                    o[key] = .null
                }
            } else {
                o[key] = try scalar(rest, line: l.number)
            }
        }
        if pos < lines.count, lines[pos].indent > indent {
            throw Error(line: lines[pos].number, reason: "unexpected indentation")
        }
        return .object(o)
    }

    private static func isMappingEntry(_ s: String) -> Bool { splitEntry(s) != nil }

    /// Splits `key: rest` at the first `: ` (or trailing `:`) outside quotes.
    private static func splitEntry(_ s: String) -> (String, String)? {
        var inSingle = false
        var inDouble = false
        let chars = Array(s)
        if let f = chars.first, f == "{" || f == "[" { return nil }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if inDouble {
                if c == "\\" { i += 1 } else if c == "\"" { inDouble = false }
            } else if inSingle {
                if c == "'" { inSingle = false }
            } else if c == "\"" && i == 0 {
                inDouble = true
            } else if c == "'" && i == 0 {
                inSingle = true
            } else if c == ":" && (i + 1 == chars.count || chars[i + 1] == " ") {
                return (String(chars[0..<i]), String(chars[(i + 1)...]).trimmingCharacters(in: .whitespaces))
            }
            i += 1
        }
        return nil
    }

    private static func unquoteKey(_ k: String, line: Int) throws -> String {
        if k.hasPrefix("\"") || k.hasPrefix("'") {
            guard case .string(let s) = try scalar(k, line: line) else { throw Error(line: line, reason: "bad key") }
            return s
        }
        return k
    }

    private static func scalar(_ s: String, line: Int) throws -> JSON {
        if s.hasPrefix("\"") || s.hasPrefix("{") || s.hasPrefix("[") {
            do { return try JSON.parse(s) } catch { throw Error(line: line, reason: "bad quoted or flow value: \(s)") }
        }
        if s.hasPrefix("'") {
            guard s.count >= 2, s.hasSuffix("'") else { throw Error(line: line, reason: "unterminated quote") }
            return .string(String(s.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'"))
        }
        if s.hasPrefix("&") || s.hasPrefix("*") || s.hasPrefix("!") || s == "|" || s == ">" || s.hasPrefix("|")
            || s.hasPrefix(">")
        {
            throw Error(line: line, reason: "anchors, tags and block scalars are not supported; quote the value")
        }
        switch s {
        case "null", "~", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let i = Int(s) { return .int(i) }
        if s.contains("."), let d = Double(s), s.first != "." { return .double(d) }
        return .string(s)
    }
}
