import Foundation
import KipCore

/// `kip app …`: apps, their env vars, secrets and bindings.
enum AppCommands {
    static let spec = CommandSpec(
        "app", "Deploy and manage apps in an environment.",
        subcommands: [
            CommandSpec(
                "deploy", "Create or update an app: Deployment, Service, Ingress and autoscaler.",
                discussion: """
                    Re-running updates the app in place: the fields its flags name change, the rest
                    (env vars, bindings, mounts, resources, autoscaling, route) stay as they are; --env,
                    --bind and --volume add or replace one entry each. --reset makes the app exactly what
                    the flags say and lists what it drops. The route defaults to <app>-<env>.<domain>
                    when the cluster has a wildcard domain. For an image bump alone: 'kip app set-image'.
                    """,
                options: [
                    Opts.name.spec, Opts.image.spec, Opts.port.spec, Opts.replicas.spec, Opts.env.spec,
                    Opts.cpuRequest.spec, Opts.cpuLimit.spec, Opts.memoryRequest.spec, Opts.memoryLimit.spec,
                    Opts.autoscale.spec, Opts.route.spec, Opts.noRoute.spec, Opts.bind.spec, Opts.volume.spec,
                    Opts.runAsNonRoot.spec, Opts.runAsUser.spec, Opts.securityDefaults.spec,
                    Opts.noSecurityDefaults.spec, Opts.reset.spec,
                    LifecycleCommands.confirmEnv, adoptFlag.spec, rolloutWaitFlag.spec,
                ] + scopeOptions, handler: deploy),
            CommandSpec(
                "set-image", "Change an app's image and nothing else (the CI image bump).",
                arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("image", "The new image.")],
                options: [rolloutWaitFlag.spec] + scopeOptions, handler: setImage),
            CommandSpec("list", "List the apps of an environment.", options: scopeOptions, handler: list),
            CommandSpec(
                "show", "Show one app.", arguments: [ArgumentSpec("name", "App name.")], options: scopeOptions,
                handler: show),
            CommandSpec(
                "delete", "Delete an app and everything it owns.", arguments: [ArgumentSpec("name", "App name.")],
                options: scopeOptions, handler: delete),
            CommandSpec(
                "bind", "Give an app a service's connection details as env vars (by reference).",
                arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("service", "Service name.")],
                options: [Opts.prefix.spec] + scopeOptions, handler: bind),
            CommandSpec(
                "unbind", "Take a service's connection details away from an app.",
                arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("service", "Service name.")],
                options: scopeOptions, handler: unbind),
            CommandSpec(
                "logs", "Print the logs of an app's pods (each line prefixed with its pod).",
                arguments: [ArgumentSpec("app", "App name.")],
                options: [
                    .flag("follow", short: "f", "Keep printing new lines until interrupted."),
                    .value("since", "duration", "Only lines newer than this (e.g. 10m, 1h)."),
                    .flag("previous", "The logs of the containers before their last restart (after a crash)."),
                    .value("tail", "n", "Only the last N lines of each pod (default: all)."),
                ] + scopeOptions, handler: logs),
            CommandSpec(
                "restart", "Restart an app's pods, one by one as a rollout does (e.g. to re-read a ConfigMap).",
                arguments: [ArgumentSpec("app", "App name.")], options: [rolloutWaitFlag.spec] + scopeOptions,
                handler: restart),
            CommandSpec(
                "scale", "Set an app's replica count (autoscaling off).",
                arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("replicas", "Replica count (0 stops it).")],
                options: [rolloutWaitFlag.spec] + scopeOptions, handler: scale),
            CommandSpec(
                "env", "Set or unset an app's environment variables.",
                subcommands: [
                    CommandSpec(
                        "set", "Set env vars (KEY=VALUE …).",
                        arguments: [
                            ArgumentSpec("app", "App name."), ArgumentSpec("pairs", "KEY=VALUE pairs.", variadic: true),
                        ],
                        options: scopeOptions, handler: envSet),
                    CommandSpec(
                        "unset", "Remove env vars (KEY …).",
                        arguments: [
                            ArgumentSpec("app", "App name."), ArgumentSpec("keys", "Variable names.", variadic: true),
                        ],
                        options: scopeOptions, handler: envUnset),
                    CommandSpec(
                        "list", "List an app's env vars (and those its bindings give).",
                        arguments: [ArgumentSpec("app", "App name.")], options: scopeOptions, handler: envList),
                ]),
            CommandSpec(
                "secret", "Manage an app's secrets (values never printed).",
                subcommands: [
                    CommandSpec(
                        "set",
                        "Set a secret; the value comes from stdin or a hidden prompt, never from the command line.",
                        arguments: [
                            ArgumentSpec("app", "App name."),
                            ArgumentSpec("key", "Secret name, exposed as an env var."),
                        ],
                        options: [
                            .value("from-file", "path", "Take the value from a file, byte for byte (binary included)."),
                            .flag("allow-empty", "Allow an empty value."),
                        ] + scopeOptions, handler: secretSet),
                    CommandSpec(
                        "list", "List an app's secret keys.", arguments: [ArgumentSpec("app", "App name.")],
                        options: scopeOptions,
                        handler: secretList),
                    CommandSpec(
                        "unset", "Remove a secret.",
                        arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("key", "Secret name.")],
                        options: scopeOptions, handler: secretUnset),
                ]),
        ] + PromoteCommands.specs)

    /// The options of `app deploy` and `app bind`, typed.
    enum Opts {
        static let name = Option<String>.name("name", "name", "App name.", required: true)
        static let image = Option<String>.string(
            "image", "image", "Container image (e.g. registry.example.com/api:v1.2.3).", required: true)
        static let port = Option<Int>.port("Port the container listens on (needed to create the app).")
        static let reset = Flag(
            "reset", "Make the app exactly what these flags say: env vars, bindings, mounts… not named are dropped.")
        static let replicas = Option<Int>.int(
            "replicas", "n", "Replica count.", default: AppSpec.defaultReplicas, min: 0)
        static let env = ListOption<EnvVar>.env()
        static let cpuRequest = Option<String>.quantity("cpu-request", "CPU request (e.g. 100m).")
        static let cpuLimit = Option<String>.quantity("cpu-limit", "CPU limit (e.g. 500m).")
        static let memoryRequest = Option<String>.quantity("memory-request", "Memory request (e.g. 128Mi).")
        static let memoryLimit = Option<String>.quantity("memory-limit", "Memory limit (e.g. 256Mi).")
        static let autoscale = Option<Autoscale>(
            .value(
                "autoscale", "min:max[:cpu%]",
                "Autoscale between min and max replicas at a CPU target (default \(Autoscale.defaultCPUPercent)%).")
        ) { s in
            let p = s.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard (2...3).contains(p.count), !p.contains(nil), let min = p[0], let max = p[1], min >= 1, max >= min
            else {
                throw BadValue("must be MIN:MAX[:CPU%] with 1 ≤ MIN ≤ MAX (e.g. 2:10:70)")
            }
            if p.count == 3, let cpu = p[2], !(1...100).contains(cpu) { throw BadValue("the CPU target must be 1-100") }
            return Autoscale(min: min, max: max, cpuPercent: p.count == 3 ? p[2] : nil)
        }
        static let route = Option<String>.hostname("route", "Public hostname.")
        static let noRoute = Flag("no-route", "No public route.")
        static let bind = ListOption<String>.strings(
            "bind", "service[:prefix]",
            "Bind a service: PREFIX_URL, PREFIX_HOST, … (default prefix DATABASE, REDIS for redis).")
        static let volume = ListOption<Mount>.mount("volume", "volume:/path", "Mount a volume.")
        static let runAsNonRoot = Flag(
            "run-as-non-root", "Refuse to start the app's container as root (default with --pod-security restricted).")
        static let runAsUser = Option<Int>.int("run-as-user", "uid", "Run the app's container as this user id.", min: 0)
        static let securityDefaults = Flag(
            "security-defaults",
            "Harden the container: no privilege escalation, no capabilities, seccomp (default in restricted environments)."
        )
        static let noSecurityDefaults = Flag(
            "no-security-defaults",
            "Run the container as its image says, without the hardened defaults (restricted environments refuse it).")
        static let prefix = Option<String>.string(
            "prefix", "prefix", "Variable prefix (default DATABASE, REDIS for redis).")
    }

    // MARK: deploy

    static func deploy(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let o = try deployOptions(inv, ctx)
        var namespace = ""
        try ctx.run {
            let w = try ctx.environment(inv, reading: .objects(AppDeploy.reads(o)))
            namespace = w.scope.namespace
            let (plan, notices) = try ctx.usage(inv) {
                try AppDeploy.plan(o, w, at: Promotion.timestamp(ctx.clock()), by: try ctx.actor())
            }
            return Attempt(plan, notices: notices)
        }
        return try waitIfAsked(inv, ctx, namespace, [RolloutWait.app(o.name)])
    }

    /// `app deploy`'s flags, typed and checked (sizes beyond the usual asked about).
    static func deployOptions(_ inv: Invocation, _ ctx: Context) throws -> DeployOptions {
        try inv.exclusive(Opts.route.spec, Opts.noRoute.spec)
        var o = DeployOptions(name: try inv.require(Opts.name), image: try inv.require(Opts.image))
        if o.image.trimmingCharacters(in: .whitespaces).isEmpty {
            throw UsageError(
                message: "--image is empty: give one (e.g. registry.example.com/api:v1.2.3)", command: inv.command)
        }
        o.port = try inv.get(Opts.port)
        o.reset = inv.has(Opts.reset)
        o.replicas = inv.has(Opts.replicas.spec.long) ? try inv.get(Opts.replicas) : nil
        o.env = Check.unique(try inv.get(Opts.env))
        o.resources = Resources(
            cpuRequest: try inv.get(Opts.cpuRequest), cpuLimit: try inv.get(Opts.cpuLimit),
            memoryRequest: try inv.get(Opts.memoryRequest), memoryLimit: try inv.get(Opts.memoryLimit))
        o.autoscale = try inv.get(Opts.autoscale)
        try ctx.confirmUnusual(
            Limits.unusual(replicas: o.replicas, autoscaleMax: o.autoscale?.max, resources: o.resources),
            of: "app \(o.name)")
        o.route = try inv.get(Opts.route)
        o.noRoute = inv.has(Opts.noRoute)
        o.binds = try inv.get(Opts.bind)
        o.mounts = try inv.get(Opts.volume)
        for (i, m) in o.mounts.enumerated() {
            if let other = o.mounts[..<i].first(where: { $0.path == m.path }) {
                throw UsageError(
                    message:
                        "--volume \(other.volume):\(other.path) and --volume \(m.volume):\(m.path) use one path: give each mount its own path",
                    command: inv.command)
            }
        }
        o.runAsNonRoot = inv.has(Opts.runAsNonRoot)
        o.securityDefaults = inv.has(Opts.securityDefaults)
        o.noSecurityDefaults = inv.has(Opts.noSecurityDefaults)
        o.runAsUser = try inv.get(Opts.runAsUser)
        o.adopt = inv.has(adoptFlag)
        return o
    }

    /// `--wait`: follows the rollouts; exit 1 naming what failed.
    static func waitIfAsked(_ inv: Invocation, _ ctx: Context, _ namespace: String, _ targets: [RolloutWait.Target])
        throws -> Int32
    {
        guard inv.has(rolloutWaitFlag), !ctx.dryRun else { return 0 }
        let failures = try RolloutWait.run(ctx, namespace: namespace, targets)
        if !failures.isEmpty { throw RolloutWait.error(failures, in: namespace) }
        return 0
    }

    /// `kip app set-image APP IMAGE`: the image, nothing else.
    static func setImage(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let image = inv.arguments[1]
        if image.trimmingCharacters(in: .whitespaces).isEmpty {
            throw UsageError(
                message: "The image is empty: give one (e.g. registry.example.com/api:v1.2.4)", command: inv.command)
        }
        var namespace = ""
        _ = try update(inv, ctx, inv.arguments[0]) { spec, w in
            spec.image = image
            namespace = w.scope.namespace
        }
        return try waitIfAsked(inv, ctx, namespace, [RolloutWait.app(inv.arguments[0])])
    }

    // MARK: logs / restart

    /// `kubectl logs` of every pod of the app, by its label, each line prefixed with the pod.
    static func logs(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        if let s = inv.value("since"), Durations.seconds(s) == nil {
            throw UsageError(
                message: "The value '\(s)' is invalid for '--since <duration>': give a duration such as 10m or 1h",
                command: inv.command)
        }
        if let t = inv.value("tail"), Int(t) == nil || Int(t)! < 0 {
            throw UsageError(
                message: "The value '\(t)' is invalid for '--tail <n>': give a whole number, 0 or more",
                command: inv.command)
        }
        let w = try ctx.environment(inv, reading: .objects(["\(CRDs.app)/\(name)"]))
        let spec = AppSpec(json: try w.require(.app, name)["spec"] ?? [:])
        // kubectl refuses to follow more streams than --max-log-requests (default 5): room
        // for every pod the app may run, twice over for a rollout's old and new ones.
        let pods = spec.autoscale?.max ?? spec.replicas ?? AppSpec.defaultReplicas
        var args = [
            "logs", "-n", w.scope.namespace, "-l", "\(WorkloadKind.app.labelKey)=\(name)", "--prefix",
            "--all-containers", "--max-log-requests", String(max(20, pods * 2)), "--tail", inv.value("tail") ?? "-1",
        ]
        if inv.has("follow") { args.append("--follow") }
        if inv.has("previous") { args.append("--previous") }
        if let s = inv.value("since") { args += ["--since", s] }
        let out = ctx.stdout
        try ctx.stream(args) { out.write(data: $0) }
        return 0
    }

    /// A rolling restart: a new pod template annotation (`kubectl.kubernetes.io/restartedAt`,
    /// what `kubectl rollout restart` writes), owned by a field manager of its own so that
    /// kip's next write of the Deployment keeps it.
    static func restart(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        var namespace = ""
        try ctx.write {
            let w = try ctx.environment(inv, reading: .objects(EnvironmentView.appObjects(name)))
            _ = try w.require(.app, name)
            guard w.native("Deployment", name) != nil else {
                throw KipError(
                    "app \(name) in \(w.scope.namespace) has no Deployment to restart: run 'kip app deploy' or 'kip project sync'"
                )
            }
            namespace = w.scope.namespace
            var plan = Plan()
            plan.partial = [
                [
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": ["name": .string(name), "namespace": .string(w.scope.namespace)],
                    "spec": [
                        "template": [
                            "metadata": [
                                "annotations": [
                                    "kubectl.kubernetes.io/restartedAt": .string(Promotion.timestamp(ctx.clock()))
                                ]
                            ]
                        ]
                    ],
                ]
            ]
            plan.partialManager = Plan.restartFieldManager
            plan.report = [.success("app \(name) in \(w.scope.namespace) restarting (a rollout, pod by pod)")]
            return plan
        }
        return try waitIfAsked(inv, ctx, namespace, [RolloutWait.app(name)])
    }

    // MARK: list / show / delete

    static func list(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv, reading: .kinds([WorkloadKind.app.resource, "deployments.apps"]))
        let apps = w.crs(.app)
        let running = w.runningImages
        let empty =
            "No apps in \(w.scope.namespace). Deploy one with 'kip app deploy --name NAME --image IMAGE --port PORT'."
        return try ctx.show(w.document(apps), names: w.names(apps), empty: apps.isEmpty ? empty : nil) { wide in
            var header = ["NAME", "IMAGE", "READY", "REPLICAS", "ROUTE"]
            if wide { header += ["BINDINGS", "PROMOTED FROM"] }
            ctx.printer.table(
                header,
                apps.map { a in
                    let s = AppSpec(json: a["spec"] ?? [:])
                    let n = a.at("metadata", "name")?.stringValue ?? ""
                    var row = [
                        n, Self.imageText(s.image, running: running[n]), w.readyText(n), s.replicaText, s.route ?? "-",
                    ]
                    if wide {
                        row.append(s.bindings.map(\.service).joined(separator: ",").ifEmpty("-"))
                        row.append(a.at("metadata", "annotations", Keys.promotedFrom)?.stringValue ?? "-")
                    }
                    return row
                })
        }
    }

    /// The image an app's CR asks for, and the one its Deployment runs when that differs
    /// (a rollout that failed half-way, a `kubectl set image` behind kip's back).
    static func imageText(_ wanted: String, running: String?) -> String {
        guard let running else { return "\(wanted) (no Deployment)" }
        return running == wanted ? wanted : "\(wanted) (runs \(running))"
    }

    static func show(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let n = inv.arguments[0]
        // The App and what it runs, by name: readable by a viewer (no Secret values).
        let w = try ctx.environment(
            inv,
            reading: .objects([
                "\(CRDs.app)/\(n)", "deployments.apps/\(n)", "ingresses.v1.networking.k8s.io/\(n)",
                "horizontalpodautoscalers.autoscaling/\(n)",
            ]))
        let a = try w.require(.app, n)
        return try ctx.show(w.document([a]).arrayValue![0]) { _ in try showText(a, w, ctx) }
    }

    static func showText(_ a: JSON, _ w: EnvironmentView, _ ctx: Context) throws {
        let s = AppSpec(json: a["spec"] ?? [:])
        let name = a.at("metadata", "name")?.stringValue ?? ""
        var rows: [(String, String)] = [
            ("App", name), ("Namespace", w.scope.namespace),
            ("Image", Self.imageText(s.image, running: w.runningImages[name])),
            ("Ready", w.readyText(name)),
        ]
        rows.append(("Port", s.port.map(String.init) ?? "-"))
        if let au = s.autoscale {
            let now = w.native("HorizontalPodAutoscaler", name)?.at("status", "currentReplicas")?.intValue
            rows.append(
                (
                    "Replicas",
                    "\(s.replicaText) (autoscaled at \(au.targetCPUPercent)% CPU\(now.map { "; now \($0)" } ?? ""))"
                ))
        } else {
            rows.append(("Replicas", s.replicaText))
        }
        rows.append(
            (
                "Route",
                s.route.map {
                    "\(w.scope.cluster.tls ? "https" : "http")://\($0)"
                        + (w.native("Ingress", name) == nil ? " (no Ingress)" : "")
                } ?? "-"
            )
        )
        if !s.resources.isEmpty {
            rows.append(
                ("Resources", s.resources.fields.compactMap { k, v in v.map { "\(k)=\($0)" } }.joined(separator: " ")))
        }
        for e in s.env { rows.append(("Env", "\(e.name)=\(e.value)")) }
        let overridden = s.overridden
        for b in s.bindings {
            let mine = Workloads.bindingKeys.map { "\(b.prefix)_\($0.suffix)" }.filter { overridden.contains($0) }
            rows.append(
                (
                    "Binding",
                    "\(b.service) as \(b.prefix)_URL, _HOST, _PORT, _USER, _PASSWORD, _NAME"
                        + (mine.isEmpty ? "" : " (\(mine.joined(separator: ", ")) overridden by the app's own)")
                ))
        }
        for v in s.volumes {
            rows.append(("Volume", "\(v.volume) at \(v.path)" + (v.isShared ? " (ReadWriteMany)" : "")))
        }
        switch try ctx.readableSecret(SecretNames.app(name), in: w.scope.namespace) {
        case .value(let secret):
            let keys = (secret?["data"]?.objectValue ?? [:]).keys.sorted()
            if !keys.isEmpty { rows.append(("Secrets", keys.joined(separator: ", "))) }
        case .hidden: rows.append(("Secrets", "(not shown: you may not read secrets in \(w.scope.namespace))"))
        }
        if let from = a.at("metadata", "annotations", Keys.promotedFrom)?.stringValue {
            rows.append(
                ("Promoted", "from \(from) at \(a.at("metadata", "annotations", Keys.promotedAt)?.stringValue ?? "?")"))
        }
        for (k, v) in rows { ctx.printer.line((k + ":").padding(toLength: 12, withPad: " ", startingAt: 0) + v) }
    }

    static func delete(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv)
        let name = inv.arguments[0]
        return try ctx.run {
            Attempt(
                try w.deletion(.app, name),
                question: .yesNo(
                    "Delete app \(name) in \(w.scope.namespace) (its Deployment, Service, route and secrets)?",
                    declined: "Not deleted."))
        }.code
    }

    // MARK: changes to an existing app

    /// Re-plans an app with a changed spec; the App's resourceVersion is the write's
    /// precondition, so a concurrent change is re-read and applied again, never lost.
    static func update(
        _ inv: Invocation, _ ctx: Context, _ name: String, reading more: [String] = [],
        _ change: @escaping (inout AppSpec, EnvironmentView) throws -> Void
    ) throws -> Int32 {
        try ctx.write {
            let w = try ctx.environment(inv, reading: .objects(EnvironmentView.appObjects(name, more: more)))
            let current = try w.require(.app, name)
            let before = AppSpec(json: current["spec"] ?? [:])
            var spec = before
            try change(&spec, w)
            if let p = spec.problem,
                before.problem == nil || before.replicas != spec.replicas || before.autoscale != spec.autoscale
                    || before.volumes != spec.volumes
            {
                throw KipError("app \(name): \(p)")
            }
            let cr = Promotion.recorded(
                Workloads.app(name, w.scope, spec: spec, replacing: current), previous: current, image: spec.image,
                action: "set-image", at: Promotion.timestamp(ctx.clock()), by: try ctx.actor())
            return try w.plan(.app, name, [cr])
        }
        return 0
    }

    static func bind(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let prefix = try inv.get(Opts.prefix)
        let svc = String(inv.arguments[1].split(separator: ":").first ?? "")
        return try update(inv, ctx, inv.arguments[0], reading: ["\(CRDs.service)/\(svc)"]) { spec, w in
            let b = try AppDeploy.binding(inv.arguments[1], w, prefix: prefix)
            spec.bindings = spec.bindings.filter { $0.service != b.service } + [b]
            try AppDeploy.checkPrefixes(spec.bindings)
        }
    }

    static func unbind(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let svc = inv.arguments[1]
        return try update(inv, ctx, inv.arguments[0]) { spec, w in
            guard spec.bindings.contains(where: { $0.service == svc }) else {
                throw KipError("app \(inv.arguments[0]) in \(w.scope.namespace) is not bound to \(svc)")
            }
            spec.bindings.removeAll { $0.service == svc }
        }
    }

    static func scale(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        guard let n = Int(inv.arguments[1]), n >= 0 else {
            throw UsageError(
                message: "The value '\(inv.arguments[1])' is invalid for '<replicas>': give a whole number, 0 or more",
                command: inv.command)
        }
        try ctx.confirmUnusual(Limits.unusual(replicas: n), of: "app \(inv.arguments[0])")
        var namespace = ""
        _ = try update(inv, ctx, inv.arguments[0]) { spec, w in
            if spec.autoscale != nil {
                ctx.printer.warning("autoscaling of \(inv.arguments[0]) is turned off: it now runs \(n) replicas")
            }
            spec.autoscale = nil
            spec.replicas = n
            namespace = w.scope.namespace
        }
        return try waitIfAsked(inv, ctx, namespace, [RolloutWait.app(inv.arguments[0])])
    }

    static func envList(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let w = try ctx.environment(inv, reading: .objects(["\(CRDs.app)/\(name)"]))
        let s = AppSpec(json: try w.require(.app, name)["spec"] ?? [:])
        // What the pods get, one row a name: env vars and secrets win over a binding's.
        var rows = s.env.map { [$0.name, $0.value, "env"] }
        for k in s.secretEnv where !s.env.contains(where: { $0.name == k }) {
            rows.append([k, "(secret)", "secret"])
        }
        for b in s.bindings {
            for k in Workloads.bindingKeys {
                let n = "\(b.prefix)_\(k.suffix)"
                if s.overridden.contains(n) {
                    rows.append([n, "(overridden)", "binding \(b.service)"])
                } else {
                    rows.append([n, "(from \(b.service)-credentials)", "binding \(b.service)"])
                }
            }
        }
        return try ctx.show(
            .array(rows.map { ["name": .string($0[0]), "value": .string($0[1]), "from": .string($0[2])] }),
            empty: rows.isEmpty ? "App \(name) in \(w.scope.namespace) has no env vars." : nil
        ) { _ in ctx.printer.table(["NAME", "VALUE", "FROM"], rows) }
    }

    static func envSet(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let pairs = try Check.env(Array(inv.arguments.dropFirst()))
        return try update(inv, ctx, inv.arguments[0]) { spec, _ in
            for p in pairs {
                if let i = spec.env.firstIndex(where: { $0.name == p.name }) {
                    spec.env[i] = p
                } else {
                    spec.env.append(p)
                }
            }
        }
    }

    static func envUnset(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let keys = Array(inv.arguments.dropFirst())
        return try update(inv, ctx, inv.arguments[0]) { spec, w in
            for k in keys where !spec.env.contains(where: { $0.name == k }) {
                throw KipError("app \(inv.arguments[0]) in \(w.scope.namespace) has no env var \(k)")
            }
            spec.env.removeAll { keys.contains($0.name) }
        }
    }

    // MARK: secrets

    static func secretSet(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (app, key) = (inv.arguments[0], inv.arguments[1])
        try Check.name(app, .app)
        try Check.envKey(key)
        var value: Data?
        if let path = inv.value("from-file") {
            guard let d = FileManager.default.contents(atPath: path) else {
                throw KipError("--from-file \(path): cannot read it")
            }
            if d.isEmpty && !inv.has("allow-empty") {
                throw KipError("--from-file \(path) is empty: pass --allow-empty to set an empty value")
            }
            value = d
        }
        try ctx.write {
            let w = try ctx.environment(
                inv, reading: .objects(EnvironmentView.appObjects(app, more: ["secrets/\(SecretNames.app(app))"])))
            if value == nil {
                value = try ctx.readSecret(
                    prompt: "Value for \(key) (input hidden): ", allowEmpty: inv.has("allow-empty"))
            }
            return try AppSecrets.set(
                key, base64: value?.base64EncodedString() ?? "", app: app, w,
                credentials: try ctx.credentials(of: w.cr(.app, app), in: w), dryRun: ctx.dryRun)
        }
        return 0
    }

    static func secretList(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv, reading: .objects(["secrets/\(SecretNames.app(inv.arguments[0]))"]))
        let keys = AppSecrets.current(w, inv.arguments[0]).keys.sorted()
        return try ctx.show(
            JSON.strings(keys),
            empty: keys.isEmpty ? "App \(inv.arguments[0]) has no secrets in \(w.scope.namespace)." : nil
        ) { _ in ctx.printer.table(["KEY"], keys.map { [$0] }) }
    }

    static func secretUnset(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (app, key) = (inv.arguments[0], inv.arguments[1])
        try ctx.run { n in
            let w = try ctx.environment(
                inv, reading: .objects(EnvironmentView.appObjects(app, more: ["secrets/\(SecretNames.app(app))"])))
            return Attempt(
                try AppSecrets.unset(
                    key, app: app, w, credentials: try ctx.credentials(of: w.cr(.app, app), in: w), dryRun: ctx.dryRun,
                    attempt: n))
        }
        return 0
    }
}

extension String {
    func ifEmpty(_ s: String) -> String { isEmpty ? s : self }
}
