import Foundation
import KipCore

/// Files a command takes as input (`-f`, `--overrides`, `--from-file`, `--kubeconfig`):
/// read in one place, before anything is planned, so every flag that names a file says
/// the same things in the same words: `-` is stdin, a folder or an unreadable path is one
/// line naming the flag, and nothing larger than `limit` is read into memory whole.
extension Context {
    /// The bytes of the file `path` given to `flag`; `-` reads stdin. `folder` says what to
    /// do instead when a folder is named.
    func input(_ path: String, flag: String, limit: Int? = nil, folder: String? = nil) throws -> Data {
        if path == "-" { return try limited(stdin.readAll(), path: "stdin", flag: flag, limit: limit) }
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
        if exists && isDir.boolValue {
            throw KipError("\(flag) \(path) is a directory: \(folder ?? "name a file")")
        }
        if let limit, let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > limit {
            throw KipError("\(flag) \(path) has \(size) bytes; kip reads files of at most \(limit)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KipError(
                exists
                    ? "cannot read \(flag) \(path): check its permissions"
                    : "\(flag) \(path) does not exist: check the path")
        }
        return try limited(data, path: path, flag: flag, limit: limit)
    }

    private func limited(_ data: Data, path: String, flag: String, limit: Int?) throws -> Data {
        if let limit, data.count > limit {
            throw KipError("\(flag) \(path) has \(data.count) bytes; kip reads files of at most \(limit)")
        }
        return data
    }

    /// The text of a document file (`-f`, `--overrides`): UTF-8, a leading byte-order mark
    /// dropped, at most `MiniYAML.maxBytes`, and not blank.
    func inputText(_ path: String, flag: String, folder: String? = nil, blank: String) throws -> String {
        var data = try input(path, flag: flag, limit: MiniYAML.maxBytes, folder: folder)
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data = data.dropFirst(3) }
        let text = String(decoding: data, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw KipError("\(path) is empty: \(blank)") }
        return text
    }

    /// A document file (`-f`, `--overrides`), parsed: JSON when it starts with `{`, else
    /// the YAML kip reads; `yaml` names that YAML in the refusal.
    func inputDocument(_ path: String, flag: String, folder: String? = nil, blank: String, yaml: String) throws
        -> JSON
    {
        let text = try inputText(path, flag: flag, folder: folder, blank: blank)
        do {
            return text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{")
                ? try JSON.parse(Data(text.utf8)) : try MiniYAML.parse(text)
        } catch {
            throw KipError("\(flag) \(path) is neither JSON nor \(yaml): \(error)")
        }
    }

    /// A `.env` file (`--from-file`, `--from-env-file`; `-` is stdin), parsed: UTF-8, at
    /// most a Secret's size.
    func inputDotEnv(_ path: String, flag: String) throws -> [(key: String, value: String)] {
        let data = try input(path, flag: flag, limit: AppSecrets.limit)
        guard let text = String(data: data, encoding: .utf8) else {
            throw KipError("\(flag) \(path) is not UTF-8 text: save it as UTF-8")
        }
        return try DotEnv.parse(text, file: path)
    }

    /// A path kip keeps (a cluster's `--kubeconfig`): absolute, and there.
    func inputPath(_ path: String, flag: String) throws -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        guard FileManager.default.fileExists(atPath: absolute) else {
            throw KipError("\(flag) \(absolute) does not exist: check the path")
        }
        return absolute
    }
}
