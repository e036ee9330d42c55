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
        ProjectCommands.quotaOption,
        .flag(
            "preview",
            "A preview environment, not a stage of the pipeline: promote --all, status's BEHIND and the stage order pass it by."
        ),
    ]

    /// Where a copy goes: the project as read, the source, the target (new, or the one
    /// an earlier copy left half-done: `rerun`), the project with it, and what was read.
    struct CopySite {
        var project: Project
        var source: Project.Environment
        var target: Project.Environment
        var updated: Project
        var rerun: Bool
        var observed: Observed
    }

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
        // The file is read before anything in the cluster: a wrong path costs no round.
        let overrides = try inv.value("overrides").map {
            try ctx.inputDocument(
                $0, flag: "--overrides", blank: "pass the plan 'kip project copy --plan' printed",
                yaml: "the YAML --plan prints")
        }
        let at = try site(inv, ctx, project: name, env: env, from: src)
        var plan = try copyPlan(inv, at, overrides: overrides, env: env, from: src)
        if inv.has("plan") {
            return try ctx.show(CopyPlanner.document(plan)) { _ in Wizard.printPlan(plan, ctx) }
        }
        if inv.has("customize") {
            guard try Wizard(plan: plan, ctx: ctx).run(&plan) else { return ctx.declined("Nothing created.").code }
        }
        if let p = CopyPlanner.problem(plan) { throw KipError(p + "; change it in the plan (--overrides)") }
        return try ctx.run(copying(plan, at, inv, ctx, env: env, from: src)).code
    }

    /// A copy as it is asked, without a wizard or a plan to print (`preview up`): the
    /// write's first step; refused before anything is written when the source lacks one
    /// of `apps` (the ones the steps after it change).
    static func copyStep(
        _ inv: Invocation, _ ctx: Context, project name: String, env: String, from src: String, apps: [String]
    ) throws -> (Int) throws -> Attempt {
        if let p = Naming.checkEnvironment(env) { throw KipError(p) }
        let at = try site(inv, ctx, project: name, env: env, from: src)
        let plan = try copyPlan(inv, at, overrides: nil, env: env, from: src)
        if let missing = apps.first(where: { a in !plan.apps.contains { $0.name == a } }) {
            throw KipError(
                "app \"\(missing)\" is not in \(src) (\(at.source.namespace)); apps there: \(plan.apps.map(\.name).joined(separator: ", ")); nothing was created"
            )
        }
        if let p = CopyPlanner.problem(plan) { throw KipError(p + "; change it in the plan (--overrides)") }
        return try copying(plan, at, inv, ctx, env: env, from: src)
    }

    /// Reads the project and both environments: the source namespace guessed from the
    /// cached org and read again if the guess was wrong; what an earlier copy left in
    /// the target, credentials included, so that a completing run keeps them.
    static func site(_ inv: Invocation, _ ctx: Context, project name: String, env: String, from src: String)
        throws -> CopySite
    {
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
        return try landing(project, source, observed, inv, ctx, env: env)
    }

    /// The target: new (the project grown by it), or the one an earlier copy left
    /// half-done, with what it left there (credentials included, kept by a completing run).
    static func landing(
        _ project: Project, _ source: Project.Environment, _ observed: Observed, _ inv: Invocation, _ ctx: Context,
        env: String
    ) throws -> CopySite {
        var observed = observed
        guard let existing = project.environment(env) else {
            let (grown, index) = try ProjectPlanner.addEnvironment(
                project, env: env, observed: observed, placement: try ProjectCommands.placement(inv),
                expiresAt: try ProjectCommands.expiry(inv, ctx), quota: try ProjectCommands.quota(inv))
            return CopySite(
                project: project, source: source, target: grown.environments[index], updated: grown, rerun: false,
                observed: observed)
        }
        let there = Observed(
            items: try ctx.managed(WorkloadKind.allCases.map(\.resource) + ["secrets"], in: existing.namespace))
        observed.workloads[existing.namespace] = there.workloads[existing.namespace] ?? []
        observed.secrets[existing.namespace] = there.secrets[existing.namespace] ?? []
        return CopySite(
            project: project, source: source, target: existing, updated: project, rerun: true, observed: observed)
    }

    /// The copy plan: what the source holds, with `--overrides` and `--prod-defaults`;
    /// refused when the target holds what no copy from the source put there.
    static func copyPlan(_ inv: Invocation, _ at: CopySite, overrides: JSON?, env: String, from src: String) throws
        -> CopyPlan
    {
        var plan = CopyPlanner.plan(project: at.project, source: at.source, target: at.target, observed: at.observed)
        let foreign = CopyPlanner.foreign(plan, observed: at.observed)
        if !foreign.isEmpty {
            throw KipError(
                "environment \(env) already holds \(foreign.prefix(5).joined(separator: ", ")) that did not come from copying \(src): copy into a new environment"
            )
        }
        if let overrides { try CopyPlanner.applyOverrides(overrides, to: &plan) }
        if inv.has("prod-defaults") { CopyPlanner.prodDefaults(&plan) }
        return plan
    }

    /// The copy as the Runner's attempt. The copy plan is what was asked (and reviewed); a
    /// second attempt applies it to the Project as it is then.
    static func copying(
        _ copied: CopyPlan, _ at: CopySite, _ inv: Invocation, _ ctx: Context, env: String, from src: String
    ) throws -> (Int) throws -> Attempt {
        let name = at.project.name
        let observed = at.observed
        let pull = (observed.secrets[at.source.namespace] ?? []).filter(Render.isPullSecret)
        let scope = WorkloadScope(
            project: name, environment: env, namespace: at.target.namespace, domain: observed.settings?.domain,
            cluster: observed.settings)
        let verb = at.rerun ? "Completing" : "Adding"
        let header: [Plan.Line] =
            ctx.dryRun ? [] : [.info("\(verb) environment \"\(env)\" of project \"\(name)\", copied from \(src)...")]
        let placement = try ProjectCommands.placement(inv)
        let expiry = try ProjectCommands.expiry(inv, ctx)
        let existing = observed.workloads[at.target.namespace] ?? []
        return { n in
            var grown = at.updated
            if n > 0, !at.rerun {
                guard let now = try ctx.project(named: name) else {
                    throw ProjectPlanner.unknownProject(name, observed: observed)
                }
                grown = try ProjectPlanner.addEnvironment(
                    now, env: env, observed: observed, placement: placement, expiresAt: expiry,
                    quota: try ProjectCommands.quota(inv)
                ).0
            }
            let write = CopyPlanner.writePlan(
                copied, project: grown, addsEnvironment: !at.rerun, pullSecrets: pull, members: grown.members,
                scope: scope,
                existingSecrets: Set(
                    (observed.secrets[at.target.namespace] ?? []).compactMap { $0.at("metadata", "name")?.stringValue }),
                existingApps: existing, password: { EnvironmentView.password(ctx.random.bytes(24)) })
            return Attempt(write, notices: header)
        }
    }
}
