import Foundation
import KipCore

extension Context {
    /// The one place a command that looks chooses its output form: `-o json|yaml` prints
    /// `document` alone on stdout; `-o name` one name a line (`names`; a command with no
    /// names to give prints its text on stderr); otherwise `text(wide)` (`-o wide` true),
    /// or, when there is nothing to show, `empty` on stderr, then `notes` (what was left
    /// out, how to read it). Always exit 0.
    @discardableResult
    func show(
        _ document: @autoclosure () throws -> JSON, names: [String]? = nil, empty: String? = nil,
        notes: [Plan.Line] = [], text: (_ wide: Bool) throws -> Void
    ) throws -> Int32 {
        switch output {
        case "json", "yaml":
            printer.document(try document(), format: output)
            // The command's one document: what it wrote before is said in it.
            result = nil
        case "name" where names != nil:
            for n in names ?? [] { printer.name(n) }
        default:
            if let empty {
                stderr.line(empty)
            } else {
                try text(output == "wide")
            }
            printer.report(notes)
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

    /// An environment's CRs of one kind as a listing: their documents, their names for
    /// `-o name`, `empty` on stderr when there are none, else `text`.
    func showList(_ items: [JSON], in w: EnvironmentView, empty: String, text: (_ wide: Bool) throws -> Void)
        throws -> Int32
    {
        try show(w.document(items), names: w.names(items), empty: items.isEmpty ? empty : nil, text: text)
    }

    /// What an export gives, in `documentFormat`: `document` alone on stdout, or with
    /// `--dir` the `files` under it and `wrote` on stderr; `notes` on stderr either way
    /// (first: what the files need that they do not hold).
    @discardableResult
    func export(
        _ document: JSON, files: [(path: String, doc: JSON)], into dir: String?, wrote: String, notes: [Plan.Line] = []
    )
        throws -> Int32
    {
        printer.report(notes)
        guard let dir else {
            printer.document(document, format: documentFormat)
            return 0
        }
        try writeDocuments(files, into: dir)
        stderr.line(wrote)
        return 0
    }

    /// Documents as files under `dir` (`path` relative to it), in `documentFormat`. A
    /// sub-folder that is a symbolic link is refused: it would send the files elsewhere.
    func writeDocuments(_ docs: [(path: String, doc: JSON)], into dir: String) throws {
        for (path, doc) in docs { try writeFile(documentText(doc), to: "\(dir)/\(path)") }
    }

    private func writeFile(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().path
        if let type = try? FileManager.default.attributesOfItem(atPath: parent)[.type] as? FileAttributeType,
            type == .typeSymbolicLink
        {
            throw KipError("\(parent) is a symbolic link: kip writes only into real folders; remove it and run again")
        }
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw KipError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
