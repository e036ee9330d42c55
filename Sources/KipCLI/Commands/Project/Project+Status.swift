import Foundation
import KipCore

extension ProjectCommands {
    // MARK: status

    static func status(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = try ctx.projectName(inv.arguments.first)
        let (p, observed, hidden) = try ctx.readProjectShowing(
            name, kinds: [WorkloadKind.app.resource, "deployments.apps", CRDs.approval])
        let status = ProjectStatus(p, observed: observed, hidden: hidden)
        return try ctx.show(status.document, empty: status.rows.isEmpty ? "No apps in project \(p.name) yet." : nil) {
            _ in
            ctx.printer.table(status.table.header, status.table.rows)
            for l in status.pendingLines { ctx.printer.line(l) }
        }
    }
}
