import Foundation

/// What must hold before an image moves into an environment (pure): the source runs it
/// Available, has run it long enough (`--min-soak`), and, where the target requires
/// approvals, someone other than the promoter approved it.
public struct PromotionGates {
    /// `--force`: the source's state and soak time are not checked. An approval is
    /// never waived.
    public var force = false
    /// `--min-soak`, in seconds, and as given.
    public var minSoak: Double?
    public var minSoakText = ""
    public var now: Date
    public var requireApproval = false
    /// Who promotes, as the API server knows them (never `KIP_ACTOR`'s note).
    public var promoter = ""
    /// The target namespace's Approvals.
    public var approvals: [JSON] = []

    public init(now: Date) { self.now = now }

    /// Each app's refusal, and the Approval each approved app uses.
    public struct Verdict: Equatable {
        public var refusals: [String: String] = [:]
        public var approvals: [String: JSON] = [:]
    }

    /// The image a promotion item writes: nil when it writes none (finishing a half-made
    /// write, nothing to do, or nothing to promote).
    public static func image(_ i: Promotion.Item) -> String? {
        switch i.outcome {
        case .promote(_, let after): return after
        case .create(let img): return img
        default: return nil
        }
    }

    public func check(
        _ items: [Promotion.Item], from: String, to: String, project: String, source: EnvironmentView,
        target: EnvironmentView
    ) -> Verdict {
        var v = Verdict()
        for i in items {
            guard let image = Self.image(i) else { continue }
            if !force, let why = sourceRefusal(i.app, image, from: from, source) {
                v.refusals[i.app] = why
                continue
            }
            guard requireApproval else { continue }
            switch approval(i.app, image, used: Promotion.history(target.cr(.app, i.app) ?? [:])) {
            case .success(let a): v.approvals[i.app] = a
            case .failure(let e):
                v.refusals[i.app] = e.message(app: i.app, image: image, to: to, project: project)
            }
        }
        return v
    }

    /// Why the source does not vouch for `image`: its Deployment does not run it, is not
    /// Available, or has not run it for `minSoak`.
    func sourceRefusal(_ app: String, _ image: String, from: String, _ source: EnvironmentView) -> String? {
        let hint = "; pass --force to promote it anyway"
        guard let d = source.native("Deployment", app) else {
            return "\(app) has no Deployment in \(from): nothing shows \(image) runs there\(hint)"
        }
        let running = d.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"]?.stringValue ?? ""
        if running != image {
            return
                "\(from) runs \(running.ifEmpty("no image")) for \(app), not \(image) (its App was changed, its Deployment not)\(hint)"
        }
        let pods = source.natives.filter { $0["kind"]?.stringValue == "Pod" }
        let replicaSets = source.natives.filter { $0["kind"]?.stringValue == "ReplicaSet" }
        switch Rollout.state(d, pods: pods, replicaSets: replicaSets) {
        case .done: break
        case .failed(let why): return "\(app) is not Available in \(from) with \(image): \(why)\(hint)"
        case .progressing(let what):
            return "\(app) is not Available in \(from) yet (\(image): \(what)): wait for its rollout (--wait)\(hint)"
        }
        guard let minSoak else { return nil }
        let since = Promotion.history(source.cr(.app, app) ?? [:]).last { $0.ran && $0.imageAfter == image }
        guard let at = since.flatMap({ Durations.parse($0.at) }) else {
            return
                "\(app): \(from)'s history does not say since when it runs \(image), so --min-soak cannot hold\(hint)"
        }
        let ran = now.timeIntervalSince(at)
        if ran < minSoak {
            return
                "\(app) has run \(image) in \(from) for \(Durations.short(ran)) (since \(since!.at)), less than --min-soak \(minSoakText.ifEmpty(Durations.short(minSoak)))\(hint)"
        }
        return nil
    }

    enum Missing: Error {
        case none
        case ownApproval(String)

        func message(app: String, image: String, to: String, project: String) -> String {
            let ask = "kip app approve \(app) --to \(to) --image \(image) --project \(project)"
            switch self {
            case .none:
                return
                    "\(to) requires an approval: \(app) with \(image) is not approved; an admin of \(to) approves it with '\(ask)'"
            case .ownApproval(let who):
                return
                    "\(app) with \(image) was approved by \(who), who promotes it: another admin of \(to) must approve it ('\(ask)')"
            }
        }
    }

    /// The unused Approval of `app` with `image` by someone other than the promoter.
    func approval(_ app: String, _ image: String, used: [HistoryEntry]) -> Result<JSON, Missing> {
        let usedUIDs = Set(used.map(\.approval))
        let mine = approvals.filter {
            $0.at("spec", "app")?.stringValue == app && $0.at("spec", "image")?.stringValue == image
                && !usedUIDs.contains($0.at("metadata", "uid")?.stringValue ?? "")
        }
        if let a = mine.first(where: { $0.at("spec", "approvedBy")?.stringValue != promoter }) { return .success(a) }
        if let a = mine.first { return .failure(.ownApproval(a.at("spec", "approvedBy")?.stringValue ?? "")) }
        return .failure(.none)
    }

    /// `owners` (the Apps a promotion writes) with the approval each used on the entry
    /// the promotion adds to its history: who approved, and the Approval's uid, which
    /// uses it up.
    public static func stamped(_ owners: [JSON], _ used: [String: JSON]) -> [JSON] {
        owners.map { o in
            guard let a = used[o.at("metadata", "name")?.stringValue ?? ""] else { return o }
            var h = Promotion.history(o)
            guard !h.isEmpty else { return o }
            h[h.count - 1].approvedBy = a.at("spec", "approvedBy")?.stringValue ?? ""
            h[h.count - 1].approval = a.at("metadata", "uid")?.stringValue ?? ""
            var out = o
            out.set(["status", "history"], .array(h.map(\.json)))
            return out
        }
    }

    /// The Approval objects of `approvals` not used by the apps' histories: those still
    /// pending.
    public static func pending(_ approvals: [JSON], apps: [JSON]) -> [JSON] {
        let used = Set(apps.flatMap { Promotion.history($0).map(\.approval) })
        return approvals.filter { !used.contains($0.at("metadata", "uid")?.stringValue ?? "") }
    }

    /// An Approval of `app` with `image` in `scope` by `who` at `at`: named by the app and
    /// the image, so approving the same twice is one object; when that name is `taken` by
    /// an approval a promotion used, by the time too.
    public static func approval(
        app: String, image: String, scope: WorkloadScope, by who: String, at: String, taken: Set<String> = []
    ) -> JSON {
        let hash = String(SHA256.hex(SHA256.digest(Array(image.utf8))).prefix(10))
        var name = WorkloadScope.label("\(app)-\(hash)")
        if taken.contains(name) {
            let stamp = at.filter { $0.isNumber }
            name = WorkloadScope.label("\(app)-\(hash)-\(stamp)")
        }
        return [
            "apiVersion": .string(Keys.apiVersion), "kind": "Approval",
            "metadata": [
                "name": .string(name), "namespace": .string(scope.namespace),
                "labels": .object(Workloads.labels(scope, nil, nil)),
            ],
            "spec": [
                "app": .string(app), "image": .string(image), "approvedBy": .string(who), "approvedAt": .string(at),
            ],
        ]
    }

    /// The environment approvals are given for: one of the project's that requires them.
    public static func approvalTarget(_ project: Project, _ to: String) throws -> Project.Environment {
        guard let target = project.environment(to) else {
            throw KipError(
                "project \"\(project.name)\" has no environment \"\(to)\"; it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        guard target.requireApproval else {
            throw KipError(
                "\(project.name)/\(to) does not require approvals: 'kip project protect \(project.name)/\(to) --require-approval' makes it"
            )
        }
        return target
    }

    /// `kip app approve`: an Approval per app and image in the target `dst`, by `who`,
    /// each told as an Event. An approval a promotion has used keeps its name: the new one
    /// takes another.
    public static func approvalPlan(
        _ images: [(app: String, image: String)], to: String, dst: EnvironmentView, by who: String, at: String
    ) -> Plan {
        let used = Set(dst.approvals.map { $0.at("metadata", "name")?.stringValue ?? "" }).subtracting(
            pending(dst.approvals, apps: dst.crs(.app)).map { $0.at("metadata", "name")?.stringValue ?? "" })
        var plan = Plan()
        plan.owners = images.map { app, image in
            approval(app: app, image: image, scope: dst.scope, by: who, at: at, taken: used)
        }
        plan.changes = images.map { app, image in
            .app("Approved", "Approve", app, in: dst.scope.namespace, note: "kip app approve by \(who): \(image)")
        }
        plan.report = images.map { app, image in
            .success("approved \(app) with \(image) for \(to) (by \(who)): one promotion of it into \(to) may go ahead")
        }
        return plan
    }
}
