import Foundation
import KipCore

extension FileCommands {
    // MARK: apply

    /// What `project apply` found comparing the file with the cluster.
    struct Comparison {
        var observed: Observed
        var growth: EnvironmentFile.Growth
        /// Each environment of the file, its place in the project, and its changes.
        var pending: [(file: EnvironmentFile.Environment, env: Project.Environment, changes: [EnvironmentFile.Change])]
        var changes: [String]
        var todo: [String]
    }

    static func apply(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let file = try scopedFile(inv, ctx)
        let name = file.project
        let c = try compare(file, inv, ctx)
        if ctx.dryRun {
            let same: [Plan.Line] = c.changes.isEmpty ? [.note("No changes: the cluster matches the file.")] : []
            try ctx.show(
                ["changes": JSON.strings(c.changes), "todo": JSON.strings(c.todo)],
                notes: same + c.todo.map { .warning($0) }
            ) { _ in
                for l in c.changes { ctx.printer.line(l) }
            }
            return c.changes.isEmpty ? 0 : 1
        }
        let asked = Question(ask: { try confirm(c, name, inv, $0) }, declined: "Nothing applied.")
        if case .declined = try carryOut(file, c, asking: asked, inv, ctx) { return 1 }
        if c.changes.isEmpty { ctx.printer.success("\(name) matches the file: nothing to change") }
        for t in c.todo { ctx.printer.warning(t) }
        return 0
    }

    /// The file named by `-f`, with `--project` renaming it and `--environment` keeping one.
    static func scopedFile(_ inv: Invocation, _ ctx: Context) throws -> EnvironmentFile.Document {
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
        if let target = inv.value("as") {
            guard let only = inv.value("environment") else {
                throw UsageError(
                    message: "--as applies one environment of the file under another name: give --environment",
                    command: inv.command)
            }
            if let p = Naming.checkEnvironment(target) { throw KipError(p) }
            // The file is in the environment's own terms (its namespace, its default
            // routes), so the same workloads land in the other environment as they are.
            file.environments[0].name = target
            file.environments[0].keepSettings = true
            file.pipeline =
                file.pipeline.contains(target)
                ? file.pipeline.filter { $0 != only } : file.pipeline.map { $0 == only ? target : $0 }
        }
        return file
    }

    /// The project and its environments as they are (waiting, with --wait, for
    /// namespaces of the same names still being deleted), and what the file changes.
    static func compare(_ file: EnvironmentFile.Document, _ inv: Invocation, _ ctx: Context) throws -> Comparison {
        let name = file.project
        var observed = try readFor(file, ctx)
        let planned = file.pipeline.map {
            observed.project(name)?.environment($0)?.namespace
                ?? Naming.namespace(org: observed.settings?.org, project: name, environment: $0)
        }
        if try ctx.waitForDeleted(inv, planned, observed) { observed = try readFor(file, ctx) }
        let growth = try EnvironmentFile.grow(file, existing: observed.project(name), observed: observed)
        let settings = observed.settings ?? ClusterSettings()
        // What each environment holds, read at the same time (nothing, for a new one).
        let envs = file.environments.map { (file: $0, env: growth.project.environment($0.name)!) }
        let live = try ctx.readEach(
            WorkloadKind.allCases.map(\.resource),
            in: envs.map { e in growth.added.contains { $0.name == e.env.name } ? nil : e.env.namespace })
        var c = Comparison(observed: observed, growth: growth, pending: [], changes: growth.changes, todo: [])
        for (i, e) in envs.enumerated() {
            let scope = WorkloadScope(
                project: name, environment: e.env.name, namespace: e.env.namespace, domain: settings.domain,
                cluster: settings)
            let changes = EnvironmentFile.changes(
                e.file, live: EnvironmentFile.specs(live[i]), scope: scope, prune: inv.has("prune"))
            c.pending.append((e.file, e.env, changes))
            c.changes += changes.map { "\($0.sign.rawValue) \(e.env.name): \($0.text)" }
            c.todo += EnvironmentFile.missingSecrets(e.file, live: live[i]).map {
                "secret \($0.key) of app \($0.app) in \(e.env.name) is not set: 'kip app secret set \($0.app) \($0.key) --project \(name)/\(e.env.name)'"
            }
        }
        return c
    }

    static func readFor(_ file: EnvironmentFile.Document, _ ctx: Context) throws -> Observed {
        try ctx.readForPlanning(project: file.project, environments: file.pipeline) { org in
            file.pipeline.map { Naming.namespace(org: org, project: file.project, environment: $0) }
        }
    }

    /// What `--prune` deletes, each `ENV: kind name`.
    static func removals(_ c: Comparison) -> [String] {
        c.pending.flatMap { e in e.changes.filter { $0.sign == .remove }.map { "\(e.file.name): \($0.text)" } }
    }

    /// Said before the question: what `--prune` deletes.
    static func aside(_ c: Comparison) -> [String] {
        let r = removals(c)
        return r.isEmpty
            ? [] : ["--prune deletes what the file does not have (their data with them): \(r.joined(separator: ", "))."]
    }

    /// `--prune` deleting what the file lacks asks for the project's name (and protected
    /// environments for theirs); a file that lacks `protected: true` lifts protection,
    /// named as unprotect needs. False when declined.
    static func confirm(_ c: Comparison, _ name: String, _ inv: Invocation, _ ctx: Context) throws -> Bool {
        if !removals(c).isEmpty {
            guard try ctx.confirmTyped(name, what: "what the file does not have", confirmFlag: inv.value("confirm"))
            else {
                return false
            }
            // Judged by the environments as they are, not as the file would leave them.
            let before = c.observed.project(name)
            try Protection.check(
                c.pending.filter { e in e.changes.contains { $0.sign == .remove } }.compactMap {
                    before?.environment($0.env.name)
                }, project: name, inv, ctx)
        }
        let lifted = (c.observed.project(name)?.environments ?? []).filter { e in
            e.protected && c.growth.project.environment(e.name)?.protected == false
        }
        if !lifted.isEmpty {
            try Protection.confirmProtected(lifted, project: name, action: "lift its protection", inv, ctx)
        }
        return true
    }

    /// The project and the namespaces it gains (nothing, when it has them), after the
    /// question; again from the Project as it is now when someone else changed it. Then
    /// each environment's workloads as a step of the same write, planned from the
    /// environment as it is then (a change by someone else in between is not lost).
    static func carryOut(
        _ file: EnvironmentFile.Document, _ c: Comparison, asking: Question, _ inv: Invocation, _ ctx: Context
    ) throws -> Written {
        let name = file.project
        let grows = c.growth.created || !c.growth.added.isEmpty || c.growth.settingsChanged
        let steps: [(Int) throws -> Attempt] = c.pending.filter { !$0.changes.isEmpty }.map { e, env, changes in
            let scoped = Invocation(command: inv.command, options: ["project": ["\(name)/\(env.name)"]], arguments: [])
            return { _ in
                Attempt(
                    try EnvironmentFile.environmentPlan(
                        e, try ctx.environment(scoped), prune: inv.has("prune"), changes: changes))
            }
        }
        return try ctx.run(
            { n in
                guard grows else { return Attempt(Plan(), aside: aside(c), question: asking) }
                let seen = n == 0 ? c.observed : try readFor(file, ctx)
                let g = n == 0 ? c.growth : try EnvironmentFile.grow(file, existing: seen.project(name), observed: seen)
                return Attempt(EnvironmentFile.projectPlan(g, observed: seen), aside: aside(c), question: asking)
            }, then: { steps })
    }
}
