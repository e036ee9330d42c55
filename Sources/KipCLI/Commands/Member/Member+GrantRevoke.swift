import Foundation
import KipCore

extension MemberCommands {
    // MARK: grant / revoke

    static func grant(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (kind, who) = try subject(inv)
        guard let role = inv.value("role") else {
            throw UsageError(message: "Missing expected option '--role <role>'", command: inv.command)
        }
        try checkSubject(kind, who, inv)
        let chosen = inv.values("environment")
        try ctx.run {
            let (project, envs, existing) = try ctx.readMembers(inv, chosen: chosen)
            return Attempt(
                try MemberPlanner.grant(
                    Member(kind: kind, name: who, role: role, everywhere: chosen.isEmpty), project: project, in: envs,
                    existing: existing))
        }
        return 0
    }

    /// `system:` users and groups (anonymous, every authenticated user…) are refused unless
    /// `--allow-system-subject`: one grant would open an environment to everybody.
    static func checkSubject(_ kind: Member.Kind, _ who: String, _ inv: Invocation) throws {
        guard who.hasPrefix("system:"), !inv.has("allow-system-subject") else { return }
        throw KipError(
            "\(kind.rawValue.lowercased()) \(who) is a Kubernetes system subject (it may stand for every user, or anyone at all): nothing was granted; pass --allow-system-subject if that is meant"
        )
    }

    static func revoke(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (kind, who) = try subject(inv)
        let chosen = inv.values("environment")
        try ctx.run {
            let (project, envs, existing) = try ctx.readMembers(inv, chosen: chosen)
            return Attempt(
                try MemberPlanner.revoke(
                    kind, who, project: project, in: envs, everywhere: chosen.isEmpty, existing: existing))
        }
        return 0
    }
}
