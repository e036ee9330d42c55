import Foundation

/// `kip project members`: who holds which of kip's roles, and where. A query over the
/// RoleBindings read in each environment (any binding that grants a kip role counts).
public struct MemberListing {
    public struct Row: Equatable {
        public var member: Member
        public var environments: [String]
    }

    public var rows: [Row] = []

    /// `bindings` by namespace; an environment missing there was not readable.
    public init(_ project: Project, _ envs: [Project.Environment], bindings: [String: [JSON]]) {
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
    }

    /// `-o json|yaml`.
    public var document: JSON {
        .array(
            rows.map { r in
                [
                    "kind": .string(r.member.kind.rawValue), "name": .string(r.member.name),
                    "role": .string(r.member.role), "environments": JSON.strings(r.environments),
                    "everyEnvironment": .bool(r.member.everywhere),
                ]
            })
    }

    public var table: [[String]] {
        rows.map { r in
            [
                r.member.name, r.member.kind.rawValue, r.member.role,
                r.environments.joined(separator: ", ") + (r.member.everywhere ? " (all)" : ""),
            ]
        }
    }
}
