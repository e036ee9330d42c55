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
            ctx.stdout.write(ctx.documentText(EnvironmentFile.export(project, envs, observed: observed)))
            return 0
        }
        for e in envs {
            try write(
                ctx.documentText(EnvironmentFile.export(project, [e], observed: observed)),
                to: "\(dir)/\(name)-\(e.name).\(format)"
            )
        }
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
            ctx.printer.document(["apiVersion": "v1", "kind": "List", "items": .array(files.map(\.1))], format: format)
            return 0
        }
        for (f, o) in files { try write(ctx.documentText(o), to: "\(dir)/\(f)") }
        ctx.stderr.line(
            "Wrote \(files.count) manifests under \(dir)/ (no CRs: kip's own commands do not work on them).")
        return 0
    }

    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        // A sub-folder that is a symbolic link would send the files elsewhere.
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
