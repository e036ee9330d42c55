import Foundation
import KipCore

extension Context {
    /// The one place a command that looks chooses its output form: `-o json|yaml` prints
    /// `document` alone on stdout; `-o name` one name a line (`names`; a command with no
    /// names to give prints its text on stderr); otherwise `text(wide)` (`-o wide` true),
    /// or, when there is nothing to show, `empty` on stderr. Always exit 0.
    @discardableResult
    func show(
        _ document: @autoclosure () throws -> JSON, names: [String]? = nil, empty: String? = nil,
        text: (_ wide: Bool) throws -> Void
    ) throws -> Int32 {
        switch output {
        case "json", "yaml":
            printer.document(try document(), format: output)
        case "name" where names != nil:
            for n in names ?? [] { printer.name(n) }
        default:
            if let empty {
                stderr.line(empty)
            } else {
                try text(output == "wide")
            }
        }
        return 0
    }

    /// The form of the documents a command writes out (`project export`): JSON with `-o
    /// json`, YAML otherwise.
    var documentFormat: String { output == "json" ? "json" : "yaml" }

    /// A document as the text of a file in `documentFormat`.
    func documentText(_ doc: JSON) -> String {
        documentFormat == "json" ? doc.serialized(pretty: true) + "\n" : YAML.emit(doc)
    }
}
