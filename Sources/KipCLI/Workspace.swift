import Foundation
import KipCore

/// `--project` / `--environment`, on every command that acts inside an environment.
let scopeOptions: [OptionSpec] = [
    .value("project", "project", "Project: NAME, NAME/ENV or the namespace form NAME-ENV (default: the active project)."),
    .value("environment", "env", "Environment of the project (default: the active one)."),
]

/// One environment as a command sees it: the resolved scope, what the single read
/// observed, and the apply flow every kip kind shares (CRs, then the objects they own).
final class Workspace {
    let ctx: Context
    let driver: KubectlDriver
    let observed: Observed
    let scope: WorkloadScope

    /// Every kind a workload command may need, in one `kubectl get`.
    static let kinds: [String] =
        ["namespaces", CRDs.project] + WorkloadKind.allCases.map(\.resource) + [
            "secrets", "deployments.apps", "services", "ingresses.networking.k8s.io", "horizontalpodautoscalers.autoscaling",
            "statefulsets.apps", "persistentvolumeclaims", "cronjobs.batch", "jobs.batch",
        ]

    /// The project whose environments a command spans (promotion); nil for one environment.
    let project: Project?

    /// Reads the cluster and resolves the environment the command acts in. Commands that
    /// only look name the kinds they need (`reading`); namespaces and projects always come.
    convenience init(_ inv: Invocation, _ ctx: Context, reading: [String]? = nil) throws {
        let driver = try ctx.driver()
        let kinds = reading.map { ["namespaces", CRDs.project] + $0 } ?? Self.kinds
        let observed = Observed(items: try driver.get(kinds, allNamespaces: true, selector: "\(Keys.managedBy)=\(Keys.managedByValue)"))
        guard observed.settings != nil else { throw ProjectPlanner.notInstalled() }
        let active = try ctx.config.load().active[driver.target.name]
        let s = try Resolver.resolve(project: inv.value("project"), environment: inv.value("environment"), active: active, projects: observed.projects)
        self.init(ctx, driver, observed, project: nil, project: s.project, environment: s.environment, namespace: s.namespace)
        if let p = s.project, observed.namespaces[s.namespace] == nil {
            throw KipError("namespace \(s.namespace) of project \(p) is missing: run 'kip project sync \(p)'")
        }
    }

    /// Reads the cluster and resolves only the project (`--project NAME`, `NAME/ENV`,
    /// the namespace form, or the active project): for commands that span environments.
    convenience init(projectOf inv: Invocation, _ ctx: Context) throws {
        let driver = try ctx.driver()
        let observed = Observed(items: try driver.get(Self.kinds, allNamespaces: true, selector: "\(Keys.managedBy)=\(Keys.managedByValue)"))
        guard observed.settings != nil else { throw ProjectPlanner.notInstalled() }
        var name: String
        if let flag = inv.value("project") {
            name = String(flag.split(separator: "/").first ?? "")
            if observed.project(name) == nil, let s = try? Resolver.resolve(project: flag, environment: nil, active: nil, projects: observed.projects) {
                name = s.project ?? name
            }
        } else if let a = try ctx.config.load().active[driver.target.name] {
            name = a.project
        } else {
            throw KipError("no project: pass --project NAME, or set one with 'kip project use NAME'")
        }
        guard let p = observed.project(name) else { throw ProjectPlanner.unknownProject(name, observed: observed) }
        self.init(ctx, driver, observed, project: p, project: p.name, environment: nil, namespace: "")
    }

    private init(_ ctx: Context, _ driver: KubectlDriver, _ observed: Observed, project: Project?, project name: String?, environment: String?, namespace: String) {
        self.ctx = ctx
        self.driver = driver
        self.observed = observed
        self.project = project
        let pull = (observed.secrets[namespace] ?? []).filter(Render.isPullSecret).compactMap { $0.at("metadata", "name")?.stringValue }
        scope = WorkloadScope(project: name, environment: environment, namespace: namespace, domain: observed.settings?.domain, pullSecrets: pull)
    }

    /// The same reading, in one environment of the project.
    func at(_ env: Project.Environment) throws -> Workspace {
        guard observed.namespaces[env.namespace] != nil else {
            throw KipError("namespace \(env.namespace) of project \(scope.project ?? "") is missing: run 'kip project sync \(scope.project ?? "")'")
        }
        return Workspace(ctx, driver, observed, project: project, project: scope.project, environment: env.name, namespace: env.namespace)
    }

    var place: String { scope.project.map { "\($0)/\(scope.environment ?? "")" } ?? "namespace \(scope.namespace)" }

    func crs(_ kind: WorkloadKind) -> [JSON] {
        (observed.workloads[scope.namespace] ?? []).filter { $0["kind"]?.stringValue == kind.rawValue }
            .sorted { ($0.at("metadata", "name")?.stringValue ?? "") < ($1.at("metadata", "name")?.stringValue ?? "") }
    }

    func cr(_ kind: WorkloadKind, _ name: String) -> JSON? { crs(kind).first { $0.at("metadata", "name")?.stringValue == name } }

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
    var secrets: [JSON] { observed.secrets[scope.namespace] ?? [] }
    func secret(_ name: String) -> JSON? { secrets.first { $0.at("metadata", "name")?.stringValue == name } }

    /// Apps, functions, jobs and services share one name space in an environment: each
    /// renders a Deployment, Job or Service under its own name.
    func checkNameFree(_ name: String, for kind: WorkloadKind) throws {
        for other in [WorkloadKind.app, .function, .job, .service] where other != kind {
            if cr(other, name) != nil {
                throw KipError("\(other.word) \"\(name)\" already exists in \(scope.namespace): an app, function, job and service cannot share a name")
            }
        }
    }

    func password() -> String { Self.password(ctx.random) }

    /// A fresh service password: 24 bytes (192 bits) of the random source, base64url, so
    /// it sits in a connection URL unescaped.
    static func password(_ random: RandomSource) -> String {
        Data(random.bytes(24)).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// Applies CRs and what they own: one apply when every CR already exists (their uids
    /// are known), else the CRs first and then their children with the returned uids;
    /// finally deletes children a CR no longer renders. Returns what was applied.
    @discardableResult
    func save(_ given: [JSON]) throws -> (created: [String], children: [JSON], removed: [JSON]) {
        let crs = given.map(Workloads.applyable)
        let existingSecrets = Set(secrets.compactMap { $0.at("metadata", "name")?.stringValue })
        let pw = password()
        func key(_ o: JSON) -> String { "\(o["kind"]?.stringValue ?? "")/\(o.at("metadata", "name")?.stringValue ?? "")" }
        var uids: [String: String] = [:]
        for c in crs {
            if let k = WorkloadKind(rawValue: c["kind"]?.stringValue ?? ""), let uid = cr(k, c.at("metadata", "name")?.stringValue ?? "")?.at("metadata", "uid")?.stringValue {
                uids[key(c)] = uid
            }
        }
        func children(_ uidOf: (JSON) -> String) -> [JSON] {
            crs.flatMap { Workloads.render($0, scope, uid: uidOf($0), existingSecrets: existingSecrets, password: { pw }) } + adoptions(crs, uidOf)
        }
        var stale: [JSON] = []
        for c in crs {
            guard let k = WorkloadKind(rawValue: c["kind"]?.stringValue ?? ""), let name = c.at("metadata", "name")?.stringValue else { continue }
            let rendered = Workloads.render(c, scope, uid: "-", existingSecrets: existingSecrets, password: { pw })
            stale += Workloads.stale(existing: natives, rendered: rendered, kind: k, owner: name)
        }
        let created = crs.filter { uids[key($0)] == nil }.map(key)
        if ctx.dryRun {
            ctx.printer.manifests(crs + children { uids[key($0)] ?? "<uid of \(key($0))>" }, format: ctx.output)
            for s in stale { ctx.stderr.line("Would delete \(Workloads.ref(s)).") }
            return (created, [], stale)
        }
        let kids: [JSON]
        if created.isEmpty {
            kids = children { uids[key($0)]! }
            try driver.apply(crs + kids)
        } else {
            for o in try driver.apply(crs) {
                if let uid = o.at("metadata", "uid")?.stringValue { uids[key(o)] = uid }
            }
            kids = children { uids[key($0)] ?? "" }
            try driver.apply(kids)
        }
        if !stale.isEmpty { try driver.delete(refs: stale.map(Workloads.ref), namespace: scope.namespace) }
        return (created, kids, stale)
    }

    /// A user secret set before its app existed gets the App as owner once it does.
    private func adoptions(_ crs: [JSON], _ uidOf: (JSON) -> String) -> [JSON] {
        crs.compactMap { c -> JSON? in
            guard c["kind"]?.stringValue == "App", let name = c.at("metadata", "name")?.stringValue,
                let s = secret("\(name)-secrets"), s.at("metadata", "ownerReferences") == nil
            else { return nil }
            return [
                "apiVersion": "v1", "kind": "Secret",
                "metadata": [
                    "name": .string("\(name)-secrets"), "namespace": .string(scope.namespace),
                    "ownerReferences": [Render.ownerReference(kind: "App", name: name, uid: uidOf(c))],
                ],
            ]
        }
    }

    /// Prints what a save did, in one line per object kind.
    func report(_ kind: WorkloadKind, _ name: String, _ r: (created: [String], children: [JSON], removed: [JSON])) {
        if ctx.dryRun { return }
        let verb = r.created.contains("\(kind.rawValue)/\(name)") ? "created" : "updated"
        ctx.printer.success("\(kind.word) \(name) \(verb) in \(scope.namespace)")
        let mine = r.children.filter { $0.at("metadata", "labels", kind.labelKey)?.stringValue == name }
        if !mine.isEmpty {
            ctx.printer.line("  applied " + mine.map { "\($0["kind"]?.stringValue ?? "") \($0.at("metadata", "name")?.stringValue ?? "")" }.joined(separator: ", "))
        }
        for s in r.removed { ctx.printer.line("  deleted \(s["kind"]?.stringValue ?? "") \(s.at("metadata", "name")?.stringValue ?? "") (no longer asked for)") }
    }

    /// `-o json|yaml` document of CRs: name plus spec, as stored.
    func document(_ items: [JSON]) -> JSON {
        .array(items.map { o in
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

    /// Deletes one kip CR (its children follow through owner references).
    func delete(_ kind: WorkloadKind, _ name: String) throws {
        _ = try require(kind, name)
        if ctx.dryRun {
            ctx.stderr.line("Would delete \(kind.word) \(name) in \(scope.namespace) and everything it owns.")
            return
        }
        try driver.delete(refs: ["\(kind.word).\(Keys.group)/\(name)"], namespace: scope.namespace)
        ctx.printer.success("\(kind.word) \(name) deleted from \(scope.namespace)")
    }
}

/// Flag values that must be checked before anything is written.
enum Check {
    static func name(_ n: String, _ kind: WorkloadKind) throws {
        if !DNS.isDNS1035Label(n) {
            throw KipError(
                "\(kind.word) name '\(n)' is not valid: use at most 63 lower-case letters, digits and '-', starting with a letter (e.g. api)")
        }
    }

    static func port(_ s: String?, flag: String = "--port") throws -> Int? {
        guard let s else { return nil }
        guard let p = Int(s), p >= 1, p <= 65535 else { throw KipError("\(flag) \(s) is out of range 1-65535") }
        return p
    }

    static func quantity(_ s: String?, flag: String) throws -> String? {
        guard let s else { return nil }
        if let p = Quantity.problem(s, flag: flag) { throw KipError(p) }
        return s
    }

    static func env(_ pairs: [String]) throws -> [JSON] {
        var seen: [String: Int] = [:]
        var out: [JSON] = []
        for p in pairs {
            guard let eq = p.firstIndex(of: "=") else { throw KipError("--env '\(p)' must be KEY=VALUE") }
            let k = String(p[..<eq])
            try envKey(k)
            let v = String(p[p.index(after: eq)...])
            if let i = seen[k] { out[i] = ["name": .string(k), "value": .string(v)] } else {
                seen[k] = out.count
                out.append(["name": .string(k), "value": .string(v)])
            }
        }
        return out
    }

    static func envKey(_ k: String) throws {
        let ok = !k.isEmpty && !(k.first!.isNumber) && k.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "_" || $0 == "." || $0 == "-"
        }
        if !ok { throw KipError("'\(k)' is not a valid variable name: use letters, digits, '_', '-' or '.', not starting with a digit") }
    }
}
