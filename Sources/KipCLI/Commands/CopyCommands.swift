import Foundation
import KipCore

/// `kip project add-env … --copy-from SRC` (as-is, `--customize`, `--plan`,
/// `--overrides`) and `kip project diff`.
enum CopyCommands {
    static let addEnvOptions: [OptionSpec] = [
        .value("copy-from", "env", "Seed the new environment with everything in this one."),
        .flag("customize", "Open the five-step wizard before anything is created (needs a terminal)."),
        .flag("plan", "Print the pre-filled copy plan (-o json|yaml) and change nothing."),
        .value("overrides", "file", "Apply an edited plan (JSON, or the YAML that --plan -o yaml prints)."),
        .flag("prod-defaults", "Replicas at least 2 and memory limits × 1.5."), ProjectCommands.waitDeletedFlag.spec,
        .value("after", "env", "Place it right after this environment (default: at the end)."),
        .value("before", "env", "Place it right before this environment."),
        .value("ttl", "duration", "Short-lived: 'kip project gc' removes it after this long (e.g. 72h, 7d)."),
    ]

    static func copy(_ inv: Invocation, _ ctx: Context, project name: String, env: String, from src: String) throws
        -> Int32
    {
        if let p = Naming.checkEnvironment(env) { throw KipError(p) }
        if inv.has("customize") && (inv.has("plan") || inv.has("overrides")) {
            throw UsageError(
                message: "--customize is the interactive form of --plan/--overrides: use one or the other",
                command: inv.command)
        }
        if inv.has("customize") && !ctx.terminal.stdinIsTerminal {
            throw KipError(
                "the wizard needs a terminal: in scripts use '--plan -o yaml > plan.yaml' and '--overrides plan.yaml'")
        }
        // Guess the source namespace from the cached org; read again if the guess was wrong.
        let cachedOrg = try ctx.cachedOrg()
        let guess = Naming.namespace(org: cachedOrg, project: name, environment: src)
        let targetGuess = Naming.namespace(org: cachedOrg, project: name, environment: env)
        var observed = try ctx.readCopy(namespace: guess, target: targetGuess)
        guard let project = observed.project(name) else {
            throw ProjectPlanner.unknownProject(name, observed: observed)
        }
        guard let source = project.environment(src) else {
            throw KipError(
                "project \"\(name)\" has no environment \"\(src)\" to copy from; it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        let targetNamespace =
            project.environment(env)?.namespace
            ?? Naming.namespace(org: observed.settings?.org, project: name, environment: env)
        let waited = try ctx.waitForDeleted(inv, [targetNamespace], observed)
        if source.namespace != guess || targetNamespace != targetGuess || waited {
            observed = try ctx.readCopy(namespace: source.namespace, target: targetNamespace)
        }
        if observed.namespaces[source.namespace] == nil {
            throw KipError("namespace \(source.namespace) of \(name)/\(src) is missing: run 'kip project sync \(name)'")
        }
        if env == src { throw KipError("cannot copy \(src) onto itself: name a new environment") }
        // A re-run completes an earlier copy into an environment the project already has.
        var updated = project
        let target: Project.Environment
        var rerun = false
        if let existing = project.environment(env) {
            target = existing
            rerun = true
            // What a copy that stopped half-way left there, credentials included: a
            // completing run keeps them.
            let there = Observed(
                items: try ctx.read(
                    WorkloadKind.allCases.map(\.resource) + ["secrets"], in: existing.namespace,
                    selector: "\(Keys.managedBy)=\(Keys.managedByValue)"))
            observed.workloads[existing.namespace] = there.workloads[existing.namespace] ?? []
            observed.secrets[existing.namespace] = there.secrets[existing.namespace] ?? []
        } else {
            let (grown, index) = try ProjectPlanner.addEnvironment(
                project, env: env, observed: observed, placement: try ProjectCommands.placement(inv),
                expiresAt: try ProjectCommands.expiry(inv, ctx))
            updated = grown
            target = updated.environments[index]
        }
        var plan = CopyPlanner.plan(project: project, source: source, target: target, observed: observed)
        let foreign = CopyPlanner.foreign(plan, observed: observed)
        if !foreign.isEmpty {
            throw KipError(
                "environment \(env) already holds \(foreign.prefix(5).joined(separator: ", ")) that did not come from copying \(src): copy into a new environment"
            )
        }
        if let file = inv.value("overrides") {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw KipError("cannot read --overrides \(file)")
            }
            let text = String(decoding: data, as: UTF8.self)
            let doc: JSON
            do {
                doc =
                    text.trimmingCharacters(in: .whitespaces).hasPrefix("{")
                    ? try JSON.parse(data) : try MiniYAML.parse(text)
            } catch {
                throw KipError("--overrides \(file) is neither JSON nor the YAML --plan prints: \(error)")
            }
            try CopyPlanner.applyOverrides(doc, to: &plan)
        }
        if inv.has("prod-defaults") { CopyPlanner.prodDefaults(&plan) }
        if inv.has("plan") {
            return try ctx.show(CopyPlanner.document(plan)) { _ in Wizard.printPlan(plan, ctx) }
        }
        if inv.has("customize") {
            guard try Wizard(plan: plan, ctx: ctx).run(&plan) else {
                ctx.stderr.line("Nothing created.")
                return 1
            }
        }
        if let p = CopyPlanner.problem(plan) { throw KipError(p + "; change it in the plan (--overrides)") }
        let pull = (observed.secrets[source.namespace] ?? []).filter(Render.isPullSecret)
        let scope = WorkloadScope(
            project: name, environment: env, namespace: target.namespace, domain: observed.settings?.domain,
            cluster: observed.settings)
        let header: [Plan.Line] =
            ctx.dryRun
            ? []
            : [
                .info(
                    "\(rerun ? "Completing" : "Adding") environment \"\(env)\" of project \"\(name)\", copied from \(src)..."
                )
            ]
        // The copy plan is what was asked (and reviewed); a second attempt applies it to
        // the Project as it is then.
        let copied = plan
        let placement = try ProjectCommands.placement(inv)
        let expiry = try ProjectCommands.expiry(inv, ctx)
        return try ctx.run { n in
            var grown = updated
            if n > 0, !rerun {
                guard let now = try ctx.project(named: name) else {
                    throw ProjectPlanner.unknownProject(name, observed: observed)
                }
                grown = try ProjectPlanner.addEnvironment(
                    now, env: env, observed: observed, placement: placement, expiresAt: expiry
                ).0
            }
            var write = CopyPlanner.writePlan(
                copied, project: grown, addsEnvironment: !rerun, pullSecrets: pull,
                members: grown.members, scope: scope,
                existingSecrets: Set(
                    (observed.secrets[target.namespace] ?? []).compactMap { $0.at("metadata", "name")?.stringValue }),
                password: { EnvironmentView.password(ctx.random.bytes(24)) })
            write.claims = EnvironmentView.claims(write.owners, scope: scope) { n in
                (observed.workloads[target.namespace] ?? []).first {
                    $0["kind"]?.stringValue == WorkloadKind.app.rawValue && $0.at("metadata", "name")?.stringValue == n
                }
            }
            return Attempt(write, notices: header)
        }.code
    }

    // MARK: diff

    static let diffSpec = CommandSpec(
        "diff", "What differs between two environments, app by app. Exit 0 when identical, 1 when not.",
        discussion:
            "Secret values are never shown, only whether they differ. A value that differs only by the environment's namespace, and routes that are each environment's default host, count as the same.",
        arguments: [
            ArgumentSpec("project", "Project (default: the active project).", optional: true),
            ArgumentSpec("env1", "One environment."), ArgumentSpec("env2", "The other environment."),
        ], handler: diff)

    /// Exit 0 when identical, 1 when they differ, 2 on error (as diff(1) does; see
    /// `Kip.errorExitCode`).
    static func diff(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let args = inv.arguments
        let name = args.count == 3 ? args[0] : try ctx.projectName(nil)
        let (e1, e2) = args.count == 3 ? (args[1], args[2]) : (args[0], args[1])
        guard args.count >= 2 else {
            throw UsageError(message: "Missing expected argument '<env2>'", command: ["project", "diff"])
        }
        let (project, observed) = try ctx.readProject(
            name, kinds: WorkloadKind.allCases.map(\.resource) + ["secrets"]
        ) { p in p.environments.filter { [e1, e2].contains($0.name) } }
        for e in [e1, e2] where project.environment(e) == nil {
            throw KipError(
                "project \"\(name)\" has no environment \"\(e)\"; it has: \(project.pipeline.joined(separator: ", "))")
        }
        let d = EnvironmentDiff.compare(project.environment(e1)!, project.environment(e2)!, observed: observed)
        try ctx.show(d.document) { _ in
            if d.entries.isEmpty { ctx.printer.success("\(e1) and \(e2) are identical") }
            for line in d.lines { ctx.printer.line(line) }
        }
        return d.entries.isEmpty ? 0 : 1
    }
}
