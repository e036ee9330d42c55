import Foundation
import KipCore

/// The JSON Schemas of the built-in kinds (from a real 1.33 API server's OpenAPI, with its
/// server-side-apply list keys): what a write is validated against, and how lists merge.
final class Schemas: @unchecked Sendable {
    static let builtin = Schemas(try! JSON.parse(builtinSchemasJSON))

    let defs: [String: JSON]
    let kinds: [String: String]

    init(_ doc: JSON) {
        defs = doc["defs"]?.objectValue ?? [:]
        kinds = (doc["kinds"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// The root schema of `apiVersion` + `kind`, nil for a kind without one (CRs).
    func root(apiVersion: String, kind: String) -> JSON? {
        let key = apiVersion.contains("/") ? "\(apiVersion)/\(kind)" : "\(apiVersion)/\(kind)"
        return kinds[key].flatMap { defs[$0] }
    }

    /// A schema with its `$ref` followed.
    func resolve(_ s: JSON) -> JSON {
        var cur = s
        while let ref = cur["$ref"]?.stringValue, let name = ref.split(separator: "/").last.map(String.init),
            let target = defs[name]
        {
            cur = target
        }
        return cur
    }

    func property(_ s: JSON, _ name: String) -> JSON? { resolve(s)["properties"]?[name].map(resolve) }
    func items(_ s: JSON) -> JSON? { resolve(s)["items"].map(resolve) }

    /// The keys a `x-kubernetes-list-type: map` list merges by; nil for other lists.
    func listMapKeys(_ s: JSON) -> [String]? {
        let r = resolve(s)
        guard r["x-kubernetes-list-type"]?.stringValue == "map" else { return nil }
        return (r["x-kubernetes-list-map-keys"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// `[name="api"]` for an item of a list-map, `[3]` otherwise: how the API server
    /// names a list element in an error.
    static func element(_ item: JSON, keys: [String]?, index: Int) -> String {
        guard let keys, !keys.isEmpty else { return "[\(index)]" }
        let parts = keys.map { k -> String in
            let v = item[k]
            return "\(k)=" + (v?.stringValue.map { JSON.quoted($0) } ?? v?.serialized() ?? "null")
        }
        return "[" + parts.joined(separator: ",") + "]"
    }

    enum Problem {
        case unknown(String)
        case type(String, String)
        case duplicate(String, String)
    }

    /// Checks `v` against schema `s`: types, unknown fields and duplicate list-map keys.
    /// Unknown fields are problems under `strict` (kubectl's default), else dropped, as
    /// the API server drops them. Returns the value with unknown fields dropped.
    func check(_ v: JSON, _ s: JSON, path: String, strict: Bool, into problems: inout [Problem]) -> JSON {
        let schema = resolve(s)
        if v.isNull { return v }
        if let branches = schema["oneOf"]?.arrayValue {
            var scratch: [Problem] = []
            for b in branches {
                scratch = []
                _ = check(v, b, path: path, strict: strict, into: &scratch)
                if scratch.isEmpty { return v }
            }
            problems.append(.type(path, "expected string or number, got \(Self.kind(v))"))
            return v
        }
        let types: [String] =
            schema["type"].map { $0.stringValue.map { [$0] } ?? ($0.arrayValue ?? []).compactMap(\.stringValue) } ?? []
        if !types.isEmpty && !types.contains(where: { Self.fits(v, $0) }) {
            let want = types.filter { $0 != "null" }.first ?? "value"
            problems.append(.type(path, "expected \(Self.word(want)), got \(Self.kind(v))"))
            return v
        }
        switch v {
        case .object(let o):
            let props = schema["properties"]?.objectValue
            let additional = schema["additionalProperties"]
            var out: [String: JSON] = [:]
            for (k, child) in o {
                let childPath = path + "." + k
                if let ps = props?[k] {
                    out[k] = check(child, ps, path: childPath, strict: strict, into: &problems)
                } else if let a = additional, a.objectValue != nil {
                    out[k] = check(child, a, path: childPath, strict: strict, into: &problems)
                } else if additional == .bool(false) && schema["x-kubernetes-preserve-unknown-fields"] != .bool(true) {
                    if strict { problems.append(.unknown(childPath)) }
                } else {
                    out[k] = child
                }
            }
            return .object(out)
        case .array(let a):
            guard let itemSchema = schema["items"] else { return v }
            let keys = listMapKeys(schema)
            var seen = Set<String>()
            var out: [JSON] = []
            for (i, item) in a.enumerated() {
                let el = Self.element(item, keys: keys, index: i)
                if keys != nil, !seen.insert(el).inserted {
                    problems.append(.duplicate(path, "duplicate entries for key \(el)"))
                }
                out.append(check(item, itemSchema, path: path + el, strict: strict, into: &problems))
            }
            return .array(out)
        default:
            return v
        }
    }

    static func fits(_ v: JSON, _ type: String) -> Bool {
        switch (type, v) {
        case ("string", .string), ("boolean", .bool), ("object", .object), ("array", .array), ("null", .null):
            return true
        case ("integer", .int): return true
        case ("integer", .double(let d)): return d == d.rounded()
        case ("number", .int), ("number", .double): return true
        default: return false
        }
    }

    static func word(_ type: String) -> String {
        switch type {
        case "integer", "number": return "numeric (int or float)"
        case "object": return "map"
        case "array": return "list"
        case "boolean": return "bool"
        default: return type
        }
    }

    static func kind(_ v: JSON) -> String {
        switch v {
        case .string: return "string"
        case .int, .double: return "number"
        case .bool: return "bool"
        case .array: return "list"
        case .object: return "map"
        case .null: return "null"
        }
    }
}
