import Foundation
import KipCore

extension FileCommands {
    // MARK: export

    static func export(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = try ctx.projectName(inv.arguments.first)
        let only = inv.arguments.count > 1 ? inv.arguments[1] : nil
        if only != nil && inv.has("all") {
            throw UsageError(message: "Give an environment or --all, not both", command: inv.command)
        }
        let (project, observed) = try ctx.readProject(name, kinds: CRDs.workloadKinds) { p in
            p.environments.filter { only == nil || $0.name == only }
        }
        var envs = project.environments
        if let only {
            guard let e = project.environment(only) else {
                throw KipError(
                    "project \"\(name)\" has no environment \"\(only)\"; it has: \(project.pipeline.joined(separator: ", "))"
                )
            }
            envs = [e]
        }
        let format = ctx.documentFormat
        let dir = inv.value("dir")
        if inv.value("format") == "manifests" { return try exportManifests(project, envs, observed, dir: dir, ctx) }
        guard let dir else {
            ctx.emit(EnvironmentFile.export(project, envs, observed: observed))
            return 0
        }
        try ctx.writeDocuments(
            envs.map { ("\(name)-\($0.name).\(format)", EnvironmentFile.export(project, [$0], observed: observed)) },
            into: dir)
        ctx.stderr.line("Wrote \(envs.count) file(s) under \(dir)/.")
        return 0
    }

    /// `--format manifests`: plain Kubernetes objects, one file each under `--dir` (or
    /// one List on stdout), and on stderr the Secrets they need.
    static func exportManifests(
        _ project: Project, _ envs: [Project.Environment], _ observed: Observed, dir: String?, _ ctx: Context
    ) throws -> Int32 {
        let format = ctx.documentFormat
        let (files, missing) = ManifestExport.files(project, envs, observed: observed, fileExtension: format)
        ctx.stderr.line(ManifestExport.secretsNotice(missing))
        guard let dir else {
            ctx.emit(["apiVersion": "v1", "kind": "List", "items": .array(files.map(\.1))])
            return 0
        }
        try ctx.writeDocuments(files.map { ($0.path, $0.object) }, into: dir)
        ctx.stderr.line(
            "Wrote \(files.count) manifests under \(dir)/ (no CRs: kip's own commands do not work on them).")
        return 0
    }

    /// The file named by `--file` (or `-f`), parsed and checked. What is not one file of
    /// one document gets one line saying so: a directory (what `export --dir` writes), an
    /// empty file, more than `MiniYAML.maxBytes`, a second document.
    static func load(_ file: String, _ ctx: Context) throws -> EnvironmentFile.Document {
        var data: Data
        if file == "-" {
            data = ctx.stdin.readAll()
        } else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDir), isDir.boolValue {
                throw KipError(
                    "\(file) is a directory: pass one file (export --dir writes one per environment: apply each with -f)"
                )
            }
            guard let d = FileManager.default.contents(atPath: file) else {
                throw KipError("cannot read \(file): check the path and its permissions")
            }
            data = d
        }
        if data.count > MiniYAML.maxBytes {
            throw KipError("\(file) has \(data.count) bytes; kip reads files of at most \(MiniYAML.maxBytes)")
        }
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data = data.dropFirst(3) }
        let text = String(decoding: data, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw KipError("\(file) is empty: pass the file 'kip project export' wrote")
        }
        let doc: JSON
        do {
            doc =
                text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{")
                ? try JSON.parse(Data(text.utf8)) : try MiniYAML.parse(text)
        } catch {
            throw KipError("\(file) is neither JSON nor YAML kip reads: \(error)")
        }
        do { return try EnvironmentFile.parse(doc) } catch var e as KipError {
            e.message = "\(file): \(e.message); nothing was written"
            throw e
        }
    }
}
