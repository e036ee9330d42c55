import Foundation
import KipCore

/// `kip project export | apply | drift`: environments as files, and what changed behind
/// kip's back.
enum FileCommands {
    static var specs: [CommandSpec] {
        [
            CommandSpec(
                "export", "Write a project's environments as a file (kip's schema, or the rendered manifests).",
                discussion: """
                    The file holds the pipeline and, per environment, its apps, services, volumes,
                    functions and jobs with their bindings, routes, protection and expiry — secrets by
                    key name only, never values, and nothing of one cluster (no uids, no namespaces:
                    ${namespace} stands for it in env values, 'default: true' for the default route).
                    Keys and lists are sorted: an unchanged environment exports byte for byte the same.
                    'kip project apply -f' takes it back, on this cluster or another.
                    --format manifests writes the rendered Deployments, Services, … instead, for
                    Argo CD or Flux to apply on their own: each environment's Namespace first, no
                    owner or kip label (kip never takes them for its own), databases that keep
                    their volumes when deleted, and the Secrets to create named on stderr (no
                    CRs: promotion and kip's other commands do not work on them).
                    """,
                arguments: [
                    ArgumentSpec("project", "Project (default: the active project).", optional: true),
                    ArgumentSpec("env", "One environment (default: all).", optional: true),
                ],
                options: [
                    .flag("all", "Every environment (the default)."),
                    .value("dir", "dir", "Write files into this folder (one per environment, or per object)."),
                    .value("format", "format", "kip (default) or manifests.", choices: ["kip", "manifests"]),
                ], handler: export),
            CommandSpec(
                "apply", "Make a project match a file from 'kip project export'.",
                discussion: """
                    Creates the project or its missing environments, creates and updates what
                    differs, and with --prune deletes what the file does not have (confirmed like
                    other deletions). --dry-run prints the changes (+ added, ~ changed, - removed)
                    and exits 1 when there are some, 0 when none: a CI gate. Secrets the file names
                    are never invented: those not set are listed to do. --project applies it under
                    another name; on another cluster (--cluster) it copies the environments there.
                    """,
                options: [
                    fileOption(required: true),
                    .value("environment", "env", "Only this environment of the file."),
                    .value("project", "name", "Apply it as this project (default: the file's)."),
                    .flag("prune", "Delete what the file does not have."), ProjectCommands.waitDeletedFlag.spec,
                ], handler: apply),
            CommandSpec(
                "drift", "What differs from what kip wrote: exit 0 none, 1 some, 2 on error.",
                discussion: """
                    Compares each native object kip renders (Deployments, Services, …) with the live
                    one, field by field, on the fields kip sets: it catches 'kubectl scale', 'kubectl
                    set image' and 'kubectl edit' behind kip's back, and ignores what the server and
                    other controllers own. With -f, compares the file with the project's CRs instead.
                    'kip project sync --workloads' puts drifted objects back.
                    """,
                arguments: [
                    ArgumentSpec("project", "Project (default: the active project).", optional: true),
                    ArgumentSpec("env", "One environment (default: all).", optional: true),
                ],
                options: [fileOption(required: false)], handler: drift),
        ]
    }

    /// `-f, --file FILE`, as kubectl spells it.
    static func fileOption(required: Bool) -> OptionSpec {
        var o = OptionSpec.value(
            "file", short: "f", "file",
            required ? "The file (YAML or JSON), - for stdin." : "Compare this file with the project instead.")
        o.required = required
        return o
    }

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
        func text(_ doc: JSON) -> String { format == "json" ? doc.serialized(pretty: true) + "\n" : YAML.emit(doc) }
        let dir = inv.value("dir")
        if inv.value("format") == "manifests" {
            let (files, missing) = ManifestExport.files(project, envs, observed: observed, fileExtension: format)
            ctx.stderr.line(ManifestExport.secretsNotice(missing))
            guard let dir else {
                ctx.printer.document(
                    ["apiVersion": "v1", "kind": "List", "items": .array(files.map(\.1))], format: format)
                return 0
            }
            for (f, o) in files { try write(text(o), to: "\(dir)/\(f)") }
            ctx.stderr.line(
                "Wrote \(files.count) manifests under \(dir)/ (no CRs: kip's own commands do not work on them).")
            return 0
        }
        guard let dir else {
            ctx.stdout.write(text(EnvironmentFile.export(project, envs, observed: observed)))
            return 0
        }
        for e in envs {
            try write(
                text(EnvironmentFile.export(project, [e], observed: observed)), to: "\(dir)/\(name)-\(e.name).\(format)"
            )
        }
        ctx.stderr.line("Wrote \(envs.count) file(s) under \(dir)/.")
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

    // MARK: apply

    static func apply(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        var file = try load(inv.value("file")!, ctx)
        if let p = inv.value("project") {
            if let why = Naming.checkProject(p) { throw KipError(why) }
            file.project = p
        }
        if let only = inv.value("environment") {
            guard file.environments.contains(where: { $0.name == only }) else {
                throw KipError(
                    "the file has no environment \"\(only)\"; it has: \(file.environments.map(\.name).joined(separator: ", "))"
                )
            }
            file.environments = file.environments.filter { $0.name == only }
        }
        let name = file.project
        let prune = inv.has("prune")

        // The project and its environments first (waiting, with --wait, for namespaces of
        // the same names still being deleted).
        func read() throws -> Observed {
            try ctx.readForPlanning(project: name, environments: file.pipeline) { org in
                file.pipeline.map { Naming.namespace(org: org, project: name, environment: $0) }
            }
        }
        var observed = try read()
        let planned = file.pipeline.map {
            observed.project(name)?.environment($0)?.namespace
                ?? Naming.namespace(org: observed.settings?.org, project: name, environment: $0)
        }
        if try ctx.waitForDeleted(inv, planned, observed) { observed = try read() }
        let growth = try EnvironmentFile.grow(file, existing: observed.project(name), observed: observed)
        let project = growth.project
        let settings = observed.settings ?? ClusterSettings()
        func scope(_ env: Project.Environment) -> WorkloadScope {
            WorkloadScope(
                project: name, environment: env.name, namespace: env.namespace, domain: settings.domain,
                cluster: settings)
        }
        // What each environment holds, read at the same time (nothing, for a new one).
        let envs = file.environments.map { (file: $0, env: project.environment($0.name)!) }
        let live = try ctx.readEach(
            WorkloadKind.allCases.map(\.resource),
            in: envs.map { e in growth.added.contains { $0.name == e.env.name } ? nil : e.env.namespace })
        var changes = growth.changes
        var todo: [String] = []
        var pending: [(EnvironmentFile.Environment, Project.Environment, [EnvironmentFile.Change])] = []
        for (i, e) in envs.enumerated() {
            let c = EnvironmentFile.changes(
                e.file, live: EnvironmentFile.specs(live[i]), scope: scope(e.env), prune: prune)
            pending.append((e.file, e.env, c))
            changes += c.map { "\($0.sign.rawValue) \(e.env.name): \($0.text)" }
            todo += EnvironmentFile.missingSecrets(e.file, live: live[i]).map {
                "secret \($0.key) of app \($0.app) in \(e.env.name) is not set: 'kip app secret set \($0.app) \($0.key) --project \(name)/\(e.env.name)'"
            }
        }

        if ctx.dryRun {
            try ctx.show(["changes": JSON.strings(changes), "todo": JSON.strings(todo)]) { _ in
                for c in changes { ctx.printer.line(c) }
                if changes.isEmpty { ctx.stderr.line("No changes: the cluster matches the file.") }
                for t in todo { ctx.printer.warning(t) }
            }
            return changes.isEmpty ? 0 : 1
        }
        let removals = pending.flatMap { e in e.2.filter { $0.sign == .remove }.map { "\(e.0.name): \($0.text)" } }
        if !removals.isEmpty {
            ctx.stderr.line(
                "--prune deletes what the file does not have (their data with them): \(removals.joined(separator: ", "))."
            )
            guard try ctx.confirmTyped(name, what: "what the file does not have", confirmFlag: nil) else {
                ctx.stderr.line("Nothing applied.")
                return 1
            }
            // Judged by the environments as they are, not as the file would leave them.
            let before = observed.project(name)
            try Protection.check(
                pending.filter { e in e.2.contains { $0.sign == .remove } }.compactMap {
                    before?.environment($0.1.name)
                }, project: name, inv, ctx)
        }
        // A file that lacks `protected: true` lifts protection: named, as unprotect needs.
        let lifted = (observed.project(name)?.environments ?? []).filter { e in
            e.protected && project.environment(e.name)?.protected == false
        }
        if !lifted.isEmpty {
            try LifecycleCommands.confirmProtected(lifted, project: name, action: "lift its protection", inv, ctx)
        }
        // The project and the namespaces it gains.
        if growth.created || !growth.added.isEmpty || growth.settingsChanged {
            try ctx.run { n in
                // Again from the Project as it is now, when someone else changed it.
                let seen = n == 0 ? observed : try read()
                let g = n == 0 ? growth : try EnvironmentFile.grow(file, existing: seen.project(name), observed: seen)
                let others = g.project.environments.filter { e in !g.added.contains { $0.name == e.name } }
                var plan = ProjectPlanner.writePlan(
                    g.project, environments: g.added, pullSecrets: seen.pullSecrets,
                    podSecurity: seen.podSecurity, relabel: g.created || g.added.isEmpty ? [] : others)
                plan.report =
                    g.created
                    ? [.success("project \(name) created (\(ProjectCommands.arrow(g.project.pipeline)))")]
                    : g.added.isEmpty
                        ? [.success("project \(name) updated")]
                        : g.added.map { .success("environment \($0.name) added (\($0.namespace))") }
                return Attempt(plan)
            }
        }
        // Then each environment's workloads, through the same plan as every write (read
        // again there, so a change by someone else in between is not lost).
        for (e, env, c) in pending where !c.isEmpty {
            let scoped = Invocation(command: inv.command, options: ["project": ["\(name)/\(env.name)"]], arguments: [])
            try ctx.write {
                let w = try ctx.environment(scoped)
                let (crs, deletes) = EnvironmentFile.writes(
                    e, live: WorkloadKind.allCases.flatMap { w.crs($0) }, scope: w.scope, prune: prune)
                var plan = try w.plan(crs)
                plan.deletes += deletes
                plan.report = c.map { .success("\($0.sign.rawValue) \(e.name): \($0.text)") }
                return plan
            }
        }
        if changes.isEmpty { ctx.printer.success("\(name) matches the file: nothing to change") }
        for t in todo { ctx.printer.warning(t) }
        return 0
    }

    // MARK: drift

    /// Exit 0 when nothing drifted, 1 when something did, 2 on error (`Kip.errorExitCode`).
    static func drift(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        if let f = inv.value("file") {
            var file = try load(f, ctx)
            if let p = inv.arguments.first { file.project = p }
            let (project, observed) = try ctx.readProject(file.project, kinds: CRDs.workloadKinds) {
                p in p.environments.filter { e in file.environments.contains { $0.name == e.name } }
            }
            let settings = observed.settings ?? ClusterSettings()
            var lines: [String] = []
            for e in file.environments {
                guard let env = project.environment(e.name) else {
                    lines.append("environment \(e.name): only in the file")
                    continue
                }
                let live = EnvironmentFile.specs(observed.workloads[env.namespace] ?? [])
                let scope = WorkloadScope(
                    project: project.name, environment: e.name, namespace: env.namespace, domain: settings.domain,
                    cluster: settings)
                lines += EnvironmentFile.changes(e, live: live, scope: scope, prune: true).map {
                    "\(e.name): \($0.line)"
                }
            }
            return try report(lines, ctx, clean: "\(project.name) matches \(f)")
        }
        let name = try ctx.projectName(inv.arguments.first)
        let only = inv.arguments.count > 1 ? inv.arguments[1] : nil
        // What kip renders, never Secrets: a viewer may look for drift too.
        let (project, observed) = try ctx.readProject(
            name, kinds: EnvironmentView.kinds.filter { $0 != "secrets" }
        ) { p in p.environments.filter { only == nil || $0.name == only } }
        if let only, project.environment(only) == nil {
            throw KipError(
                "project \"\(name)\" has no environment \"\(only)\"; it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        let settings = observed.settings ?? ClusterSettings()
        var lines: [String] = []
        for env in project.environments where only == nil || env.name == only {
            let scope = WorkloadScope(
                project: name, environment: env.name, namespace: env.namespace, domain: settings.domain,
                cluster: settings)
            let live = observed.natives[env.namespace] ?? []
            for cr in (observed.workloads[env.namespace] ?? []).sorted(by: { Plan.key($0) < Plan.key($1) }) {
                let uid = cr.at("metadata", "uid")?.stringValue ?? ""
                let rendered = Workloads.render(cr, scope, uid: uid, password: { _ in nil })
                lines += Drift.compare(rendered: rendered, live: live).map { "\(env.name): \($0.line)" }
            }
        }
        return try report(lines, ctx, clean: "no drift in \(name)" + (only.map { "/\($0)" } ?? ""))
    }

    static func report(_ lines: [String], _ ctx: Context, clean: String) throws -> Int32 {
        try ctx.show(["drifted": .bool(!lines.isEmpty), "differences": JSON.strings(lines)]) { _ in
            if lines.isEmpty { ctx.printer.success(clean) }
            for l in lines { ctx.printer.line(l) }
        }
        return lines.isEmpty ? 0 : 1
    }
}
