import Foundation

/// Env var keys that usually differ per environment (design §6), matched case-insensitively.
public enum Suspect {
    public static let pattern = "STRIPE_|SENTRY_|_URL$|CALLBACK|_KEY$|SECRET|LIVE|TEST|PROD|STAGING|API_KEY|TOKEN"

    public static func isSuspect(_ key: String) -> Bool {
        key.range(of: pattern, options: [.regularExpression, .caseInsensitive]) != nil
    }
}

/// Replaces a namespace inside a value only where it stands as a whole token: the
/// characters on either side are not `[A-Za-z0-9-]`, so `shop-test` is not touched
/// inside `shop-testing` or `myshop-test`.
public enum NamespaceRewrite {
    static func isTokenChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "-") }

    public static func rewrite(_ value: String, from: String, to: String) -> String {
        guard !from.isEmpty, value.contains(from) else { return value }
        var out = ""
        var i = value.startIndex
        while let r = value.range(of: from, range: i..<value.endIndex) {
            let before = r.lowerBound > value.startIndex ? value[value.index(before: r.lowerBound)] : nil
            let after = r.upperBound < value.endIndex ? value[r.upperBound] : nil
            let whole = (before.map { !isTokenChar($0) } ?? true) && (after.map { !isTokenChar($0) } ?? true)
            out += value[i..<r.lowerBound]
            out += whole ? to : from
            i = r.upperBound
        }
        out += value[i...]
        return out
    }
}

/// The full, pre-filled plan of copying one environment into a new one: what the wizard
/// shows, what `--plan` prints, and what `--overrides` edits.
public struct CopyPlan: Equatable, Sendable {
    public struct EnvVar: Equatable, Sendable {
        public var key: String
        public var value: String
        public var source: String
        public var suspect: Bool
        public var autoUpdated: Bool { value != source && value == rewritten }
        /// The value with the source namespace rewritten (what "auto-updated" means).
        public var rewritten: String
    }

    public struct App: Equatable, Sendable {
        public var name: String
        public var sourceHost: String?
        public var host: String?
        public var defaultHost: String?
        public var replicas: Int
        public var memoryLimit: String?
        public var cpuLimit: String?
        public var env: [EnvVar]
        /// The source CR's spec, copied as the base of the new one.
        public var spec: JSON
    }

    public struct Volume: Equatable, Sendable {
        public var name: String
        public var size: String
        /// The source's access mode and class, which the copy keeps (its apps' mounts
        /// were made for them).
        public var accessMode: String?
        public var storageClass: String?
        public init(name: String, size: String, accessMode: String? = nil, storageClass: String? = nil) {
            self.name = name
            self.size = size
            self.accessMode = accessMode
            self.storageClass = storageClass
        }
    }

    public struct Service: Equatable, Sendable {
        public var name: String
        public var type: String
        public var version: String
        public var storage: String
        public var storageClass: String?
    }

    public var project: String
    public var source: Project.Environment
    public var target: Project.Environment
    public var apps: [App]
    public var services: [Service]
    public var volumes: [Volume]
    public var functions: [JSON]
    public var jobs: [JSON]
    /// App name → its user secret data (base64 values, never printed).
    public var secrets: [String: [String: JSON]]
    public var warnings: [String]
    /// The plan as first computed, to count overrides against.
    public var original: [App]

    public var secretCount: Int { secrets.values.reduce(0) { $0 + $1.count } }

    /// How each routed app's host changes in the copy (as the plan stands now).
    public var routeChanges: [String] {
        apps.compactMap { a in
            guard let from = a.sourceHost else { return nil }
            return "route of app \(a.name): \(from) → \(a.host ?? "no route")"
        }
    }

    /// Apps whose route, env vars, replicas or limits differ from the as-is copy.
    public var overriddenApps: [String] {
        apps.filter { a in original.first { $0.name == a.name }.map { $0 != a } ?? true }.map(\.name)
    }

    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

    /// `copied 4 apps, 1 service (fresh credentials, empty data), 2 volumes (empty), 1 job, 3 secrets`
    public var summary: String {
        var parts = [Self.plural(apps.count, "app")]
        if !services.isEmpty {
            parts.append(Self.plural(services.count, "service") + " (fresh credentials, empty data)")
        }
        if !volumes.isEmpty { parts.append(Self.plural(volumes.count, "volume") + " (empty)") }
        if !functions.isEmpty { parts.append(Self.plural(functions.count, "function")) }
        if !jobs.isEmpty { parts.append(Self.plural(jobs.count, "job")) }
        parts.append(Self.plural(secretCount, "secret"))
        return "copied " + parts.joined(separator: ", ")
    }
}

public enum CopyPlanner {
    public static let copiedFrom = "kipper.run/copied-from"

    /// Plans copying `source` (its CRs and user secrets in `observed`) into `target`.
    public static func plan(
        project: Project, source: Project.Environment, target: Project.Environment, observed: Observed
    ) -> CopyPlan {
        let crs = observed.workloads[source.namespace] ?? []
        func of(_ k: WorkloadKind) -> [JSON] {
            crs.filter { $0["kind"]?.stringValue == k.rawValue }.sorted {
                ($0.at("metadata", "name")?.stringValue ?? "") < ($1.at("metadata", "name")?.stringValue ?? "")
            }
        }
        let targetScope = WorkloadScope(
            project: project.name, environment: target.name, namespace: target.namespace,
            domain: observed.settings?.domain, cluster: observed.settings)
        var warnings: [String] = []
        let apps: [CopyPlan.App] = of(.app).map { cr in
            let name = cr.at("metadata", "name")?.stringValue ?? ""
            let spec = cr["spec"] ?? [:]
            let sourceHost = spec.at("route", "host")?.stringValue
            let def = targetScope.defaultHost(name)
            if let sourceHost {
                if def == nil {
                    warnings.append(
                        "app \(name) had route \(sourceHost); the cluster has no wildcard domain, so the copy has no route (set one in the plan or with 'kip app deploy --route')"
                    )
                }
            }
            let env: [CopyPlan.EnvVar] = (spec["env"]?.arrayValue ?? []).map { e in
                let key = e["name"]?.stringValue ?? ""
                let v = e["value"]?.stringValue ?? ""
                let r = NamespaceRewrite.rewrite(v, from: source.namespace, to: target.namespace)
                return CopyPlan.EnvVar(key: key, value: r, source: v, suspect: Suspect.isSuspect(key), rewritten: r)
            }
            return CopyPlan.App(
                name: name, sourceHost: sourceHost, host: sourceHost == nil ? nil : def, defaultHost: def,
                // An autoscaled app's count is its autoscaler's minimum.
                replicas: spec.at("autoscale", "min")?.intValue ?? spec["replicas"]?.intValue ?? 1,
                memoryLimit: spec.at("resources", "memoryLimit")?.stringValue,
                cpuLimit: spec.at("resources", "cpuLimit")?.stringValue, env: env, spec: spec)
        }
        let services = of(.service).map { s in
            CopyPlan.Service(
                name: s.at("metadata", "name")?.stringValue ?? "", type: s.at("spec", "type")?.stringValue ?? "",
                version: s.at("spec", "version")?.stringValue ?? "",
                storage: s.at("spec", "storage")?.stringValue ?? "1Gi",
                storageClass: s.at("spec", "storageClass")?.stringValue)
        }
        var secrets: [String: [String: JSON]] = [:]
        for s in observed.secrets[source.namespace] ?? [] {
            guard let app = s.at("metadata", "labels", WorkloadKind.app.labelKey)?.stringValue,
                s.at("metadata", "name")?.stringValue == SecretNames.app(app), let data = s["data"]?.objectValue,
                !data.isEmpty
            else { continue }
            secrets[app] = data
        }
        for f in of(.function) + of(.job) {
            for e in f.at("spec", "env")?.arrayValue ?? []
            where (e["value"]?.stringValue ?? "").contains(source.namespace) {
                warnings.append(
                    "\((f["kind"]?.stringValue ?? "").lowercased()) \(f.at("metadata", "name")?.stringValue ?? "") env \(e["name"]?.stringValue ?? ""): \(source.namespace) rewritten to \(target.namespace)"
                )
            }
        }
        return CopyPlan(
            project: project.name, source: source, target: target, apps: apps, services: services,
            volumes: of(.volume).map {
                .init(
                    name: $0.at("metadata", "name")?.stringValue ?? "", size: $0.at("spec", "size")?.stringValue ?? "",
                    accessMode: $0.at("spec", "accessMode")?.stringValue,
                    storageClass: $0.at("spec", "storageClass")?.stringValue)
            },
            functions: of(.function), jobs: of(.job), secrets: secrets, warnings: warnings, original: apps)
    }

    /// "Apply prod defaults": replicas at least 2 (an autoscaler's minimum too), memory
    /// limit × 1.5 in a correct unit. An app on a ReadWriteOnce volume keeps one replica,
    /// which is all such a volume can serve, and the plan says so.
    public static func prodDefaults(_ plan: inout CopyPlan) {
        for i in plan.apps.indices {
            let spec = AppSpec(json: plan.apps[i].spec)
            if let m = spec.exclusiveMounts.first {
                let note =
                    "app \(plan.apps[i].name) keeps \(plan.apps[i].replicas) replica(s): it mounts ReadWriteOnce volume \(m.volume)"
                if !plan.warnings.contains(note) { plan.warnings.append(note) }
            } else {
                plan.apps[i].replicas = max(2, plan.apps[i].replicas)
            }
            if let m = plan.apps[i].memoryLimit { plan.apps[i].memoryLimit = Quantity.scaleMemory(m, by: 1.5) ?? m }
        }
    }

    /// What the API server or the cluster would refuse in the plan (after overrides and
    /// prod defaults): a request above its limit, several replicas on a ReadWriteOnce
    /// volume. nil when there is nothing.
    public static func problem(_ plan: CopyPlan) -> String? {
        for a in plan.apps {
            var spec = AppSpec(json: a.spec)
            spec.resources.memoryLimit = a.memoryLimit
            spec.resources.cpuLimit = a.cpuLimit
            if let (what, rq, lm) = spec.resources.overLimit {
                return
                    "app \(a.name): \(what) limit \(lm) is below its request \(rq): a request may not exceed its limit"
            }
            if spec.autoscale != nil { spec.autoscale?.min = max(1, a.replicas) } else { spec.replicas = a.replicas }
            if let p = spec.problem { return "app \(a.name): \(p)" }
        }
        return nil
    }

    /// The CRs of the copy, each marked as coming from this copy.
    public static func crs(_ plan: CopyPlan, scope: WorkloadScope) -> [JSON] {
        let mark = ["\(copiedFrom)": "\(plan.project)/\(plan.source.name)"]
        var out: [JSON] = []
        for a in plan.apps {
            var spec = a.spec
            spec["route"] = a.host.map { ["host": .string($0)] }
            if var au = Autoscale(json: spec["autoscale"]) {
                // The replica count of an autoscaled app is its autoscaler's minimum.
                au.min = max(1, a.replicas)
                au.max = max(au.max, au.min)
                spec["autoscale"] = au.json
                spec["replicas"] = nil
            } else {
                spec["replicas"] = .int(a.replicas)
            }
            var res = spec["resources"]?.objectValue ?? [:]
            res["memoryLimit"] = a.memoryLimit.map { .string($0) }
            res["cpuLimit"] = a.cpuLimit.map { .string($0) }
            spec["resources"] = res.isEmpty ? nil : .object(res)
            spec["env"] =
                a.env.isEmpty ? nil : .array(a.env.map { ["name": .string($0.key), "value": .string($0.value)] })
            out.append(Workloads.cr(.app, a.name, scope, spec: spec, annotations: mark))
        }
        for s in plan.services {
            out.append(
                Workloads.cr(
                    .service, s.name, scope,
                    spec: ServiceSpec(
                        type: s.type, version: s.version, storage: s.storage, storageClass: s.storageClass
                    ).json,
                    annotations: mark))
        }
        for v in plan.volumes {
            out.append(
                Workloads.cr(
                    .volume, v.name, scope,
                    spec: VolumeSpec(size: v.size, accessMode: v.accessMode, storageClass: v.storageClass).json,
                    annotations: mark))
        }
        // Functions and jobs are copied whole, with the same namespace rewrite in their env.
        func rewritten(_ spec: JSON?) -> JSON {
            var s = spec ?? [:]
            if let env = s["env"]?.arrayValue {
                s["env"] = .array(
                    env.map { e in
                        var e = e
                        e["value"] = .string(
                            NamespaceRewrite.rewrite(
                                e["value"]?.stringValue ?? "", from: plan.source.namespace, to: plan.target.namespace))
                        return e
                    })
            }
            return s
        }
        for f in plan.functions {
            out.append(
                Workloads.cr(
                    .function, f.at("metadata", "name")?.stringValue ?? "", scope, spec: rewritten(f["spec"]),
                    annotations: mark))
        }
        for j in plan.jobs {
            out.append(
                Workloads.cr(
                    .job, j.at("metadata", "name")?.stringValue ?? "", scope, spec: rewritten(j["spec"]),
                    annotations: mark))
        }
        return out
    }

    /// Copies of the user secrets, owned by their apps in the new environment.
    public static func secrets(_ plan: CopyPlan, scope: WorkloadScope, appUIDs: [String: String]) -> [JSON] {
        plan.secrets.keys.sorted().map { app in
            var meta: JSON = [
                "name": .string(SecretNames.app(app)), "namespace": .string(scope.namespace),
                "labels": .object(Workloads.labels(scope, .app, app)),
            ]
            if let uid = appUIDs[app] {
                meta["ownerReferences"] = [Render.ownerReference(kind: "App", name: app, uid: uid)]
            }
            return [
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta,
                "data": .object(plan.secrets[app]!),
            ]
        }
    }

    /// The plan that writes a copy: the Project (when the environment is new), the
    /// target namespace with its pull secrets, and every CR, in one apply; then what the
    /// CRs own, with their uids; then the user secrets, with the field manager of
    /// `kip app secret set` so that a later unset removes them. A completing run leaves
    /// alone the secrets and credentials the target already has: values changed there
    /// since are kept. Each new service gets its own fresh password from `password`.
    public static func writePlan(
        _ plan: CopyPlan, project: Project, addsEnvironment: Bool, pullSecrets: [JSON], members: [Member] = [],
        scope: WorkloadScope, existingSecrets: Set<String>, existingApps: [JSON] = [], password: () -> String
    ) -> Plan {
        let crs = Self.crs(plan, scope: scope)
        var out = Plan()
        out.owners =
            (addsEnvironment ? [project.manifest] : [])
            + Render.environment(
                project, plan.target, uid: project.uid ?? "", pullSecrets: pullSecrets, cluster: scope.cluster)
            + members.map { $0.binding(project, plan.target, uid: project.uid ?? "") }
            // Namespaces after it in the pipeline: their order label changed.
            + (addsEnvironment
                ? project.environments.drop { $0.name != plan.target.name }.dropFirst().map {
                    Render.namespace(project, $0, uid: project.uid ?? "", podSecurity: scope.cluster.podSecurityLevel)
                } : []) + crs
        if let uid = project.uid { out.knownUIDs["Project/\(project.name)"] = uid }
        var passwords: [String: String] = [:]
        for s in plan.services where !existingSecrets.contains(SecretNames.credentials(s.name)) {
            passwords[s.name] = password()
            passwords[Workloads.rootPasswordKey(s.name)] = password()
        }
        out.owned = { uids in
            crs.flatMap { Workloads.render($0, scope, uid: uids[Plan.key($0)] ?? "", password: { passwords[$0] }) }
        }
        var fresh = plan
        fresh.secrets = plan.secrets.filter { !existingSecrets.contains(SecretNames.app($0.key)) }
        out.secrets = { uids in
            secrets(
                fresh, scope: scope,
                appUIDs: uids.reduce(into: [:]) { acc, kv in
                    if kv.key.hasPrefix("App/") { acc[String(kv.key.dropFirst(4))] = kv.value }
                })
        }
        out.resumeHint = "run the same command again to finish the copy"
        out.report = [
            .success(plan.target.namespace), .info("Promotion pipeline: \(project.stages.joined(separator: " → "))"),
            .success(plan.summary),
        ]
        if !plan.overriddenApps.isEmpty {
            out.report.append(
                .info(
                    "  overrides on \(plan.overriddenApps.count) app(s): \(plan.overriddenApps.joined(separator: ", "))"
                ))
        }
        out.report += (plan.routeChanges + plan.warnings).map { .warning($0) }
        // The route hosts of the apps, claimed first (an app the target had keeps its claim).
        out.claims = EnvironmentView.claims(out.owners, scope: scope) { n in
            existingApps.first {
                $0["kind"]?.stringValue == WorkloadKind.app.rawValue && $0.at("metadata", "name")?.stringValue == n
            }
        }
        return out
    }

    /// What already sits in the target that did not come from this copy (a reason to refuse).
    public static func foreign(_ plan: CopyPlan, observed: Observed) -> [String] {
        let mark = "\(plan.project)/\(plan.source.name)"
        return (observed.workloads[plan.target.namespace] ?? []).filter {
            $0.at("metadata", "annotations", copiedFrom)?.stringValue != mark
        }
        .map { "\(($0["kind"]?.stringValue ?? "").lowercased()) \($0.at("metadata", "name")?.stringValue ?? "")" }
        .sorted()
    }

    // MARK: The plan as a document (`--plan -o json|yaml`, `--overrides FILE`)

    public static func document(_ plan: CopyPlan) -> JSON {
        var apps: [JSON] = []
        for a in plan.apps {
            var o: JSON = ["name": .string(a.name), "replicas": .int(a.replicas)]
            var res: JSON = [:]
            res["memoryLimit"] = a.memoryLimit.map { .string($0) } ?? .null
            res["cpuLimit"] = a.cpuLimit.map { .string($0) } ?? .null
            o["resources"] = res
            if a.sourceHost != nil || a.host != nil {
                var r: JSON = ["host": a.host.map { .string($0) } ?? .null]
                r["source"] = a.sourceHost.map { .string($0) } ?? .null
                r["default"] = a.defaultHost.map { .string($0) } ?? .null
                o["route"] = r
            }
            o["env"] = .array(
                a.env.map { e in
                    [
                        "key": .string(e.key), "value": .string(e.value), "source": .string(e.source),
                        "suspect": .bool(e.suspect), "autoUpdated": .bool(e.autoUpdated),
                    ]
                })
            apps.append(o)
        }
        return [
            "project": .string(plan.project), "source": .string(plan.source.name), "target": .string(plan.target.name),
            "sourceNamespace": .string(plan.source.namespace), "targetNamespace": .string(plan.target.namespace),
            "apps": .array(apps),
            "services": .array(
                plan.services.map {
                    [
                        "name": .string($0.name), "type": .string($0.type), "version": .string($0.version),
                        "storage": .string($0.storage),
                    ]
                }),
            "volumes": .array(plan.volumes.map { ["name": .string($0.name), "size": .string($0.size)] }),
            "functions": JSON.strings(plan.functions.compactMap { $0.at("metadata", "name")?.stringValue }),
            "jobs": JSON.strings(plan.jobs.compactMap { $0.at("metadata", "name")?.stringValue }),
            "secrets": .array(
                plan.secrets.keys.sorted().map {
                    ["app": .string($0), "keys": JSON.strings(plan.secrets[$0]!.keys.sorted())]
                }),
            "warnings": JSON.strings(plan.warnings),
        ]
    }

    /// Applies an edited plan document: hosts, env values, replicas, limits. Anything
    /// it does not know (an app, an env key, a field) is an error, never ignored.
    public static func applyOverrides(_ doc: JSON, to plan: inout CopyPlan) throws {
        func fail(_ s: String) -> KipError { KipError("overrides: \(s)") }
        guard let top = doc.objectValue else { throw fail("the file must hold the object that --plan prints") }
        let topKeys: Set = [
            "project", "source", "target", "sourceNamespace", "targetNamespace", "apps", "services", "volumes",
            "functions", "jobs", "secrets", "warnings",
        ]
        for k in top.keys.sorted() where !topKeys.contains(k) { throw fail("unknown key '\(k)'") }
        if let s = top["source"]?.stringValue, s != plan.source.name {
            throw fail("the plan is for copying from \(s), not \(plan.source.name)")
        }
        if let t = top["target"]?.stringValue, t != plan.target.name {
            throw fail("the plan is for environment \(t), not \(plan.target.name)")
        }
        for a in top["apps"]?.arrayValue ?? [] {
            guard let name = a["name"]?.stringValue else { throw fail("an app without a name") }
            guard let i = plan.apps.firstIndex(where: { $0.name == name }) else {
                throw fail("unknown app '\(name)'; the source has: \(plan.apps.map(\.name).joined(separator: ", "))")
            }
            let appKeys: Set = ["name", "replicas", "resources", "route", "env"]
            for k in (a.objectValue ?? [:]).keys.sorted() where !appKeys.contains(k) {
                throw fail("unknown key '\(k)' in app \(name)")
            }
            if let r = a["replicas"] {
                guard let n = r.intValue, n >= 0 else {
                    throw fail("replicas of app \(name) must be a whole number, 0 or more")
                }
                plan.apps[i].replicas = n
            }
            if let res = a["resources"]?.objectValue {
                for k in res.keys.sorted() where k != "memoryLimit" && k != "cpuLimit" {
                    throw fail("unknown key '\(k)' in resources of app \(name)")
                }
                for (k, v) in res {
                    let q: String? = v.isNull ? nil : v.stringValue
                    if let q, let p = Quantity.problem(q, flag: "\(k) of app \(name)") { throw fail(p) }
                    if k == "memoryLimit" { plan.apps[i].memoryLimit = q } else { plan.apps[i].cpuLimit = q }
                }
            }
            if let route = a["route"] {
                if route.isNull {
                    plan.apps[i].host = nil
                } else {
                    for k in (route.objectValue ?? [:]).keys.sorted() where !["host", "source", "default"].contains(k) {
                        throw fail("unknown key '\(k)' in route of app \(name)")
                    }
                    let h = route["host"]?.stringValue
                    if let h, !DNS.isSubdomain(h) {
                        throw fail("route host '\(h)' of app \(name) is not a DNS hostname")
                    }
                    plan.apps[i].host = h
                }
            }
            for e in a["env"]?.arrayValue ?? [] {
                for k in (e.objectValue ?? [:]).keys.sorted()
                where !["key", "value", "source", "suspect", "autoUpdated"].contains(k) {
                    throw fail("unknown key '\(k)' in an env var of app \(name)")
                }
                guard let key = e["key"]?.stringValue, let j = plan.apps[i].env.firstIndex(where: { $0.key == key })
                else {
                    throw fail("app \(name) has no env var '\(e["key"]?.stringValue ?? "")' in the source")
                }
                if let v = e["value"]?.stringValue { plan.apps[i].env[j].value = v }
            }
        }
    }
}
