import Foundation
import KipCore

/// `kip project …`: projects and their environments.
enum ProjectCommands {
    static let spec = CommandSpec(
        "project", "Create, list and change projects and their environments.",
        subcommands: [
            CommandSpec(
                "create", "Create a project: one namespace per environment.",
                discussion: """
                    Without --environments the project has the single environment 'default', whose
                    namespace is the project name. Image pull secrets of the 'default' namespace are
                    copied into every environment.
                    """,
                arguments: [ArgumentSpec("name", "The project's short code (a DNS-1123 label), used in namespaces.")],
                options: [
                    .list("environments", "env", "Environments in pipeline order (e.g. test,acc,prod)."),
                    .value("display-name", "text", "Human-readable name for consoles."), waitDeletedFlag.spec,
                    .flag(
                        "if-not-exists",
                        "Succeed without change when the project exists with these environments (for scripts)."),
                ], handler: create),
            CommandSpec(
                "list", "List projects and their environments in pipeline order.",
                discussion: "-o wide adds display names and namespaces.", handler: list),
            CommandSpec(
                "show", "Show a project's environments, namespaces and what each holds.",
                arguments: [ArgumentSpec("name", "Project (default: the active project).", optional: true)],
                handler: show),
            CommandSpec(
                "info", "Same as 'kip project show'.",
                arguments: [ArgumentSpec("name", "Project (default: the active project).", optional: true)],
                handler: show),
            CommandSpec(
                "add-env", "Add an environment at the end of a project's pipeline: blank, or a copy of another.",
                discussion: """
                    --copy-from SRC recreates every app, service, volume, function and job of SRC with
                    their user secrets; service credentials and pull secrets are fresh, databases and
                    volumes start empty, routes get the new environment's default host. --customize walks
                    through the five-step wizard; --plan prints the same plan, and --overrides applies an
                    edited one without questions. Running the same copy again finishes one that stopped.
                    """,
                arguments: [
                    ArgumentSpec("project", "Project (default: the active project).", optional: true),
                    ArgumentSpec("env", "New environment name."),
                ], options: CopyCommands.addEnvOptions, handler: addEnv),
            CommandSpec(
                "remove-env", "Remove an environment: its namespace and everything in it.",
                discussion: "Asks to type the environment name. Without a terminal, pass --confirm ENV or --yes.",
                arguments: [
                    ArgumentSpec("project", "Project (default: the active project).", optional: true),
                    ArgumentSpec("env", "Environment to remove."),
                ],
                options: [
                    .value("confirm", "env", "Confirm by naming the environment (for scripts)."),
                    LifecycleCommands.confirmEnv, waitFlag.spec,
                ],
                handler: removeEnv),
            CommandSpec(
                "delete", "Delete a project, all its environments and everything in them.",
                discussion: "Asks to type the project name. Without a terminal, pass --confirm NAME or --yes.",
                arguments: [ArgumentSpec("name", "Project to delete.")],
                options: [
                    .value("confirm", "name", "Confirm by naming the project (for scripts)."),
                    LifecycleCommands.confirmEnv, waitFlag.spec,
                ],
                handler: delete),
            CommandSpec(
                "use", "Set the active project (and environment) of the current cluster.",
                discussion: "After it, --project and --environment may be left out; an explicit flag still wins.",
                arguments: [
                    ArgumentSpec("project", "NAME, NAME/ENV or the namespace form NAME-ENV.", optional: true),
                    ArgumentSpec("env", "Environment (the same as NAME/ENV).", optional: true),
                ],
                options: [.flag("clear", "Forget the active project of the current cluster.")], handler: use),
            CommandSpec(
                "sync", "Bring a project's namespaces back to what its definition says.",
                discussion: """
                    Recreates missing namespaces, repairs their labels and owner references, and
                    re-copies the pull secrets of the 'default' namespace. Namespaces labelled with the
                    project that no environment declares are reported, and removed with --prune, which
                    lists them and asks to type the project name (without a terminal, --confirm NAME
                    or --yes).
                    """,
                arguments: [ArgumentSpec("name", "Project (default: the active project).", optional: true)],
                options: [
                    .flag("prune", "Delete namespaces of environments the project no longer declares."),
                    waitDeletedFlag.spec,
                    .value("confirm", "name", "Confirm --prune by naming the project (for scripts)."),
                    .flag("workloads", "Also write every app, service, … as kip renders it (undoes drift)."),
                ],
                handler: sync),
            CopyCommands.diffSpec,
            CommandSpec(
                "status", "The pipeline at a glance: the image each app runs in each environment.",
                discussion: """
                    One row per app, one column per environment in pipeline order: the image its
                    Deployment runs (not only what the App asks for), marked while a rollout is under
                    way or when it failed; BEHIND names the environments that run another image than
                    the one before them.
                    """,
                arguments: [ArgumentSpec("name", "Project (default: the active project).", optional: true)],
                handler: status),
        ] + LifecycleCommands.specs + FileCommands.specs + MemberCommands.specs)

    // MARK: Helpers

    static let waitDeletedFlag = Flag(
        "wait", "If a namespace it needs is still being deleted, wait until it is gone (at most 5 minutes), then go on."
    )

    static let waitFlag = Flag(
        "wait", "Wait until the namespaces are gone (at most 5 minutes), saying so as each one goes.")

    /// A namespace already on its way out (`deletionTimestamp` set): deleting it again is
    /// a 409 on a real cluster, and it is going anyway.
    static func terminating(_ ns: JSON?) -> Bool { ns?.at("metadata", "deletionTimestamp") != nil }

    static func arrow(_ envs: [String]) -> String { envs.joined(separator: " → ") }

    static func inventory(_ items: [JSON]) -> String {
        var counts: [String: Int] = [:]
        for o in items { counts[o["kind"]?.stringValue ?? "", default: 0] += 1 }
        let order = [
            ("App", "app"), ("Service", "service"), ("Volume", "volume"), ("Function", "function"), ("Job", "job"),
        ]
        let parts = order.compactMap { k, word in counts[k].map { "\($0) \(word)\($0 == 1 ? "" : "s")" } }
        return parts.isEmpty ? "empty" : parts.joined(separator: ", ")
    }

    // MARK: create

    static func create(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        if let p = Naming.checkProject(name) { throw KipError(p) }
        try ctx.write {
            let envs = inv.options["environments"] ?? [Naming.defaultEnvironment]
            func read() throws -> Observed {
                try ctx.readForPlanning(project: name, environments: envs) { org in
                    envs.map { Naming.namespace(org: org, project: name, environment: $0) }
                }
            }
            var observed = try read()
            let planned = envs.map { Naming.namespace(org: observed.settings?.org, project: name, environment: $0) }
            if try ctx.waitForDeleted(inv, planned, observed) { observed = try read() }
            if inv.has("if-not-exists"), let p = observed.project(name),
                inv.options["environments"] == nil || p.pipeline == envs,
                p.environments.allSatisfy({ observed.namespaces[$0.namespace] != nil })
            {
                var plan = Plan()
                plan.report = [.info("= project \(name) exists (environments: \(p.pipeline.joined(separator: ", ")))")]
                return plan
            }
            let (project, completing) = try ProjectPlanner.create(
                name: name, environments: inv.options["environments"], displayName: inv.value("display-name"),
                observed: observed)
            if !ctx.dryRun {
                ctx.printer.line(completing ? "Completing project \"\(name)\"..." : "Creating project \"\(name)\"...")
            }
            return ProjectPlanner.writePlan(
                project, environments: project.environments, pullSecrets: observed.pullSecrets,
                podSecurity: observed.podSecurity)
        }
        return 0
    }

    // MARK: list

    static func list(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let projects = try ctx.everyProject().projects.sorted { $0.name < $1.name }
        let none = projects.isEmpty ? "No projects. Create one with 'kip project create NAME'." : nil
        return try ctx.show(.array(projects.map(document)), names: projects.map(\.name), empty: none) { wide in
            var header = ["PROJECT", "ENVIRONMENTS"]
            if wide { header += ["DISPLAY NAME", "NAMESPACES", "AGE", "EXPIRES"] }
            let now = ctx.clock()
            ctx.printer.table(
                header,
                projects.map { p in
                    var row = [p.name, p.environments.map(envLabel).joined(separator: ", ")]
                    if wide {
                        let age = p.created.flatMap(Durations.parse).map { Durations.short(now.timeIntervalSince($0)) }
                        let expiring = p.environments.compactMap { e -> String? in
                            guard let at = e.expiresAt.flatMap(Durations.parse) else { return nil }
                            let left = at.timeIntervalSince(now)
                            return "\(e.name) " + (left > 0 ? "in \(Durations.short(left))" : "expired")
                        }
                        row += [
                            p.displayName ?? "-", p.environments.map(\.namespace).joined(separator: ","), age ?? "-",
                            expiring.isEmpty ? "-" : expiring.joined(separator: ", "),
                        ]
                    }
                    return row
                })
        }
    }

    static func document(_ p: Project) -> JSON {
        var o: JSON = [
            "name": .string(p.name),
            "environments": .array(
                p.environments.map { e in
                    var j: JSON = [
                        "name": .string(e.name), "namespace": .string(e.namespace), "protected": .bool(e.protected),
                    ]
                    if let x = e.expiresAt { j["expiresAt"] = .string(x) }
                    return j
                }),
        ]
        if let d = p.displayName { o["displayName"] = .string(d) }
        if let c = p.created { o["created"] = .string(c) }
        return o
    }

    /// An environment's name as lists show it: 🔒 when protected, ⏳ when it expires.
    static func envLabel(_ e: Project.Environment) -> String {
        e.name + (e.protected ? " 🔒" : "") + (e.expiresAt != nil ? " ⏳" : "")
    }

    // MARK: show

    /// A namespace's phase as `project show` prints it: Active, or Terminating while it
    /// is being deleted (by kip's remove-env, or by anyone with kubectl).
    static func namespaceStatus(_ ns: JSON) -> String {
        ns.at("status", "phase")?.stringValue == "Terminating" || ns.at("metadata", "deletionTimestamp") != nil
            ? "Terminating" : "Active"
    }

    static func show(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = try ctx.projectName(inv.arguments.first)
        let (p, observed, hidden) = try ctx.readProjectShowing(name, kinds: CRDs.workloadKinds)
        return try ctx.show(showDocument(p, observed, hidden), names: p.environments.map(\.name)) { _ in
            showText(p, observed, hidden, ctx)
        }
    }

    /// `project show -o json|yaml`: the Project and, in each environment, what it holds.
    static func showDocument(_ p: Project, _ observed: Observed, _ hidden: Set<String>) -> JSON {
        var doc = document(p)
        doc["environments"] = .array(
            p.environments.map { e in
                var o: JSON = [
                    "name": .string(e.name), "namespace": .string(e.namespace),
                    "exists": .bool(observed.namespaces[e.namespace] != nil),
                ]
                if let ns = observed.namespaces[e.namespace] { o["status"] = .string(namespaceStatus(ns)) }
                if hidden.contains(e.namespace) {
                    o["exists"] = nil
                    o["visible"] = false
                    return o
                }
                var byKind: [String: [JSON]] = [:]
                for w in observed.workloads[e.namespace] ?? [] {
                    byKind[(w["kind"]?.stringValue ?? "").lowercased() + "s", default: []].append(
                        w.at("metadata", "name") ?? "")
                }
                for k in ["apps", "services", "volumes", "functions", "jobs"] { o[k] = .array(byKind[k] ?? []) }
                return o
            })
        return doc
    }

    static func showText(_ p: Project, _ observed: Observed, _ hidden: Set<String>, _ ctx: Context) {
        ctx.printer.line("Project:       \(p.name)")
        if let d = p.displayName { ctx.printer.line("Display name:  \(d)") }
        ctx.printer.line(
            p.environments.count > 1
                ? "Pipeline:      \(arrow(p.pipeline))" : "Environment:   \(p.pipeline.joined())")
        ctx.printer.line()
        let rows: [[String]] = p.environments.map { e in
            if hidden.contains(e.namespace) {
                return [envLabel(e), e.namespace, "Not visible"] + Array(repeating: "-", count: 5)
            }
            let ws = observed.workloads[e.namespace] ?? []
            func count(_ k: String) -> String { String(ws.filter { $0["kind"]?.stringValue == k }.count) }
            return [
                envLabel(e), e.namespace, observed.namespaces[e.namespace].map(namespaceStatus) ?? "Missing",
                count("App"),
                count("Service"),
                count("Volume"), count("Function"), count("Job"),
            ]
        }
        ctx.printer.table(
            ["ENVIRONMENT", "NAMESPACE", "STATUS", "APPS", "SERVICES", "VOLUMES", "FUNCTIONS", "JOBS"], rows)
        if rows.contains(where: { $0[2] == "Missing" }) {
            ctx.printer.warning("some namespaces are missing: run 'kip project sync \(p.name)'")
        }
        for r in rows where r[2] == "Terminating" {
            ctx.printer.warning(
                "namespace \(r[1]) is being deleted (not by kip): nothing can be written there; once it is gone, 'kip project sync \(p.name)' recreates it"
            )
        }
        let now = ctx.clock()
        for e in p.environments {
            if let at = e.expiresAt.flatMap(Durations.parse) {
                let left = at.timeIntervalSince(now)
                ctx.printer.line(
                    "⏳ \(e.name) "
                        + (left > 0
                            ? "expires in \(Durations.short(left)) (\(e.expiresAt!))"
                            : "expired at \(e.expiresAt!): 'kip project gc' removes it"))
            }
        }
    }

    // MARK: status

    static func status(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = try ctx.projectName(inv.arguments.first)
        let (p, observed, hidden) = try ctx.readProjectShowing(
            name, kinds: [WorkloadKind.app.resource, "deployments.apps"])
        let envs = p.environments
        var apps = Set<String>()
        for e in envs {
            for a in observed.workloads[e.namespace] ?? [] where a["kind"]?.stringValue == "App" {
                apps.insert(a.at("metadata", "name")?.stringValue ?? "")
            }
        }
        /// What runs: the Deployment's image, and how its rollout stands.
        func cell(_ app: String, _ e: Project.Environment) -> (image: String?, wanted: String?, state: String) {
            if hidden.contains(e.namespace) { return (nil, nil, "not visible") }
            let cr = (observed.workloads[e.namespace] ?? []).first {
                $0["kind"]?.stringValue == "App" && $0.at("metadata", "name")?.stringValue == app
            }
            guard let cr else { return (nil, nil, "absent") }
            let wanted = cr.at("spec", "image")?.stringValue
            let d = (observed.natives[e.namespace] ?? []).first {
                $0["kind"]?.stringValue == "Deployment" && $0.at("metadata", "name")?.stringValue == app
            }
            guard let d else { return (nil, wanted, "no Deployment") }
            let image = d.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"]?.stringValue
            switch Rollout.state(d, pods: []) {
            case .done: return (image, wanted, image == wanted ? "ready" : "differs from the App")
            case .progressing: return (image, wanted, "rolling out")
            case .failed: return (image, wanted, "failed")
            }
        }
        let rows = apps.sorted().map { app -> (String, [(image: String?, wanted: String?, state: String)], [String]) in
            let cells = envs.map { cell(app, $0) }
            var behind: [String] = []
            for i in envs.indices.dropFirst() where cells[i].image != nil && cells[i - 1].image != nil {
                if cells[i].image != cells[i - 1].image { behind.append("\(envs[i].name) behind \(envs[i - 1].name)") }
            }
            return (app, cells, behind)
        }
        let doc: JSON = .array(
            rows.map { app, cells, behind in
                [
                    "app": .string(app),
                    "environments": .array(
                        zip(envs, cells).map { e, c in
                            var o: JSON = ["name": .string(e.name), "state": .string(c.state)]
                            if let i = c.image { o["image"] = .string(i) }
                            if let w = c.wanted { o["wanted"] = .string(w) }
                            return o
                        }),
                    "behind": JSON.strings(behind),
                ]
            })
        return try ctx.show(doc, empty: rows.isEmpty ? "No apps in project \(p.name) yet." : nil) { _ in
            ctx.printer.table(
                ["APP"] + envs.map { $0.name.uppercased() } + ["BEHIND"],
                rows.map { app, cells, behind in
                    [app]
                        + cells.map { c in
                            switch c.state {
                            case "absent": return "-"
                            case "ready": return c.image ?? "-"
                            case "not visible", "no Deployment": return "(\(c.state))"
                            default: return "\(c.image ?? "-") (\(c.state))"
                            }
                        } + [behind.joined(separator: ", ").ifEmpty("-")]
                })
        }
    }

    // MARK: add-env / remove-env

    static func projectAndEnv(_ inv: Invocation, _ ctx: Context) throws -> (String, String) {
        if inv.arguments.count == 2 { return (inv.arguments[0], inv.arguments[1]) }
        return (try ctx.projectName(nil), inv.arguments[0])
    }

    /// `--after ENV` / `--before ENV` (one of them).
    static func placement(_ inv: Invocation) throws -> ProjectPlanner.Placement {
        switch (inv.value("after"), inv.value("before")) {
        case (let a?, nil): return .after(a)
        case (nil, let b?): return .before(b)
        case (nil, nil): return .end
        default:
            throw UsageError(message: "--after and --before both place the environment: give one", command: inv.command)
        }
    }

    /// `--ttl DURATION` as the time it ends, from now.
    static func expiry(_ inv: Invocation, _ ctx: Context) throws -> String? {
        guard let ttl = inv.value("ttl") else { return nil }
        guard let s = Durations.seconds(ttl) else {
            throw UsageError(
                message:
                    "The value '\(ttl)' is invalid for '--ttl <duration>': give a duration such as 72h, 7d or 1h30m",
                command: inv.command)
        }
        return Promotion.timestamp(ctx.clock().addingTimeInterval(s))
    }

    static func addEnv(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (name, env) = try projectAndEnv(inv, ctx)
        if let src = inv.value("copy-from") {
            return try CopyCommands.copy(inv, ctx, project: name, env: env, from: src)
        }
        for f in ["customize", "plan", "overrides", "prod-defaults"] where inv.has(f) {
            throw UsageError(
                message: "--\(f) goes with --copy-from: name the environment to copy", command: inv.command)
        }
        if let p = Naming.checkEnvironment(env) { throw KipError(p) }
        return try ctx.run {
            func read() throws -> Observed {
                try ctx.readForPlanning(project: name, environments: [env]) { org in
                    [Naming.namespace(org: org, project: name, environment: env)]
                }
            }
            var observed = try read()
            let planned = Naming.namespace(org: observed.settings?.org, project: name, environment: env)
            if try ctx.waitForDeleted(inv, [planned], observed) { observed = try read() }
            guard let project = observed.project(name) else {
                // Say which projects there are.
                throw ProjectPlanner.unknownProject(
                    name, observed: try ctx.everyProject())
            }
            // The Project has it but its namespace is missing: an add-env that stopped
            // half-way, which running it again finishes.
            if let e = project.environment(env), observed.namespaces[e.namespace] == nil {
                return Attempt(
                    ProjectPlanner.writePlan(
                        project, environments: [e], pullSecrets: observed.pullSecrets, members: project.members,
                        podSecurity: observed.podSecurity),
                    notices: ctx.dryRun ? [] : [.info("Completing environment \"\(env)\" of project \"\(name)\"...")])
            }
            let (updated, index) = try ProjectPlanner.addEnvironment(
                project, env: env, observed: observed, placement: try placement(inv), expiresAt: try expiry(inv, ctx))
            // The project's default members, as the Project records them.
            return Attempt(
                ProjectPlanner.writePlan(
                    updated, environments: [updated.environments[index]], pullSecrets: observed.pullSecrets,
                    members: updated.members, podSecurity: observed.podSecurity,
                    relabel: Array(updated.environments[(index + 1)...])),
                notices: ctx.dryRun ? [] : [.info("Adding environment \"\(env)\" to project \"\(name)\"...")])
        }.code
    }

    static func removeEnv(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let cluster = try ctx.clusterName()
        let (name, env) = try projectAndEnv(inv, ctx)
        let written = try ctx.run { n in
            // Every attempt reads the Project again: its resourceVersion is the precondition.
            let (project, observed) = try ctx.readProject(name, kinds: n == 0 ? CRDs.workloadKinds : []) { p in
                p.environments.filter { $0.name == env }
            }
            let (updated, removed) = try ProjectPlanner.removeEnvironment(project, env: env)
            // Protected: named by --confirm ENV or --confirm-env ENV, or typed; never --yes alone.
            if inv.value("confirm") != env { try Protection.check([removed], project: name, inv, ctx) }
            var plan = removeEnvPlan(updated, removed, terminating: terminating(observed.namespaces[removed.namespace]))
            plan.deletes += try ctx.releasedClaims(selector: "\(Keys.project)=\(name),\(Keys.environment)=\(env)")
            return Attempt(
                plan,
                aside: removeEnvNotice(name, env, removed, observed),
                question: .typed(
                    env, what: "environment \"\(env)\"", flag: inv.value("confirm"), declined: "Not removed."))
        }
        guard case .applied(let plan, _) = written else { return written.code }
        let removed = plan.deletes.first { $0.ref.hasPrefix("namespace/") }.map {
            String($0.ref.dropFirst("namespace/".count))
        }
        try ctx.awaitDeletion(removed.map { [$0] } ?? [], inv)
        try ctx.config.update { cfg in
            if cfg.active[cluster]?.project == name, cfg.active[cluster]?.environment == env {
                cfg.active[cluster]?.environment = nil
            }
        }
        return 0
    }

    /// The Project without the environment, and its namespace deleted (unless it is
    /// already going).
    static func removeEnvPlan(_ updated: Project, _ removed: Project.Environment, terminating: Bool) -> Plan {
        var plan = Plan()
        plan.owners = [updated.manifest]
        plan.knownUIDs[Plan.key(updated.manifest)] = updated.uid
        if !terminating {
            plan.deletes = [Plan.Deletion(ref: "namespace/\(removed.namespace)", namespace: nil)]
        }
        plan.report = [
            .success("Removed environment \"\(removed.name)\" (deleting namespace \(removed.namespace))"),
            .info(
                updated.environments.count > 1
                    ? "Promotion pipeline: \(arrow(updated.pipeline))" : "Environment: \(updated.pipeline.joined())"),
        ]
        return plan
    }

    /// What removing the environment takes with it, said before the typed confirmation.
    static func removeEnvNotice(_ name: String, _ env: String, _ removed: Project.Environment, _ observed: Observed)
        -> [String]
    {
        let held = (observed.workloads[removed.namespace] ?? []).sorted {
            ($0["kind"]?.stringValue ?? "", $0.at("metadata", "name")?.stringValue ?? "")
                < ($1["kind"]?.stringValue ?? "", $1.at("metadata", "name")?.stringValue ?? "")
        }
        return ["Environment \"\(env)\" of project \"\(name)\" is namespace \(removed.namespace): \(inventory(held))."]
            + held.map {
                "  \(($0["kind"]?.stringValue ?? "").lowercased()) \($0.at("metadata", "name")?.stringValue ?? "")"
            }
            + [
                "Removing it deletes the namespace and everything in it: apps, services and their data, secrets, volumes. This cannot be undone."
            ]
    }

    // MARK: delete

    static func delete(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let cluster = try ctx.clusterName()
        let (project, observed) = try ctx.readProject(name, kinds: CRDs.workloadKinds, strays: true)
        // Its environments' namespaces and any other labelled with it (a stray), and no
        // other namespace read on the way (the settings' one).
        let labelled = observed.namespaces.filter {
            $0.value.at("metadata", "labels", Keys.project)?.stringValue == name
        }
        let namespaces = Set(project.environments.map(\.namespace)).union(labelled.keys).sorted()
        var plan = Plan()
        plan.deletes =
            [Plan.Deletion(ref: "\(CRDs.project)/\(name)", namespace: nil)]
            + namespaces.filter { !terminating(observed.namespaces[$0]) }.map {
                Plan.Deletion(ref: "namespace/\($0)", namespace: nil)
            }
            // The route hosts its apps held are free again.
            + (try ctx.releasedClaims(selector: "\(Keys.project)=\(name)"))
        plan.report = namespaces.map { .success("deleting \($0)") } + [.success("Project \"\(name)\" deleted")]
        try Protection.check(project.environments, project: name, inv, ctx)
        let aside =
            ["Project \"\(name)\" has \(project.environments.count) environment(s):"]
            + project.environments.map {
                "  \($0.name)  \($0.namespace): \(inventory(observed.workloads[$0.namespace] ?? []))"
            }
            + ["Deleting it deletes every environment, app, service and its data. This cannot be undone."]
        // Deletions carry no precondition: nothing to read again for.
        let written = try ctx.run {
            Attempt(
                plan, aside: aside,
                question: .typed(
                    name, what: "project \"\(name)\"", flag: inv.value("confirm"), declined: "Not deleted."))
        }
        guard case .applied = written else { return written.code }
        try ctx.config.update { cfg in
            if cfg.active[cluster]?.project == name { cfg.active[cluster] = nil }
        }
        try ctx.awaitDeletion(namespaces, inv)
        return 0
    }

    // MARK: use

    static func use(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let target = try ctx.cluster()
        if inv.has("clear") {
            if !inv.arguments.isEmpty {
                throw UsageError(message: "--clear takes no project", command: ["project", "use"])
            }
            try ctx.config.update { $0.active[target.name] = nil }
            ctx.printer.success("No active project on cluster \"\(target.name)\"")
            return 0
        }
        guard var arg = inv.arguments.first else {
            // No argument: say which project is active.
            if let a = try ctx.config.load().active[target.name] {
                ctx.printer.line("Active project: \(a.display) on cluster \"\(target.name)\"")
            } else {
                ctx.stderr.line("No active project on cluster \"\(target.name)\": set one with 'kip project use NAME'")
            }
            return 0
        }
        if arg == "-" {
            // Back to the one before.
            guard inv.arguments.count == 1, let before = try ctx.config.load().previous?[target.name] else {
                throw KipError("no earlier active project on cluster \"\(target.name)\" to go back to")
            }
            arg = before.display
        }
        if inv.arguments.count == 2 && arg.contains("/") {
            throw UsageError(message: "Give NAME/ENV or NAME ENV, not both", command: ["project", "use"])
        }
        let given = inv.arguments.count == 2 && arg != "-" ? "\(arg)/\(inv.arguments[1])" : arg
        let observed = try ctx.everyProject(on: target)
        let parts = given.split(separator: "/", maxSplits: 1).map(String.init)
        let project: Project
        var env: String? = parts.count > 1 ? parts[1] : nil
        if let p = observed.project(parts[0]) {
            if let e = env, p.environment(e) == nil {
                throw KipError(
                    "project \"\(p.name)\" has no environment \"\(e)\"; it has: \(p.pipeline.joined(separator: ", "))")
            }
            // The name alone may also be another project's namespace form: say so.
            if env == nil {
                _ = try Resolver.resolve(
                    project: given, environment: p.pipeline[0], active: nil, projects: observed.projects)
            }
            project = p
        } else {
            // The namespace form (`shop-test`, `org-shop-test`).
            guard
                let s = try? Resolver.resolve(
                    project: given, environment: nil, active: nil, projects: observed.projects),
                let name = s.project, let p = observed.project(name)
            else { throw ProjectPlanner.unknownProject(parts[0], observed: observed) }
            project = p
            env = s.environment
        }
        if env == nil, project.environments.count == 1 { env = project.environments[0].name }
        let active = KipConfig.Active(project: project.name, environment: env)
        if ctx.dryRun {
            ctx.printer.line("Would make \(active.display) the active project on cluster \"\(target.name)\".")
            return 0
        }
        try ctx.config.update { cfg in
            if let was = cfg.active[target.name], was != active {
                var previous = cfg.previous ?? [:]
                previous[target.name] = was
                cfg.previous = previous
            }
            cfg.active[target.name] = active
        }
        ctx.printer.success("Active project: \(active.display) on cluster \"\(target.name)\"")
        return 0
    }

    // MARK: sync

    static func sync(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = try ctx.projectName(inv.arguments.first)
        var project: Project!
        let written = try ctx.run { n in
            var (p, observed) = try ctx.readProject(name, kinds: ["secrets", "serviceaccounts"], strays: true)
            if n == 0, try ctx.waitForDeleted(inv, p.environments.map(\.namespace), observed) {
                (p, observed) = try ctx.readProject(name, kinds: ["secrets", "serviceaccounts"], strays: true)
            }
            project = p
            observed.secrets["default"] =
                Observed(items: try ctx.defaultSecrets()).secrets["default"]
            let sync = try ProjectPlanner.sync(p, observed: observed)
            var plan = Plan()
            plan.owners = sync.apply
            plan.report = sync.changes.map { .success($0) }
            plan.deletes = sync.removals.map { Plan.Deletion(ref: "secrets/\($0.name)", namespace: $0.namespace) }
            var attempt = Attempt(plan)
            if inv.has("prune") && !sync.strays.isEmpty {
                // Destructive: say what goes, and confirm as remove-env does.
                attempt.aside = [
                    "⚠ --prune deletes \(sync.strays.count == 1 ? "this namespace and everything in it" : "these namespaces and everything in them"): \(sync.strays.joined(separator: ", ")). This cannot be undone."
                ]
                attempt.question = .typed(
                    name, what: "namespaces \(sync.strays.joined(separator: ", "))", flag: inv.value("confirm"),
                    declined: "Nothing changed.")
                attempt.plan.deletes += sync.strays.map { Plan.Deletion(ref: "namespace/\($0)", namespace: nil) }
                attempt.plan.report += sync.strays.map {
                    .success("deleting namespace \($0) (no environment declares it)")
                }
            } else {
                attempt.plan.report += sync.strays.map {
                    .warning(
                        "namespace \($0) is labelled with project \(name) but no environment declares it: 'kip project sync \(name) --prune' deletes it"
                    )
                }
            }
            if sync.changes.isEmpty && attempt.plan.deletes.isEmpty {
                attempt.plan.report.append(.success("Project \"\(name)\" matches its definition: nothing to change"))
            }
            return attempt
        }
        if case .declined = written { return 1 }
        if inv.has("workloads") {
            // What kip renders, applied again over whatever changed it behind kip's back.
            for env in project.environments {
                let scoped = Invocation(
                    command: inv.command, options: ["project": ["\(name)/\(env.name)"]], arguments: [])
                try ctx.write {
                    let w = try ctx.environment(scoped)
                    let crs = WorkloadKind.allCases.flatMap { w.crs($0) }
                    var p = try w.plan(crs)
                    p.report =
                        crs.isEmpty
                        ? [] : [.success("\(env.name): \(crs.count) workload(s) written as kip renders them")]
                    return p
                }
            }
        }
        return 0
    }
}
