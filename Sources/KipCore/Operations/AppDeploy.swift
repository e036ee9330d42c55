import Foundation

/// A mistake on the command line found only once the environment is read (a new app
/// without `--port`): the command says it with its usage, exit 2.
public struct UsageProblem: Error, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// What `kip app deploy` was asked, typed: everything the command line says, nothing it
/// reads.
public struct DeployOptions: Sendable {
    public var name: String
    public var image: String
    public var port: Int?
    /// `--reset`: exactly what the flags say; otherwise what the app was is kept where
    /// no flag names a change.
    public var reset = false
    public var replicas: Int?
    public var env: [EnvVar] = []
    public var resources = Resources()
    public var autoscale: Autoscale?
    public var route: String?
    public var noRoute = false
    /// `SERVICE[:PREFIX]`.
    public var binds: [String] = []
    public var mounts: [Mount] = []
    public var runAsNonRoot = false
    public var securityDefaults = false
    public var noSecurityDefaults = false
    public var runAsUser: Int?
    public var adopt = false

    public init(name: String, image: String) {
        self.name = name
        self.image = image
    }
}

/// `kip app deploy` as an operation: what it reads, and from what it read the plan and
/// what to say before writing. Pure: the Runner reads, calls `plan` on every attempt, and
/// writes.
public enum AppDeploy {
    /// The objects it reads, by name, in the app's namespace: the App and what every app
    /// renders, the app's own secret (keys set before it existed), the services it binds,
    /// the volumes it mounts, its autoscaler when autoscaling is asked for.
    public static func reads(_ o: DeployOptions) -> [String] {
        EnvironmentView.appObjects(
            o.name,
            more: ["secrets/\(SecretNames.app(o.name))"]
                + o.binds.map { "\(CRDs.service)/\($0.split(separator: ":")[0])" }
                + o.mounts.map { "\(CRDs.volume)/\($0.volume)" }
                + (o.autoscale == nil ? [] : ["horizontalpodautoscalers.autoscaling/\(o.name)"]))
    }

    /// The plan (the App, recorded in its history as `deploy` at `at` by `by`, what it
    /// renders, and the Deployed Event) and the notices to give once, before the first write.
    public static func plan(_ o: DeployOptions, _ w: EnvironmentView, at: String, by: String) throws -> (
        plan: Plan, notices: [Plan.Line]
    ) {
        let name = o.name
        try w.checkNameFree(name, for: .app)
        let existing = w.cr(.app, name).map { AppSpec(json: $0["spec"] ?? [:]) }
        var s = try base(o, existing: existing, w)
        // The keys of its secret: a key named like a binding's variable overrides it.
        // The App records them; a new one reads the secrets set before it existed.
        if let existing {
            s.secretEnv = existing.secretEnv
        } else if let set = w.secret(SecretNames.app(name)) {
            s.secretEnv = (set["data"]?.objectValue ?? [:]).keys.sorted()
        }
        if o.runAsNonRoot { s.runAsNonRoot = true }
        if o.securityDefaults { s.securityDefaults = true }
        if o.noSecurityDefaults {
            guard w.scope.cluster.podSecurityLevel != "restricted" else {
                throw KipError(
                    "\(w.scope.namespace) enforces restricted Pod Security, which refuses a container without the security defaults: drop --no-security-defaults"
                )
            }
            s.securityDefaults = false
        }
        if let uid = o.runAsUser { s.runAsUser = uid }
        if let r = o.replicas { s.replicas = r }
        for e in o.env {
            if let i = s.env.firstIndex(where: { $0.name == e.name }) { s.env[i] = e } else { s.env.append(e) }
        }
        for (k, v) in o.resources.fields where v != nil { s.resources.set(k, v) }
        try checkRequestsWithinLimits(s.resources)
        if let a = o.autoscale { s.autoscale = a }
        if let r = o.route { s.route = r } else if o.noRoute { s.route = nil }
        for b in try o.binds.map({ try binding($0, w) }) {
            s.bindings = s.bindings.filter { $0.service != b.service } + [b]
        }
        try checkPrefixes(s.bindings)
        try mount(o.mounts, into: &s, w)
        if let p = s.problem { throw KipError("app \(name): \(p)") }
        var notes: [Plan.Line] = []
        if s.autoscale != nil, s.resources.cpuRequest == nil {
            // The autoscaler measures CPU against the request: without one it never scales.
            s.resources.cpuRequest = AppSpec.defaultCPURequest
            try checkRequestsWithinLimits(s.resources)
            notes.append(
                .info(
                    "  autoscaling measures CPU against a request: --cpu-request \(AppSpec.defaultCPURequest) set (give --cpu-request to choose)"
                ))
        }
        var notices: [Plan.Line] = []
        if o.reset, let existing {
            let dropped = existing.describedEntries.filter { !s.describedEntries.contains($0) }
            if !dropped.isEmpty { notices.append(.warning("--reset drops \(dropped.joined(separator: ", "))")) }
        }
        let previous = w.cr(.app, name)
        let cr = Promotion.recorded(
            Workloads.app(name, w.scope, spec: s, replacing: previous), previous: previous, image: s.image,
            action: "deploy", at: at, by: by)
        var plan = try w.plan(.app, name, [cr], adopt: o.adopt)
        plan.partial = handover(w, name, from: previous, to: s)
        plan.report += notes
        if let host = s.route {
            plan.report.append(.info("URL: \(w.scope.cluster.tls ? "https" : "http")://\(host)"))
        }
        plan.changes = [
            .app("Deployed", "Deploy", name, in: w.scope.namespace, note: "kip app deploy by \(by): \(o.image)")
        ]
        return (plan, notices)
    }

    /// A change to an existing app (`set-image`, `scale`, `env`, `bind`, `mount`…) by
    /// `command`: the App with `spec` over `current` (as read), its image change recorded in
    /// its history, and an Event saying what changed. A spec that is no app is refused,
    /// unless it was so before and the change does not touch what is wrong.
    public static func changePlan(
        _ name: String, current: JSON, spec: AppSpec, _ w: EnvironmentView, command: [String], at: String, by: String
    ) throws -> Plan {
        let before = AppSpec(json: current["spec"] ?? [:])
        if let p = spec.problem,
            before.problem == nil || before.replicas != spec.replicas || before.autoscale != spec.autoscale
                || before.volumes != spec.volumes
        {
            throw KipError("app \(name): \(p)")
        }
        let cr = Promotion.recorded(
            Workloads.app(name, w.scope, spec: spec, replacing: current), previous: current, image: spec.image,
            action: "set-image", at: at, by: by)
        var plan = try w.plan(.app, name, [cr])
        let image = spec.image != before.image ? ": \(before.image) → \(spec.image)" : ""
        plan.changes = [
            .app(
                image.isEmpty ? "Changed" : "ImageChanged", ChangeEvent.action(command), name, in: w.scope.namespace,
                note: "kip \(command.joined(separator: " ")) by \(by)\(image)")
        ]
        return plan
    }

    /// What the app was, kept where no flag names a change; or nothing, on create and
    /// `--reset` (a new app needs `--port`, and gets the environment's route).
    static func base(_ o: DeployOptions, existing: AppSpec?, _ w: EnvironmentView) throws -> AppSpec {
        if let existing, !o.reset {
            var s = existing
            s.image = o.image
            if let p = o.port { s.port = p }
            return s
        }
        guard let p = o.port ?? existing?.port else {
            throw UsageProblem("Missing expected option '--port <port>': app \(o.name) is new in \(w.scope.namespace)")
        }
        var s = AppSpec(image: o.image, port: p)
        s.route = w.scope.defaultHost(o.name)
        if let host = s.route, let label = host.split(separator: ".").first, label.count > DNS.labelMax {
            throw KipError(
                "the route \(host) of app \(o.name) starts with a \(label.count)-character label; DNS allows 63: use a shorter app name, --route HOST or --no-route"
            )
        }
        if existing == nil, w.scope.cluster.podSecurityLevel == "restricted" {
            s.runAsNonRoot = true
            s.securityDefaults = true
        }
        return s
    }

    /// Mounts the volumes named (each must exist; its access mode is the volume's).
    static func mount(_ mounts: [Mount], into s: inout AppSpec, _ w: EnvironmentView) throws {
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
    }

    /// A request above its limit is refused by the API server: refuse it first.
    public static func checkRequestsWithinLimits(_ r: Resources) throws {
        guard let (what, rq, lm) = r.overLimit else { return }
        throw UsageProblem(
            "--\(what)-request \(rq) is more than --\(what)-limit \(lm): a request may not exceed its limit")
    }

    /// `SERVICE[:PREFIX]` as a binding to a service of the environment.
    public static func binding(_ s: String, _ w: EnvironmentView, prefix given: String? = nil) throws -> Binding {
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

    public static func checkPrefixes(_ bindings: [Binding]) throws {
        var seen = Set<String>()
        for b in bindings where !seen.insert(b.prefix).inserted {
            throw KipError(
                "two bindings use the prefix \(b.prefix): give one a different prefix (--bind db2:ANALYTICS)")
        }
    }

    /// Turning autoscaling on for a running app: the Deployment's replica count is handed
    /// to a field manager of its own, at its current value, before kip's write stops
    /// setting it. Server-side apply would otherwise reset the field kip no longer sets
    /// to its default, 1, until the autoscaler caught up. The autoscaler then owns it.
    static func handover(_ w: EnvironmentView, _ name: String, from previous: JSON?, to spec: AppSpec) -> [JSON] {
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
}
