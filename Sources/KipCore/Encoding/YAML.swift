/// A block-style YAML emitter. Every string scalar is written JSON-quoted, which is valid
/// YAML 1.2 and sidesteps the YAML 1.1 traps (`no`, `on`, `1e2`, `0755`).
public enum YAML {
    public static func emit(_ value: JSON) -> String {
        var out = ""
        switch value {
        case .object(let o) where !o.isEmpty: emitObject(o, indent: 0, into: &out)
        case .array(let a) where !a.isEmpty: emitArray(a, indent: 0, into: &out)
        default: out = scalar(value) + "\n"
        }
        return out
    }

    private static func scalar(_ v: JSON) -> String {
        switch v {
        case .object: return "{}"
        case .array: return "[]"
        case .string(let s): return JSON.quoted(s)
        default: return v.serialized()
        }
    }

    private static func isBlock(_ v: JSON) -> Bool {
        switch v {
        case .object(let o): return !o.isEmpty
        case .array(let a): return !a.isEmpty
        default: return false
        }
    }

    private static func key(_ k: String) -> String {
        let plain =
            !k.isEmpty
            && k.unicodeScalars.allSatisfy { c in
                (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "-" || c == "_"
                    || c == "." || c == "/"
            } && !(k.first!.isNumber)
            && !["y", "n", "yes", "no", "on", "off", "true", "false", "null"].contains(k.lowercased())
        return plain ? k : JSON.quoted(k)
    }

    private static func emitObject(_ o: [String: JSON], indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        for k in o.keys.sorted() {
            let v = o[k]!
            if isBlock(v) {
                out += pad + key(k) + ":\n"
                if case .object(let c) = v { emitObject(c, indent: indent + 1, into: &out) }
                if case .array(let c) = v { emitArray(c, indent: indent + 1, into: &out) }
            } else {
                out += pad + key(k) + ": " + scalar(v) + "\n"
            }
        }
    }

    private static func emitArray(_ a: [JSON], indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        for v in a {
            switch v {
            case .object(let c) where !c.isEmpty:
                // First key on the dash line, the rest aligned under it.
                var body = ""
                emitObject(c, indent: indent + 1, into: &body)
                let inner = String(repeating: "  ", count: indent + 1)
                out += pad + "- " + body.dropFirst(inner.count)
            case .array(let c) where !c.isEmpty:
                out += pad + "-\n"
                emitArray(c, indent: indent + 1, into: &out)
            default:
                out += pad + "- " + scalar(v) + "\n"
            }
        }
    }
}
