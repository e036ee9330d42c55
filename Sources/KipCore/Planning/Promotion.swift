import Foundation

/// One line of an app's promotion history, kept in the App's `status.history`.
public struct HistoryEntry: Equatable, Sendable {
    public var revision: Int
    public var action: String  // "promote" or "rollback"
    public var from: String  // source environment; for a rollback, the environment itself
    public var imageBefore: String
    public var imageAfter: String
    public var at: String
    /// Who: `KIP_ACTOR`, else the kubeconfig's user; empty when not known.
    public var by: String
    /// Empty when the change was made; `refused` (a gate said no: nothing changed) or
    /// `failed` (written, but its rollout failed).
    public var result: String = ""
    /// Why it was refused or failed.
    public var reason: String = ""
    /// Who approved it, when the environment requires approvals.
    public var approvedBy: String = ""
    /// The uid of the Approval it used: an approval is used once.
    public var approval: String = ""

    public init(
        revision: Int, action: String, from: String, imageBefore: String, imageAfter: String, at: String,
        by: String = "", result: String = "", reason: String = "", approvedBy: String = ""
    ) {
        self.revision = revision
        self.action = action
        self.from = from
        self.imageBefore = imageBefore
        self.imageAfter = imageAfter
        self.at = at
        self.by = by
        self.result = result
        self.reason = reason
        self.approvedBy = approvedBy
    }

    /// Whether the image of this entry ran (it was neither refused nor failed).
    public var ran: Bool { result.isEmpty }

    public init?(_ j: JSON) {
        guard let r = j["revision"]?.intValue, let a = j["action"]?.stringValue else { return nil }
        self.init(
            revision: r, action: a, from: j["from"]?.stringValue ?? "",
            imageBefore: j["imageBefore"]?.stringValue ?? "",
            imageAfter: j["imageAfter"]?.stringValue ?? "", at: j["at"]?.stringValue ?? "",
            by: j["by"]?.stringValue ?? "", result: j["result"]?.stringValue ?? "",
            reason: j["reason"]?.stringValue ?? "", approvedBy: j["approvedBy"]?.stringValue ?? "")
        approval = j["approval"]?.stringValue ?? ""
    }

    public var json: JSON {
        var j: JSON = [
            "revision": .int(revision), "action": .string(action), "from": .string(from),
            "imageBefore": .string(imageBefore),
            "imageAfter": .string(imageAfter), "at": .string(at),
        ]
        if !by.isEmpty { j["by"] = .string(by) }
        if !result.isEmpty { j["result"] = .string(result) }
        if !reason.isEmpty { j["reason"] = .string(reason) }
        if !approvedBy.isEmpty { j["approvedBy"] = .string(approvedBy) }
        if !approval.isEmpty { j["approval"] = .string(approval) }
        return j
    }
}

/// Promotion along a project's pipeline (design §7): pure planning.
public enum Promotion {
    public static let historyLimit = 20

    public static func history(_ app: JSON) -> [HistoryEntry] {
        (app.at("status", "history")?.arrayValue ?? []).compactMap(HistoryEntry.init)
    }

    /// UTC RFC 3339, second precision.
    public static func timestamp(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }

    /// Source and target environments; `--to` alone promotes from the stage before it.
    /// Backwards or skipping a stage needs `force`.
    /// A promotion that involves a preview, which is outside the pipeline's order: into
    /// one, from the environment `--from` names (there is no stage before it); out of one
    /// into a stage only with `--force`. nil when both are stages.
    static func previewRoute(_ project: Project, from: String?, to: String, force: Bool) throws -> (
        from: String, to: String
    )? {
        let target = project.environment(to)
        let source = from.flatMap { project.environment($0) }
        guard target?.preview == true || source?.preview == true else { return nil }
        if let from, source == nil {
            throw KipError(
                "project \"\(project.name)\" has no environment \"\(from)\"; it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        guard let source else {
            throw KipError(
                "\(to) is a preview environment, outside the pipeline: say where its images come from with --from (e.g. --from \(project.stages.first ?? "test"))"
            )
        }
        if source.name == to { throw KipError("source and target are both \(to): promote between two environments") }
        if source.preview && target?.preview != true && !force {
            throw KipError(
                "\(source.name) is a preview environment: promote into \(to) from a stage of the pipeline (\(project.stages.joined(separator: " → "))), or pass --force"
            )
        }
        return (source.name, to)
    }

    public static func environments(_ project: Project, from: String?, to: String, force: Bool) throws -> (
        from: String, to: String
    ) {
        let pipeline = project.stages
        if let previews = try previewRoute(project, from: from, to: to, force: force) { return previews }
        guard let ti = pipeline.firstIndex(of: to) else {
            throw KipError(
                "project \"\(project.name)\" has no environment \"\(to)\"; its pipeline is \(pipeline.joined(separator: " → "))"
            )
        }
        let source: String
        if let from {
            guard pipeline.contains(from) else {
                throw KipError(
                    "project \"\(project.name)\" has no environment \"\(from)\"; its pipeline is \(pipeline.joined(separator: " → "))"
                )
            }
            source = from
        } else {
            guard ti > 0 else {
                throw KipError(
                    "\(to) is the first environment of \(pipeline.joined(separator: " → ")): nothing comes before it; pass --from"
                )
            }
            source = pipeline[ti - 1]
        }
        let si = pipeline.firstIndex(of: source)!
        if si == ti { throw KipError("source and target are both \(to): promote between two environments") }
        if !force {
            if si > ti {
                throw KipError(
                    "\(source) → \(to) goes backwards along \(pipeline.joined(separator: " → ")): pass --force to do it anyway"
                )
            }
            if ti - si > 1 {
                let skipped = pipeline[(si + 1)..<ti].joined(separator: ", ")
                throw KipError(
                    "\(source) → \(to) skips \(skipped): pass --force to do it anyway, or promote one stage at a time")
            }
        }
        return (source, to)
    }

    public enum Outcome: Equatable {
        case promote(before: String, after: String)
        /// The App already asks for the image but its Deployment still runs another (a
        /// write that failed half-way): write the Deployment again.
        case finish(image: String, running: String)
        /// The app is not in the target yet: created there from the source app.
        case create(image: String)
        case unchanged(String)
        case missingTarget
        case missingSource
        case noImage
    }

    public struct Item: Equatable {
        public var app: String
        public var outcome: Outcome
        public init(app: String, outcome: Outcome) {
            self.app = app
            self.outcome = outcome
        }
    }

    /// What promoting `apps` (nil: every app of the source) would do. `running` is the
    /// image each target app's Deployment runs, when known: an App that already names the
    /// image is unchanged only when its Deployment runs it too.
    public static func plan(
        apps: [String]?, source: [JSON], target: [JSON], running: [String: String]? = nil, create: Bool = false
    )
        -> [Item]
    {
        func image(_ o: JSON?) -> String? { o?.at("spec", "image")?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        func find(_ list: [JSON], _ n: String) -> JSON? { list.first { $0.at("metadata", "name")?.stringValue == n } }
        let names = apps ?? source.compactMap { $0.at("metadata", "name")?.stringValue }.sorted()
        return names.map { n in
            guard let s = find(source, n) else { return Item(app: n, outcome: .missingSource) }
            guard let img = image(s) else { return Item(app: n, outcome: .noImage) }
            guard let t = find(target, n) else {
                return Item(app: n, outcome: create ? .create(image: img) : .missingTarget)
            }
            let before = image(t) ?? ""
            // An App that names the image while its Deployment runs another, or has none.
            if before == img, let running, running[n] != img {
                return Item(app: n, outcome: .finish(image: img, running: running[n] ?? ""))
            }
            return Item(app: n, outcome: before == img ? .unchanged(img) : .promote(before: before, after: img))
        }
    }

    /// A new App in the target environment from the source one, as a copy makes it: the
    /// target's default route when the source had a route, the source namespace rewritten
    /// where it stands as a whole token in env values; no history of the source's. With
    /// the lines to say about it (suspect env vars, services and volumes not there).
    public static func created(
        _ source: JSON, in scope: WorkloadScope, sourceNamespace: String, from: String, at: String, by: String,
        services: Set<String>, volumes: Set<String>
    ) -> (JSON, [String]) {
        let name = source.at("metadata", "name")?.stringValue ?? ""
        var spec = AppSpec(json: source["spec"] ?? [:])
        var notes: [String] = []
        if spec.route != nil { spec.route = scope.defaultHost(name) }
        spec.env = spec.env.map { e in
            let v = NamespaceRewrite.rewrite(e.value, from: sourceNamespace, to: scope.namespace)
            if Suspect.isSuspect(e.name) {
                notes.append(
                    "env \(e.name) of \(name) came from \(from): check it suits \(scope.environment ?? scope.namespace)"
                )
            }
            return EnvVar(name: e.name, value: v)
        }
        for b in spec.bindings where !services.contains(b.service) {
            notes.append(
                "\(name) is bound to service \(b.service), which \(scope.namespace) has not got: 'kip service add … --name \(b.service)' there"
            )
        }
        for m in spec.volumes where !volumes.contains(m.volume) {
            notes.append(
                "\(name) mounts volume \(m.volume), which \(scope.namespace) has not got: 'kip volume add \(m.volume)' there"
            )
        }
        notes.append(
            "secrets of \(name) are not copied: set the ones it needs with 'kip app secret set \(name) KEY' in \(scope.environment ?? scope.namespace)"
        )
        var cr = Workloads.cr(.app, name, scope, spec: spec.json)
        cr = recorded(cr, image: spec.image, action: "promote", from: from, at: at, by: by)
        cr.set(["metadata", "annotations", Keys.promotedFrom], .string(from))
        cr.set(["metadata", "annotations", Keys.promotedAt], .string(at))
        cr.set(["metadata", "annotations", Keys.promotedImage], .string(spec.image))
        return (cr, notes)
    }

    /// The target App with the new image, the promotion annotations and a history entry
    /// (the last `historyLimit` kept). Nothing else of the target changes.
    public static func promoted(_ target: JSON, image: String, from: String, at: String, by: String = "") -> JSON {
        var t = recorded(target, previous: target, image: image, action: "promote", from: from, at: at, by: by)
        t.set(["metadata", "annotations", Keys.promotedFrom], .string(from))
        t.set(["metadata", "annotations", Keys.promotedAt], .string(at))
        t.set(["metadata", "annotations", Keys.promotedImage], .string(image))
        return t
    }

    /// `app` with `image`, the change appended to its history (the last `historyLimit`
    /// kept) when the image changes: every deploy, set-image, promotion and rollback.
    /// `previous` is the App as it was (nil when new).
    public static func recorded(
        _ app: JSON, previous: JSON? = nil, image: String, action: String, from: String = "", at: String,
        by: String = ""
    ) -> JSON {
        var t = app
        let old = previous ?? app
        let before =
            previous == nil && app.at("metadata", "uid") == nil ? "" : (old.at("spec", "image")?.stringValue ?? "")
        t.set(["spec", "image"], .string(image))
        if before == image { return t }
        var h = history(old)
        let next = (h.map(\.revision).max() ?? 0) + 1
        h.append(
            HistoryEntry(
                revision: next, action: action, from: from, imageBefore: before, imageAfter: image, at: at, by: by))
        if h.count > historyLimit { h.removeFirst(h.count - historyLimit) }
        t.set(["status", "history"], .array(h.map(\.json)))
        return t
    }

    /// `app` with an attempt that changed nothing appended to its history: a promotion a
    /// gate refused (`result` "refused") with its reason.
    public static func attempted(
        _ app: JSON, image: String, action: String, from: String, at: String, by: String, result: String,
        reason: String
    ) -> JSON {
        var t = app
        var h = history(app)
        h.append(
            HistoryEntry(
                revision: (h.map(\.revision).max() ?? 0) + 1, action: action, from: from,
                imageBefore: app.at("spec", "image")?.stringValue ?? "", imageAfter: image, at: at, by: by,
                result: result, reason: reason))
        if h.count > historyLimit { h.removeFirst(h.count - historyLimit) }
        t.set(["status", "history"], .array(h.map(\.json)))
        return t
    }

    /// `app` with its latest entry that wrote `image` marked `failed` for `reason` (its
    /// rollout did not finish).
    public static func failed(_ app: JSON, image: String, reason: String) -> JSON {
        var t = app
        var h = history(app)
        guard let i = h.lastIndex(where: { $0.imageAfter == image && $0.ran }) else { return app }
        h[i].result = "failed"
        h[i].reason = reason
        t.set(["status", "history"], .array(h.map(\.json)))
        return t
    }

    /// The image a rollback restores: revision N's image, else the one before the latest change.
    /// Attempts that were refused or failed are not changes to go back over.
    public static func rollbackImage(_ app: JSON, toRevision: Int?) throws -> (image: String, entry: HistoryEntry) {
        let h = history(app).filter { $0.result != "refused" }
        guard let last = h.last else { throw KipError("app has no image history to roll back to") }
        if let n = toRevision {
            guard let e = h.first(where: { $0.revision == n }) else {
                throw KipError(
                    "no revision \(n) in the history; revisions kept: \(h.map { String($0.revision) }.joined(separator: ", "))"
                )
            }
            if !e.ran { throw KipError("revision \(n) \(e.result): \(e.imageAfter) never ran; pick another revision") }
            return (e.imageAfter, e)
        }
        guard !last.imageBefore.isEmpty else {
            throw KipError("revision \(last.revision) has no earlier image to restore")
        }
        return (last.imageBefore, last)
    }

    /// The plan that writes promotion `items` into the target environment: each
    /// promoted App CR (its resourceVersion the precondition) with its Deployment and
    /// other children, in one apply. The dry-run summary shows each app's image change.
    public static func writePlan(
        _ items: [Item], target: [JSON], scope: WorkloadScope, from: String, to: String, at: String, by: String = "",
        new: [JSON] = []
    ) -> Plan {
        var plan = Plan()
        // Apps new in the target: written whole (Service, route and all), not only their
        // Deployment.
        let newNames = Set(new.compactMap { $0.at("metadata", "name")?.stringValue })
        plan.owners = new
        for i in items {
            guard let t = target.first(where: { $0.at("metadata", "name")?.stringValue == i.app }) else { continue }
            let cr: JSON
            switch i.outcome {
            case .promote(_, let after):
                cr = Workloads.applyable(promoted(t, image: after, from: from, at: at, by: by))
            case .finish: cr = Workloads.applyable(t)
            default: continue
            }
            plan.owners.append(cr)
            plan.restore.append(Workloads.asItWas(t))
            if let uid = t.at("metadata", "uid")?.stringValue { plan.knownUIDs[Plan.key(cr)] = uid }
        }
        let owners = plan.owners
        // Only the image moves, and only the Deployment depends on it: the App and its
        // Deployment are written, nothing else (its Service, route and autoscaler).
        plan.owned = { uids in
            owners.flatMap { o in
                Workloads.render(o, scope, uid: uids[Plan.key(o)] ?? "", password: { _ in nil })
                    .filter {
                        newNames.contains(o.at("metadata", "name")?.stringValue ?? "")
                            || $0["kind"]?.stringValue == "Deployment"
                    }
            }
        }
        let width = items.map(\.app.count).max() ?? 0
        plan.summary = items.map { i in
            let pad = i.app.padding(toLength: width, withPad: " ", startingAt: 0)
            switch i.outcome {
            case .promote(let before, let after):
                return "\(pad)  \(to): \(before.isEmpty ? "(none)" : before) → \(after)"
            case .finish(let img, let running):
                return "\(pad)  \(to): \(img) ("
                    + (running.isEmpty ? "its Deployment is missing" : "its Deployment still runs \(running)")
                    + ": finishing)"
            case .create(let img): return "\(pad)  \(to): (new in \(to)) → \(img)"
            case .unchanged(let img): return "\(pad)  \(to): \(img) (unchanged)"
            case .missingTarget: return "\(pad)  not in \(to)"
            case .missingSource: return "\(pad)  not in \(from)"
            case .noImage: return "\(pad)  no image in \(from)"
            }
        }
        return plan
    }
}

extension Promotion {
    /// `kip app rollback APP [--to-revision N]`: the app back at the image the revision
    /// undone ran (or the one named ran), recorded as a rollback and told as an Event;
    /// with that image, for the question.
    public static func rollbackPlan(_ name: String, _ w: EnvironmentView, toRevision: Int?, at: Date, by: String)
        throws -> (Plan, String)
    {
        let a = try w.require(.app, name)
        let (image, entry) = try rollbackImage(a, toRevision: toRevision)
        let running = a.at("spec", "image")?.stringValue ?? ""
        if image == running { throw KipError("app \(name) already runs \(image) in \(w.scope.namespace)") }
        // A rollback is recorded as one, whatever it undoes; it is not a promotion.
        let cr = recorded(
            Workloads.applyable(a), previous: a, image: image, action: "rollback", at: timestamp(at), by: by)
        var plan = try w.plan([cr])
        plan.changes = [
            .app(
                "RolledBack", "Rollback", name, in: w.scope.namespace,
                note: "kip app rollback by \(by): \(running) → \(image)")
        ]
        let which = toRevision == nil ? "undoing revision \(entry.revision)" : "the image of revision \(entry.revision)"
        plan.report = [.success("\(name) rolled back to \(image) in \(w.scope.namespace) (\(which))")]
        return (plan, image)
    }
}
