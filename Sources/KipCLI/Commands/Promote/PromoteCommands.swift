import Foundation
import KipCore

/// `kip app promote|history|rollback`: images along the pipeline.
enum PromoteCommands {
    static let specs: [CommandSpec] = [
        CommandSpec(
            "promote", "Copy an app's image to the next environment (nothing else).",
            discussion: """
                Only the image moves: replicas, resources, env vars, secrets and volumes stay as each
                environment has them. --to alone promotes from the environment before it. Asks on a
                terminal; without one, pass --yes.
                """,
            arguments: [ArgumentSpec("app", "App to promote (or --all).", optional: true)],
            options: [
                .flag("all", "Promote every app of the source environment."),
                .value("from", "env", "Source environment (default: the one before --to)."),
                .required("to", "env", "Target environment."),
                .flag("force", "Allow promoting backwards or skipping a stage."), LifecycleCommands.confirmEnv,
                rolloutWaitFlag.spec,
                .flag("no-create", "Refuse an app the target does not have, rather than create it there."),
                .flag(
                    "rollback-on-failure",
                    "With --wait: put back the previous image of an app whose rollout failed, and remove an app this promotion created."
                ),
                .flag("keep-failed", "With --rollback-on-failure: keep (and name) a created app whose rollout failed."),
                .value(
                    "min-soak", "duration",
                    "The source must have run the image at least this long (e.g. 24h; from its history)."),
                PreJob.option,
                .value("project", "project", "Project (default: the active project)."),
            ], handler: promote),
        CommandSpec(
            "approve", "Approve promoting an app's image into an environment that requires approvals.",
            discussion: """
                For environments protected with --require-approval. Approves the image the source
                (--from, default the environment before --to) runs now, or --image. Only an admin
                of the target environment may approve, and not for their own promotion: another
                person promotes. An approval is used once.
                """,
            arguments: [ArgumentSpec("app", "App to approve (or --all).", optional: true)],
            options: [
                .flag("all", "Approve every app of the source whose image differs in the target."),
                .value("from", "env", "Source environment (default: the one before --to)."),
                .required("to", "env", "Target environment."),
                .value("image", "image", "The image to approve (default: what the source runs)."),
                .value("project", "project", "Project (default: the active project)."),
            ], handler: approve),
        CommandSpec(
            "history", "An app's promotion history (last 20).", arguments: [ArgumentSpec("app", "App name.")],
            options: scopeOptions,
            handler: history),
        CommandSpec(
            "rollback", "Restore an earlier image of an app (recorded in its history).",
            arguments: [ArgumentSpec("app", "App name.")],
            options: [
                .value(
                    "to-revision", "n", "Revision whose image to restore (default: the image before the latest change)."
                ), rolloutWaitFlag.spec,
            ] + scopeOptions,
            handler: rollback),
    ]

    /// What one attempt of a promotion read and planned: the pure round, the target as
    /// read, and `--pre-job` (the job run first, with the promoted image).
    struct Round {
        var core: PromotionRound
        var dst: EnvironmentView
        var first: (() throws -> Void)?
        var project: Project { core.project }
        var from: String { core.from }
        var to: String { core.to }
        var items: [Promotion.Item] { core.items }
        var creating: Set<String> { core.creating }
        var plan: Plan { core.plan }
        var refused: [String: String] { core.refused }
    }

    /// `--min-soak`, in seconds; a value that is no duration is a usage mistake, said
    /// before anything is read.
    static func minSoak(_ inv: Invocation) throws -> Double? {
        try inv.duration("min-soak", examples: "24h, 30m or 1h30m")
    }

    /// The gates a promotion into `target` passes (`--force`, `--min-soak`, approvals).
    static func gates(_ inv: Invocation, _ ctx: Context, _ target: Project.Environment, _ dst: EnvironmentView)
        throws -> PromotionGates
    {
        var g = PromotionGates(now: ctx.clock())
        g.force = inv.has("force")
        if let soak = try minSoak(inv) {
            g.minSoak = soak
            g.minSoakText = inv.value("min-soak") ?? ""
        }
        if target.requireApproval {
            g.requireApproval = true
            g.promoter = try ctx.identity()
            g.approvals = dst.approvals
        }
        return g
    }

    /// Reads the project, the source and the target (Apps and the Deployments that run
    /// them: a promotion writes nothing else) and plans the promotion.
    static func round(_ inv: Invocation, _ ctx: Context, app: String?, first: Bool) throws -> Round {
        let w = try ctx.project(of: inv)
        let project = w.project!
        let (from, to) = try Promotion.environments(
            project, from: inv.value("from"), to: inv.value("to")!, force: inv.has("force"))
        let target = project.environment(to)!
        try Protection.check([target], project: project.name, inv, ctx)
        let both = try ctx.environments([project.environment(from)!, target], of: w, kinds: reads(target, inv))
        return try planned(inv, ctx, app: app, project: project, from: from, to: to, src: both[0], dst: both[1])
    }

    /// What a promotion reads in both environments: Apps and what runs them (a promotion
    /// writes nothing else), and the target's services and volumes too: an app the
    /// promotion creates keeps only the bindings and mounts that exist there.
    static func reads(_ target: Project.Environment, _ inv: Invocation) -> [String] {
        [
            WorkloadKind.app.resource, "deployments.apps", WorkloadKind.service.resource,
            WorkloadKind.volume.resource, "replicasets.apps", "pods",
        ] + (target.requireApproval ? [CRDs.approval] : []) + (inv.value("pre-job") != nil ? [CRDs.job] : [])
    }

    /// The promotion planned from what was read (PromotionRound), and the `--pre-job`
    /// run with the image it releases.
    static func planned(
        _ inv: Invocation, _ ctx: Context, app: String?, project: Project, from: String, to: String,
        src: EnvironmentView, dst: EnvironmentView
    ) throws -> Round {
        let core = try PromotionRound.plan(
            project: project, from: from, to: to, app: app, source: src, target: dst,
            gates: try gates(inv, ctx, project.environment(to)!, dst), create: !inv.has("no-create"),
            actor: try ctx.actor(), now: ctx.clock())
        let released = core.items.first { core.refused[$0.app] == nil }.flatMap(PromotionGates.image)
        return Round(
            core: core, dst: dst,
            first: try released.flatMap { try PreJob.plan(inv.value("pre-job"), image: $0, in: dst, ctx) })
    }

    static func promote(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let all = inv.has("all")
        let app = inv.arguments.first
        if all == (app != nil) {
            throw UsageError(
                message: all ? "Give an app or --all, not both" : "Missing expected argument '<app>' (or --all)",
                command: ["app", "promote"])
        }
        if all && inv.value("pre-job") != nil {
            throw UsageError(message: "--pre-job runs with one app's image: give the app", command: inv.command)
        }
        _ = try minSoak(inv)
        var last: Round?
        var failed: [String: String] = [:]
        do {
            let written = try ctx.run { n in
                let r = try round(inv, ctx, app: app, first: n == 0)
                last = r
                // Nothing but refusals to record: nothing to ask.
                let asks = r.refused.count < r.items.count
                return Attempt(
                    r.plan, notices: ctx.dryRun || !asks ? [] : r.core.notices(force: inv.has("force")),
                    question: asks ? .yesNo("Promote to \(r.to)?", declined: "Nothing promoted.") : nil,
                    first: r.first)
            }
            if case .declined = written { return 1 }
            if case .dryRun = written { return 0 }
        } catch let error as KipError where all && last != nil && !error.isConflict {
            failed = try readBack(last!, error, ctx)
        }
        if app != nil, let why = last!.refused[app!] { throw KipError(why) }
        return try report(last!, failed: failed, all: all, inv, ctx)
    }

    /// `--all`: kubectl goes on past a failed object and says only what failed, so read
    /// back which apps carry the new image on both their App and their Deployment.
    static func readBack(_ r: Round, _ error: KipError, _ ctx: Context) throws -> [String: String] {
        let now = try ctx.managed([WorkloadKind.app.resource, "deployments.apps"], in: r.dst.scope.namespace)
        return r.core.notWritten(now: now, error: error.message)
    }

    /// Each app's outcome (and, with `--wait`, its rollout), as lines and as the result
    /// document.
    static func report(_ r: Round, failed: [String: String], all: Bool, _ inv: Invocation, _ ctx: Context) throws
        -> Int32
    {
        let report = PromotionReport(r.items, failed: failed, refused: r.refused, to: r.to) {
            PromotionRound.refusal($0, from: r.from, to: r.to, project: r.project.name)
        }
        for s in report.said {
            switch s {
            case .done(let l): ctx.printer.success(l)
            case .failed(let l): ctx.printer.failure(l)
            case .same(let l): ctx.printer.line(l)
            }
        }
        func document(_ rollouts: PromotionReport.Rollouts) {
            ctx.conclude(report.document(project: r.project.name, from: r.from, to: r.to, r.items, rollouts: rollouts))
        }
        document(.init())
        if all { ctx.printer.line(report.done(of: r.items.count)) }
        if inv.has("rollback-on-failure") && !inv.has(rolloutWaitFlag) {
            ctx.printer.warning("--rollback-on-failure needs --wait: nothing was followed")
        }
        // --wait: follow what was written; a failed rollout is recorded in the target's
        // history, and with --rollback-on-failure put back (or its app removed).
        let written = r.plan.owners.compactMap { $0.at("metadata", "name")?.stringValue }.filter {
            failed[$0] == nil && r.refused[$0] == nil
        }
        if inv.has(rolloutWaitFlag) && !written.isEmpty {
            let failures = try RolloutWait.run(
                ctx, namespace: r.dst.scope.namespace, written.map(RolloutWait.app))
            if !failures.isEmpty {
                let rollouts = try recordFailures(r, failures, inv, ctx)
                document(rollouts)
                if all { ctx.printer.line(report.done(of: r.items.count, rollouts)) }
                throw RolloutWait.error(failures, in: r.dst.scope.namespace)
            }
        }
        return report.problems > 0 ? 1 : 0
    }

    /// A failed rollout is marked `failed` in the target App's history. With
    /// `--rollback-on-failure` the app gets its image from before the promotion back
    /// (`put-back`), and an app the promotion created is removed (kept and named with
    /// `--keep-failed`). Read again and written as any other change.
    static func recordFailures(_ r: Round, _ failures: [String: String], _ inv: Invocation, _ ctx: Context) throws
        -> PromotionReport.Rollouts
    {
        let scoped = Invocation(
            command: inv.command, options: ["project": ["\(r.project.name)/\(r.to)"]], arguments: [])
        let options = PromotionFailures.Options(
            from: r.from, to: r.to, creating: r.creating, rollback: inv.has("rollback-on-failure"),
            keepFailed: inv.has("keep-failed"), at: ctx.clock())
        var outcome = PromotionReport.Rollouts(failed: failures)
        try ctx.run {
            let dst = try ctx.environment(
                scoped, reading: .objects(failures.keys.sorted().flatMap { EnvironmentView.appObjects($0) }))
            let (plan, o) = try PromotionFailures.plan(
                r.items, failures: failures, options, dst: dst, by: try ctx.actor())
            outcome = o
            return Attempt(plan)
        }
        return outcome
    }

    static func history(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv, reading: .kinds([WorkloadKind.app.resource]))
        let a = try w.require(.app, inv.arguments[0])
        let h = Promotion.history(a)
        let pending = try pendingApprovals(inv.arguments[0], w, ctx)
        let none = "App \(inv.arguments[0]) in \(w.scope.namespace) has no image history."
        return try ctx.show(.array(h.map(\.json)), empty: h.isEmpty && pending.isEmpty ? none : nil) { _ in
            let approvals = h.contains { !$0.approvedBy.isEmpty }
            ctx.printer.table(
                ["REVISION", "ACTION", "FROM", "IMAGE BEFORE", "IMAGE AFTER", "AT", "BY", "RESULT"]
                    + (approvals ? ["APPROVED BY"] : []),
                h.reversed().map {
                    [
                        String($0.revision), $0.action, $0.from.ifEmpty("-"), $0.imageBefore.ifEmpty("-"),
                        $0.imageAfter, $0.at, $0.by.ifEmpty("-"), $0.result.ifEmpty("ok"),
                    ] + (approvals ? [$0.approvedBy.ifEmpty("-")] : [])
                })
            for e in h.reversed() where !e.reason.isEmpty {
                ctx.printer.line("revision \(e.revision) \(e.result): \(e.reason)")
            }
            for p in pending {
                ctx.printer.line(
                    "pending approval: \(p.at("spec", "image")?.stringValue ?? "") by \(p.at("spec", "approvedBy")?.stringValue ?? "") at \(p.at("spec", "approvedAt")?.stringValue ?? "")"
                )
            }
        }
    }

    /// The app's approvals not used yet, where its environment requires approvals.
    static func pendingApprovals(_ app: String, _ w: EnvironmentView, _ ctx: Context) throws -> [JSON] {
        guard let p = w.scope.project, let env = w.scope.environment,
            w.observed.project(p)?.environment(env)?.requireApproval == true
        else { return [] }
        let approvals = try ctx.approvals(in: w.scope.namespace)
        return PromotionGates.pending(approvals, apps: w.crs(.app)).filter { $0.at("spec", "app")?.stringValue == app }
    }

    static func rollback(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        var revision: Int? = nil
        if let r = inv.value("to-revision") {
            guard let n = Int(r), n > 0 else {
                throw UsageError(
                    message:
                        "The value '\(r)' is invalid for '--to-revision <n>': give a revision number from 'kip app history'",
                    command: inv.command)
            }
            revision = n
        }
        let name = inv.arguments[0]
        var namespace = ""
        let written = try ctx.run {
            let w = try ctx.environment(inv, reading: .objects(EnvironmentView.appObjects(name)))
            namespace = w.scope.namespace
            let (plan, image) = try Promotion.rollbackPlan(
                name, w, toRevision: revision, at: ctx.clock(), by: try ctx.actor())
            return Attempt(plan, question: .yesNo("Roll app \(name) in \(w.scope.namespace) back to \(image)?"))
        }
        if case .declined = written { return 1 }
        return try AppCommands.waitIfAsked(inv, ctx, namespace, [RolloutWait.app(name)])
    }
}
