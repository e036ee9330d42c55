import Foundation
import KipCore

extension AppCommands {
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
        if let job = inv.value("pre-job") {
            let w = try ctx.environment(inv, reading: .objects(["\(CRDs.job)/\(job)"]))
            try PreJob.plan(job, image: image, in: w, ctx)?()
        }
        _ = try update(inv, ctx, inv.arguments[0]) { spec, w in
            spec.image = image
            namespace = w.scope.namespace
        }
        return try waitIfAsked(inv, ctx, namespace, [RolloutWait.app(inv.arguments[0])])
    }
}
