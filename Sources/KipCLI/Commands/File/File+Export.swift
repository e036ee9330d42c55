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
        return try ctx.export(
            EnvironmentFile.export(project, envs, observed: observed),
            files: envs.map {
                ("\(name)-\($0.name).\(format)", EnvironmentFile.export(project, [$0], observed: observed))
            },
            into: dir, wrote: "Wrote \(envs.count) file(s) under \(dir ?? "")/.")
    }

    /// `--format manifests`: plain Kubernetes objects, one file each under `--dir` (or
    /// one List on stdout), and on stderr the Secrets they need.
    static func exportManifests(
        _ project: Project, _ envs: [Project.Environment], _ observed: Observed, dir: String?, _ ctx: Context
    ) throws -> Int32 {
        let (files, missing) = ManifestExport.files(
            project, envs, observed: observed, fileExtension: ctx.documentFormat)
        return try ctx.export(
            ["apiVersion": "v1", "kind": "List", "items": .array(files.map(\.1))],
            files: files.map { ($0.path, $0.object) }, into: dir,
            wrote:
                "Wrote \(files.count) manifests under \(dir ?? "")/ (no CRs: kip's own commands do not work on them).",
            notes: [.note(ManifestExport.secretsNotice(missing))])
    }

    /// The file named by `--file` (or `-f`), parsed and checked. What is not one file of
    /// one document gets one line saying so: a directory (what `export --dir` writes), an
    /// empty file, more than `MiniYAML.maxBytes`, a second document.
    static func load(_ file: String, _ ctx: Context) throws -> EnvironmentFile.Document {
        let doc = try ctx.inputDocument(
            file, flag: "-f", folder: "pass one file (export --dir writes one per environment: apply each with -f)",
            blank: "pass the file 'kip project export' wrote", yaml: "YAML kip reads")
        do { return try EnvironmentFile.parse(doc) } catch var e as KipError {
            e.message = "\(file): \(e.message); nothing was written"
            throw e
        }
    }
}
