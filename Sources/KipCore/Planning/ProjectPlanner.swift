import Foundation

/// Pure planning of project changes: observed state and a request in, the objects to
/// apply (or a refusal) out. No I/O.
public enum ProjectPlanner {
    /// The project `kip project create` should apply, or why not. `completing` is true
    /// when the same project exists but some of its environments are missing (a create
    /// that stopped half-way), which a re-run finishes.
    public static func create(name: String, environments: [String]?, displayName: String?, observed: Observed) throws
        -> (project: Project, completing: Bool)
    {
        guard let settings = observed.settings else { throw notInstalled() }
        let envs = environments ?? [Naming.defaultEnvironment]
        if let problem = Naming.checkPipeline(org: settings.org, project: name, environments: envs) {
            throw KipError(problem)
        }
        let project = Project(
            name: name, displayName: displayName,
            environments: envs.map {
                .init(name: $0, namespace: Naming.namespace(org: settings.org, project: name, environment: $0))
            })
        var completing = false
        if let existing = observed.project(name) {
            let same =
                existing.environments == project.environments
                && (displayName == nil || existing.displayName == displayName)
            let missing = existing.environments.contains { observed.namespaces[$0.namespace] == nil }
            guard same, missing else {
                throw KipError(
                    "project \"\(name)\" already exists (environments: \(existing.pipeline.joined(separator: ", "))): see 'kip project show \(name)'"
                )
            }
            completing = true
        }
        try checkNamespaces(project, observed: observed)
        try checkUnambiguous(project, org: settings.org, observed: observed)
        return (
            Project(
                name: name, displayName: displayName ?? observed.project(name)?.displayName,
                environments: project.environments, uid: observed.project(name)?.uid), completing
        )
    }

    /// `--project NAME-ENV` must have one reading: a new project may not be named like
    /// another project's environment namespace (`shop2-test` while shop2 has test), nor
    /// give an environment whose namespace form names another project (`shop2` with
    /// test while project shop2-test exists). `observed` holds the namespaces named like
    /// the project and the Projects named like its namespace forms.
    static func checkUnambiguous(_ project: Project, org: String?, observed: Observed) throws {
        for n in [project.name] + (org.map { ["\($0)-\(project.name)"] } ?? []) {
            if let ns = observed.namespaces[n], let other = ns.at("metadata", "labels", Keys.project)?.stringValue,
                other != project.name, let env = ns.at("metadata", "labels", Keys.environment)?.stringValue
            {
                throw KipError(
                    "\"\(project.name)\" is the namespace of environment \"\(env)\" of project \"\(other)\": a project of that name would make --project \(project.name) mean two things; choose another name"
                )
            }
        }
        for env in project.environments where env.name != Naming.defaultEnvironment {
            let form = "\(project.name)-\(env.name)"
            if observed.project(form) != nil {
                throw KipError(
                    "environment \"\(env.name)\" of \(project.name) would be written \(form), which is already a project: --project \(form) would mean two things; choose another environment or project name"
                )
            }
        }
    }

    /// Refuses namespaces that another project resolves to, or that exist without
    /// belonging to this project.
    static func checkNamespaces(_ project: Project, observed: Observed) throws {
        for env in project.environments {
            for other in observed.projects where other.name != project.name {
                if let clash = other.environments.first(where: { $0.namespace == env.namespace }) {
                    throw KipError(
                        "namespace \"\(env.namespace)\" is already environment \"\(clash.name)\" of project \"\(other.name)\": project \"\(project.name)\" cannot use it; choose another project or environment name"
                    )
                }
            }
            if let ns = observed.namespaces[env.namespace] {
                if ns.at("metadata", "deletionTimestamp") != nil {
                    throw KipError(
                        "namespace \(env.namespace) is still being deleted; try again when it is gone (or pass --wait)"
                    )
                }
                let owner = ns.at("metadata", "labels", Keys.project)?.stringValue
                if let owner, owner != project.name,
                    let theirs = ns.at("metadata", "labels", Keys.environment)?.stringValue
                {
                    throw KipError(
                        "namespace \"\(env.namespace)\" is already environment \"\(theirs)\" of project \"\(owner)\": project \"\(project.name)\" cannot use it; choose another project or environment name"
                    )
                }
                if env.namespace == Keys.systemNamespace {
                    throw KipError(
                        "namespace \"\(Keys.systemNamespace)\" is kip's own (it holds the cluster's settings): choose another project name"
                    )
                }
                if owner != project.name {
                    throw KipError(
                        "namespace \"\(env.namespace)\" already exists and "
                            + (owner.map { "belongs to project \"\($0)\"" } ?? "was not created by kip")
                            + ": kip will not take it over; choose another project or environment name")
                }
            }
        }
    }

    /// Where a new environment goes in the pipeline.
    public enum Placement: Equatable, Sendable {
        case end
        case after(String)
        case before(String)
        /// At the end, as a preview: not a stage of the pipeline.
        case preview
    }

    /// The project with environment `env` added at `placement`, and its index. A simple
    /// project grows too: `default` keeps its namespace (the project's name) and stays
    /// first, and the new environment gets `<project>-<env>`.
    public static func addEnvironment(
        _ project: Project, env: String, observed: Observed, placement: Placement = .end, expiresAt: String? = nil,
        quota: [String: String]? = nil
    ) throws -> (Project, Int) {
        guard let settings = observed.settings else { throw notInstalled() }
        if project.environment(env) != nil {
            throw KipError("project \"\(project.name)\" already has environment \"\(env)\"")
        }
        if env == Naming.defaultEnvironment {
            throw KipError(
                "'default' names the single environment of a simple project; name the new environment (e.g. prod)")
        }
        // The pipeline it makes is checked without `default`, which only a simple
        // project that grew has, first.
        let envs = project.pipeline.filter { $0 != Naming.defaultEnvironment } + [env]
        if let problem = Naming.checkPipeline(org: settings.org, project: project.name, environments: envs) {
            throw KipError(problem)
        }
        var index = project.environments.count
        switch placement {
        case .end, .preview: break
        case .after(let other), .before(let other):
            guard let i = project.environments.firstIndex(where: { $0.name == other }) else {
                throw KipError(
                    "project \"\(project.name)\" has no environment \"\(other)\" to place \(env) next to; it has: \(project.pipeline.joined(separator: ", "))"
                )
            }
            if case .after = placement { index = i + 1 } else { index = i }
        }
        var p = project
        let new = Project.Environment(
            name: env, namespace: Naming.namespace(org: settings.org, project: project.name, environment: env),
            expiresAt: expiresAt, preview: placement == .preview, quota: quota)
        p.environments.insert(new, at: index)
        let added = Project(name: p.name, displayName: nil, environments: [new])
        try checkNamespaces(added, observed: observed)
        for env in added.environments where observed.project("\(p.name)-\(env.name)") != nil {
            throw KipError(
                "environment \"\(env.name)\" of \(p.name) would be written \(p.name)-\(env.name), which is already a project: --project \(p.name)-\(env.name) would mean two things; choose another environment name"
            )
        }
        return (p, index)
    }

    /// The project with its environments in `order`, which must name each of them once.
    public static func reorder(_ project: Project, _ order: [String]) throws -> Project {
        let have = project.pipeline
        guard order.count == have.count, Set(order) == Set(have) else {
            let missing = have.filter { !order.contains($0) }
            let unknown = order.filter { !have.contains($0) }
            var why: [String] = []
            if !missing.isEmpty { why.append("it leaves out \(missing.joined(separator: ", "))") }
            if !unknown.isEmpty { why.append("project \"\(project.name)\" has no \(unknown.joined(separator: ", "))") }
            if why.isEmpty { why.append("an environment is named twice") }
            throw KipError(
                "the new order must name each environment of \(project.name) once (\(have.joined(separator: ", "))): \(why.joined(separator: "; "))"
            )
        }
        var p = project
        p.environments = order.map { n in project.environments.first { $0.name == n }! }
        return p
    }

    public static func removeEnvironment(_ project: Project, env: String) throws -> (Project, Project.Environment) {
        guard let e = project.environment(env) else {
            throw KipError(
                "project \"\(project.name)\" has no environment \"\(env)\"; it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        if project.environments.count == 1 {
            throw KipError(
                "\"\(env)\" is the last environment of project \"\(project.name)\": a project keeps at least one; delete the project instead with 'kip project delete \(project.name)'"
            )
        }
        var p = project
        p.environments.removeAll { $0.name == env }
        return (p, e)
    }

    /// `kip project sync`: what to apply to bring the project back to its CR, the changes
    /// in words, and the namespaces labelled with the project that no environment declares.
    public struct SyncPlan: Equatable {
        public var apply: [JSON]
        public var changes: [String]
        public var strays: [String]
        /// Copies to delete (namespace, name): TLS keys earlier versions copied.
        public var removals: [(namespace: String, name: String)] = []

        public init(
            apply: [JSON], changes: [String], strays: [String], removals: [(namespace: String, name: String)] = []
        ) {
            self.apply = apply
            self.changes = changes
            self.strays = strays
            self.removals = removals
        }

        public static func == (a: SyncPlan, b: SyncPlan) -> Bool {
            a.apply == b.apply && a.changes == b.changes && a.strays == b.strays
                && a.removals.map { "\($0.namespace)/\($0.name)" } == b.removals.map { "\($0.namespace)/\($0.name)" }
        }
    }

    public static func sync(_ project: Project, observed: Observed) throws -> SyncPlan {
        guard let uid = project.uid else {
            throw KipError("project \"\(project.name)\" has no uid; it was not read from the cluster")
        }
        try checkNamespaces(project, observed: observed)
        var apply: [JSON] = []
        var changes: [String] = []
        var removals: [(namespace: String, name: String)] = []
        let pull = observed.pullSecrets
        for env in project.environments {
            // The default ServiceAccount's pull secrets are a list others write too (an
            // atomic one: whoever applies it replaces it whole): those listed stay.
            let sa = (observed.serviceAccounts[env.namespace] ?? []).first {
                $0.at("metadata", "name")?.stringValue == "default"
            }
            let others = (sa?["imagePullSecrets"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            let want = Render.environment(
                project, env, uid: uid, pullSecrets: pull, cluster: observed.cluster, keeping: others)
            apply += want
            guard let have = observed.namespaces[env.namespace] else {
                changes.append("created namespace \(env.namespace) (environment \(env.name))")
                continue
            }
            let wantLabels = want[0].at("metadata", "labels")?.stringMap ?? [:]
            let haveLabels = have.at("metadata", "labels")?.stringMap ?? [:]
            if wantLabels.contains(where: { haveLabels[$0.key] != $0.value }) {
                changes.append("repaired labels of namespace \(env.namespace)")
            }
            let haveOwner = (have.at("metadata", "ownerReferences")?.arrayValue ?? []).contains {
                $0["uid"]?.stringValue == uid
            }
            if !haveOwner {
                changes.append("restored the owner reference of namespace \(env.namespace) to project \(project.name)")
            }
            let haveSecrets = observed.secrets[env.namespace] ?? []
            // A wildcard key an earlier kip copied here: the ingress controller serves it now.
            for s in haveSecrets
            where s["type"]?.stringValue == "kubernetes.io/tls"
                && s.at("metadata", "labels", Keys.pullSecretSource)?.stringValue == "default"
            {
                let name = s.at("metadata", "name")?.stringValue ?? ""
                removals.append((env.namespace, name))
                changes.append(
                    "deleted the copy of TLS secret \(name) in \(env.namespace) (its key stays in default; the ingress controller serves it)"
                )
            }
            for s in pull {
                let name = s.at("metadata", "name")?.stringValue ?? ""
                let copy = haveSecrets.first { $0.at("metadata", "name")?.stringValue == name }
                if copy == nil {
                    changes.append(
                        "copied pull secret \(name) into \(env.namespace)")
                } else if copy?["data"] != s["data"] || copy?["type"] != s["type"] {
                    changes.append(
                        "updated pull secret \(name) in \(env.namespace) (its source in default changed)")
                }
            }
            if pull.contains(where: Render.isPullSecret) {
                let sa = (observed.serviceAccounts[env.namespace] ?? []).first {
                    $0.at("metadata", "name")?.stringValue == "default"
                }
                let listed = Set((sa?["imagePullSecrets"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
                let wanted = Set(pull.filter(Render.isPullSecret).compactMap { $0.at("metadata", "name")?.stringValue })
                if !wanted.isSubset(of: listed) {
                    changes.append("listed the pull secrets in the default ServiceAccount of \(env.namespace)")
                }
            }
        }
        let declared = Set(project.environments.map(\.namespace))
        let strays = observed.namespaces.values
            .filter { $0.at("metadata", "labels", Keys.project)?.stringValue == project.name }
            // Only kip's: a namespace from a manifests export, applied by Argo CD or Flux,
            // keeps the project label but is theirs.
            .filter { $0.at("metadata", "labels", Keys.managedBy)?.stringValue == Keys.managedByValue }
            // One already being deleted is on its way out: neither a stray nor to delete again.
            .filter { $0.at("metadata", "deletionTimestamp") == nil }
            .compactMap { $0.at("metadata", "name")?.stringValue }
            .filter { !declared.contains($0) }
            .sorted()
        return SyncPlan(apply: apply, changes: changes, strays: strays, removals: removals)
    }

    /// Writes a project and the namespaces (with pull secrets) of `environments`:
    /// the Project first when it is new (its uid owns the namespaces), else in one apply
    /// with its resourceVersion as precondition. `members` (the project's default
    /// bindings) are granted in each of `environments`.
    public static func writePlan(
        _ project: Project, environments: [Project.Environment], pullSecrets: [JSON], members: [Member] = [],
        cluster: ClusterSettings = ClusterSettings(), relabel: [Project.Environment] = []
    ) -> Plan {
        var plan = Plan()
        plan.owners = [project.manifest]
        if let uid = project.uid { plan.knownUIDs[Plan.key(project.manifest)] = uid }
        let key = Plan.key(project.manifest)
        plan.owned = { uids in
            environments.flatMap { e in
                Render.environment(project, e, uid: uids[key] ?? "", pullSecrets: pullSecrets, cluster: cluster)
                    + members.map { $0.binding(project, e, uid: uids[key] ?? "") }
            }
                // Namespaces whose place in the pipeline changed: their order label.
                + relabel.map {
                    Render.namespace(project, $0, uid: uids[key] ?? "", podSecurity: cluster.podSecurityLevel)
                }
        }
        plan.resumeHint =
            "the Project exists: run the same command again, or 'kip project sync \(project.name)', to finish"
        plan.report = environments.map { .success($0.namespace) }
        if project.environments.count > 1 {
            plan.report.append(.info("Promotion pipeline: \(project.stages.joined(separator: " → "))"))
        }
        return plan
    }

    public static func notInstalled() -> KipError {
        KipError("kip is not installed on this cluster: run 'kip install' first")
    }

    public static func unknownProject(_ name: String, observed: Observed) -> KipError {
        let names = observed.projects.map(\.name)
        return KipError(
            "project \"\(name)\" does not exist: "
                + (names.isEmpty
                    ? "create it with 'kip project create \(name)'"
                    : "projects on this cluster are \(names.joined(separator: ", "))"))
    }
}

extension ProjectPlanner {
    /// `add-env`: the environment added where `placement` says, its namespace with the
    /// project's default members, and the environments after it relabelled; or, when
    /// the Project has it but its namespace is missing (an add-env that stopped half-way),
    /// that namespace written again (`completing`).
    public static func addEnvPlan(
        _ project: Project, env: String, observed: Observed, placement: Placement, expiresAt: String?,
        quota: [String: String]? = nil
    ) throws -> (plan: Plan, completing: Bool) {
        if let e = project.environment(env), observed.namespaces[e.namespace] == nil {
            let plan = writePlan(
                project, environments: [e], pullSecrets: observed.pullSecrets, members: project.members,
                cluster: observed.cluster)
            return (plan, true)
        }
        let (updated, index) = try addEnvironment(
            project, env: env, observed: observed, placement: placement, expiresAt: expiresAt, quota: quota)
        let plan = writePlan(
            updated, environments: [updated.environments[index]], pullSecrets: observed.pullSecrets,
            members: updated.members, cluster: observed.cluster,
            relabel: Array(updated.environments[(index + 1)...]))
        return (plan, false)
    }
}

extension ProjectPlanner {
    /// The environments of `project` gc removes at `now`: those expired, and with
    /// `keepingOnly` the previews it does not name (protected ones never).
    public static func expired(_ project: Project, at now: Date, keepingOnly keep: Set<String>? = nil)
        -> [Project.Environment]
    {
        project.environments.filter { e in
            if e.protected { return false }
            if let keep, e.preview, !keep.contains(e.name) { return true }
            guard let at = e.expiresAt.flatMap(Durations.parse) else { return false }
            return at <= now
        }
    }

    /// `gc`: the Project without its expired environments (deleted when none is left)
    /// and their namespaces deleted; with how many environments go.
    public static func gcPlan(_ project: Project, at now: Date, keepingOnly keep: Set<String>? = nil) -> (
        plan: Plan, removed: Int
    ) {
        let expired = expired(project, at: now, keepingOnly: keep)
        var plan = Plan()
        if expired.isEmpty { return (plan, 0) }
        var updated = project
        updated.environments.removeAll { e in expired.contains { $0.name == e.name } }
        if updated.environments.isEmpty {
            // Every environment expired: the project goes with them.
            plan.deletes = [Plan.Deletion(ref: "\(CRDs.project)/\(project.name)", namespace: nil)]
        } else {
            plan.owners = [updated.manifest]
            plan.knownUIDs[Plan.key(updated.manifest)] = project.uid
        }
        plan.deletes += expired.map { Plan.Deletion(ref: "namespace/\($0.namespace)", namespace: nil) }
        plan.report = expired.map { e in
            guard let at = e.expiresAt.flatMap(Durations.parse), at <= now else {
                return .success("removed \(project.name)/\(e.name) (namespace \(e.namespace); a preview not kept)")
            }
            let ago = Durations.short(now.timeIntervalSince(at))
            return .success("removed \(project.name)/\(e.name) (namespace \(e.namespace); expired \(ago) ago)")
        }
        if updated.environments.isEmpty { plan.report.append(.success("Project \"\(project.name)\" deleted")) }
        return (plan, expired.count)
    }
}
