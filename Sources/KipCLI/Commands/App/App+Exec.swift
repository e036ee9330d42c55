import Foundation
import KipCore

extension AppCommands {
    // MARK: exec

    /// `kubectl exec` into a ready pod of the app's current revision, on kip's own
    /// standard streams; the command's status is kip's.
    static func exec(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let command = inv.arguments.count > 1 ? Array(inv.arguments.dropFirst()) : ["sh"]
        let w = try ctx.environment(inv, reading: .objects(["\(WorkloadKind.app.resource)/\(name)"]))
        _ = try w.require(.app, name)
        let pod = try ctx.podToExec(
            in: w.scope.namespace, kind: "deployments.apps", selector: "\(WorkloadKind.app.labelKey)=\(name)",
            what: "app \(name) in \(w.scope.namespace)")
        return try ctx.session(
            PodStreams.execSession(
                namespace: w.scope.namespace, pod: pod, app: name, command: command,
                tty: ctx.terminal.stdinIsTerminal && ctx.terminal.stdoutIsTerminal))
    }
}
