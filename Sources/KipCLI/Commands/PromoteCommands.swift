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

    static func promote(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let all = inv.has("all")
        let app = inv.arguments.first
        if all == (app != nil) {
            throw UsageError(
                message: all ? "Give an app or --all, not both" : "Missing expected argument '<app>' (or --all)",
                command: ["app", "promote"])
        }
        let w = try Workspace(projectOf: inv, ctx)
        let project = w.project!
        let (from, to) = try Promotion.environments(
            project, from: inv.value("from"), to: inv.value("to")!, force: inv.has("force"))
        if inv.has("force") {
            try LifecycleCommands.confirmProtected(
                [project.environment(to)!], project: project.name, action: "promote into it with --force", inv, ctx)
        }
        // Only the Apps and the Deployments that run them: a promotion writes nothing else.
        let both = try w.reading(
            [project.environment(from)!, project.environment(to)!],
            kinds: [WorkloadKind.app.resource, "deployments.apps"])
        let (src, dst) = (both[0], both[1])
        let items = Promotion.plan(
            apps: app.map { [$0] }, source: src.crs(.app), target: dst.crs(.app), running: dst.runningImages,
            create: !inv.has("no-create"))
        // Apps new in the target are created from the source app, as a copy makes them.
        var new: [JSON] = []
        var notes: [String] = []
        let creating = items.compactMap { i -> String? in
            if case .create = i.outcome { return i.app }
            return nil
        }
        if !creating.isEmpty {
            for n in creating where dst.runningImages[n] != nil {
                throw Workspace.notTakingOver("Deployment", n, dst.scope.namespace, .app)
            }
            let there = try dst.driver.get(
                [WorkloadKind.service.resource, WorkloadKind.volume.resource], namespace: dst.scope.namespace)
            func names(_ k: String) -> Set<String> {
                Set(there.filter { $0["kind"]?.stringValue == k }.compactMap { $0.at("metadata", "name")?.stringValue })
            }
            for n in creating {
                guard let source = src.cr(.app, n) else { continue }
                let (cr, said) = Promotion.created(
                    source, in: dst.scope, sourceNamespace: src.scope.namespace, from: from,
                    at: Promotion.timestamp(ctx.clock()), by: try ctx.actor(), services: names("Service"),
                    volumes: names("Volume"))
                new.append(cr)
                notes += said
            }
        }
        if inv.has("force") {
            let p = project.pipeline
            let (si, ti) = (p.firstIndex(of: from)!, p.firstIndex(of: to)!)
            if si > ti {
                ctx.printer.warning("\(from) → \(to) goes backwards (--force)")
            } else if ti - si > 1 {
                ctx.printer.warning("\(from) → \(to) skips \(p[(si + 1)..<ti].joined(separator: ", ")) (--force)")
            }
        }
        // A single app is all or nothing: refuse before writing.
        if !all, let item = items.first,
            let problem = refusal(item, from: from, to: to, project: project.name, dst: dst)
        {
            throw KipError(problem)
        }
        if items.isEmpty { throw KipError("no apps in \(from) (\(src.scope.namespace)) to promote") }
        var plan = Promotion.writePlan(
            items, target: dst.crs(.app), scope: dst.scope, from: from, to: to, at: Promotion.timestamp(ctx.clock()),
            by: try ctx.actor(), new: new)
        let header = "Promote \(from) → \(to) (\(project.name))"
        if ctx.dryRun {
            plan.summary = [header] + (plan.summary ?? [])
            try ctx.write(plan)
            return 0
        }
        ctx.printer.line(header)
        let newNames = Set(creating)
        ctx.printer.line(
            "Apps: \(items.map { newNames.contains($0.app) ? "\($0.app) (new in \(to))" : $0.app }.joined(separator: ", "))"
        )
        // Each app's image now and after, before the question.
        let width = items.map(\.app.count).max() ?? 0
        for i in items {
            let pad = i.app.padding(toLength: width, withPad: " ", startingAt: 0)
            switch i.outcome {
            case .promote(let before, let after): ctx.printer.line("  \(pad)  \(to): \(before) → \(after)")
            case .finish(let img, let running):
                ctx.printer.line("  \(pad)  \(to): \(running.isEmpty ? "(no Deployment)" : running) → \(img)")
            case .create(let img): ctx.printer.line("  \(pad)  \(to): (new) → \(img)")
            case .unchanged(let img): ctx.printer.line("  \(pad)  \(to): \(img) (already)")
            default: break
            }
        }
        for n in notes { ctx.printer.warning(n) }
        guard try ctx.confirm("Promote to \(to)?") else {
            ctx.stderr.line("Nothing promoted.")
            return 1
        }
        var failed: [String: String] = [:]
        do {
            if !plan.owners.isEmpty { try dst.driver.execute(plan) }
        } catch let error as KipError {
            if !all { throw error }
            // kubectl goes on past a failed object and says only what failed: read back
            // which apps carry the new image on both their App and their Deployment.
            let now = try dst.driver.get(
                [WorkloadKind.app.resource, "deployments.apps"], namespace: dst.scope.namespace,
                selector: "\(Keys.managedBy)=\(Keys.managedByValue)")
            func image(_ kind: String, _ n: String) -> String? {
                let o = now.first { $0["kind"]?.stringValue == kind && $0.at("metadata", "name")?.stringValue == n }
                return kind == "App"
                    ? o?.at("spec", "image")?.stringValue
                    : o?.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"]?.stringValue
            }
            for cr in plan.owners {
                let n = cr.at("metadata", "name")?.stringValue ?? ""
                let want = cr.at("spec", "image")?.stringValue
                if image("App", n) != want || image("Deployment", n) != want {
                    failed[n] = "\(error.message) (run the same promote again to finish)"
                }
            }
        }
        var promoted = 0
        var problems = 0
        // Each app's outcome, for -o json|yaml.
        var results: [String: JSON] = [:]
        /// A written app's line: what was done, or (`not …`) why not.
        func written(_ app: String, not word: String, _ line: String, outcome: String, image: String) {
            if let why = failed[app] {
                ctx.printer.failure("\(app): not \(word): \(why)")
                results[app] = [
                    "app": .string(app), "outcome": "failed", "image": .string(image), "error": .string(why),
                ]
                problems += 1
            } else {
                ctx.printer.success(line)
                results[app] = ["app": .string(app), "outcome": .string(outcome), "image": .string(image)]
                promoted += 1
            }
        }
        for i in items {
            switch i.outcome {
            case .promote(let before, let after):
                written(i.app, not: "promoted", "\(i.app) → \(to) (\(after))", outcome: "promoted", image: after)
                if failed[i.app] == nil { results[i.app]?["imageBefore"] = .string(before) }
            case .finish(let img, let running):
                written(
                    i.app, not: "finished",
                    "\(i.app) → \(to) (\(img)): finished; "
                        + (running.isEmpty ? "its Deployment was missing" : "its Deployment ran \(running)"),
                    outcome: "finished", image: img)
            case .create(let img):
                written(
                    i.app, not: "created", "\(i.app) → \(to) (\(img)), new in \(to)", outcome: "created", image: img)
            case .unchanged(let img):
                ctx.printer.line("= \(i.app) already runs \(img) in \(to)")
                results[i.app] = ["app": .string(i.app), "outcome": "unchanged", "image": .string(img)]
            default:
                let why = refusal(i, from: from, to: to, project: project.name, dst: dst) ?? i.app
                ctx.printer.failure(why)
                results[i.app] = ["app": .string(i.app), "outcome": "refused", "error": .string(why)]
                problems += 1
            }
        }
        func document(_ rollouts: [String: String]) {
            guard ctx.output == "json" || ctx.output == "yaml" else { return }
            for (app, why) in rollouts {
                results[app]?["outcome"] = "rollout-failed"
                results[app]?["error"] = .string(why)
            }
            ctx.printer.document(
                [
                    "project": .string(project.name), "from": .string(from), "to": .string(to),
                    "promoted": .int(promoted), "apps": .array(items.compactMap { results[$0.app] }),
                ], format: ctx.output)
        }
        if all { ctx.printer.line("Done: \(promoted) of \(items.count) promoted") }
        if inv.has("rollback-on-failure") && !inv.has(rolloutWaitFlag) {
            ctx.printer.warning("--rollback-on-failure needs --wait: nothing was followed")
        }
        // --wait: follow what was written; with --rollback-on-failure put back the
        // previous image of each app whose rollout failed.
        let written = plan.owners.compactMap { $0.at("metadata", "name")?.stringValue }.filter { failed[$0] == nil }
        if inv.has(rolloutWaitFlag) && !written.isEmpty {
            let failures = try RolloutWait.run(
                ctx, dst.driver, namespace: dst.scope.namespace, written.map(RolloutWait.app))
            if !failures.isEmpty {
                document(failures)
                if inv.has("rollback-on-failure") { try putBack(plan, failures, dst, ctx, to: to) }
                throw RolloutWait.error(failures, in: dst.scope.namespace)
            }
        }
        document([:])
        return problems > 0 ? 1 : 0
    }

    /// `--rollback-on-failure`: the Apps whose rollout failed, and their Deployments,
    /// written again as they were before the promotion.
    static func putBack(_ plan: Plan, _ failures: [String: String], _ dst: Workspace, _ ctx: Context, to: String) throws
    {
        let back = plan.restore.filter { failures[$0.at("metadata", "name")?.stringValue ?? ""] != nil }
        var undo = Plan()
        undo.owners = back
        for o in back {
            if let uid = dst.cr(.app, o.at("metadata", "name")?.stringValue ?? "")?.at("metadata", "uid")?.stringValue {
                undo.knownUIDs[Plan.key(o)] = uid
            }
        }
        let scope = dst.scope
        undo.owned = { uids in
            back.flatMap {
                Workloads.render($0, scope, uid: uids[Plan.key($0)] ?? "", password: { _ in nil })
                    .filter { $0["kind"]?.stringValue == "Deployment" }
            }
        }
        _ = try dst.driver.execute(undo)
        for o in back {
            ctx.printer.warning(
                "\(o.at("metadata", "name")?.stringValue ?? ""): put back to \(o.at("spec", "image")?.stringValue ?? "") in \(to) (--rollback-on-failure)"
            )
        }
    }

    static func refusal(_ i: Promotion.Item, from: String, to: String, project: String, dst: Workspace) -> String? {
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
        let w = try Workspace(inv, ctx, reading: .kinds([WorkloadKind.app.resource]))
        let a = try w.require(.app, inv.arguments[0])
        let h = Promotion.history(a)
        if ctx.output == "json" || ctx.output == "yaml" {
            ctx.printer.document(.array(h.map(\.json)), format: ctx.output)
        } else if h.isEmpty {
            ctx.stderr.line("App \(inv.arguments[0]) in \(w.scope.namespace) has no image history.")
        } else {
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
        return 0
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
        let w = try Workspace(inv, ctx)
        let name = inv.arguments[0]
        let a = try w.require(.app, name)
        let (image, entry) = try Promotion.rollbackImage(a, toRevision: revision)
        if image == a.at("spec", "image")?.stringValue {
            throw KipError("app \(name) already runs \(image) in \(w.scope.namespace)")
        }
        if !ctx.dryRun {
            guard try ctx.confirm("Roll app \(name) in \(w.scope.namespace) back to \(image)?") else {
                ctx.stderr.line("Nothing changed.")
                return 1
            }
        }
        // A rollback is recorded as one, whatever it undoes; it is not a promotion.
        let cr = Promotion.recorded(
            Workloads.applyable(a), previous: a, image: image, action: "rollback",
            at: Promotion.timestamp(ctx.clock()), by: try ctx.actor())
        var plan = w.plan([cr])
        let which = revision == nil ? "undoing revision \(entry.revision)" : "the image of revision \(entry.revision)"
        plan.report = [.success("\(name) rolled back to \(image) in \(w.scope.namespace) (\(which))")]
        try ctx.write(plan)
        return try AppCommands.waitIfAsked(inv, ctx, w.scope.namespace, [RolloutWait.app(name)])
    }
}
