import Foundation
import KipCore

extension MemberCommands {
    // MARK: members

    static func members(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (project, envs, bindings) = try ctx.readMembers(
            inv, project: inv.arguments.first, chosen: [], tolerant: true)
        let hidden = envs.filter { bindings[$0.namespace] == nil }.map(\.name)
        let listing = MemberListing(project, envs, bindings: bindings)
        return try ctx.show(
            listing.document,
            empty: listing.rows.isEmpty
                ? "No members in \(project.name) yet. Add one with 'kip project grant USER --role developer --project \(project.name)'."
                : nil,
            notes: hidden.isEmpty
                ? [] : [.warning("not shown: \(hidden.joined(separator: ", ")) (you may not read the members there)")]
        ) { _ in
            ctx.printer.table(["MEMBER", "KIND", "ROLE", "ENVIRONMENTS"], listing.table)
        }
    }
}
