import Foundation
import KipCore

/// The one reader of an environment: resolves `--project`/`--environment`/`KIP_PROJECT`/
/// the active project against the Projects, reads what the command acts on in one
/// concurrent round (scoped: by name, or the kinds it lists), and hands the command an
/// `EnvironmentView` to decide from. A 403 on a namespace kip only guessed is never the
/// user's problem; a refusal where the command acts names the environment.
extension Context {
    /// What a command reads inside its environment's namespace: whole kinds (a listing,
    /// a command that looks across the environment), or the objects it touches, by name
    /// (a write to one app: its CR, its children and its secret), which costs one request
    /// each, however much else the namespace holds.
    enum Reading {
        case kinds([String])
        case objects([String])
        /// Whole kinds and named objects, in the same round.
        case mixed(kinds: [String], objects: [String])

        static let everything = Reading.kinds(EnvironmentView.kinds)
    }

    /// Reads what the command acts on and resolves its environment. The reads are scoped
    /// and run at the same time: the Projects, the settings and the environment's
    /// namespace by name, and the kip objects inside that namespace (guessed from the
    /// flags and the cached org; read again if the guess was wrong). Commands that only
    /// look name the kinds they need (`reading`).
    func environment(_ inv: Invocation, reading: Reading = .everything) throws -> EnvironmentView {
        let ctx = self
        let driver = try ctx.driver()
        var kinds: [String] = []
        var objects: [String] = []
        switch reading {
        case .kinds(let k): kinds = k
        case .objects(let o): objects = o
        case .mixed(let k, let o): (kinds, objects) = (k, o)
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
        var (items, refused) = try alongsideActor(driver) {
            try driver.guessedRead(
                projects: named.map { .named($0) } ?? .none, namespaces: [Keys.systemNamespace] + guessed,
                guessed: guessed, kinds: kinds, inside: [guess].compactMap { $0 }, objects: objects)
        }
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
        let view = view(
            observed, project: nil, projectName: s.project, environment: s.environment, namespace: s.namespace)
        if let p = s.project, let project = observed.project(p), let env = project.environment(namespace: s.namespace) {
            try Protection.check([env], project: p, inv, ctx)
        }
        if let p = s.project, observed.namespaces[s.namespace] == nil {
            throw KipError("namespace \(s.namespace) of project \(p) is missing: run 'kip project sync \(p)'")
        }
        return view
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
    func project(of inv: Invocation) throws -> EnvironmentView {
        let ctx = self
        let driver = try ctx.driver()
        // The project the flag (or the active project) names, by name, with the settings;
        // every Project only for the namespace form or to say which exist.
        let active = try ctx.config.load().active[driver.target.name]
        let named = (inv.value("project") ?? active?.project).map { String($0.split(separator: "/").first ?? "") }
        var items = try alongsideActor(driver) {
            try driver.scopedRead(
                projects: named.map { .named($0) } ?? .all, namespaces: [Keys.systemNamespace], kinds: [], inside: [])
        }
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
        return view(observed, project: p, projectName: p.name, environment: nil, namespace: "")
    }

    /// The project's environments `envs`, each read (at the same time) and as a view of its own.
    func environments(
        _ envs: [Project.Environment], of base: EnvironmentView, kinds: [String] = EnvironmentView.kinds
    ) throws -> [EnvironmentView] {
        let driver = try driver()
        let namespaces = envs.map(\.namespace)
        let items = try driver.scopedRead(projects: .none, namespaces: namespaces, kinds: kinds, inside: namespaces)
        var merged = base.observed
        let more = Observed(items: items)
        for (k, v) in more.namespaces { merged.namespaces[k] = v }
        for (k, v) in more.secrets { merged.secrets[k] = v }
        for (k, v) in more.workloads { merged.workloads[k] = v }
        for (k, v) in more.natives { merged.natives[k] = v }
        for (k, v) in more.serviceAccounts { merged.serviceAccounts[k] = v }
        let w = view(merged, project: base.project, projectName: base.scope.project, environment: nil, namespace: "")
        return try envs.map { try w.at($0) }
    }

    /// The commands that record who acted (an app's history).
    static let recordingActor: Set<[String]> = [
        ["app", "deploy"], ["app", "set-image"], ["app", "promote"], ["app", "rollback"],
    ]

    /// A command that records who acted learns it during its first read: on a machine
    /// that has not cached it (a CI runner), the one SelfSubjectReview it costs runs beside
    /// the reads instead of in a round of its own.
    private func alongsideActor<T>(_ driver: KubectlDriver, _ read: @escaping () throws -> T) throws -> T {
        guard Self.recordingActor.contains(globals.command), actorMemo == nil else { return try read() }
        var out: T?
        _ = try driver.concurrently([
            {
                out = try read()
                return []
            },
            { [self] in
                _ = try? actor()
                return []
            },
        ])
        return out!
    }

    /// A view of what was read; every namespace of every Project read becomes a place a
    /// refusal can name.
    private func view(
        _ observed: Observed, project: Project?, projectName: String?, environment: String?, namespace: String
    ) -> EnvironmentView {
        for p in observed.projects {
            for e in p.environments { places[e.namespace] = (p.name, e.name) }
        }
        var v = EnvironmentView(
            observed, project: project, projectName: projectName, environment: environment, namespace: namespace)
        let random = self.random
        v.newPassword = { EnvironmentView.password(random.bytes(24)) }
        return v
    }

    /// Secret `name` of the namespace, for a command that only shows it: nil when it
    /// does not exist, and `.hidden` when the user may not read Secrets there (a
    /// viewer), so that the rest of what the command shows still shows.
    enum Readable<T> {
        case value(T?)
        case hidden
    }

    func readableSecret(_ name: String, in namespace: String) throws -> Readable<JSON> {
        do {
            return .value(
                try driver().get(["secrets"], namespace: namespace, fieldSelector: "metadata.name=\(name)").first)
        } catch let e as KipError where e.isForbidden {
            return .hidden
        }
    }

    /// The credentials (base64 values) of the services an App binds that exist, read by
    /// name when the view lacks them; part of the hash its pods carry.
    func credentials(of app: JSON?, in w: EnvironmentView) throws -> [String: [String: String]] {
        let bindings = AppSpec(json: app?["spec"] ?? [:]).bindings
        let missing = bindings.map { SecretNames.credentials($0.service) }.filter { w.secret($0) == nil }
        let read = try missing.isEmpty ? [] : driver().get("secrets", names: missing, namespace: w.scope.namespace)
        var out: [String: [String: String]] = [:]
        for b in bindings {
            let name = SecretNames.credentials(b.service)
            let s = w.secret(name) ?? read.first { $0.at("metadata", "name")?.stringValue == name }
            if let d = s?["data"]?.objectValue { out[b.service] = d.compactMapValues(\.stringValue) }
        }
        return out
    }

    /// The pod an exec goes to: a ready one of the current revision of the workload of
    /// kind `kind` that `selector` picks (its ReplicaSets and pods read beside it).
    func podToExec(in namespace: String, kind: String, selector: String, what: String) throws -> String {
        let items = try driver().get([kind, "replicasets.apps", "pods"], namespace: namespace, selector: selector)
        let workloads = items.filter { $0["kind"]?.stringValue != "ReplicaSet" && $0["kind"]?.stringValue != "Pod" }
        guard let w = workloads.first else {
            throw KipError("\(what) has no \(kind.split(separator: ".")[0].dropLast()) yet: run 'kip project sync'")
        }
        return try PodStreams.pod(
            of: w, pods: items.filter { $0["kind"] == "Pod" }, replicaSets: items.filter { $0["kind"] == "ReplicaSet" },
            what: what)
    }

    /// The environments' namespaces, kip's objects and workloads in them, each with who
    /// wrote it when (managedFields): one concurrent round. An environment the user may
    /// not read is left out (its namespace too, so nothing judges it idle), not an error.
    func lastWrites(in namespaces: [String]) throws -> Observed {
        Observed(items: try readWithWriters(namespaces))
    }

    private func readWithWriters(_ namespaces: [String]) throws -> [JSON] {
        let driver = try driver()
        let kinds = WorkloadKind.allCases.map(\.resource) + ["deployments.apps", "statefulsets.apps"]
        let inside = try driver.concurrently(
            namespaces.map { ns in
                {
                    do { return try driver.get(kinds, namespace: ns, managedFields: true) } catch let e as KipError
                        where e.isForbidden
                    {
                        return [["kind": "kip:unreadable", "metadata": ["namespace": .string(ns)]]]
                    }
                }
            })
        let unreadable = Set(
            inside.flatMap { $0 }.filter { $0["kind"] == "kip:unreadable" }.compactMap {
                $0.at("metadata", "namespace")?.stringValue
            })
        let readable = namespaces.filter { !unreadable.contains($0) }
        return try driver.get("namespaces", names: readable)
            + inside.flatMap { $0 }.filter { $0["kind"] != "kip:unreadable" }
    }

    /// Runs kubectl on kip's own standard streams (exec, dump, restore); its status.
    func attached(_ args: [String]) throws -> Int32 { try driver().attached(args) }

    /// Starts `kubectl port-forward …` beside kip; the process and the local port.
    func forward(_ args: [String]) throws -> (Running, Int) {
        try driver().forward(args, timeout: Double(KubectlDriver.seconds(try requestTimeout()) ?? 30))
    }

    /// Runs a local program (`service connect -- psql`) on kip's own standard streams with
    /// `environment` added; its status.
    func attachedLocal(_ argv: [String], environment: [String: String]) throws -> Int32 {
        do { return try runner.attached(argv, environment: environment) { _ in false }.status } catch let e
            as RunnerError
        {
            throw KipError(e.description)
        }
    }

    /// Runs `kubectl <first> | kubectl <second>` (a copy between two databases).
    func piped(_ first: [String], into second: [String]) throws { _ = try driver().piped(first, into: second) }

    /// Runs kubectl with its output handed on as it comes (`logs --follow`).
    func stream(_ args: [String], output: @escaping @Sendable (Data) -> Void) throws {
        try driver().stream(args, output: output)
    }

    /// `-o name`: one name a line (for `for a in $(kip app list -o name)`); true when it
    /// printed them.
    func printNames(_ items: [JSON]) -> Bool {
        guard output == "name" else { return false }
        for o in items { printer.name(o.at("metadata", "name")?.stringValue ?? "") }
        return true
    }

    /// Kip's own objects of `kinds` in one namespace, read now: what a command learns it
    /// needs only from what it read first (what an earlier copy left in its target, which
    /// apps a partial promotion wrote).
    func managed(_ kinds: [String], in namespace: String) throws -> [JSON] {
        try driver().get(kinds, namespace: namespace, selector: "\(Keys.managedBy)=\(Keys.managedByValue)")
    }

    /// The Approvals of an environment that requires them (`app history` shows those not
    /// used yet).
    func approvals(in namespace: String) throws -> [JSON] {
        try driver().get([CRDs.approval], namespace: namespace)
    }

    // MARK: projects

    /// With `--wait`, waits for those of `namespaces` still being deleted (saying so);
    /// true when it waited, so that the caller reads again.
    func waitForDeleted(_ inv: Invocation, _ namespaces: [String], _ observed: Observed) throws -> Bool {
        let ctx = self
        guard inv.has(ProjectCommands.waitDeletedFlag), !ctx.dryRun else { return false }
        let going = namespaces.filter { ProjectPlanner.terminating(observed.namespaces[$0]) }
        if going.isEmpty { return false }
        ctx.printer.line(
            "Waiting for namespace\(going.count == 1 ? "" : "s") \(going.joined(separator: ", ")) to be deleted...")
        try self.driver().waitGone("namespaces", going) { ctx.printer.success("namespace \($0) deleted") }
        return true
    }

    /// Namespace deletion takes time (pods stop, volumes detach): with `--wait`, waits
    /// until they are gone and says so for each.
    func awaitDeletion(_ namespaces: [String], _ inv: Invocation) throws {
        let ctx = self
        guard inv.has(ProjectCommands.waitFlag), !ctx.dryRun, !namespaces.isEmpty else { return }
        try self.driver().waitGone("namespaces", namespaces) { ctx.printer.success("namespace \($0) deleted") }
    }

    /// What planning a change to project `name` reads, scoped and at the same time: the
    /// Project and the settings by name, the `default` namespace's secrets (the pull
    /// secrets kip copies), and the namespaces the change would use (`planned`, from the
    /// org), by name, guessed from the org kip last saw on this cluster; read again if
    /// the org turns out to be another.
    func readForPlanning(
        project name: String, environments: [String] = [], planned: (_ org: String?) -> [String]
    ) throws -> Observed {
        let ctx = self
        let driver = try self.driver()
        let cachedOrg = try ctx.config.load().clusters[driver.target.name]?.org
        let guessed = planned(cachedOrg)
        // What would make --project ambiguous: namespaces named like the project, and
        // Projects named like its environments' namespace forms.
        let forms = [name] + (cachedOrg.map { ["\($0)-\(name)"] } ?? [])
        let formProjects = environments.filter { $0 != Naming.defaultEnvironment }.map { "\(name)-\($0)" }
        // Every namespace here is a guess (a project admin may read its own only, and some
        // do not exist); the pull secrets of `default` are a cluster administrator's to
        // read: without them, new environments get none.
        let first = try driver.concurrently([
            {
                try driver.guessedRead(
                    projects: .names([name] + formProjects), namespaces: [Keys.systemNamespace] + guessed + forms,
                    guessed: guessed + forms, kinds: [], inside: []
                ).items
            },
            {
                do { return try driver.get(["secrets"], namespace: "default") } catch let e as KipError
                    where e.isForbidden
                { return [] }
            },
        ]).flatMap { $0 }
        let observed = Observed(items: first)
        guard let settings = observed.settings else { return observed }
        try ctx.cacheOrg(settings.org, cluster: driver.target.name)
        let missing = planned(settings.org).filter { !guessed.contains($0) }
        if missing.isEmpty { return observed }
        return Observed(
            items: first
                + (try driver.guessedRead(
                    projects: .none, namespaces: missing, guessed: missing, kinds: [], inside: []
                ).items))
    }

    /// A project and what its environments hold, scoped: the Projects and settings, then
    /// (at the same time) each environment's namespace by name and `kinds` inside it,
    /// and with `strays` the namespaces labelled with the project.
    func readProject(
        _ name: String, kinds: [String], strays: Bool = false,
        inside: (Project) -> [Project.Environment] = { $0.environments }
    ) throws -> (Project, Observed) {
        let driver = try self.driver()
        let first = try driver.scopedRead(
            projects: .named(name), namespaces: [Keys.systemNamespace], kinds: [], inside: [])
        let top = Observed(items: first)
        guard let project = top.project(name) else {
            // Say which projects there are.
            throw ProjectPlanner.unknownProject(
                name, observed: Observed(items: first + (try driver.get([CRDs.project]))))
        }
        // Only the environments acted in: a developer of test and acc exports and checks
        // test without rights in prod.
        let acted = inside(project).map(\.namespace)
        var reads: [() throws -> [JSON]] = [
            { try driver.scopedRead(projects: .none, namespaces: acted, kinds: kinds, inside: acted) }
        ]
        if strays { reads.append { try driver.get(["namespaces"], selector: "\(Keys.project)=\(name)") } }
        let items = first + (try driver.concurrently(reads).flatMap { $0 })
        return (project, Observed(items: items))
    }

    /// `readProject` for a command that only shows: environments the user may not read
    /// are returned as `hidden` instead of failing the command (a developer of test and
    /// acc sees those two), unless none is readable.
    func readProjectShowing(_ name: String, kinds: [String]) throws -> (Project, Observed, hidden: Set<String>) {
        let driver = try self.driver()
        do {
            let (p, o) = try readProject(name, kinds: kinds)
            return (p, o, [])
        } catch let e as KipError where e.isForbidden {
            let first = try driver.scopedRead(
                projects: .named(name), namespaces: [Keys.systemNamespace], kinds: [], inside: [])
            guard let project = Observed(items: first).project(name) else { throw e }
            let hiddenMark: JSON = ["kind": "kip:hidden"]
            let reads = project.environments.map { env in
                {
                    do {
                        return try driver.scopedRead(
                            projects: .none, namespaces: [env.namespace], kinds: kinds, inside: [env.namespace])
                    } catch let err as KipError where err.isForbidden {
                        return [hiddenMark]
                    }
                }
            }
            let results = try driver.concurrently(reads)
            let hidden = Set(zip(project.environments, results).filter { $0.1 == [hiddenMark] }.map(\.0.namespace))
            if hidden.count == project.environments.count { throw e }
            return (project, Observed(items: first + results.filter { $0 != [hiddenMark] }.flatMap { $0 }), hidden)
        }
    }

    /// The project named on the line, else the active one of this cluster.
    func projectName(_ given: String?) throws -> String {
        let ctx = self
        if let given { return given }
        let target = try cluster()
        if let p = ctx.env["KIP_PROJECT"], !p.isEmpty { return String(p.split(separator: "/")[0]) }
        guard let a = try ctx.config.load().active[target.name] else {
            throw KipError(
                "no project given and no active project on cluster \"\(target.name)\": name one, or run 'kip project use NAME'"
            )
        }
        return a.project
    }

    /// The route claims the selector picks, to delete (nothing when the user may not list
    /// them: a cluster administrator's to release then).
    func releasedClaims(selector: String) throws -> [Plan.Deletion] {
        do {
            return try self.driver().get([CRDs.routeClaim], selector: selector).compactMap {
                $0.at("metadata", "name")?.stringValue.map {
                    Plan.Deletion(ref: "\(CRDs.routeClaim)/\($0)", namespace: nil)
                }
            }
        } catch let e as KipError where e.isForbidden { return [] }
    }

    // MARK: members

    /// The project named (the argument, else `--project`, else the active one) and the
    /// settings, read by name in one call; every Project only to say which exist.
    func namedProject(_ inv: Invocation, given: String? = nil) throws -> Project {
        let driver = try self.driver()
        let name = try projectName(given ?? inv.value("project").map { String($0.split(separator: "/")[0]) })
        let top = Observed(
            items: try driver.scopedRead(
                projects: .named(name), namespaces: [Keys.systemNamespace], kinds: [], inside: []))
        guard top.settings != nil else { throw ProjectPlanner.notInstalled() }
        guard let project = top.project(name) else {
            throw ProjectPlanner.unknownProject(name, observed: Observed(items: try driver.get([CRDs.project])))
        }
        return project
    }

    /// The project (from `--project`, else the active one), its environments `chosen`
    /// (all when empty; an unknown one is an error), and kip's RoleBindings in them.
    /// With `tolerant`, an environment whose bindings the user may not read is left out
    /// of the map rather than failing the command.
    func readMembers(
        _ inv: Invocation, project given: String? = nil, chosen: [String], tolerant: Bool = false
    ) throws -> (Project, [Project.Environment], [String: [JSON]]) {
        let project = try namedProject(inv, given: given)
        let driver = try self.driver()
        for e in project.environments { driver.places[e.namespace] = (project.name, e.name) }
        var envs = project.environments
        if !chosen.isEmpty {
            envs = try chosen.map { c in
                guard let e = project.environment(c) else {
                    throw KipError(
                        "project \"\(project.name)\" has no environment \"\(c)\"; it has: \(project.pipeline.joined(separator: ", "))"
                    )
                }
                return e
            }
        }
        let hiddenMark: JSON = ["kind": "kip:hidden"]
        let lists = try driver.concurrently(
            envs.map { e in
                {
                    do {
                        // Every binding, kip's or not: any that grants a kip role counts.
                        return try driver.get([MemberCommands.rbacBindings], namespace: e.namespace)
                    } catch let err as KipError where err.isForbidden && tolerant {
                        return [hiddenMark]
                    }
                }
            })
        var bindings: [String: [JSON]] = [:]
        for (e, l) in zip(envs, lists) where l != [hiddenMark] { bindings[e.namespace] = l }
        if bindings.isEmpty && !envs.isEmpty {
            // Readable nowhere: the refusal itself says what is lacking.
            _ = try driver.get([MemberCommands.rbacBindings], namespace: envs[0].namespace)
        }
        return (project, envs, bindings)
    }

    /// SelfSubjectAccessReviews (or, for another user, SubjectAccessReviews): allowed or not, in order.
    func accessReviews(_ reviews: [JSON], as user: String?, groups: [String]) throws -> [Bool] {
        try driver().accessReviews(reviews, as: user, groups: groups)
    }

    // MARK: small reads

    /// The name kip's config knows the cluster by (its active project, its cached org).
    func clusterName() throws -> String { try cluster().name }

    /// The org kip last saw on this cluster (nil before any read of its settings).
    func cachedOrg() throws -> String? { try config.load().clusters[cluster().name]?.org }

    /// Every Project (each is small and readable by every kip user).
    func everyProject(on target: ClusterTarget? = nil) throws -> Observed {
        Observed(items: try driver(target).get([CRDs.project]))
    }

    /// The contexts a kubeconfig holds (`kubectl config get-contexts -o name`).
    func contexts(kubeconfig: String?) throws -> [String] {
        let driver = KubectlDriver(
            runner: runner, target: ClusterTarget(name: "", context: nil, kubeconfig: kubeconfig),
            trace: verbose ? { [stderr] in stderr.line($0) } : nil, rounds: rounds)
        return String(decoding: try driver.kubectl(["config", "get-contexts", "-o", "name"]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
    }

    /// The Project named `name`, read now; nil when there is none.
    func project(named name: String) throws -> Project? {
        try driver().get(CRDs.project, names: [name]).compactMap(Project.init).first
    }

    /// The Secrets of `default` (the registry pull secrets kip copies into environments).
    func defaultSecrets() throws -> [JSON] { try driver().get(["secrets"], namespace: "default") }

    /// `kinds` in each of `namespaces`, at the same time; a namespace not read (nil in
    /// `namespaces`) gives nothing.
    func readEach(_ kinds: [String], in namespaces: [String?]) throws -> [[JSON]] {
        let driver = try driver()
        return try driver.concurrently(
            namespaces.map { ns in { try ns.map { try driver.get(kinds, namespace: $0) } ?? [] } })
    }

    /// One read, scoped and concurrent: the Projects, the settings, the source
    /// namespace `ns` and the target's (`target`) by name, and the kip objects and
    /// secrets inside `ns`.
    func readCopy(namespace ns: String, target: String) throws -> Observed {
        Observed(
            items: try driver().scopedRead(
                namespaces: [Keys.systemNamespace, ns, target],
                kinds: WorkloadKind.allCases.map(\.resource) + ["secrets"],
                inside: [ns]))
    }

    // MARK: install

    /// What `kip install` reads, in one round: the settings namespace, the TLS Secret
    /// named (when one is given), kip's ClusterRoles as they are, and what the cluster
    /// offers routes, storage and autoscaling.
    func readForInstall(tlsSecret: String?) throws -> InstallRead {
        let driver = try driver()
        let roles = KipRoles.clusterRoles.compactMap { $0.at("metadata", "name")?.stringValue }
        let r = try driver.concurrently([
            { try driver.get("namespaces", names: [Keys.systemNamespace]) },
            { try tlsSecret.map { try driver.get("secrets", names: [$0], namespace: "default") } ?? [] },
            { try driver.get("clusterroles", names: roles) },
            { try driver.get(["ingressclasses.v1.networking.k8s.io"]) },
            { try driver.get(["storageclasses.v1.storage.k8s.io"]) },
            { try driver.get("apiservices.v1.apiregistration.k8s.io", names: ["v1beta1.metrics.k8s.io"]) },
            // The network plugin, to tell whether isolation holds (nothing when unreadable).
            { (try? driver.get(["daemonsets.apps"], namespace: "kube-system")) ?? [] },
        ])
        var read = InstallRead(
            system: r[0], tlsSecret: r[1].first, roles: r[2], ingressClasses: r[3], storageClasses: r[4],
            metricsAPI: r[5])
        read.daemonSets = r[6]
        return read
    }

    /// Waits until the API server serves these CRDs (Established).
    func waitEstablished(_ crds: [String]) throws { try driver().waitEstablished(crds) }
}
