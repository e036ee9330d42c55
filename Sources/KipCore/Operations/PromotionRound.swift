import Foundation

/// One attempt of `kip app promote` (pure): from the source and the target as read, the
/// gates and who promotes when, the promotion's plan (images moved, apps created as a
/// copy makes them, gate refusals recorded in the target's history, an Event per app),
/// what is said before the question, and, after a write kubectl carried out in part,
/// which apps did not get the image.
public struct PromotionRound {
    public var project: Project
    public var from: String
    public var to: String
    public var items: [Promotion.Item]
    /// Apps the promotion creates in the target.
    public var creating: Set<String>
    /// Warnings about the apps it creates (bindings and mounts the target lacks).
    public var notes: [String]
    public var plan: Plan
    /// Apps a gate refused, and why (recorded in the target's history, not promoted).
    public var refused: [String: String]

    /// Plans the promotion of `app` (or every app of the source) from `src` into `dst`.
    /// A single app is all or nothing: refused before anything is written.
    public static func plan(
        project: Project, from: String, to: String, app: String?, source src: EnvironmentView,
        target dst: EnvironmentView, gates: PromotionGates, create: Bool, actor: String, now: Date
    ) throws -> PromotionRound {
        let items = Promotion.plan(
            apps: app.map { [$0] }, source: src.crs(.app), target: dst.crs(.app), running: dst.runningImages,
            create: create)
        if app != nil, let item = items.first, let problem = refusal(item, from: from, to: to, project: project.name) {
            throw KipError(problem)
        }
        if items.isEmpty { throw KipError("no apps in \(from) (\(src.scope.namespace)) to promote") }
        let verdict = gates.check(items, from: from, to: to, project: project.name, source: src, target: dst)
        let passing = items.filter { verdict.refusals[$0.app] == nil }
        let at = Promotion.timestamp(now)
        let (new, notes) = try created(passing, src: src, dst: dst, from: from, at: at, actor: actor)
        var plan = Promotion.writePlan(
            passing, target: dst.crs(.app), scope: dst.scope, from: from, to: to, at: at, by: actor, new: new)
        plan.owners = PromotionGates.stamped(plan.owners, verdict.approvals)
        recordRefusals(&plan, verdict.refusals, items: items, dst: dst, from: from, at: at, actor: actor)
        plan.claims = EnvironmentView.claims(new, scope: dst.scope) { _ in nil }
        plan.summary = ["Promote \(from) → \(to) (\(project.name))"] + (plan.summary ?? [])
        plan.changes = changes(items, verdict, from: from, namespace: dst.scope.namespace, actor: actor)
        return PromotionRound(
            project: project, from: from, to: to, items: items,
            creating: Set(new.compactMap { $0.at("metadata", "name")?.stringValue }), notes: notes, plan: plan,
            refused: verdict.refusals)
    }

    /// Why an app cannot be promoted at all (not a gate: nothing to promote or nowhere to).
    public static func refusal(_ i: Promotion.Item, from: String, to: String, project: String) -> String? {
        switch i.outcome {
        case .missingTarget:
            return
                "app \(i.app) does not exist in \(to): create it first with 'kip app deploy --name \(i.app) --image IMAGE --port PORT --project \(project) --environment \(to)'"
        case .missingSource: return "app \(i.app) does not exist in \(from): nothing to promote"
        case .noImage: return "app \(i.app) in \(from) has no image to promote"
        default: return nil
        }
    }

    /// Each app promoted, or refused by a gate, as an Event in the target.
    static func changes(
        _ items: [Promotion.Item], _ verdict: PromotionGates.Verdict, from: String, namespace: String, actor: String
    ) -> [ChangeEvent] {
        items.compactMap { i in
            guard let image = PromotionGates.image(i) else { return nil }
            if let why = verdict.refusals[i.app] {
                return .app(
                    "PromotionRefused", "Promote", i.app, in: namespace,
                    note: "kip app promote by \(actor): \(image) from \(from) refused: \(why)", warning: true)
            }
            let approved = verdict.approvals[i.app].map {
                " (approved by \($0.at("spec", "approvedBy")?.stringValue ?? ""))"
            }
            return .app(
                "Promoted", "Promote", i.app, in: namespace,
                note: "kip app promote by \(actor): \(image) from \(from)\(approved ?? "")")
        }
    }

    /// Each refused app that the target has gets the attempt in its history (what, who,
    /// why); nothing else of it changes.
    static func recordRefusals(
        _ plan: inout Plan, _ refused: [String: String], items: [Promotion.Item], dst: EnvironmentView, from: String,
        at: String, actor: String
    ) {
        for i in items {
            guard let why = refused[i.app], let image = PromotionGates.image(i) else { continue }
            plan.summary = (plan.summary ?? []) + ["\(i.app)  refused: \(why)"]
            guard let t = dst.cr(.app, i.app) else { continue }
            let cr = Workloads.applyable(
                Promotion.attempted(
                    t, image: image, action: "promote", from: from, at: at, by: actor, result: "refused", reason: why))
            plan.owners.append(cr)
            plan.restore.append(Workloads.asItWas(t))
            if let uid = t.at("metadata", "uid")?.stringValue { plan.knownUIDs[Plan.key(cr)] = uid }
        }
    }

    /// Apps new in the target, created from the source app as a copy makes them; refused
    /// when the target runs a Deployment of that name kip did not make.
    static func created(
        _ items: [Promotion.Item], src: EnvironmentView, dst: EnvironmentView, from: String, at: String, actor: String
    ) throws -> ([JSON], [String]) {
        let creating = items.compactMap { i -> String? in
            if case .create = i.outcome { return i.app }
            return nil
        }
        if creating.isEmpty { return ([], []) }
        for n in creating where dst.runningImages[n] != nil {
            throw EnvironmentView.notTakingOver("Deployment", n, dst.scope.namespace, .app)
        }
        func names(_ k: WorkloadKind) -> Set<String> {
            Set(dst.crs(k).compactMap { $0.at("metadata", "name")?.stringValue })
        }
        var new: [JSON] = []
        var notes: [String] = []
        for n in creating {
            guard let source = src.cr(.app, n) else { continue }
            let (cr, said) = Promotion.created(
                source, in: dst.scope, sourceNamespace: src.scope.namespace, from: from, at: at, by: actor,
                services: names(.service), volumes: names(.volume))
            new.append(cr)
            notes += said
        }
        return (new, notes)
    }

    /// What is said before the question: a skip or a step backwards (`--force`), the
    /// direction, the apps, and each app's image now and after.
    public func notices(force: Bool) -> [Plan.Line] {
        var out: [Plan.Line] = []
        if force {
            let p = project.pipeline
            if let si = p.firstIndex(of: from), let ti = p.firstIndex(of: to) {
                if si > ti {
                    out.append(.warning("\(from) → \(to) goes backwards (--force)"))
                } else if ti - si > 1 {
                    out.append(.warning("\(from) → \(to) skips \(p[(si + 1)..<ti].joined(separator: ", ")) (--force)"))
                }
            }
        }
        out.append(.info("Promote \(from) → \(to) (\(project.name))"))
        out.append(
            .info(
                "Apps: \(items.map { creating.contains($0.app) ? "\($0.app) (new in \(to))" : $0.app }.joined(separator: ", "))"
            ))
        let width = items.map(\.app.count).max() ?? 0
        for i in items {
            let pad = i.app.padding(toLength: width, withPad: " ", startingAt: 0)
            switch i.outcome {
            case .promote(let before, let after): out.append(.info("  \(pad)  \(to): \(before) → \(after)"))
            case .finish(let img, let running):
                out.append(.info("  \(pad)  \(to): \(running.isEmpty ? "(no Deployment)" : running) → \(img)"))
            case .create(let img): out.append(.info("  \(pad)  \(to): (new) → \(img)"))
            case .unchanged(let img): out.append(.info("  \(pad)  \(to): \(img) (already)"))
            default: break
            }
        }
        return out + notes.map { .warning($0) }
    }

    /// `--all`, after a write kubectl carried out in part (it goes on past a failed object
    /// and says only what failed): from the target's Apps and Deployments read again, the
    /// apps that do not carry the new image on both, with why.
    public func notWritten(now: [JSON], error: String) -> [String: String] {
        func image(_ kind: String, _ n: String) -> String? {
            let o = now.first { $0["kind"]?.stringValue == kind && $0.at("metadata", "name")?.stringValue == n }
            return kind == "App"
                ? o?.at("spec", "image")?.stringValue
                : o?.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"]?.stringValue
        }
        var failed: [String: String] = [:]
        for cr in plan.owners {
            let n = cr.at("metadata", "name")?.stringValue ?? ""
            let want = cr.at("spec", "image")?.stringValue
            if image("App", n) != want || image("Deployment", n) != want {
                failed[n] = "\(error) (run the same promote again to finish)"
            }
        }
        return failed
    }
}
