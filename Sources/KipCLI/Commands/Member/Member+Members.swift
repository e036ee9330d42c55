import Foundation
import KipCore

extension MemberCommands {
    // MARK: members

    static func members(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (project, envs, bindings) = try ctx.readMembers(
            inv, project: inv.arguments.first, chosen: [], tolerant: true)
        let hidden = envs.filter { bindings[$0.namespace] == nil }.map(\.name)
        struct Row {
            var member: Member
            var environments: [String]
        }
        var rows: [Row] = []
        for e in envs {
            for var m in (bindings[e.namespace] ?? []).flatMap(Member.all(in:)) {
                m.everywhere = project.members.contains { $0.kind == m.kind && $0.name == m.name && $0.role == m.role }
                if let i = rows.firstIndex(where: {
                    $0.member.kind == m.kind && $0.member.name == m.name && $0.member.role == m.role
                }) {
                    rows[i].environments.append(e.name)
                    rows[i].member.everywhere = rows[i].member.everywhere && m.everywhere
                } else {
                    rows.append(Row(member: m, environments: [e.name]))
                }
            }
        }
        rows.sort {
            ($0.member.kind.rawValue, $0.member.name, $0.member.role) < (
                $1.member.kind.rawValue, $1.member.name, $1.member.role
            )
        }
        let doc: JSON = .array(
            rows.map { r in
                [
                    "kind": .string(r.member.kind.rawValue), "name": .string(r.member.name),
                    "role": .string(r.member.role), "environments": JSON.strings(r.environments),
                    "everyEnvironment": .bool(r.member.everywhere),
                ]
            })
        return try ctx.show(doc) { _ in
            if !hidden.isEmpty {
                ctx.printer.warning("not shown: \(hidden.joined(separator: ", ")) (you may not read the members there)")
            }
            if rows.isEmpty {
                ctx.stderr.line(
                    "No members in \(project.name) yet. Add one with 'kip project grant USER --role developer --project \(project.name)'."
                )
                return
            }
            ctx.printer.table(
                ["MEMBER", "KIND", "ROLE", "ENVIRONMENTS"],
                rows.map { r in
                    [
                        r.member.name, r.member.kind.rawValue, r.member.role,
                        r.environments.joined(separator: ", ") + (r.member.everywhere ? " (all)" : ""),
                    ]
                })
        }
    }
}
