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
        try inv.exclusive(Opts.route.spec, Opts.noRoute.spec)
        let name = try inv.require(Opts.name)
        let image = try inv.require(Opts.image)
        if image.trimmingCharacters(in: .whitespaces).isEmpty {
            throw UsageError(
                message: "--image is empty: give one (e.g. registry.example.com/api:v1.2.3)", command: inv.command)
        }
        let port = try inv.get(Opts.port)
        let reset = inv.has(Opts.reset)
        let replicas = inv.has(Opts.replicas.spec.long) ? try inv.get(Opts.replicas) : nil
        let env = Check.unique(try inv.get(Opts.env))
        let given = Resources(
            cpuRequest: try inv.get(Opts.cpuRequest), cpuLimit: try inv.get(Opts.cpuLimit),
            memoryRequest: try inv.get(Opts.memoryRequest), memoryLimit: try inv.get(Opts.memoryLimit))
        let autoscale = try inv.get(Opts.autoscale)
        try ctx.confirmUnusual(
            Limits.unusual(replicas: replicas, autoscaleMax: autoscale?.max, resources: given), of: "app \(name)")
        let route = try inv.get(Opts.route)
        let binds = try inv.get(Opts.bind)
        let mounts = try inv.get(Opts.volume)
        for (i, m) in mounts.enumerated() {
            if let other = mounts[..<i].first(where: { $0.path == m.path }) {
                throw UsageError(
                    message:
                        "--volume \(other.volume):\(other.path) and --volume \(m.volume):\(m.path) use one path: give each mount its own path",
                    command: inv.command)
            }
        }
        var announced = false
        var namespace = ""
        try ctx.write {
            let w = try Workspace(
                inv, ctx,
                reading: .objects(
                    Workspace.appObjects(
                        name,
                        more: binds.map { "\(CRDs.service)/\($0.split(separator: ":")[0])" }
                            + mounts.map { "\(CRDs.volume)/\($0.volume)" }
                            + (autoscale == nil ? [] : ["horizontalpodautoscalers.autoscaling/\(name)"]))))
            try w.checkNameFree(name, for: .app)
            namespace = w.scope.namespace
            let existing = w.cr(.app, name).map { AppSpec(json: $0["spec"] ?? [:]) }
            // What it was, kept where no flag names a change; or nothing, on create and --reset.
            var s: AppSpec
            if let existing, !reset {
                s = existing
                s.image = image
                if let port { s.port = port }
            } else {
                guard let p = port ?? existing?.port else {
                    throw UsageError(
                        message: "Missing expected option '--port <port>': app \(name) is new in \(w.scope.namespace)",
                        command: inv.command)
                }
                s = AppSpec(image: image, port: p)
                s.route = w.scope.defaultHost(name)
                if let host = s.route, let label = host.split(separator: ".").first, label.count > DNS.labelMax {
                    throw KipError(
                        "the route \(host) of app \(name) starts with a \(label.count)-character label; DNS allows 63: use a shorter app name, --route HOST or --no-route"
                    )
                }
                if existing == nil, w.scope.cluster.podSecurityLevel == "restricted" {
                    s.runAsNonRoot = true
                    s.securityDefaults = true
                }
            }
            // The keys of its secret: a key named like a binding's variable overrides it.
            // The App records them; a new one reads the secrets set before it existed.
            if let existing {
                s.secretEnv = existing.secretEnv
            } else if let set = try w.driver.get(
                ["secrets"], namespace: w.scope.namespace, fieldSelector: "metadata.name=\(SecretNames.app(name))"
            ).first {
                s.secretEnv = (set["data"]?.objectValue ?? [:]).keys.sorted()
            }
            if inv.has(Opts.runAsNonRoot) { s.runAsNonRoot = true }
            if inv.has(Opts.securityDefaults) { s.securityDefaults = true }
            if inv.has(Opts.noSecurityDefaults) {
                guard w.scope.cluster.podSecurityLevel != "restricted" else {
                    throw KipError(
                        "\(w.scope.namespace) enforces restricted Pod Security, which refuses a container without the security defaults: drop --no-security-defaults"
                    )
                }
                s.securityDefaults = false
            }
            if let uid = try inv.get(Opts.runAsUser) { s.runAsUser = uid }
            if let replicas { s.replicas = replicas }
            for e in env {
                if let i = s.env.firstIndex(where: { $0.name == e.name }) { s.env[i] = e } else { s.env.append(e) }
            }
            for (k, v) in given.fields where v != nil { s.resources.set(k, v) }
            try checkRequestsWithinLimits(s.resources, inv)
            if let autoscale { s.autoscale = autoscale }
            if let route { s.route = route } else if inv.has(Opts.noRoute) { s.route = nil }
            for b in try binds.map({ try binding($0, w) }) {
                s.bindings = s.bindings.filter { $0.service != b.service } + [b]
            }
            try checkPrefixes(s.bindings)
            for m in mounts {
                guard let v = w.cr(.volume, m.volume) else {
                    throw KipError(
                        "volume \"\(m.volume)\" does not exist in \(w.scope.namespace): add it with 'kip volume add \(m.volume) --size 1Gi'"
                    )
                }
                let mode = VolumeSpec(json: v["spec"] ?? [:]).mountMode
                s.volumes =
                    s.volumes.filter { $0.volume != m.volume && $0.path != m.path }
                    + [Mount(volume: m.volume, path: m.path, accessMode: mode)]
            }
            if let p = s.problem { throw KipError("app \(name): \(p)") }
            var notes: [Plan.Line] = []
            if s.autoscale != nil, s.resources.cpuRequest == nil {
                // The autoscaler measures CPU against the request: without one it never scales.
                s.resources.cpuRequest = AppSpec.defaultCPURequest
                try checkRequestsWithinLimits(s.resources, inv)
                notes.append(
                    .info(
                        "  autoscaling measures CPU against a request: --cpu-request \(AppSpec.defaultCPURequest) set (give --cpu-request to choose)"
                    ))
            }
            if reset, let existing, !announced, !ctx.dryRun {
                announced = true
                let dropped = existing.describedEntries.filter { !s.describedEntries.contains($0) }
                if !dropped.isEmpty { ctx.printer.warning("--reset drops \(dropped.joined(separator: ", "))") }
            }
            let previous = w.cr(.app, name)
            let cr = Promotion.recorded(
                Workloads.app(name, w.scope, spec: s, replacing: previous), previous: previous, image: s.image,
                action: "deploy", at: Promotion.timestamp(ctx.clock()), by: try ctx.actor())
            var plan = try w.plan(.app, name, [cr], adopt: inv.has(adoptFlag))
            plan.partial = handover(w, name, from: previous, to: s)
            plan.report += notes
            if let host = s.route {
                plan.report.append(.info("URL: \(w.scope.cluster.tls ? "https" : "http")://\(host)"))
            }
            return plan
        }
        return try waitIfAsked(inv, ctx, namespace, [RolloutWait.app(name)])
    }

    /// Turning autoscaling on for a running app: the Deployment's replica count is handed
    /// to a field manager of its own, at its current value, before kip's write stops
    /// setting it. Server-side apply would otherwise reset the field kip no longer sets
    /// to its default, 1, until the autoscaler caught up. The autoscaler then owns it.
    static func handover(_ w: Workspace, _ name: String, from previous: JSON?, to spec: AppSpec) -> [JSON] {
        guard spec.autoscale != nil, let previous, AppSpec(json: previous["spec"] ?? [:]).autoscale == nil,
            let live = w.native("Deployment", name), let replicas = live.at("spec", "replicas")?.intValue
        else { return [] }
        return [
            [
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": ["name": .string(name), "namespace": .string(w.scope.namespace)],
                "spec": ["replicas": .int(max(replicas, spec.autoscale?.min ?? 1))],
            ]
        ]
    }

    /// `--wait`: follows the rollouts; exit 1 naming what failed.
    static func waitIfAsked(_ inv: Invocation, _ ctx: Context, _ namespace: String, _ targets: [RolloutWait.Target])
        throws -> Int32
    {
        guard inv.has(rolloutWaitFlag), !ctx.dryRun else { return 0 }
        let failures = try RolloutWait.run(ctx, try ctx.driver(), namespace: namespace, targets)
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

    /// A request above its limit is refused by the API server: refuse it first.
    static func checkRequestsWithinLimits(_ r: Resources, _ inv: Invocation) throws {
        guard let (what, rq, lm) = r.overLimit else { return }
        throw UsageError(
            message: "--\(what)-request \(rq) is more than --\(what)-limit \(lm): a request may not exceed its limit",
            command: inv.command)
    }

    static func binding(_ s: String, _ w: Workspace, prefix given: String? = nil) throws -> Binding {
        let parts = s.split(separator: ":", maxSplits: 1).map(String.init)
        let svc = parts[0]
        guard let cr = w.cr(.service, svc) else {
            throw KipError(
                "service \"\(svc)\" does not exist in \(w.scope.namespace): add it with 'kip service add postgres --name \(svc)'"
            )
        }
        let prefix =
            given
            ?? (parts.count > 1 ? parts[1] : Binding.defaultPrefix(forType: ServiceSpec(json: cr["spec"] ?? [:]).type))
        if let why = EnvNames.problem(prefix + "_URL") { throw KipError(why) }
        return Binding(service: svc, prefix: prefix)
    }

    static func checkPrefixes(_ bindings: [Binding]) throws {
        var seen = Set<String>()
        for b in bindings where !seen.insert(b.prefix).inserted {
            throw KipError(
                "two bindings use the prefix \(b.prefix): give one a different prefix (--bind db2:ANALYTICS)")
        }
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
        let w = try Workspace(inv, ctx, reading: .objects(["\(CRDs.app)/\(name)"]))
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
        try w.driver.stream(args) { out.write(data: $0) }
        return 0
    }

    /// A rolling restart: a new pod template annotation (`kubectl.kubernetes.io/restartedAt`,
    /// what `kubectl rollout restart` writes), owned by a field manager of its own so that
    /// kip's next write of the Deployment keeps it.
    static func restart(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        var namespace = ""
        try ctx.write {
            let w = try Workspace(inv, ctx, reading: .objects(Workspace.appObjects(name)))
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
        let w = try Workspace(inv, ctx, reading: .kinds([WorkloadKind.app.resource, "deployments.apps"]))
        let apps = w.crs(.app)
        if w.printNames(apps) { return 0 }
        if ctx.output == "json" || ctx.output == "yaml" {
            ctx.printer.document(w.document(apps), format: ctx.output)
            return 0
        }
        let running = w.runningImages
        if apps.isEmpty {
            ctx.stderr.line(
                "No apps in \(w.scope.namespace). Deploy one with 'kip app deploy --name NAME --image IMAGE --port PORT'."
            )
            return 0
        }
        let wide = ctx.output == "wide"
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
        return 0
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
        let w = try Workspace(
            inv, ctx,
            reading: .objects([
                "\(CRDs.app)/\(n)", "deployments.apps/\(n)", "ingresses.v1.networking.k8s.io/\(n)",
                "horizontalpodautoscalers.autoscaling/\(n)",
            ]))
        let a = try w.require(.app, n)
        if ctx.output == "json" || ctx.output == "yaml" {
            ctx.printer.document(w.document([a]).arrayValue![0], format: ctx.output)
            return 0
        }
        let s = AppSpec(json: a["spec"] ?? [:])
        let name = inv.arguments[0]
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
        switch try w.readableSecret(SecretNames.app(name)) {
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
        return 0
    }

    static func delete(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try Workspace(inv, ctx)
        let name = inv.arguments[0]
        _ = try w.require(.app, name)
        guard
            try ctx.dryRun
                || ctx.confirm(
                    "Delete app \(name) in \(w.scope.namespace) (its Deployment, Service, route and secrets)?")
        else {
            ctx.stderr.line("Not deleted.")
            return 1
        }
        try w.delete(.app, name)
        return 0
    }

    // MARK: changes to an existing app

    /// Re-plans an app with a changed spec; the App's resourceVersion is the write's
    /// precondition, so a concurrent change is re-read and applied again, never lost.
    static func update(
        _ inv: Invocation, _ ctx: Context, _ name: String, reading more: [String] = [],
        _ change: @escaping (inout AppSpec, Workspace) throws -> Void
    ) throws -> Int32 {
        try ctx.write {
            let w = try Workspace(inv, ctx, reading: .objects(Workspace.appObjects(name, more: more)))
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
            let b = try binding(inv.arguments[1], w, prefix: prefix)
            spec.bindings = spec.bindings.filter { $0.service != b.service } + [b]
            try checkPrefixes(spec.bindings)
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
        let w = try Workspace(inv, ctx, reading: .objects(["\(CRDs.app)/\(name)"]))
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
        if ctx.output == "json" || ctx.output == "yaml" {
            ctx.printer.document(
                .array(rows.map { ["name": .string($0[0]), "value": .string($0[1]), "from": .string($0[2])] }),
                format: ctx.output)
        } else if rows.isEmpty {
            ctx.stderr.line("App \(name) in \(w.scope.namespace) has no env vars.")
        } else {
            ctx.printer.table(["NAME", "VALUE", "FROM"], rows)
        }
        return 0
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

    /// The plan that writes the user secret `<app>-secrets` with these values. It is
    /// written by its own field manager, so that re-deploying the app never touches its
    /// values, and with the resourceVersion read as precondition, so that two changes to
    /// one app's secrets at once never lose one.
    /// `data` holds the values base64-encoded, as a Secret stores them: they are never
    /// decoded to text, so any bytes go through unchanged.
    /// When the app exists, its CR records the secret's keys (a key named like a binding's
    /// variable overrides it) and the hash of its configuration; its pods roll when the
    /// hash changes. The secret is written first, so the new pods read the new values.
    /// The most a Secret holds, as the API server counts it (the values, decoded).
    static let secretLimit = 1_048_576

    static func secretPlan(_ w: Workspace, app: String, data: [String: String]) throws -> Plan {
        let total = data.values.reduce(0) { $0 + (Data(base64Encoded: $1)?.count ?? 0) }
        if total > secretLimit {
            throw KipError(
                "the secrets of app \(app) would hold \(total) bytes; a Kubernetes Secret holds at most \(secretLimit) (1 MiB): nothing was changed; keep large files in a volume"
            )
        }
        let existing = w.secret(SecretNames.app(app))
        if existing == nil && !w.ctx.dryRun {
            // Two first writes at once would each replace the other's keys (one field
            // manager, nothing to hold a precondition against): create the Secret empty,
            // under kip's own manager, then read it and write the values against its
            // resourceVersion.
            var empty = Plan()
            let shell: JSON = [
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": [
                    "name": .string(SecretNames.app(app)), "namespace": .string(w.scope.namespace),
                    "labels": .object(Workloads.labels(w.scope, .app, app)),
                    "annotations": [Keys.configSalt: .string(Workspace.password(w.ctx.random))],
                ],
            ]
            empty.owned = { _ in [shell] }
            empty.readAgain = true
            return empty
        }
        let salt =
            existing?.at("metadata", "annotations", Keys.configSalt)?.stringValue ?? Workspace.password(w.ctx.random)
        var meta: JSON = [
            "name": .string(SecretNames.app(app)), "namespace": .string(w.scope.namespace),
            "labels": .object(Workloads.labels(w.scope, .app, app)),
            "annotations": [Keys.configSalt: .string(salt)],
        ]
        let current = w.cr(.app, app)
        if let uid = current?.at("metadata", "uid")?.stringValue {
            meta["ownerReferences"] = [Render.ownerReference(kind: "App", name: app, uid: uid)]
        }
        if let rv = existing?.at("metadata", "resourceVersion") { meta["resourceVersion"] = rv }
        let secret: JSON = [
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta,
            "data": .object(data.mapValues { .string($0) }),
        ]
        guard let current else {
            var plan = Plan()
            plan.secrets = { _ in [secret] }
            return plan
        }
        var spec = AppSpec(json: current["spec"] ?? [:])
        spec.secretEnv = data.keys.sorted()
        var cr = Workloads.app(app, w.scope, spec: spec, replacing: current)
        let hash = Workloads.configHash(
            salt: salt, secret: data, credentials: try boundCredentials(w, spec.bindings))
        cr.set(["metadata", "annotations", Keys.configHash], .string(hash))
        var plan = try w.plan(.app, app, [cr])
        plan.secrets = { _ in [secret] }
        plan.secretsFirst = true
        return plan
    }

    /// The credentials (base64 values) of the services `bindings` name that exist, read by
    /// name; part of the hash an app's pods carry.
    static func boundCredentials(_ w: Workspace, _ bindings: [Binding]) throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for b in bindings {
            let name = SecretNames.credentials(b.service)
            var s = w.secret(name)
            if s == nil {
                s = try w.driver.get(["secrets"], namespace: w.scope.namespace, fieldSelector: "metadata.name=\(name)")
                    .first
            }
            if let d = s?["data"]?.objectValue { out[b.service] = d.compactMapValues(\.stringValue) }
        }
        return out
    }

    /// `; rolling out` when the plan changes the pod template of the app's Deployment.
    static func rollsOut(_ w: Workspace, _ app: String, _ plan: Plan) -> Bool {
        guard let live = w.native("Deployment", app) else { return false }
        let rendered = plan.owned(plan.knownUIDs).first {
            $0["kind"]?.stringValue == "Deployment" && $0.at("metadata", "name")?.stringValue == app
        }
        let hash = [Keys.configHash]
        return rendered?.at(["spec", "template", "metadata", "annotations"] + hash)
            != live.at(["spec", "template", "metadata", "annotations"] + hash)
    }

    /// The app's secret values as stored (base64).
    static func currentSecrets(_ w: Workspace, _ app: String) -> [String: String] {
        (w.secret(SecretNames.app(app))?["data"]?.objectValue ?? [:]).compactMapValues { $0.stringValue }
    }

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
            let w = try Workspace(
                inv, ctx, reading: .objects(Workspace.appObjects(app, more: ["secrets/\(SecretNames.app(app))"])))
            if value == nil {
                value = try ctx.readSecret(
                    prompt: "Value for \(key) (input hidden): ", allowEmpty: inv.has("allow-empty"))
            }
            var data = currentSecrets(w, app)
            let existed = data[key] != nil
            data[key] = value?.base64EncodedString()
            var plan = try secretPlan(w, app: app, data: data)
            let rolling = rollsOut(w, app, plan) ? "; rolling out" : ""
            plan.report = [
                .success(
                    "secret \(key) \(existed ? "updated" : "set") for app \(app) in \(w.scope.namespace)\(rolling)")
            ]
            if let cr = w.cr(.app, app) {
                if AppSpec(json: cr["spec"] ?? [:]).bindings.contains(where: { b in
                    Workloads.bindingKeys.contains { "\(b.prefix)_\($0.suffix)" == key }
                }) {
                    plan.report.append(.info("  it overrides the variable \(key) of the app's binding"))
                }
            } else {
                plan.report.append(.info("  app \(app) is not deployed here yet; it picks the secret up when it is"))
            }
            return plan
        }
        return 0
    }

    static func secretList(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try Workspace(inv, ctx, reading: .objects(["secrets/\(SecretNames.app(inv.arguments[0]))"]))
        let keys = currentSecrets(w, inv.arguments[0]).keys.sorted()
        if ctx.output == "json" || ctx.output == "yaml" {
            ctx.printer.document(JSON.strings(keys), format: ctx.output)
        } else if keys.isEmpty {
            ctx.stderr.line("App \(inv.arguments[0]) has no secrets in \(w.scope.namespace).")
        } else {
            ctx.printer.table(["KEY"], keys.map { [$0] })
        }
        return 0
    }

    static func secretUnset(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (app, key) = (inv.arguments[0], inv.arguments[1])
        var namespace = ""
        let applied = try ctx.run { n in
            let w = try Workspace(
                inv, ctx, reading: .objects(Workspace.appObjects(app, more: ["secrets/\(SecretNames.app(app))"])))
            var data = currentSecrets(w, app)
            // A later attempt finds the key gone already: the Secret went first.
            guard data.removeValue(forKey: key) != nil || n > 0 else {
                throw KipError("app \(app) has no secret \(key) in \(w.scope.namespace)")
            }
            var plan = try secretPlan(w, app: app, data: data)
            let rolling = rollsOut(w, app, plan) ? "; rolling out" : ""
            plan.report = [.success("secret \(key) removed from app \(app) in \(w.scope.namespace)\(rolling)")]
            namespace = w.scope.namespace
            return Attempt(plan)
        }.applied
        // A key another field manager also wrote (kubectl apply, an older copy) outlives
        // kip's apply without it: removed by name.
        if let secret = applied?.objects.first(where: {
            $0["kind"]?.stringValue == "Secret" && $0.at("metadata", "name")?.stringValue == SecretNames.app(app)
        }), secret.at("data", key) != nil {
            try ctx.driver().removeKeys([key], ofSecret: SecretNames.app(app), namespace: namespace)
        }
        return 0
    }
}

extension String {
    func ifEmpty(_ s: String) -> String { isEmpty ? s : self }
}
