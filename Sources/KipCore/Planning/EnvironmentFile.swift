import Foundation

/// A project's environments as a file (`kip project export`, `apply -f`, `drift -f`):
/// kip's own schema, nothing cluster-specific — no uids, no namespaces (an env value's
/// namespace reads `${namespace}`, a default route `default: true`), no generated
/// passwords, and secrets by key name only. Keys sorted and lists by name, so that two
/// exports of an unchanged environment are byte-identical.
public enum EnvironmentFile {
    public static let kind = "ProjectExport"
    public static let namespaceToken = "${namespace}"

    /// One environment of the file.
    public struct Environment: Equatable, Sendable {
        public var name: String
        public var protected: Bool
        public var expiresAt: String?
        /// By kind, name → spec (as the CR holds it, in this environment's terms).
        public var workloads: [WorkloadKind: [String: JSON]]
        /// App → its secret's key names.
        public var secrets: [String: [String]]
        /// A preview (not a stage); set on an environment the file adds.
        public var preview = false
        /// Promotions into it need an approval; a file adds the requirement, never lifts
        /// it (`kip project unprotect` does).
        public var requireApproval = false
        /// Its own quota keys (nil: the install's quota); a file sets them as given.
        public var quota: [String: String]? = nil
        /// Applied under another name (`apply --as`): an environment that exists keeps its
        /// own protection, expiry and quota, which are the other environment's in the file.
        public var keepSettings = false
    }

    public struct Document: Equatable, Sendable {
        public var project: String
        public var displayName: String?
        public var pipeline: [String]
        public var environments: [Environment]
    }

    // MARK: export

    /// The file of `environments` of `project`, from the CRs in `observed`.
    public static func export(_ project: Project, _ environments: [Project.Environment], observed: Observed)
        -> JSON
    {
        let settings = observed.settings ?? ClusterSettings()
        var envs: [JSON] = []
        for e in environments {
            let scope = WorkloadScope(
                project: project.name, environment: e.name, namespace: e.namespace, domain: settings.domain,
                cluster: settings)
            var o: JSON = ["name": .string(e.name)]
            if e.protected { o["protected"] = true }
            if e.requireApproval { o["requireApproval"] = true }
            if e.preview { o["preview"] = true }
            if let q = e.quota, !q.isEmpty { o["quota"] = .string(Quota(q).text) }
            if let x = e.expiresAt { o["expiresAt"] = .string(x) }
            for kind in WorkloadKind.allCases {
                let crs = (observed.workloads[e.namespace] ?? []).filter { $0["kind"]?.stringValue == kind.rawValue }
                    .sorted {
                        ($0.at("metadata", "name")?.stringValue ?? "") < ($1.at("metadata", "name")?.stringValue ?? "")
                    }
                if crs.isEmpty { continue }
                o[kind.plural] = .array(
                    crs.map { cr in
                        let name = cr.at("metadata", "name")?.stringValue ?? ""
                        var entry: JSON = [
                            "name": .string(name), "spec": portable(kind, name, cr["spec"] ?? [:], scope),
                        ]
                        if kind == .app {
                            let keys = AppSpec(json: cr["spec"] ?? [:]).secretEnv.sorted()
                            if !keys.isEmpty { entry["secrets"] = JSON.strings(keys) }
                        }
                        return entry
                    })
            }
            envs.append(o)
        }
        var p: JSON = ["name": .string(project.name), "pipeline": JSON.strings(project.pipeline)]
        if let d = project.displayName { p["displayName"] = .string(d) }
        return [
            "apiVersion": .string(Keys.apiVersion), "kind": .string(kind), "project": p,
            "environments": .array(envs),
        ]
    }

    /// A spec in the file's terms: the namespace in env values as `${namespace}`, the
    /// environment's default route as `default: true`, the cluster's default storage
    /// class left out, the secret keys listed beside it.
    static func portable(_ kind: WorkloadKind, _ name: String, _ spec: JSON, _ scope: WorkloadScope) -> JSON {
        var s = spec
        if var env = s["env"]?.arrayValue {
            for i in env.indices {
                if let v = env[i]["value"]?.stringValue {
                    env[i]["value"] = .string(
                        NamespaceRewrite.rewrite(v, from: scope.namespace, to: namespaceToken))
                }
            }
            s["env"] = .array(env)
        }
        switch kind {
        case .app:
            s["secretEnv"] = nil
            if let host = s.at("route", "host")?.stringValue, host == scope.defaultHost(name) {
                s["route"] = ["default": true]
            }
        case .service, .volume:
            if let c = s["storageClass"]?.stringValue, c == scope.cluster.storageClass { s["storageClass"] = nil }
        default: break
        }
        return s
    }

    /// The CR spec a file's spec stands for in `scope`: the namespace put back, the
    /// default route resolved, the secret keys recorded.
    public static func concrete(
        _ kind: WorkloadKind, _ name: String, _ spec: JSON, secrets: [String], _ scope: WorkloadScope
    ) -> JSON {
        var s = spec
        if var env = s["env"]?.arrayValue {
            for i in env.indices {
                if let v = env[i]["value"]?.stringValue {
                    env[i]["value"] = .string(v.replacingOccurrences(of: namespaceToken, with: scope.namespace))
                }
            }
            s["env"] = .array(env)
        }
        if kind == .app {
            if s.at("route", "default")?.boolValue == true {
                s["route"] = scope.defaultHost(name).map { ["host": .string($0)] }
            }
            s["secretEnv"] = secrets.isEmpty ? nil : JSON.strings(secrets.sorted())
        }
        if kind == .service || kind == .volume, s["storageClass"] == nil, let c = scope.cluster.storageClass {
            s["storageClass"] = .string(c)
        }
        return s
    }

    // MARK: parse

    /// The file, checked: every field known (at its path), names valid, each spec valid
    /// against its kind's CRD schema. The first problem is the error.
    public static func parse(_ doc: JSON) throws -> Document {
        func fail(_ path: String, _ why: String) -> KipError { KipError("\(path): \(why)") }
        func keys(_ o: JSON, _ path: String, _ allowed: Set<String>) throws {
            guard let m = o.objectValue else { throw fail(path, "must be an object") }
            for k in m.keys.sorted() where !allowed.contains(k) {
                throw fail(
                    path.isEmpty ? k : "\(path).\(k)",
                    "unknown field (known: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        try keys(doc, "", ["apiVersion", "kind", "project", "environments"])
        guard doc["apiVersion"]?.stringValue == Keys.apiVersion, doc["kind"]?.stringValue == kind else {
            throw fail("kind", "not a kip export: apiVersion \(Keys.apiVersion) and kind \(kind) expected")
        }
        guard let p = doc["project"] else { throw fail("project", "missing") }
        try keys(p, "project", ["name", "displayName", "pipeline"])
        guard let name = p["name"]?.stringValue else { throw fail("project.name", "missing") }
        if let why = Naming.checkProject(name) { throw fail("project.name", why) }
        let pipeline = (p["pipeline"]?.arrayValue ?? []).compactMap(\.stringValue)
        if pipeline.isEmpty { throw fail("project.pipeline", "missing: list the environments in order") }
        var envs: [Environment] = []
        for (i, e) in (doc["environments"]?.arrayValue ?? []).enumerated() {
            let path = "environments[\(i)]"
            try keys(
                e, path,
                Set(
                    ["name", "protected", "expiresAt", "preview", "requireApproval", "quota"]
                        + WorkloadKind.allCases.map(\.plural)))
            guard let en = e["name"]?.stringValue else { throw fail("\(path).name", "missing") }
            if let why = Naming.checkEnvironment(en) { throw fail("\(path).name", why) }
            guard pipeline.contains(en) else {
                throw fail("\(path).name", "'\(en)' is not in project.pipeline (\(pipeline.joined(separator: ", ")))")
            }
            if let x = e["expiresAt"], x.stringValue.flatMap(Durations.parse) == nil {
                throw fail("\(path).expiresAt", "not an RFC 3339 time (e.g. 2027-01-01T00:00:00Z)")
            }
            var env = Environment(
                name: en, protected: e["protected"]?.boolValue ?? false, expiresAt: e["expiresAt"]?.stringValue,
                workloads: [:], secrets: [:], preview: e["preview"]?.boolValue ?? false,
                requireApproval: e["requireApproval"]?.boolValue ?? false)
            if let q = e["quota"] {
                guard let text = q.stringValue else {
                    throw fail("\(path).quota", "expected text like cpu=4,memory=8Gi")
                }
                do { env.quota = try Quota.parse([text]).set } catch let p as UsageProblem {
                    throw fail("\(path).quota", p.message)
                }
            }
            for kind in WorkloadKind.allCases {
                for (j, w) in (e[kind.plural]?.arrayValue ?? []).enumerated() {
                    let wp = "\(path).\(kind.plural)[\(j)]"
                    try keys(w, wp, kind == .app ? ["name", "spec", "secrets"] : ["name", "spec"])
                    guard let wn = w["name"]?.stringValue else { throw fail("\(wp).name", "missing") }
                    guard DNS.isDNS1035Label(wn) else {
                        throw fail(
                            "\(wp).name",
                            "'\(wn)' is not valid: at most 63 lower-case letters, digits and '-', starting with a letter"
                        )
                    }
                    if env.workloads[kind]?[wn] != nil {
                        throw fail("\(wp).name", "\(kind.word) \(wn) is listed twice")
                    }
                    var spec = w["spec"] ?? [:]
                    if kind == .app, spec.at("route", "default") != nil {
                        spec["route"] = ["host": "default.invalid"]  // the schema's shape; resolved on apply
                    }
                    if let why = CRDs.problem(kind, spec) { throw fail("\(wp).spec\(why.0)", why.1) }
                    env.workloads[kind, default: [:]][wn] = w["spec"] ?? [:]
                    if kind == .app { env.secrets[wn] = (w["secrets"]?.arrayValue ?? []).compactMap(\.stringValue) }
                }
            }
            envs.append(env)
        }
        return Document(
            project: name, displayName: p["displayName"]?.stringValue, pipeline: pipeline, environments: envs)
    }

    // MARK: plan

    /// What the file makes of the project: the project as it will be (created, or with
    /// the environments it lacks, each after the one before it in the file's pipeline, and
    /// the file's protection and expiry), the environments that are new, and the changes
    /// in words.
    public struct Growth: Equatable, Sendable {
        public var project: Project
        public var added: [Project.Environment]
        public var created: Bool
        /// Protection or expiry of an environment it had changes.
        public var settingsChanged: Bool
        /// Existing environments whose quota the file changes: their ResourceQuota and
        /// LimitRange are written again.
        public var requota: [String] = []
        public var changes: [String]
    }

    public static func grow(_ file: Document, existing: Project?, observed: Observed) throws -> Growth {
        var changes: [String] = []
        var project: Project
        var added: [Project.Environment] = []
        if let existing {
            project = existing
            for e in file.environments where project.environment(e.name) == nil {
                let i = file.pipeline.firstIndex(of: e.name)!
                let before = file.pipeline[..<i].last { project.environment($0) != nil }
                let (grown, index) = try ProjectPlanner.addEnvironment(
                    project, env: e.name, observed: observed,
                    placement: before.map { .after($0) } ?? .before(project.pipeline[0]))
                project = grown
                added.append(project.environments[index])
                changes.append("+ environment \(e.name)")
            }
        } else {
            let pipeline = file.pipeline.filter { n in file.environments.contains { $0.name == n } }
            let (created, _) = try ProjectPlanner.create(
                name: file.project, environments: pipeline == [Naming.defaultEnvironment] ? nil : pipeline,
                displayName: file.displayName, observed: observed)
            project = created
            added = created.environments
            changes.append("+ project \(file.project) (\(created.pipeline.joined(separator: " → ")))")
        }
        var settingsChanged = false
        var requota: [String] = []
        for e in file.environments {
            guard let i = project.environments.firstIndex(where: { $0.name == e.name }) else { continue }
            let existed = !added.contains { $0.name == e.name }
            let had = project.environments[i]
            if existed && e.keepSettings {
                if e.requireApproval && !had.requireApproval {
                    changes.append("~ environment \(e.name) requireApproval: false → true")
                    project.environments[i].requireApproval = true
                    settingsChanged = true
                }
                continue
            }
            if had.protected != e.protected {
                if existed { changes.append("~ environment \(e.name) protected: \(had.protected) → \(e.protected)") }
                project.environments[i].protected = e.protected
                settingsChanged = true
            }
            if !existed { project.environments[i].preview = e.preview }
            if e.requireApproval && !had.requireApproval {
                if existed { changes.append("~ environment \(e.name) requireApproval: false → true") }
                project.environments[i].requireApproval = true
                settingsChanged = true
            }
            if (had.quota ?? [:]) != (e.quota ?? [:]) {
                if existed {
                    changes.append(
                        "~ environment \(e.name) quota: \(had.quota.map { Quota($0).text } ?? "(the install's)") → \(e.quota.map { Quota($0).text } ?? "(the install's)")"
                    )
                    requota.append(e.name)
                }
                project.environments[i].quota = e.quota
                settingsChanged = true
            }
            if had.expiresAt != e.expiresAt {
                if existed {
                    changes.append(
                        "~ environment \(e.name) expiresAt: \(had.expiresAt ?? "(none)") → \(e.expiresAt ?? "(none)")")
                }
                project.environments[i].expiresAt = e.expiresAt
                settingsChanged = true
            }
        }
        return Growth(
            project: project, added: added, created: existing == nil, settingsChanged: settingsChanged,
            requota: requota, changes: changes)
    }

    /// `project apply`'s write of the project: the Project as the file grows it, the
    /// namespaces of the environments it adds, the labels of the others when it adds some,
    /// and the quota objects of the environments whose quota the file changes.
    public static func projectPlan(_ g: Growth, observed seen: Observed) -> Plan {
        let others = g.project.environments.filter { e in !g.added.contains { $0.name == e.name } }
        var plan = ProjectPlanner.writePlan(
            g.project, environments: g.added, pullSecrets: seen.pullSecrets, cluster: seen.cluster,
            relabel: g.created || g.added.isEmpty ? [] : others)
        let requota = g.project.environments.filter { g.requota.contains($0.name) }
        let owned = plan.owned
        let key = Plan.key(g.project.manifest)
        plan.owned = { uids in
            owned(uids) + requota.flatMap { Render.quota(g.project, $0, uid: uids[key] ?? "", cluster: seen.cluster) }
        }
        let name = g.project.name
        plan.report =
            g.created
            ? [.success("project \(name) created (\(ProjectPlanner.arrow(g.project.pipeline)))")]
            : g.added.isEmpty
                ? [.success("project \(name) updated")]
                : g.added.map { .success("environment \($0.name) added (\($0.namespace))") }
        return plan
    }

    /// `project apply`'s write of one environment, from it as read (`w`): its CRs as the
    /// file says, with `prune` the deletions of those the file lacks, each change said.
    public static func environmentPlan(
        _ env: Environment, _ w: EnvironmentView, prune: Bool, changes: [Change]
    ) throws -> Plan {
        let (crs, deletes) = writes(
            env, live: WorkloadKind.allCases.flatMap { w.crs($0) }, scope: w.scope, prune: prune)
        var plan = try w.plan(crs)
        plan.deletes += deletes
        plan.report = changes.map { .success("\($0.sign.rawValue) \(env.name): \($0.text)") }
        return plan
    }

    /// The CRs to write so that the environment holds what `env` of the file says (those
    /// whose resolved spec differs from the live one in `live`, carrying its
    /// resourceVersion), and with `prune` the deletions of those the file lacks.
    public static func writes(
        _ env: Environment, live: [JSON], scope: WorkloadScope, prune: Bool
    ) -> (crs: [JSON], deletes: [Plan.Deletion]) {
        var crs: [JSON] = []
        var deletes: [Plan.Deletion] = []
        for kind in WorkloadKind.allCases {
            let mine = live.filter { $0["kind"]?.stringValue == kind.rawValue }
            func cr(_ n: String) -> JSON? { mine.first { $0.at("metadata", "name")?.stringValue == n } }
            for (n, spec) in (env.workloads[kind] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let want = concrete(kind, n, spec, secrets: env.secrets[n] ?? [], scope)
                let old = cr(n)
                if let old, kind.resolvedSpec(old["spec"] ?? [:]) == kind.resolvedSpec(want) { continue }
                var out =
                    kind == .app
                    ? Workloads.app(n, scope, spec: AppSpec(json: want), replacing: old)
                    : Workloads.cr(kind, n, scope, spec: want)
                if let rv = old?.at("metadata", "resourceVersion") { out.set(["metadata", "resourceVersion"], rv) }
                crs.append(out)
            }
            if prune {
                for o in mine {
                    let n = o.at("metadata", "name")?.stringValue ?? ""
                    if env.workloads[kind]?[n] == nil {
                        deletes.append(Plan.Deletion(ref: "\(kind.resource)/\(n)", namespace: scope.namespace))
                        // What `app delete` removes: the app's own secrets go with it.
                        if kind == .app {
                            deletes.append(
                                Plan.Deletion(ref: "secrets/\(SecretNames.app(n))", namespace: scope.namespace))
                        }
                    }
                }
            }
        }
        return (crs, deletes)
    }

    /// The secret keys the file names that the live App has not got (to set by hand).
    public static func missingSecrets(_ env: Environment, live: [JSON]) -> [(app: String, key: String)] {
        var out: [(String, String)] = []
        for (app, keys) in env.secrets.sorted(by: { $0.key < $1.key }) {
            let cr = live.first {
                $0["kind"]?.stringValue == WorkloadKind.app.rawValue && $0.at("metadata", "name")?.stringValue == app
            }
            let have = cr.map { AppSpec(json: $0["spec"] ?? [:]).secretEnv } ?? []
            for k in keys where !have.contains(k) { out.append((app, k)) }
        }
        return out
    }

    /// kip CRs by kind and name: their specs.
    public static func specs(_ crs: [JSON]) -> [WorkloadKind: [String: JSON]] {
        var out: [WorkloadKind: [String: JSON]] = [:]
        for o in crs {
            guard let k = WorkloadKind(rawValue: o["kind"]?.stringValue ?? ""),
                let n = o.at("metadata", "name")?.stringValue
            else { continue }
            out[k, default: [:]][n] = o["spec"] ?? [:]
        }
        return out
    }

    // MARK: compare

    /// One difference between the file and the cluster, as `apply --dry-run` prints it.
    public struct Change: Equatable, Sendable {
        public enum Sign: String, Sendable {
            case add = "+"
            case change = "~"
            case remove = "-"
        }
        public var sign: Sign
        public var text: String
        public var line: String { "\(sign.rawValue) \(text)" }
    }

    /// What applying `env` of the file to the live CRs (`live`, by kind and name, specs)
    /// changes in one environment; with `prune`, what it removes.
    public static func changes(
        _ env: Environment, live: [WorkloadKind: [String: JSON]], scope: WorkloadScope, prune: Bool
    ) -> [Change] {
        var out: [Change] = []
        let e = Project.Environment(name: scope.environment ?? "", namespace: scope.namespace)
        for kind in WorkloadKind.allCases {
            let want = env.workloads[kind] ?? [:]
            let have = live[kind] ?? [:]
            for name in want.keys.sorted() {
                let spec = concrete(kind, name, want[name]!, secrets: env.secrets[name] ?? [], scope)
                guard let current = have[name] else {
                    out.append(Change(sign: .add, text: "\(kind.word) \(name)"))
                    continue
                }
                for d in EnvironmentDiff.specs(kind, name, current, spec, e, e) {
                    let f = d.field ?? ""
                    out.append(
                        Change(
                            sign: .change,
                            text: "\(kind.word) \(name) \(f): \(d.left ?? "(none)") → \(d.right ?? "(none)")"))
                }
            }
            if prune {
                for name in have.keys.sorted() where want[name] == nil {
                    out.append(Change(sign: .remove, text: "\(kind.word) \(name)"))
                }
            }
        }
        return out
    }
}

extension CRDs {
    /// Why `spec` does not fit kind's CRD schema (the path under `spec`, and why), or nil:
    /// unknown fields, types, enums, patterns, bounds, required fields.
    public static func problem(_ kind: WorkloadKind, _ spec: JSON) -> (String, String)? {
        guard let schema = schemas.first(where: { $0.kind == kind.rawValue })?.spec else { return nil }
        return check(spec, schema, "")
    }

    static func check(_ v: JSON, _ s: JSON, _ path: String) -> (String, String)? {
        switch s["type"]?.stringValue {
        case "object":
            guard let o = v.objectValue else { return (path, "must be an object") }
            let props = s["properties"]?.objectValue ?? [:]
            for k in o.keys.sorted() {
                guard let ps = props[k] else {
                    return ("\(path).\(k)", "unknown field (known: \(props.keys.sorted().joined(separator: ", ")))")
                }
                if let p = check(o[k]!, ps, "\(path).\(k)") { return p }
            }
            for r in (s["required"]?.arrayValue ?? []).compactMap(\.stringValue) where o[r] == nil {
                return ("\(path).\(r)", "missing")
            }
        case "array":
            guard let a = v.arrayValue else { return (path, "must be a list") }
            for (i, item) in a.enumerated() {
                if let p = check(item, s["items"] ?? [:], "\(path)[\(i)]") { return p }
            }
        case "string":
            guard let str = v.stringValue else { return (path, "must be a string") }
            if let e = s["enum"]?.arrayValue?.compactMap(\.stringValue), !e.contains(str) {
                return (path, "'\(str)' is not one of \(e.joined(separator: ", "))")
            }
            if let pat = s["pattern"]?.stringValue, str.range(of: pat, options: .regularExpression) == nil {
                return (path, "'\(str)' does not match \(pat)")
            }
        case "integer":
            guard let n = v.intValue else { return (path, "must be a whole number") }
            if let min = s["minimum"]?.intValue, n < min { return (path, "\(n) is below \(min)") }
            if let max = s["maximum"]?.intValue, n > max { return (path, "\(n) is above \(max)") }
        case "boolean":
            guard v.boolValue != nil else { return (path, "must be true or false") }
        default: break
        }
        return nil
    }
}

/// Live native objects against what kip renders from its CRs: the fields kip sets that
/// differ (someone ran `kubectl scale`, `kubectl set image`, `kubectl edit`). Fields kip
/// does not set (status, server defaults, an autoscaler's replicas) are not compared.
public enum Drift {
    public struct Finding: Equatable, Sendable {
        public var object: String
        public var path: String
        public var want: String
        public var live: String
        public var line: String {
            path.isEmpty ? "\(object): \(live)" : "\(object): \(path): \(want) (kip) → \(live) (live)"
        }
    }

    /// `rendered` against `live` (matched by kind and name).
    public static func compare(rendered: [JSON], live: [JSON]) -> [Finding] {
        var out: [Finding] = []
        for r in rendered {
            let kind = r["kind"]?.stringValue ?? ""
            let name = r.at("metadata", "name")?.stringValue ?? ""
            let object = "\(kind.lowercased()) \(name)"
            guard
                let l = live.first(where: {
                    $0["kind"]?.stringValue == kind && $0.at("metadata", "name")?.stringValue == name
                })
            else {
                out.append(Finding(object: object, path: "", want: "", live: "missing"))
                continue
            }
            for part in ["spec", "data"] {
                guard let want = r[part] else { continue }
                differences(want, l[part] ?? .null, part, into: &out, object: object)
            }
            for (k, v) in r.at("metadata", "labels")?.stringMap ?? [:]
            where l.at("metadata", "labels", k)?.stringValue != v {
                out.append(
                    Finding(
                        object: object, path: "metadata.labels.\(k)", want: v,
                        live: l.at("metadata", "labels", k)?.stringValue ?? "(none)"))
            }
        }
        return out
    }

    /// A field that holds a resource quantity: under `requests`, `limits` or `hard`, or a
    /// `sizeLimit`.
    static func isQuantity(_ path: String) -> Bool {
        path.contains(".requests.") || path.contains(".limits.") || path.contains(".hard.")
            || path.hasSuffix(".sizeLimit")
    }

    static func quantity(_ v: JSON) -> Decimal? {
        if let s = v.stringValue { return Quantity.value(s) }
        return v.intValue.map { Decimal($0) }
    }

    static func differences(_ want: JSON, _ live: JSON, _ path: String, into out: inout [Finding], object: String) {
        switch (want, live) {
        case (.object(let w), .object(let l)):
            for k in w.keys.sorted() { differences(w[k]!, l[k] ?? .null, "\(path).\(k)", into: &out, object: object) }
        case (.array(let w), .array(let l)) where w.count == l.count:
            for i in w.indices { differences(w[i], l[i], "\(path)[\(i)]", into: &out, object: object) }
        default:
            // The server stores quantities in canonical form (`0.5` → `500m`): compared by value.
            if isQuantity(path), let w = quantity(want), let l = quantity(live), w == l { return }
            if !want.isSubset(of: live) {
                func text(_ v: JSON) -> String { v.isNull ? "(none)" : (v.stringValue ?? v.serialized()) }
                out.append(Finding(object: object, path: path, want: text(want), live: text(live)))
            }
        }
    }
}

extension Drift {
    /// Each environment's drift (`only`: one of them), a line a difference: what kip
    /// would render from each CR compared with what runs.
    public static func lines(_ project: Project, observed: Observed, only: String? = nil) -> [String] {
        let settings = observed.settings ?? ClusterSettings()
        var lines: [String] = []
        for env in project.environments where only == nil || env.name == only {
            let scope = WorkloadScope(
                project: project.name, environment: env.name, namespace: env.namespace, domain: settings.domain,
                cluster: settings)
            let live = observed.natives[env.namespace] ?? []
            // The environment's quota, as kip writes it from the Project (someone who may
            // write the namespace may have changed it).
            let quota = Render.quota(project, env, uid: "", cluster: settings)
            lines += compare(rendered: quota, live: live).map { "\(env.name): \($0.line)" }
            for cr in (observed.workloads[env.namespace] ?? []).sorted(by: { Plan.key($0) < Plan.key($1) }) {
                let uid = cr.at("metadata", "uid")?.stringValue ?? ""
                let rendered = Workloads.render(cr, scope, uid: uid, password: { _ in nil })
                lines += compare(rendered: rendered, live: live).map { "\(env.name): \($0.line)" }
            }
        }
        return lines
    }
}

extension EnvironmentFile {
    /// How the project differs from a file, a line a difference (an environment only in
    /// the file, then each environment's changes as `apply --prune` would make them).
    public static func differences(_ file: Document, project: Project, observed: Observed) -> [String] {
        let settings = observed.settings ?? ClusterSettings()
        var lines: [String] = []
        for e in file.environments {
            guard let env = project.environment(e.name) else {
                lines.append("environment \(e.name): only in the file")
                continue
            }
            let live = specs(observed.workloads[env.namespace] ?? [])
            let scope = WorkloadScope(
                project: project.name, environment: e.name, namespace: env.namespace, domain: settings.domain,
                cluster: settings)
            lines += changes(e, live: live, scope: scope, prune: true).map { "\(e.name): \($0.line)" }
        }
        return lines
    }
}
