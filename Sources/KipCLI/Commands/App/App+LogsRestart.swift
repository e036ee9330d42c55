import Foundation
import KipCore

extension AppCommands {
    // MARK: logs / restart

    /// `kubectl logs` of every pod of the app, by its label, each line prefixed with the pod.
    static func logs(_ inv: Invocation, _ ctx: Context) throws -> Int32 { try logs(inv, ctx, .app) }

    /// The logs of an app's (or a function's) pods, each line prefixed with its pod.
    static func logs(_ inv: Invocation, _ ctx: Context, _ kind: WorkloadKind) throws -> Int32 {
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
        let w = try ctx.environment(inv, reading: .objects(["\(kind.resource)/\(name)"]))
        let spec = AppSpec(json: try w.require(kind, name)["spec"] ?? [:])
        return try ctx.session(
            PodStreams.logsSession(
                namespace: w.scope.namespace, selector: "\(kind.labelKey)=\(name)",
                pods: spec.autoscale?.max ?? spec.replicas ?? AppSpec.defaultReplicas,
                tail: inv.value("tail").flatMap { Int($0) }, follow: inv.has("follow"), previous: inv.has("previous"),
                since: inv.value("since")))
    }

    /// A rolling restart: a new pod template annotation (`kubectl.kubernetes.io/restartedAt`,
    /// what `kubectl rollout restart` writes), owned by a field manager of its own so that
    /// kip's next write of the Deployment keeps it.
    static func restart(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        var namespace = ""
        try ctx.run {
            let w = try ctx.environment(inv, reading: .objects(EnvironmentView.appObjects(name)))
            _ = try w.require(.app, name)
            guard w.native("Deployment", name) != nil else {
                throw KipError(
                    "app \(name) in \(w.scope.namespace) has no Deployment to restart: run 'kip app deploy' or 'kip project sync'"
                )
            }
            namespace = w.scope.namespace
            return Attempt(Plan.restart(app: name, namespace: w.scope.namespace, at: ctx.clock()))
        }
        return try waitIfAsked(inv, ctx, namespace, [RolloutWait.app(name)])
    }
}
