import Foundation
import KipCore

extension AppCommands {
    // MARK: changes to an existing app

    /// Re-plans an app with a changed spec; the App's resourceVersion is the write's
    /// precondition, so a concurrent change is re-read and applied again, never lost.
    static func update(
        _ inv: Invocation, _ ctx: Context, _ name: String, reading more: [String] = [],
        notices: @escaping (AppSpec) -> [Plan.Line] = { _ in [] },
        _ change: @escaping (inout AppSpec, EnvironmentView) throws -> Void
    ) throws -> Int32 {
        try ctx.run(changeStep(inv, ctx, name, reading: more, notices: notices, change)).code
    }

    /// One app's change as a step of a write: read, changed, planned; again on a 409.
    /// `notices` says, from the spec as read, what the change turns off (said once,
    /// before the first write).
    static func changeStep(
        _ inv: Invocation, _ ctx: Context, _ name: String, reading more: [String] = [],
        notices: @escaping (AppSpec) -> [Plan.Line] = { _ in [] },
        _ change: @escaping (inout AppSpec, EnvironmentView) throws -> Void
    ) -> (Int) throws -> Attempt {
        { _ in
            let w = try ctx.environment(inv, reading: .objects(EnvironmentView.appObjects(name, more: more)))
            let current = try w.require(.app, name)
            var spec = AppSpec(json: current["spec"] ?? [:])
            let said = notices(spec)
            try change(&spec, w)
            return Attempt(
                try AppDeploy.changePlan(
                    name, current: current, spec: spec, w, command: inv.command, at: Promotion.timestamp(ctx.clock()),
                    by: try ctx.actor()),
                notices: said)
        }
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
        let off: (AppSpec) -> [Plan.Line] = { spec in
            spec.autoscale == nil
                ? [] : [.warning("autoscaling of \(inv.arguments[0]) is turned off: it now runs \(n) replicas")]
        }
        _ = try update(inv, ctx, inv.arguments[0], notices: off) { spec, w in
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
        // The project's variables the app does not set itself.
        let own = Set(s.env.map(\.name) + s.secretEnv)
        for v in w.scope.project.flatMap({ w.observed.project($0) })?.env ?? [] where !own.contains(v.name) {
            rows.append([v.name, v.value, "project"])
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

    /// `env set`'s variables: a `--from-file` .env file's, then the KEY=VALUE pairs given
    /// (which win).
    static func envPairs(_ inv: Invocation, _ ctx: Context) throws -> [EnvVar] {
        var pairs = try Check.env(Array(inv.arguments.dropFirst()))
        if let file = inv.value("from-file") {
            let given = Set(pairs.map(\.name))
            pairs =
                try ctx.inputDotEnv(file, flag: "--from-file").filter { !given.contains($0.key) }.map {
                    EnvVar(name: $0.key, value: $0.value)
                }
                + pairs
        } else if pairs.isEmpty {
            throw UsageError(
                message: "Missing expected argument '<pairs>': give KEY=VALUE pairs or --from-file .env",
                command: inv.command)
        }
        return pairs
    }

    static func envSet(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let pairs = try envPairs(inv, ctx)
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
}
