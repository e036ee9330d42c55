import Foundation
import KipCore

/// `✔`/`⚠`/`✗` lines, aligned tables, and JSON/YAML documents. Whether to colour is
/// decided once, by the context; the printer never looks at the terminal itself.
public struct Printer {
    let out: Output
    let err: Output
    /// Where documents go: stdout, also when `-o json|yaml` sends the text lines to
    /// stderr, so that stdout holds the document alone.
    let data: Output
    let color: Bool

    public init(out: Output, err: Output, color: Bool, data: Output? = nil) {
        self.out = out
        self.err = err
        self.data = data ?? out
        self.color = color
    }

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    public func success(_ s: String) { out.line(paint("✔", "32") + " " + Self.safe(s)) }
    public func warning(_ s: String) { err.line(paint("⚠", "33") + " " + Self.safe(s)) }
    public func failure(_ s: String) { out.line(paint("✗", "31") + " " + Self.safe(s)) }
    public func line(_ s: String = "") { out.line(Self.safe(s)) }

    /// Text for a terminal: control characters (C0 but newline and tab, DEL, C1) shown as
    /// `\x1B`, so that a string from the cluster (an image, a user name, an actor) cannot
    /// move the cursor, erase lines or retitle the window of whoever reads it.
    public static func safe(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if isControl(u) { out += String(format: "\\x%02X", u.value) } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    static func isControl(_ u: Unicode.Scalar) -> Bool {
        (u.value < 0x20 && u != "\n" && u != "\t") || u.value == 0x7F || (0x80...0x9F).contains(u.value)
    }
    /// One name of `-o name`: on stdout, whatever else goes to stderr.
    public func name(_ s: String) { data.line(Self.safe(s)) }

    public func error(_ e: KipError) {
        err.line(paint("Error:", "31") + " " + Self.safe(e.message))
        for d in e.detail { err.line("  " + Self.safe(d)) }
    }

    /// Columns separated by three spaces, as kubectl prints them.
    public func table(_ header: [String], _ rows: [[String]]) {
        out.write(Self.table(header, rows.map { $0.map(Self.safe) }))
    }

    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(width)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], width(c)) } }
        func fmt(_ r: [String]) -> String {
            var s = ""
            for (i, c) in r.enumerated() {
                if i == r.count - 1 { s += c } else { s += c + String(repeating: " ", count: widths[i] - width(c) + 3) }
            }
            while s.hasSuffix(" ") { s.removeLast() }
            return s + "\n"
        }
        return fmt(header) + rows.map(fmt).joined()
    }

    /// Columns a terminal gives `s`: an emoji shown as one (🔒, ⏳) takes two.
    static func width(_ s: String) -> Int {
        s.reduce(0) { n, ch in n + (ch.unicodeScalars.contains { $0.properties.isEmojiPresentation } ? 2 : 1) }
    }

    /// A document for `-o json|yaml`: nothing else goes to stdout.
    public func document(_ v: JSON, format: String) {
        if format == "yaml" { data.write(YAML.emit(v)) } else { data.line(v.serialized(pretty: true)) }
    }

    /// Manifests for `--dry-run`: one List as JSON or YAML.
    public func manifests(_ objects: [JSON], format: String) {
        let list: JSON = ["apiVersion": "v1", "kind": "List", "items": .array(objects)]
        document(list, format: format == "yaml" ? "yaml" : "json")
    }
}
