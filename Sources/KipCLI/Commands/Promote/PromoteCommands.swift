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

    /// What one attempt of a promotion read and planned.
    struct Round {
        var project: Project
        var from: String
        var to: String
        var items: [Promotion.Item]
        var creating: Set<String>
        var notes: [String]
        var plan: Plan
        var dst: EnvironmentView
        var src: EnvironmentView
        /// Apps a gate refused, and why (recorded in the target's history, not promoted).
        var refused: [String: String] = [:]
        /// `--pre-job`: the job run first, with the promoted image.
        var first: (() throws -> Void)?
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

    /// The promotion planned from what was read: refused whole when a single app cannot
    /// move; apps a gate stops are recorded, not promoted.
    static func planned(
        _ inv: Invocation, _ ctx: Context, app: String?, project: Project, from: String, to: String,
        src: EnvironmentView, dst: EnvironmentView
    ) throws -> Round {
        let target = project.environment(to)!
        let items = Promotion.plan(
            apps: app.map { [$0] }, source: src.crs(.app), target: dst.crs(.app), running: dst.runningImages,
            create: !inv.has("no-create"))
        // A single app is all or nothing: refuse before writing.
        if app != nil, let item = items.first,
            let problem = refusal(item, from: from, to: to, project: project.name, dst: dst)
        {
            throw KipError(problem)
        }
        if items.isEmpty { throw KipError("no apps in \(from) (\(src.scope.namespace)) to promote") }
        let verdict = try gates(inv, ctx, target, dst).check(
            items, from: from, to: to, project: project.name, source: src, target: dst)
        let passing = items.filter { verdict.refusals[$0.app] == nil }
        let (new, notes) = try created(passing, src: src, dst: dst, from: from, ctx)
        let at = Promotion.timestamp(ctx.clock())
        var plan = Promotion.writePlan(
            passing, target: dst.crs(.app), scope: dst.scope, from: from, to: to, at: at, by: try ctx.actor(), new: new)
        plan.owners = PromotionGates.stamped(plan.owners, verdict.approvals)
        try recordRefusals(&plan, verdict.refusals, items: items, dst: dst, from: from, at: at, ctx)
        plan.claims = EnvironmentView.claims(new, scope: dst.scope) { _ in nil }
        plan.summary = ["Promote \(from) → \(to) (\(project.name))"] + (plan.summary ?? [])
        plan.changes = try changes(items, verdict, from: from, dst: dst, ctx)
        let creating = Set(new.compactMap { $0.at("metadata", "name")?.stringValue })
        let released = passing.first.flatMap(PromotionGates.image)
        return Round(
            project: project, from: from, to: to, items: items, creating: creating, notes: notes, plan: plan, dst: dst,
            src: src, refused: verdict.refusals,
            first: try released.flatMap { try PreJob.plan(inv.value("pre-job"), image: $0, in: dst, ctx) })
    }

    /// Each app promoted, or refused by a gate, as an Event in the target.
    static func changes(
        _ items: [Promotion.Item], _ verdict: PromotionGates.Verdict, from: String, dst: EnvironmentView,
        _ ctx: Context
    ) throws -> [ChangeEvent] {
        let by = try ctx.actor()
        return items.compactMap { i in
            guard let image = PromotionGates.image(i) else { return nil }
            if let why = verdict.refusals[i.app] {
                return .app(
                    "PromotionRefused", "Promote", i.app, in: dst.scope.namespace,
                    note: "kip app promote by \(by): \(image) from \(from) refused: \(why)", warning: true)
            }
            let approved = verdict.approvals[i.app].map {
                " (approved by \($0.at("spec", "approvedBy")?.stringValue ?? ""))"
            }
            return .app(
                "Promoted", "Promote", i.app, in: dst.scope.namespace,
                note: "kip app promote by \(by): \(image) from \(from)\(approved ?? "")")
        }
    }

    /// Each refused app that the target has gets the attempt in its history (what, who,
    /// why); nothing else of it changes.
    static func recordRefusals(
        _ plan: inout Plan, _ refused: [String: String], items: [Promotion.Item], dst: EnvironmentView, from: String,
        at: String, _ ctx: Context
    ) throws {
        for i in items {
            guard let why = refused[i.app], let image = PromotionGates.image(i) else { continue }
            plan.summary = (plan.summary ?? []) + ["\(i.app)  refused: \(why)"]
            guard let t = dst.cr(.app, i.app) else { continue }
            let cr = Workloads.applyable(
                Promotion.attempted(
                    t, image: image, action: "promote", from: from, at: at, by: try ctx.actor(), result: "refused",
                    reason: why))
            plan.owners.append(cr)
            plan.restore.append(Workloads.asItWas(t))
            if let uid = t.at("metadata", "uid")?.stringValue { plan.knownUIDs[Plan.key(cr)] = uid }
        }
    }

    /// Apps new in the target, created from the source app as a copy makes them.
    static func created(
        _ items: [Promotion.Item], src: EnvironmentView, dst: EnvironmentView, from: String, _ ctx: Context
    )
        throws -> ([JSON], [String])
    {
        let creating = items.compactMap { i -> String? in
            if case .create = i.outcome { return i.app }
            return nil
        }
        if creating.isEmpty { return ([], []) }
        for n in creating where dst.runningImages[n] != nil {
            throw EnvironmentView.notTakingOver("Deployment", n, dst.scope.namespace, .app)
        }
        func names(_ k: String) -> Set<String> {
            Set(dst.crs(WorkloadKind(rawValue: k)!).compactMap { $0.at("metadata", "name")?.stringValue })
        }
        var new: [JSON] = []
        var notes: [String] = []
        for n in creating {
            guard let source = src.cr(.app, n) else { continue }
            let (cr, said) = Promotion.created(
                source, in: dst.scope, sourceNamespace: src.scope.namespace, from: from,
                at: Promotion.timestamp(ctx.clock()), by: try ctx.actor(), services: names("Service"),
                volumes: names("Volume"))
            new.append(cr)
            notes += said
        }
        return (new, notes)
    }

    /// What is said before the question: the direction, the apps, and each app's image
    /// now and after.
    static func notices(_ r: Round, force: Bool) -> [Plan.Line] {
        var out: [Plan.Line] = []
        if force {
            let p = r.project.pipeline
            let (si, ti) = (p.firstIndex(of: r.from)!, p.firstIndex(of: r.to)!)
            if si > ti {
                out.append(.warning("\(r.from) → \(r.to) goes backwards (--force)"))
            } else if ti - si > 1 {
                out.append(.warning("\(r.from) → \(r.to) skips \(p[(si + 1)..<ti].joined(separator: ", ")) (--force)"))
            }
        }
        out.append(.info("Promote \(r.from) → \(r.to) (\(r.project.name))"))
        out.append(
            .info(
                "Apps: \(r.items.map { r.creating.contains($0.app) ? "\($0.app) (new in \(r.to))" : $0.app }.joined(separator: ", "))"
            ))
        let width = r.items.map(\.app.count).max() ?? 0
        for i in r.items {
            let pad = i.app.padding(toLength: width, withPad: " ", startingAt: 0)
            switch i.outcome {
            case .promote(let before, let after): out.append(.info("  \(pad)  \(r.to): \(before) → \(after)"))
            case .finish(let img, let running):
                out.append(.info("  \(pad)  \(r.to): \(running.isEmpty ? "(no Deployment)" : running) → \(img)"))
            case .create(let img): out.append(.info("  \(pad)  \(r.to): (new) → \(img)"))
            case .unchanged(let img): out.append(.info("  \(pad)  \(r.to): \(img) (already)"))
            default: break
            }
        }
        return out + r.notes.map { .warning($0) }
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
                    r.plan, notices: ctx.dryRun || !asks ? [] : notices(r, force: inv.has("force")),
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
        let now = try ctx.read(
            [WorkloadKind.app.resource, "deployments.apps"], in: r.dst.scope.namespace,
            selector: "\(Keys.managedBy)=\(Keys.managedByValue)")
        func image(_ kind: String, _ n: String) -> String? {
            let o = now.first { $0["kind"]?.stringValue == kind && $0.at("metadata", "name")?.stringValue == n }
            return kind == "App"
                ? o?.at("spec", "image")?.stringValue
                : o?.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"]?.stringValue
        }
        var failed: [String: String] = [:]
        for cr in r.plan.owners {
            let n = cr.at("metadata", "name")?.stringValue ?? ""
            let want = cr.at("spec", "image")?.stringValue
            if image("App", n) != want || image("Deployment", n) != want {
                failed[n] = "\(error.message) (run the same promote again to finish)"
            }
        }
        return failed
    }

    /// Each app's outcome (and, with `--wait`, its rollout), as lines and as the result
    /// document.
    static func report(_ r: Round, failed: [String: String], all: Bool, _ inv: Invocation, _ ctx: Context) throws
        -> Int32
    {
        let report = PromotionReport(r.items, failed: failed, refused: r.refused, to: r.to) {
            refusal($0, from: r.from, to: r.to, project: r.project.name, dst: r.dst)
        }
        for s in report.said {
            switch s {
            case .done(let l): ctx.printer.success(l)
            case .failed(let l): ctx.printer.failure(l)
            case .same(let l): ctx.printer.line(l)
            }
        }
        func document(_ rollouts: PromotionReport.Rollouts) {
            ctx.result = report.document(project: r.project.name, from: r.from, to: r.to, r.items, rollouts: rollouts)
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
        try ctx.write {
            let dst = try ctx.environment(
                scoped, reading: .objects(failures.keys.sorted().flatMap { EnvironmentView.appObjects($0) }))
            let (plan, o) = try PromotionFailures.plan(
                r.items, failures: failures, options, dst: dst, by: try ctx.actor())
            outcome = o
            return plan
        }
        return outcome
    }

    static func refusal(_ i: Promotion.Item, from: String, to: String, project: String, dst: EnvironmentView) -> String?
    {
        switch i.outcome {
        case .missingTarget:
            return
                "app \(i.app) does not exist in \(to): create it first with 'kip app deploy --name \(i.app) --image IMAGE --port PORT --project \(project) --environment \(to)'"
        case .missingSource: return "app \(i.app) does not exist in \(from): nothing to promote"
        case .noImage: return "app \(i.app) in \(from) has no image to promote"
        default: return nil
        }
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
        let approvals = try ctx.read([CRDs.approval], in: w.scope.namespace)
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
