import Foundation
import KipCore

extension MemberCommands {
    // MARK: access

    static func access(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let user = inv.arguments.first
        let groups = inv.values("group")
        if user == nil && !groups.isEmpty {
            throw UsageError(
                message: "--group names the groups of the USER checked: give the user too (your own groups are known)",
                command: inv.command)
        }
        let project = try ctx.namedProject(inv)
        let allowed = try ctx.accessReviews(AccessCheck.reviews(project), as: user, groups: groups)
        let check = AccessCheck(project, allowed: allowed)
        let who =
            user.map {
                "Access of user \"\($0)\"\(groups.isEmpty ? "" : " in groups \(groups.joined(separator: ", "))") to"
            } ?? "Your access to"
        let note: Plan.Line =
            .note(
                "note: only what is granted to the user and to every authenticated user shows; add --group for their groups (the identity provider knows them)"
            )
        return try ctx.show(.array(check.document), notes: user != nil && groups.isEmpty ? [note] : []) { _ in
            ctx.printer.line("\(who) project \(project.name):")
            ctx.printer.table(AccessCheck.header, check.rows)
        }
    }
}
