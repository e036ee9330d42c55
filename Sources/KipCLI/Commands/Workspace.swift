import Foundation
import KipCore

/// `--adopt`: take over what exists under the name without being kip's.
let adoptFlag = Flag(
    "adopt",
    "Take over objects of the same names that kip did not create (a hand-made Deployment, Service…): they are rewritten as kip renders them."
)

/// `--project` / `--environment`, on every command that acts inside an environment.
let scopeOptions: [OptionSpec] = [
    .value(
        "project", "project", "Project: NAME, NAME/ENV or the namespace form NAME-ENV (default: the active project)."),
    .value("environment", "env", "Environment of the project (default: the active one)."),
]

/// One environment as a command sees it: the resolved scope, what the single read
/// observed, and the apply flow every kip kind shares (CRs, then the objects they own).
final class Workspace {
    let ctx: Context
    let driver: KubectlDriver
    let observed: Observed
    let scope: WorkloadScope
    /// The command line it was read for.
    var invocation: Invocation?

    /// Every kind a workload command may need inside its namespace, in one `kubectl get`.
    static let kinds: [String] =
        WorkloadKind.allCases.map(\.resource) + [
            "secrets", "deployments.apps", "services", "ingresses.v1.networking.k8s.io",
            "horizontalpodautoscalers.autoscaling",
            "statefulsets.apps", "persistentvolumeclaims", "cronjobs.batch", "jobs.batch",
        ]

    /// The project whose environments a command spans (promotion); nil for one environment.
    let project: Project?

    /// What a command reads inside its environment's namespace: whole kinds (a listing,
    /// a command that looks across the environment), or the objects it touches, by name
    /// (a write to one app: its CR, its children and its secret), which costs one request
    /// each, however much else the namespace holds.
    enum Reading {
        case kinds([String])
        case objects([String])

        static let everything = Reading.kinds(Workspace.kinds)
    }

    /// What one app's write reads: its CR and the children every app renders (to refuse
    /// taking over a hand-made one), plus `more` (the services it binds, the volumes it
    /// mounts, its HPA when autoscaling is asked for). What it rendered before and no
    /// longer does is known from its CR, and deleted by name.
    static func appObjects(_ name: String, more: [String] = []) -> [String] {
        [
            "\(CRDs.app)/\(name)", "deployments.apps/\(name)", "services/\(name)",
            "ingresses.v1.networking.k8s.io/\(name)",
        ] + more
    }

    /// Reads what the command acts on and resolves its environment. The reads are scoped
    /// and run at the same time: the Projects, the settings and the environment's
    /// namespace by name, and the kip objects inside that namespace (guessed from the
    /// flags and the cached org; read again if the guess was wrong). Commands that only
    /// look name the kinds they need (`reading`).
    convenience init(_ inv: Invocation, _ ctx: Context, reading: Reading = .everything) throws {
        let driver = try ctx.driver()
        var kinds: [String] = []
        var objects: [String] = []
        switch reading {
        case .kinds(let k): kinds = k
        case .objects(let o): objects = o
        }
        let cfg = try ctx.config.load()
        let active = cfg.active[driver.target.name]
        let guess = Self.guess(
            project: inv.value("project"), environment: inv.value("environment"), active: active,
            org: cfg.clusters[driver.target.name]?.org)
        // The project the flags name, read by name; every Project only when that is not
        // one (the namespace form, a typo to list the projects for).
        let named = (inv.value("project") ?? active?.project).map { String($0.split(separator: "/").first ?? "") }
        let flagEnv = inv.value("project").flatMap { $0.contains("/") ? String($0.split(separator: "/")[1]) : nil }
        if let named, let guess, let env = flagEnv ?? inv.value("environment") ?? active?.environment {
            driver.places[guess] = (named, env)  // so that a refusal while reading names it
        }
        // `--project NAME` may also be the namespace form of another project's
        // environment: read that namespace too, to tell the two readings apart.
        let org = cfg.clusters[driver.target.name]?.org
        let forms =
            inv.value("project").flatMap { f in f.contains("/") ? nil : [f] + (org.map { ["\($0)-\(f)"] } ?? []) } ?? []
        // Every namespace here is a guess: one the user may not read (or that does not
        // exist) refuses nothing until the Project says it is the one.
        let guessed = Array(Set([guess].compactMap { $0 } + forms)).sorted()
        var (items, refused) = try driver.guessedRead(
            projects: named.map { .named($0) } ?? .none, namespaces: [Keys.systemNamespace] + guessed,
            guessed: guessed, kinds: kinds, inside: [guess].compactMap { $0 }, objects: objects)
        var observed = Observed(items: items)
        guard let settings = observed.settings else { throw ProjectPlanner.notInstalled() }
        try ctx.cacheOrg(settings.org, cluster: driver.target.name)
        if let named, observed.project(named) == nil {
            items += try driver.get([CRDs.project])
            observed = Observed(items: items)
        }
        let namespaceForms = forms.compactMap { n -> (String, String)? in
            guard let ns = observed.namespaces[n], let p = ns.at("metadata", "labels", Keys.project)?.stringValue,
                let e = ns.at("metadata", "labels", Keys.environment)?.stringValue
            else { return nil }
            return (p, e)
        }
        let s = try Resolver.resolve(
            project: inv.value("project"), environment: inv.value("environment"), active: active,
            projects: observed.projects, namespaceForms: namespaceForms)
        if let p = s.project, let e = s.environment { driver.places[s.namespace] = (p, e) }
        if s.namespace != guess {
            items = items.filter { !Self.belongs($0, to: guess) }
            items += try driver.scopedRead(
                projects: .none, namespaces: [s.namespace], kinds: kinds, inside: [s.namespace], objects: objects)
            observed = Observed(items: items)
        } else if let e = refused[s.namespace] {
            // The guess was right: the refusal is the user's.
            throw e
        }
        self.init(
            ctx, driver, observed, project: nil, project: s.project, environment: s.environment, namespace: s.namespace)
        invocation = inv
        if let p = s.project, let project = observed.project(p), let env = project.environment(namespace: s.namespace) {
            try Protection.check([env], project: p, inv, ctx)
        }
        if let p = s.project, observed.namespaces[s.namespace] == nil {
            throw KipError("namespace \(s.namespace) of project \(p) is missing: run 'kip project sync \(p)'")
        }
    }

    /// The namespace the flags most likely name, before the Projects are read.
    static func guess(project flag: String?, environment: String?, active: KipConfig.Active?, org: String?) -> String? {
        if let flag {
            let parts = flag.split(separator: "/", maxSplits: 1).map(String.init)
            if parts.count == 2 { return Naming.namespace(org: org, project: parts[0], environment: parts[1]) }
            return Naming.namespace(org: org, project: flag, environment: environment ?? Naming.defaultEnvironment)
        }
        if let active {
            return Naming.namespace(
                org: org, project: active.project,
                environment: environment ?? active.environment ?? Naming.defaultEnvironment)
        }
        return "default"
    }

    /// Whether an object read belongs to namespace `ns` (or is that namespace).
    static func belongs(_ o: JSON, to ns: String?) -> Bool {
        guard let ns else { return false }
        if o["kind"]?.stringValue == "Namespace" { return o.at("metadata", "name")?.stringValue == ns }
        return o.at("metadata", "namespace")?.stringValue == ns
    }

    /// Reads the Projects and the settings and resolves only the project (`--project
    /// NAME`, `NAME/ENV`, the namespace form, or the active project): for commands that
    /// span environments, which then read the environments they act in (`reading`).
    convenience init(projectOf inv: Invocation, _ ctx: Context) throws {
        let driver = try ctx.driver()
        // The project the flag (or the active project) names, by name, with the settings;
        // every Project only for the namespace form or to say which exist.
        let active = try ctx.config.load().active[driver.target.name]
        let named = (inv.value("project") ?? active?.project).map { String($0.split(separator: "/").first ?? "") }
        var items = try driver.scopedRead(
            projects: named.map { .named($0) } ?? .all, namespaces: [Keys.systemNamespace], kinds: [], inside: [])
        var observed = Observed(items: items)
        guard observed.settings != nil else { throw ProjectPlanner.notInstalled() }
        if let named, observed.project(named) == nil {
            items += try driver.get([CRDs.project])
            observed = Observed(items: items)
        }
        var name: String
        if let flag = inv.value("project") {
            name = String(flag.split(separator: "/").first ?? "")
            if observed.project(name) == nil,
                let s = try? Resolver.resolve(project: flag, environment: nil, active: nil, projects: observed.projects)
            {
                name = s.project ?? name
            }
        } else if let a = active {
            name = a.project
        } else {
            throw KipError("no project: pass --project NAME, or set one with 'kip project use NAME'")
        }
        guard let p = observed.project(name) else { throw ProjectPlanner.unknownProject(name, observed: observed) }
        self.init(ctx, driver, observed, project: p, project: p.name, environment: nil, namespace: "")
        invocation = inv
    }

    /// The project's environments `envs`, each read (at the same time) and as a Workspace.
    func reading(_ envs: [Project.Environment], kinds: [String] = Workspace.kinds) throws -> [Workspace] {
        let namespaces = envs.map(\.namespace)
        let items = try driver.scopedRead(projects: .none, namespaces: namespaces, kinds: kinds, inside: namespaces)
        var merged = observed
        let more = Observed(items: items)
        for (k, v) in more.namespaces { merged.namespaces[k] = v }
        for (k, v) in more.secrets { merged.secrets[k] = v }
        for (k, v) in more.workloads { merged.workloads[k] = v }
        for (k, v) in more.natives { merged.natives[k] = v }
        for (k, v) in more.serviceAccounts { merged.serviceAccounts[k] = v }
        let w = Workspace(
            ctx, driver, merged, project: project, project: scope.project, environment: nil, namespace: "")
        return try envs.map { try w.at($0) }
    }

    private init(
        _ ctx: Context, _ driver: KubectlDriver, _ observed: Observed, project: Project?, project name: String?,
        environment: String?, namespace: String
    ) {
        self.ctx = ctx
        self.driver = driver
        self.observed = observed
        self.project = project
        for p in observed.projects {
            for e in p.environments { driver.places[e.namespace] = (p.name, e.name) }
        }
        scope = WorkloadScope(
            project: name, environment: environment, namespace: namespace, domain: observed.settings?.domain,
            cluster: observed.settings)
    }

    /// The same reading, in one environment of the project.
    func at(_ env: Project.Environment) throws -> Workspace {
        guard observed.namespaces[env.namespace] != nil else {
            throw KipError(
                "namespace \(env.namespace) of project \(scope.project ?? "") is missing: run 'kip project sync \(scope.project ?? "")'"
            )
        }
        let w = Workspace(
            ctx, driver, observed, project: project, project: scope.project, environment: env.name,
            namespace: env.namespace)
        w.invocation = invocation
        return w
    }

    var place: String { scope.project.map { "\($0)/\(scope.environment ?? "")" } ?? "namespace \(scope.namespace)" }

    func crs(_ kind: WorkloadKind) -> [JSON] {
        (observed.workloads[scope.namespace] ?? []).filter { $0["kind"]?.stringValue == kind.rawValue }
            .sorted { ($0.at("metadata", "name")?.stringValue ?? "") < ($1.at("metadata", "name")?.stringValue ?? "") }
    }

    func cr(_ kind: WorkloadKind, _ name: String) -> JSON? {
        crs(kind).first { $0.at("metadata", "name")?.stringValue == name }
    }

    func require(_ kind: WorkloadKind, _ name: String) throws -> JSON {
        guard let o = cr(kind, name) else {
            let names = crs(kind).compactMap { $0.at("metadata", "name")?.stringValue }
            throw KipError(
                "\(kind.word) \"\(name)\" does not exist in \(scope.namespace)"
                    + (names.isEmpty ? "" : "; \(kind.plural) there: \(names.joined(separator: ", "))"))
        }
        return o
    }

    var natives: [JSON] { observed.natives[scope.namespace] ?? [] }

    /// Secret `name` of the namespace, for a command that only shows it: nil when it
    /// does not exist, and `.hidden` when the user may not read Secrets there (a
    /// viewer), so that the rest of what the command shows still shows.
    enum Readable<T> {
        case value(T?)
        case hidden
    }

    func readableSecret(_ name: String) throws -> Readable<JSON> {
        do {
            return .value(
                try driver.get(["secrets"], namespace: scope.namespace, fieldSelector: "metadata.name=\(name)").first)
        } catch let e as KipError where e.isForbidden {
            return .hidden
        }
    }

    /// The object of `kind` named `name` read in the namespace, if any.
    func native(_ kind: String, _ name: String) -> JSON? {
        natives.first { $0["kind"]?.stringValue == kind && $0.at("metadata", "name")?.stringValue == name }
    }

    /// `ready/desired` of the Deployment (or StatefulSet) named `name`, `-` without one.
    func readyText(_ name: String) -> String {
        guard let d = native("Deployment", name) ?? native("StatefulSet", name) else { return "-" }
        let want = d.at("spec", "replicas")?.intValue ?? 1
        return "\(d.at("status", "readyReplicas")?.intValue ?? 0)/\(want)"
    }

    /// How job `name` last ran: its Job's outcome (a one-off job, or the newest Job its
    /// CronJob started), else when its CronJob last fired, else `-`.
    func lastRun(_ name: String) -> String {
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
    var runningImages: [String: String] {
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
    var secrets: [JSON] { observed.secrets[scope.namespace] ?? [] }
    func secret(_ name: String) -> JSON? { secrets.first { $0.at("metadata", "name")?.stringValue == name } }

    /// Apps, functions and services share one name space in an environment: each renders
    /// a Service (and a Deployment or StatefulSet) under its own name. Jobs render Jobs and
    /// CronJobs only, so their names are their own. A command that reads by name sees the
    /// clash in the children it would write instead (`checkNotTakingOver`).
    func checkNameFree(_ name: String, for kind: WorkloadKind) throws {
        for other in Self.sharingNames where other != kind && Self.sharingNames.contains(kind) {
            if cr(other, name) != nil { throw Self.nameTaken(other, name, scope.namespace) }
        }
    }

    static let sharingNames: [WorkloadKind] = [.app, .function, .service]

    static func nameTaken(_ other: WorkloadKind, _ name: String, _ ns: String) -> KipError {
        KipError(
            "\(other.word) \"\(name)\" already exists in \(ns): an app, function and service cannot share a name")
    }

    /// A fresh service password: 24 bytes (192 bits) of the random source, base64url, so
    /// it sits in a connection URL unescaped.
    static func password(_ random: RandomSource) -> String {
        Data(random.bytes(24)).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
            of: "/", with: "_")
    }

    /// The plan that writes these CRs and what they own: the CRs (their uids known when
    /// they exist), their rendered children, an owner for user secrets set before their
    /// app existed, and the deletion of children a CR no longer renders. Each new service
    /// gets its own fresh password; an existing credentials Secret is never regenerated.
    func plan(_ given: [JSON]) throws -> Plan {
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
                passwords[name] = Self.password(ctx.random)
                passwords[Workloads.rootPasswordKey(name)] = Self.password(ctx.random)
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
    static func claims(_ crs: [JSON], scope: WorkloadScope, before: (String) -> JSON?) -> [JSON] {
        RouteClaims.wanted(crs, scope: scope, before: before).map { RouteClaims.claim($0.host, $0.holder) }
    }

    /// A new CR must not re-adopt what a deleted one of the same name left behind: the
    /// garbage collector is still deleting those objects (old data, a Secret about to go).
    func checkNotBeingDeleted(_ kind: WorkloadKind, _ name: String) throws {
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
    func checkNotTakingOver(_ plan: Plan, adopt: Bool = false) throws {
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
                    let other = Self.sharingNames.first(where: {
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

    static func labelText(_ m: JSON) -> String {
        (m.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "")" }
            .joined(separator: ",")
    }

    /// A service's credentials are never adopted: kip cannot know what someone else's
    /// Secret holds, and a database started on them would not match.
    static func notTakingOver(
        _ kind: String, _ name: String, _ ns: String, _ owner: WorkloadKind, adoptable: Bool = true
    ) -> KipError {
        KipError(
            "\(kind) \(name) already exists in \(ns) and was not created by kip for this \(owner.word): kip will not take it over; delete or rename it, "
                + (adoptable ? "choose another name, or pass --adopt to take it over" : "or choose another name"))
    }

    /// Plans the CR of `kind` `name` and says so: created or updated, what it renders,
    /// and what it no longer renders.
    func plan(_ kind: WorkloadKind, _ name: String, _ crs: [JSON], adopt: Bool = false) throws -> Plan {
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

    /// `-o name`: one name a line (for `for a in $(kip app list -o name)`); true when it
    /// printed them.
    func printNames(_ items: [JSON]) -> Bool {
        guard ctx.output == "name" else { return false }
        for o in items { ctx.printer.name(o.at("metadata", "name")?.stringValue ?? "") }
        return true
    }

    /// `-o json|yaml` document of CRs: name plus spec, as stored.
    func document(_ items: [JSON]) -> JSON {
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

    /// Apps whose spec lists `name` in `field` (`bindings` by service, `volumes` by volume).
    func apps(referencing name: String, in field: String, key: String) -> [String] {
        crs(.app).filter { ($0.at("spec", field)?.arrayValue ?? []).contains { $0[key]?.stringValue == name } }
            .compactMap { $0.at("metadata", "name")?.stringValue }
    }

    /// Deletes a CR whose data goes with it, after the warning and a typed confirmation.
    func deleteHoldingData(_ kind: WorkloadKind, _ name: String, warning: [String], confirm: String?) throws -> Int32 {
        _ = try require(kind, name)
        if !ctx.dryRun {
            for w in warning { ctx.stderr.line(w) }
            guard try ctx.confirmTyped(name, what: "\(kind.word) \"\(name)\"", confirmFlag: confirm) else {
                ctx.stderr.line("Not deleted.")
                return 1
            }
        }
        try delete(kind, name)
        return 0
    }

    /// Deletes one kip CR (its children follow through owner references). An app's user
    /// secret goes by name: one set before the app was deployed has no owner.
    func delete(_ kind: WorkloadKind, _ name: String) throws {
        _ = try require(kind, name)
        var plan = Plan()
        plan.deletes = [Plan.Deletion(ref: "\(kind.resource)/\(name)", namespace: scope.namespace)]
        if kind == .app {
            plan.deletes.append(Plan.Deletion(ref: "secrets/\(SecretNames.app(name))", namespace: scope.namespace))
        }
        plan.report = [.success("\(kind.word) \(name) deleted from \(scope.namespace)")]
        // Deletions carry no precondition: nothing to read again for.
        try ctx.write { plan }
    }
}

/// Flag values that must be checked before anything is written.
enum Check {
    static func name(_ n: String, _ kind: WorkloadKind) throws {
        if !DNS.isDNS1035Label(n) {
            throw KipError(
                "\(kind.word) name '\(n)' is not valid: use at most 63 lower-case letters, digits and '-', starting with a letter (e.g. api)"
            )
        }
    }

    /// `KEY=VALUE` arguments; a key given twice keeps its last value.
    static func env(_ pairs: [String]) throws -> [EnvVar] {
        unique(
            try pairs.map { p in
                guard let eq = p.firstIndex(of: "=") else { throw KipError("'\(p)' must be KEY=VALUE") }
                let k = String(p[..<eq])
                try envKey(k)
                return EnvVar(name: k, value: String(p[p.index(after: eq)...]))
            })
    }

    /// One entry per name, at its first position, with its last value.
    static func unique(_ env: [EnvVar]) -> [EnvVar] {
        var out: [EnvVar] = []
        for e in env {
            if let i = out.firstIndex(where: { $0.name == e.name }) { out[i] = e } else { out.append(e) }
        }
        return out
    }

    static func envKey(_ k: String) throws {
        if let why = EnvNames.problem(k) { throw KipError(why) }
    }

}
