import KipCore

/// A label selector as the API server parses it: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
/// `a notin (x)`, `a`, `!a`, comma-separated and all required.
struct LabelSelector {
    enum Req {
        case eq(String, String)
        case ne(String, String)
        case isIn(String, [String])
        case notIn(String, [String])
        case exists(String)
        case absent(String)
    }
    var reqs: [Req] = []

    init(_ text: String) throws {
        // Split on commas that are not inside parentheses.
        var parts: [String] = []
        var depth = 0
        var cur = ""
        for ch in text {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if ch == "," && depth == 0 {
                parts.append(cur)
                cur = ""
                continue
            }
            cur.append(ch)
        }
        if !cur.isEmpty { parts.append(cur) }
        for raw in parts {
            let p = raw.trimmingCharacters(in: .whitespaces)
            if p.isEmpty { continue }
            if let r = p.range(of: " notin ") ?? p.range(of: " in ") {
                let key = p[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                var vals = p[r.upperBound...].trimmingCharacters(in: .whitespaces)
                guard vals.hasPrefix("("), vals.hasSuffix(")") else { throw SelectorError(text: text) }
                vals = String(vals.dropFirst().dropLast())
                let list = vals.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                reqs.append(p[r].contains("notin") ? .notIn(key, list) : .isIn(key, list))
            } else if let r = p.range(of: "!=") {
                reqs.append(.ne(String(p[..<r.lowerBound]).trimmed, String(p[r.upperBound...]).trimmed))
            } else if let r = p.range(of: "==") ?? p.range(of: "=") {
                reqs.append(.eq(String(p[..<r.lowerBound]).trimmed, String(p[r.upperBound...]).trimmed))
            } else if p.hasPrefix("!") {
                reqs.append(.absent(String(p.dropFirst()).trimmed))
            } else {
                guard !p.contains(" ") else { throw SelectorError(text: text) }
                reqs.append(.exists(p))
            }
        }
    }

    func matches(_ labels: [String: String]) -> Bool {
        reqs.allSatisfy { r in
            switch r {
            case .eq(let k, let v): return labels[k] == v
            case .ne(let k, let v): return labels[k] != v
            case .isIn(let k, let vs): return labels[k].map(vs.contains) ?? false
            case .notIn(let k, let vs): return !(labels[k].map(vs.contains) ?? false)
            case .exists(let k): return labels[k] != nil
            case .absent(let k): return labels[k] == nil
            }
        }
    }
}

struct SelectorError: Error { let text: String }

/// Field selectors on `metadata.name` and `metadata.namespace` (`=`, `==`, `!=`), and
/// on the fields the API server indexes for Events (`type`, `reason`, `involvedObject.*`).
struct FieldSelector {
    var reqs: [(field: String, value: String, equal: Bool)] = []
    static let eventFields: Set<String> = [
        "type", "reason", "involvedObject.kind", "involvedObject.name", "involvedObject.namespace",
        "involvedObject.uid",
    ]

    init(_ text: String, kind: String = "") throws {
        for raw in text.split(separator: ",") {
            let p = String(raw)
            if let r = p.range(of: "!=") {
                reqs.append((String(p[..<r.lowerBound]).trimmed, String(p[r.upperBound...]).trimmed, false))
            } else if let r = p.range(of: "==") ?? p.range(of: "=") {
                reqs.append((String(p[..<r.lowerBound]).trimmed, String(p[r.upperBound...]).trimmed, true))
            } else {
                throw SelectorError(text: text)
            }
        }
        for r in reqs
        where r.field != "metadata.name" && r.field != "metadata.namespace"
            && !(kind == "Event" && Self.eventFields.contains(r.field))
        {
            throw SelectorError(text: r.field)
        }
    }

    func matches(_ obj: JSON) -> Bool {
        reqs.allSatisfy { r in
            let actual = obj.at(r.field.split(separator: ".").map(String.init))?.stringValue ?? ""
            return (actual == r.value) == r.equal
        }
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
