import Foundation
import KipCore

extension ProjectCommands {
    // MARK: add-env / remove-env

    static func projectAndEnv(_ inv: Invocation, _ ctx: Context) throws -> (String, String) {
        if inv.arguments.count == 2 { return (inv.arguments[0], inv.arguments[1]) }
        return (try ctx.projectName(nil), inv.arguments[0])
    }

    /// `--after ENV` / `--before ENV` (one of them).
    static func placement(_ inv: Invocation) throws -> ProjectPlanner.Placement {
        if inv.has("preview") {
            guard inv.value("after") == nil && inv.value("before") == nil else {
                throw UsageError(
                    message: "--preview is not a stage of the pipeline: it takes no --after or --before",
                    command: inv.command)
            }
            return .preview
        }
        switch (inv.value("after"), inv.value("before")) {
        case (let a?, nil): return .after(a)
        case (nil, let b?): return .before(b)
        case (nil, nil): return .end
        default:
            throw UsageError(message: "--after and --before both place the environment: give one", command: inv.command)
        }
    }

    static let quotaOption = OptionSpec.value(
        "quota", "quota", "Its own quota, over the install's (e.g. cpu=4,memory=8Gi,pods=40; see 'kip project quota').")

    /// `--quota cpu=4,memory=8Gi`: the environment's own quota keys.
    static func quota(_ inv: Invocation) throws -> [String: String]? {
        guard let text = inv.value("quota") else { return nil }
        do { return try Quota.parse([text]).set } catch let e as UsageProblem {
            throw UsageError(message: "--quota: \(e.message)", command: inv.command)
        }
    }

    /// `--ttl DURATION` as the time it ends, from now.
    static func expiry(_ inv: Invocation, _ ctx: Context) throws -> String? {
        try inv.duration("ttl", examples: "72h, 7d or 1h30m").map {
            Promotion.timestamp(ctx.clock().addingTimeInterval($0))
        }
    }

    static func addEnv(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (name, env) = try projectAndEnv(inv, ctx)
        if let src = inv.value("copy-from") {
            return try CopyCommands.copy(inv, ctx, project: name, env: env, from: src)
        }
        for f in ["customize", "plan", "overrides", "prod-defaults"] where inv.has(f) {
            throw UsageError(
                message: "--\(f) goes with --copy-from: name the environment to copy", command: inv.command)
        }
        if let p = Naming.checkEnvironment(env) { throw KipError(p) }
        _ = try quota(inv)
        return try ctx.run {
            func read() throws -> Observed {
                try ctx.readForPlanning(project: name, environments: [env]) { org in
                    [Naming.namespace(org: org, project: name, environment: env)]
                }
            }
            var observed = try read()
            let planned = Naming.namespace(org: observed.settings?.org, project: name, environment: env)
            if try ctx.waitForDeleted(inv, [planned], observed) { observed = try read() }
            guard let project = observed.project(name) else {
                // Say which projects there are.
                throw ProjectPlanner.unknownProject(
                    name, observed: try ctx.everyProject())
            }
            let (plan, completing) = try ProjectPlanner.addEnvPlan(
                project, env: env, observed: observed, placement: try placement(inv), expiresAt: try expiry(inv, ctx),
                quota: try quota(inv))
            let verb = completing ? "Completing environment \"\(env)\" of" : "Adding environment \"\(env)\" to"
            return Attempt(plan, notices: ctx.dryRun ? [] : [.info("\(verb) project \"\(name)\"...")])
        }.code
    }

    static func removeEnv(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let cluster = try ctx.clusterName()
        let (name, env) = try projectAndEnv(inv, ctx)
        let written = try ctx.run { n in
            // Every attempt reads the Project again: its resourceVersion is the precondition.
            let (project, observed) = try ctx.readProject(name, kinds: n == 0 ? CRDs.workloadKinds : []) { p in
                p.environments.filter { $0.name == env }
            }
            let (updated, removed) = try ProjectPlanner.removeEnvironment(project, env: env)
            // Protected: named by --confirm ENV or --confirm-env ENV, or typed; never --yes alone.
            if inv.value("confirm") != env { try Protection.check([removed], project: name, inv, ctx) }
            let plan = ProjectPlanner.removeEnvPlan(
                updated, removed, namespace: observed.namespaces[removed.namespace],
                released: try ctx.releasedClaims(selector: "\(Keys.project)=\(name),\(Keys.environment)=\(env)"))
            return Attempt(
                plan,
                aside: ProjectPlanner.removeEnvNotice(name, removed, observed: observed),
                question: .typed(
                    env, what: "environment \"\(env)\"", flag: inv.value("confirm"), declined: "Not removed."),
                config: [.forgetEnvironment(cluster: cluster, project: name, environment: env)])
        }
        guard case .applied(let plan, _) = written else { return written.code }
        let removed = plan.deletes.first { $0.ref.hasPrefix("namespace/") }.map {
            String($0.ref.dropFirst("namespace/".count))
        }
        try ctx.awaitDeletion(removed.map { [$0] } ?? [], inv)
        return 0
    }
}
