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
                    "With --wait: put back the previous image of an app whose rollout failed."),
                .value("project", "project", "Project (default: the active project)."),
            ], handler: promote),
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
    }

    /// Reads the project, the source and the target (Apps and the Deployments that run
    /// them: a promotion writes nothing else) and plans the promotion.
    static func round(_ inv: Invocation, _ ctx: Context, app: String?, first: Bool) throws -> Round {
        let w = try ctx.project(of: inv)
        let project = w.project!
        let (from, to) = try Promotion.environments(
            project, from: inv.value("from"), to: inv.value("to")!, force: inv.has("force"))
        try Protection.check([project.environment(to)!], project: project.name, inv, ctx)
        // The target's services and volumes too: an app the promotion creates keeps
        // only the bindings and mounts that exist there.
        let both = try ctx.environments(
            [project.environment(from)!, project.environment(to)!], of: w,
            kinds: [
                WorkloadKind.app.resource, "deployments.apps", WorkloadKind.service.resource,
                WorkloadKind.volume.resource,
            ])
        let (src, dst) = (both[0], both[1])
        let items = Promotion.plan(
            apps: app.map { [$0] }, source: src.crs(.app), target: dst.crs(.app), running: dst.runningImages,
            create: !inv.has("no-create"))
        let (new, notes) = try created(items, src: src, dst: dst, from: from, ctx)
        // A single app is all or nothing: refuse before writing.
        if app != nil, let item = items.first,
            let problem = refusal(item, from: from, to: to, project: project.name, dst: dst)
        {
            throw KipError(problem)
        }
        if items.isEmpty { throw KipError("no apps in \(from) (\(src.scope.namespace)) to promote") }
        var plan = Promotion.writePlan(
            items, target: dst.crs(.app), scope: dst.scope, from: from, to: to, at: Promotion.timestamp(ctx.clock()),
            by: try ctx.actor(), new: new)
        plan.claims = EnvironmentView.claims(new, scope: dst.scope) { _ in nil }
        let header = "Promote \(from) → \(to) (\(project.name))"
        plan.summary = [header] + (plan.summary ?? [])
        let creating = Set(new.compactMap { $0.at("metadata", "name")?.stringValue })
        return Round(
            project: project, from: from, to: to, items: items, creating: creating, notes: notes, plan: plan, dst: dst,
            src: src)
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
        var last: Round?
        var failed: [String: String] = [:]
        do {
            let written = try ctx.run { n in
                let r = try round(inv, ctx, app: app, first: n == 0)
                last = r
                return Attempt(
                    r.plan, notices: ctx.dryRun ? [] : notices(r, force: inv.has("force")),
                    question: .yesNo("Promote to \(r.to)?", declined: "Nothing promoted."))
            }
            if case .declined = written { return 1 }
            if case .dryRun = written { return 0 }
        } catch let error as KipError where all && last != nil && !error.isConflict {
            failed = try readBack(last!, error, ctx)
        }
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
        let report = PromotionReport(r.items, failed: failed, to: r.to) {
            refusal($0, from: r.from, to: r.to, project: r.project.name, dst: r.dst)
        }
        for s in report.said {
            switch s {
            case .done(let l): ctx.printer.success(l)
            case .failed(let l): ctx.printer.failure(l)
            case .same(let l): ctx.printer.line(l)
            }
        }
        func document(_ rollouts: [String: String]) {
            ctx.result = report.document(project: r.project.name, from: r.from, to: r.to, r.items, rollouts: rollouts)
        }
        document([:])
        if all { ctx.printer.line("Done: \(report.promoted) of \(r.items.count) promoted") }
        if inv.has("rollback-on-failure") && !inv.has(rolloutWaitFlag) {
            ctx.printer.warning("--rollback-on-failure needs --wait: nothing was followed")
        }
        // --wait: follow what was written; with --rollback-on-failure put back the
        // previous image of each app whose rollout failed.
        let written = r.plan.owners.compactMap { $0.at("metadata", "name")?.stringValue }.filter { failed[$0] == nil }
        if inv.has(rolloutWaitFlag) && !written.isEmpty {
            let failures = try RolloutWait.run(
                ctx, namespace: r.dst.scope.namespace, written.map(RolloutWait.app))
            if !failures.isEmpty {
                document(failures)
                if inv.has("rollback-on-failure") { try putBack(r, failures, inv, ctx) }
                throw RolloutWait.error(failures, in: r.dst.scope.namespace)
            }
        }
        return report.problems > 0 ? 1 : 0
    }

    /// `--rollback-on-failure`: each app whose rollout failed gets its image from before
    /// the promotion back, read again and recorded in its history (`put-back`), as any
    /// other write; an app the promotion created stays (there is nothing to go back to).
    static func putBack(_ r: Round, _ failures: [String: String], _ inv: Invocation, _ ctx: Context) throws {
        var before: [String: String] = [:]
        for i in r.items where failures[i.app] != nil {
            if case .promote(let b, _) = i.outcome, !b.isEmpty { before[i.app] = b }
        }
        if before.isEmpty { return }
        let scoped = Invocation(
            command: inv.command, options: ["project": ["\(r.project.name)/\(r.to)"]], arguments: [])
        try ctx.write {
            let dst = try ctx.environment(
                scoped, reading: .objects(before.keys.sorted().flatMap { EnvironmentView.appObjects($0) }))
            var crs: [JSON] = []
            for (app, image) in before.sorted(by: { $0.key < $1.key }) {
                guard let current = dst.cr(.app, app) else { continue }
                crs.append(
                    Promotion.recorded(
                        Workloads.applyable(current), previous: current, image: image, action: "put-back",
                        from: r.from, at: Promotion.timestamp(ctx.clock()), by: try ctx.actor()))
            }
            var plan = try dst.plan(crs)
            plan.report = before.sorted(by: { $0.key < $1.key }).map {
                .warning("\($0.key): put back to \($0.value) in \(r.to) (--rollback-on-failure)")
            }
            return plan
        }
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
        let none = "App \(inv.arguments[0]) in \(w.scope.namespace) has no image history."
        return try ctx.show(.array(h.map(\.json)), empty: h.isEmpty ? none : nil) { _ in
            ctx.printer.table(
                ["REVISION", "ACTION", "FROM", "IMAGE BEFORE", "IMAGE AFTER", "AT", "BY"],
                h.reversed().map {
                    [
                        String($0.revision), $0.action, $0.from.ifEmpty("-"), $0.imageBefore.ifEmpty("-"),
                        $0.imageAfter,
                        $0.at, $0.by.ifEmpty("-"),
                    ]
                })
        }
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
            let a = try w.require(.app, name)
            let (image, entry) = try Promotion.rollbackImage(a, toRevision: revision)
            if image == a.at("spec", "image")?.stringValue {
                throw KipError("app \(name) already runs \(image) in \(w.scope.namespace)")
            }
            // A rollback is recorded as one, whatever it undoes; it is not a promotion.
            let cr = Promotion.recorded(
                Workloads.applyable(a), previous: a, image: image, action: "rollback",
                at: Promotion.timestamp(ctx.clock()), by: try ctx.actor())
            var plan = try w.plan([cr])
            let which =
                revision == nil ? "undoing revision \(entry.revision)" : "the image of revision \(entry.revision)"
            plan.report = [.success("\(name) rolled back to \(image) in \(w.scope.namespace) (\(which))")]
            return Attempt(plan, question: .yesNo("Roll app \(name) in \(w.scope.namespace) back to \(image)?"))
        }
        if case .declined = written { return 1 }
        return try AppCommands.waitIfAsked(inv, ctx, namespace, [RolloutWait.app(name)])
    }
}
