import Foundation

/// One environment as a command sees it: its resolved scope and what one read of it
/// observed. Everything here is decided from those alone (no kubectl, no terminal), so
/// every rule a write shares (names an environment's kinds share, what kip will not take
/// over, what a CR renders and no longer renders) is tested without a cluster.
public struct EnvironmentView {
    public var observed: Observed
    public var scope: WorkloadScope
    /// The project whose environments a command spans (promotion, copy); nil for one.
    public var project: Project?
    /// Makes a fresh service password (192 random bits); the reader sets it from the
    /// command's random source, tests from a fixed one.
    public var newPassword: () -> String = {
        var g = SystemRandomNumberGenerator()
        return EnvironmentView.password((0..<24).map { _ in UInt8.random(in: 0...255, using: &g) })
    }

    /// Every kind a workload command may need inside its namespace, in one `kubectl get`.
    public static let kinds: [String] =
        WorkloadKind.allCases.map(\.resource) + [
            "secrets", "deployments.apps", "services", "ingresses.v1.networking.k8s.io",
            "horizontalpodautoscalers.autoscaling",
            "statefulsets.apps", "persistentvolumeclaims", "cronjobs.batch", "jobs.batch",
        ]

    /// What one app's write reads: its CR and the children every app renders (to refuse
    /// taking over a hand-made one), plus `more` (the services it binds, the volumes it
    /// mounts, its HPA when autoscaling is asked for). What it rendered before and no
    /// longer does is known from its CR, and deleted by name.
    public static func appObjects(_ name: String, more: [String] = []) -> [String] {
        [
            "\(CRDs.app)/\(name)", "deployments.apps/\(name)", "services/\(name)",
            "ingresses.v1.networking.k8s.io/\(name)",
        ] + more
    }

    /// A view of `observed` at `namespace` (the environment `environment` of `project`, or
    /// a bare namespace).
    public init(
        _ observed: Observed, project: Project? = nil, projectName: String?, environment: String?, namespace: String
    ) {
        self.observed = observed
        self.project = project
        scope = WorkloadScope(
            project: projectName, environment: environment, namespace: namespace, domain: observed.settings?.domain,
            cluster: observed.settings)
    }

    /// The same reading, in one environment of the project.
    public func at(_ env: Project.Environment) throws -> EnvironmentView {
        guard observed.namespaces[env.namespace] != nil else {
            throw KipError(
                "namespace \(env.namespace) of project \(scope.project ?? "") is missing: run 'kip project sync \(scope.project ?? "")'"
            )
        }
        var v = EnvironmentView(
            observed, project: project, projectName: scope.project, environment: env.name, namespace: env.namespace)
        v.newPassword = newPassword
        return v
    }

    var place: String { scope.project.map { "\($0)/\(scope.environment ?? "")" } ?? "namespace \(scope.namespace)" }

    public func crs(_ kind: WorkloadKind) -> [JSON] {
        (observed.workloads[scope.namespace] ?? []).filter { $0["kind"]?.stringValue == kind.rawValue }
            .sorted { ($0.at("metadata", "name")?.stringValue ?? "") < ($1.at("metadata", "name")?.stringValue ?? "") }
    }

    public func cr(_ kind: WorkloadKind, _ name: String) -> JSON? {
        crs(kind).first { $0.at("metadata", "name")?.stringValue == name }
    }

    public func require(_ kind: WorkloadKind, _ name: String) throws -> JSON {
        guard let o = cr(kind, name) else {
            let names = crs(kind).compactMap { $0.at("metadata", "name")?.stringValue }
            throw KipError(
                "\(kind.word) \"\(name)\" does not exist in \(scope.namespace)"
                    + (names.isEmpty ? "" : "; \(kind.plural) there: \(names.joined(separator: ", "))"))
        }
        return o
    }

    public var natives: [JSON] { observed.natives[scope.namespace] ?? [] }

    /// The Approvals read in the namespace (`kip app approve`).
    public var approvals: [JSON] {
        (observed.workloads[scope.namespace] ?? []).filter { $0["kind"]?.stringValue == "Approval" }
    }

    /// The object of `kind` named `name` read in the namespace, if any.
    public func native(_ kind: String, _ name: String) -> JSON? {
        natives.first { $0["kind"]?.stringValue == kind && $0.at("metadata", "name")?.stringValue == name }
    }

    /// `ready/desired` of the Deployment (or StatefulSet) named `name`, `-` without one.
    public func readyText(_ name: String) -> String {
        guard let d = native("Deployment", name) ?? native("StatefulSet", name) else { return "-" }
        let want = d.at("spec", "replicas")?.intValue ?? 1
        return "\(d.at("status", "readyReplicas")?.intValue ?? 0)/\(want)"
    }

    /// How job `name` last ran: its Job's outcome (a one-off job, or the newest Job its
    /// CronJob started), else when its CronJob last fired, else `-`.
    public func lastRun(_ name: String) -> String {
        let jobs = natives.filter {
            $0["kind"]?.stringValue == "Job"
                && $0.at("metadata", "labels", WorkloadKind.job.labelKey)?.stringValue == name
        }
        if let j = jobs.max(by: {
            ($0.at("metadata", "creationTimestamp")?.stringValue ?? "")
                < ($1.at("metadata", "creationTimestamp")?.stringValue ?? "")
        }) {
            if (j.at("status", "succeeded")?.intValue ?? 0) > 0 { return "succeeded" }
            if (j.at("status", "failed")?.intValue ?? 0) > 0 { return "failed" }
            return "running"
        }
        return native("CronJob", name)?.at("status", "lastScheduleTime")?.stringValue ?? "-"
    }

    /// The image each Deployment of the namespace runs (its first container's), by name.
    public var runningImages: [String: String] {
        var out: [String: String] = [:]
        for d in natives where d["kind"]?.stringValue == "Deployment" {
            if let n = d.at("metadata", "name")?.stringValue,
                let img = d.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"]?.stringValue
            {
                out[n] = img
            }
        }
        return out
    }
    public var secrets: [JSON] { observed.secrets[scope.namespace] ?? [] }
    public func secret(_ name: String) -> JSON? { secrets.first { $0.at("metadata", "name")?.stringValue == name } }

    /// Apps, functions and services share one name space in an environment: each renders
    /// a Service (and a Deployment or StatefulSet) under its own name. Jobs render Jobs and
    /// CronJobs only, so their names are their own. A command that reads by name sees the
    /// clash in the children it would write instead (`checkNotTakingOver`).
    public func checkNameFree(_ name: String, for kind: WorkloadKind) throws {
        for other in WorkloadKind.allCases where other.sharesNames && other != kind && kind.sharesNames {
            if cr(other, name) != nil { throw Self.nameTaken(other, name, scope.namespace) }
        }
    }

    public static func nameTaken(_ other: WorkloadKind, _ name: String, _ ns: String) -> KipError {
        KipError(
            "\(other.word) \"\(name)\" already exists in \(ns): an app, function and service cannot share a name")
    }

    /// A fresh service password from 24 random bytes (192 bits), base64url, so it sits
    /// in a connection URL unescaped.
    public static func password(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
            of: "/", with: "_")
    }

    /// The plan that writes these CRs and what they own: the CRs (their uids known when
    /// they exist), their rendered children, an owner for user secrets set before their
    /// app existed, and the deletion of children a CR no longer renders. Each new service
    /// gets its own fresh password; an existing credentials Secret is never regenerated.
    public func plan(_ given: [JSON]) throws -> Plan {
        let crs = given.map(Workloads.applyable)
        let existingSecrets = Set(secrets.compactMap { $0.at("metadata", "name")?.stringValue })
        let scope = self.scope
        var passwords: [String: String] = [:]
        var plan = Plan()
        plan.owners = crs
        for c in crs {
            guard let k = WorkloadKind(rawValue: c["kind"]?.stringValue ?? ""),
                let name = c.at("metadata", "name")?.stringValue
            else { continue }
            if let uid = cr(k, name)?.at("metadata", "uid")?.stringValue { plan.knownUIDs[Plan.key(c)] = uid }
            if let old = cr(k, name) { plan.restore.append(Workloads.asItWas(old)) }
            if k == .service, !existingSecrets.contains(SecretNames.credentials(name)) {
                passwords[name] = newPassword()
                passwords[Workloads.rootPasswordKey(name)] = newPassword()
            }
            let rendered = Workloads.render(c, scope, uid: "-", password: { passwords[$0] })
            // What the CR rendered before counts as existing too: a command that reads by
            // name need not have read an Ingress whose route it now drops.
            let before = cr(k, name).map { Workloads.render($0, scope, uid: "-", password: { _ in nil }) } ?? []
            for r in rendered {
                if let patch = Workloads.strategyPatch(rendered: r, live: native("Deployment", name)) {
                    plan.patches.append(("deployments.apps/\(name)", scope.namespace, patch))
                }
            }
            var seen = Set<String>()
            plan.deletes += Workloads.stale(existing: natives + before, rendered: rendered, kind: k, owner: name)
                .filter { seen.insert(Workloads.ref($0)).inserted }
                .map { Plan.Deletion(ref: Workloads.ref($0), namespace: scope.namespace) }
        }
        plan.owned = { uids in
            crs.flatMap { Workloads.render($0, scope, uid: uids[Plan.key($0)] ?? "", password: { passwords[$0] }) }
        }
        plan.resumeHint = "run the same command again to finish"
        plan.claims = Self.claims(crs, scope: scope) { self.cr(.app, $0) }
        return plan
    }

    /// The route claims these App CRs need (hosts new to their app). They are created
    /// before anything else is written; a host another app holds, in any project, is
    /// refused then, naming the holder (no read beforehand: one round less).
    public static func claims(_ crs: [JSON], scope: WorkloadScope, before: (String) -> JSON?) -> [JSON] {
        RouteClaims.wanted(crs, scope: scope, before: before).map { RouteClaims.claim($0.host, $0.holder) }
    }

    /// A new CR must not re-adopt what a deleted one of the same name left behind: the
    /// garbage collector is still deleting those objects (old data, a Secret about to go).
    public func checkNotBeingDeleted(_ kind: WorkloadKind, _ name: String) throws {
        guard cr(kind, name) == nil else { return }
        // An app's own secrets may be set before it is deployed: they are not leftovers.
        let left = (natives + secrets).filter {
            $0.at("metadata", "labels", kind.labelKey)?.stringValue == name
                && $0.at("metadata", "name")?.stringValue != SecretNames.app(name)
        }
        let order = ["StatefulSet", "Deployment", "CronJob", "Job", "PersistentVolumeClaim", "Service", "Secret"]
        if let o = left.min(by: {
            (order.firstIndex(of: $0["kind"]?.stringValue ?? "") ?? order.count)
                < (order.firstIndex(of: $1["kind"]?.stringValue ?? "") ?? order.count)
        }) {
            throw KipError(
                "\(kind.word) \(name) in \(scope.namespace) is still being deleted (its \(o["kind"]?.stringValue ?? "") \(o.at("metadata", "name")?.stringValue ?? "") is still there); try again in a moment"
            )
        }
    }

    /// kip never takes over what it did not create: an object it would write that exists
    /// without kip's labels for the same owner (a hand-made Deployment, a credentials
    /// Secret of someone else's) is a conflict, refused before anything is written.
    public func checkNotTakingOver(_ plan: Plan, adopt: Bool = false) throws {
        for o in plan.manifests where o["apiVersion"]?.stringValue != Keys.apiVersion {
            // What kip renders carries its owner's label (`kipper.run/app: api`).
            guard let owner = WorkloadKind.allCases.first(where: { o.at("metadata", "labels", $0.labelKey) != nil })
            else { continue }
            let kind = o["kind"]?.stringValue ?? ""
            let name = o.at("metadata", "name")?.stringValue ?? ""
            guard
                let existing = (natives + secrets).first(where: {
                    $0["kind"]?.stringValue == kind && $0.at("metadata", "name")?.stringValue == name
                })
            else { continue }
            let kips = existing.at("metadata", "labels", Keys.managedBy)?.stringValue == Keys.managedByValue
            let mine =
                kips && existing.at("metadata", "labels", owner.labelKey) == o.at("metadata", "labels", owner.labelKey)
            // Asked to: what kip did not make is taken over (another kip workload's never).
            // Server-side apply keeps the fields only the old owner set, so an object
            // selecting other pods would go on selecting them: refused.
            if adopt && !kips {
                let path = kind == "Service" ? ["spec", "selector"] : ["spec", "selector", "matchLabels"]
                if let theirs = existing.at(path), theirs != o.at(path) {
                    throw KipError(
                        "\(kind) \(name) in \(scope.namespace) selects \(Self.labelText(theirs)), not what kip renders (\(Self.labelText(o.at(path) ?? [:]))): it cannot be adopted; delete it and run the command again"
                    )
                }
                continue
            }
            if !mine {
                // Another kip workload's child: the names clash, not a hand-made object.
                if existing.at("metadata", "labels", Keys.managedBy)?.stringValue == Keys.managedByValue,
                    let other = WorkloadKind.allCases.filter(\.sharesNames).first(where: {
                        $0 != owner && existing.at("metadata", "labels", $0.labelKey)?.stringValue == name
                    })
                {
                    throw Self.nameTaken(other, name, scope.namespace)
                }
                throw Self.notTakingOver(kind, name, scope.namespace, owner)
            }
        }
        // A service's credentials are kept, not re-rendered, once they exist: they must
        // be its own.
        for c in plan.owners where c["kind"]?.stringValue == WorkloadKind.service.rawValue {
            let svc = c.at("metadata", "name")?.stringValue ?? ""
            if let s = secret(SecretNames.credentials(svc)),
                s.at("metadata", "labels", WorkloadKind.service.labelKey)?.stringValue != svc
                    || s.at("metadata", "labels", Keys.managedBy)?.stringValue != Keys.managedByValue
            {
                throw Self.notTakingOver(
                    "Secret", SecretNames.credentials(svc), scope.namespace, .service, adoptable: false)
            }
        }
    }

    public static func labelText(_ m: JSON) -> String {
        (m.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "")" }
            .joined(separator: ",")
    }

    /// A service's credentials are never adopted: kip cannot know what someone else's
    /// Secret holds, and a database started on them would not match.
    public static func notTakingOver(
        _ kind: String, _ name: String, _ ns: String, _ owner: WorkloadKind, adoptable: Bool = true
    ) -> KipError {
        KipError(
            "\(kind) \(name) already exists in \(ns) and was not created by kip for this \(owner.word): kip will not take it over; delete or rename it, "
                + (adoptable ? "choose another name, or pass --adopt to take it over" : "or choose another name"))
    }

    /// Plans the CR of `kind` `name` and says so: created or updated, what it renders,
    /// and what it no longer renders.
    public func plan(_ kind: WorkloadKind, _ name: String, _ crs: [JSON], adopt: Bool = false) throws -> Plan {
        try checkNotBeingDeleted(kind, name)
        // Planned from what was read: the write carries the resourceVersion read, so a
        // change by someone else in between is read and planned again, never overwritten.
        let crs = crs.map { c -> JSON in
            guard c.at("metadata", "resourceVersion") == nil,
                let k = WorkloadKind(rawValue: c["kind"]?.stringValue ?? ""),
                let rv = cr(k, c.at("metadata", "name")?.stringValue ?? "")?.at("metadata", "resourceVersion")
            else { return c }
            var out = c
            out.set(["metadata", "resourceVersion"], rv)
            return out
        }
        var plan = try plan(crs)
        try checkNotTakingOver(plan, adopt: adopt)
        let verb = cr(kind, name) == nil ? "created" : "updated"
        plan.report.append(.success("\(kind.word) \(name) \(verb) in \(scope.namespace)"))
        let mine = plan.manifests.filter { $0.at("metadata", "labels", kind.labelKey)?.stringValue == name }
        if !mine.isEmpty {
            plan.report.append(
                .info(
                    "  applied "
                        + mine.map {
                            "\($0["kind"]?.stringValue ?? "") \($0.at("metadata", "name")?.stringValue ?? "")"
                        }.joined(separator: ", ")))
        }
        for d in plan.deletes {
            let parts = d.ref.split(separator: "/", maxSplits: 1)
            let kindName = natives.first { Workloads.ref($0) == d.ref }?["kind"]?.stringValue ?? String(parts[0])
            plan.report.append(
                .info("  deleted \(kindName) \(parts.count > 1 ? String(parts[1]) : "") (no longer asked for)"))
        }
        return plan
    }

    /// `-o json|yaml` document of CRs: name plus spec, as stored.
    public func document(_ items: [JSON]) -> JSON {
        .array(
            items.map { o in
                var d: JSON = ["name": o.at("metadata", "name") ?? "", "namespace": .string(scope.namespace)]
                if let p = scope.project { d["project"] = .string(p) }
                if let e = scope.environment { d["environment"] = .string(e) }
                d["spec"] = o["spec"] ?? [:]
                let a = o.at("metadata", "annotations")?.objectValue ?? [:]
                if !a.isEmpty { d["annotations"] = .object(a) }
                return d
            })
    }

    /// The names of `items`, for `-o name`.
    public func names(_ items: [JSON]) -> [String] { items.map { $0.at("metadata", "name")?.stringValue ?? "" } }

    /// Apps whose spec lists `name` in `field` (`bindings` by service, `volumes` by volume).
    public func apps(referencing name: String, in field: String, key: String) -> [String] {
        crs(.app).filter { ($0.at("spec", field)?.arrayValue ?? []).contains { $0[key]?.stringValue == name } }
            .compactMap { $0.at("metadata", "name")?.stringValue }
    }

    /// Deletes one kip CR (its children follow through owner references). An app's user
    /// secret goes by name: one set before the app was deployed has no owner. Deletions
    /// carry no precondition: nothing to read again for.
    public func deletion(_ kind: WorkloadKind, _ name: String) throws -> Plan {
        _ = try require(kind, name)
        var plan = Plan()
        plan.deletes = [Plan.Deletion(ref: "\(kind.resource)/\(name)", namespace: scope.namespace)]
        if kind == .app {
            plan.deletes.append(Plan.Deletion(ref: "secrets/\(SecretNames.app(name))", namespace: scope.namespace))
        }
        plan.report = [.success("\(kind.word) \(name) deleted from \(scope.namespace)")]
        return plan
    }
}
