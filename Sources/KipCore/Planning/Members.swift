/// Grants and revocations, planned from the Project and the RoleBindings read in each
/// environment: pure, so every rule is tested without a cluster.
///
/// - A project-wide grant is recorded in the Project (`spec.members`), the one place
///   tenants cannot write: environments added or copied later get exactly those members,
///   never what a namespace's bindings say.
/// - A revocation considers every RoleBinding whose roleRef is one of kip's roles,
///   whatever its name or labels, and every subject in it: the subject is taken out of
///   each (the binding deleted when it was the only one), and bindings kip did not write
///   are named.
public enum MemberPlanner {
    public static let rbacResource = "rolebinding.v1.rbac.authorization.k8s.io"

    public static func grant(
        _ member: Member, project: Project, in envs: [Project.Environment], existing: [String: [JSON]]
    ) throws -> Plan {
        guard let uid = project.uid else { throw KipError("project \(project.name) has no uid yet: try again") }
        var plan = Plan()
        if member.everywhere {
            var updated = project
            updated.members.removeAll { $0.kind == member.kind && $0.name == member.name }
            updated.members.append(member)
            updated.members.sort { ($0.kind.rawValue, $0.name) < ($1.kind.rawValue, $1.name) }
            if updated.members != project.members {
                plan.owners = [updated.manifest]
                plan.knownUIDs[Plan.key(updated.manifest)] = uid
            }
        }
        let bindings = envs.map { member.binding(project, $0, uid: uid) }
        plan.owned = { _ in bindings }
        for e in envs {
            // One role per member and environment: kip's binding of another role goes.
            for b in existing[e.namespace] ?? [] {
                guard let m = Member(binding: b), m.kind == member.kind, m.name == member.name, m.role != member.role
                else { continue }
                plan.deletes.append(Plan.Deletion(ref: "\(rbacResource)/\(m.bindingName)", namespace: e.namespace))
            }
        }
        plan.report = [
            .success(
                "\(member.subject) is \(member.role) in \(project.name): \(envs.map(\.name).joined(separator: ", "))"
                    + (member.everywhere ? " (and environments added later)" : ""))
        ]
        return plan
    }

    public static func revoke(
        _ kind: Member.Kind, _ who: String, project: Project, in envs: [Project.Environment], everywhere: Bool,
        existing: [String: [JSON]]
    ) throws -> Plan {
        var plan = Plan()
        let subject = "\(kind.rawValue.lowercased()) \(who)"
        if everywhere {
            var updated = project
            updated.members.removeAll { $0.kind == kind && $0.name == who }
            if updated.members != project.members, let uid = project.uid {
                plan.owners = [updated.manifest]
                plan.knownUIDs[Plan.key(updated.manifest)] = uid
            }
        }
        var rewritten: [JSON] = []
        var from: [String] = []
        var notKips: [String] = []
        for e in envs {
            for b in (existing[e.namespace] ?? []).sorted(by: { name($0) < name($1) }) {
                let members = Member.all(in: b)
                guard let m = members.first(where: { $0.kind == kind && $0.name == who }) else { continue }
                let subjects = (b["subjects"]?.arrayValue ?? []).filter {
                    !($0["kind"]?.stringValue == kind.rawValue && $0["name"]?.stringValue == who)
                }
                if subjects.isEmpty {
                    plan.deletes.append(Plan.Deletion(ref: "\(rbacResource)/\(name(b))", namespace: e.namespace))
                } else {
                    rewritten.append(without(b, subjects: subjects))
                }
                if !m.isKips(b) { notKips.append("\(name(b)) in \(e.name)") }
                if !from.contains(e.name) { from.append(e.name) }
            }
        }
        if from.isEmpty && plan.owners.isEmpty {
            throw KipError(
                "\(subject) has no role in \(project.name)\(everywhere ? "" : " (\(envs.map(\.name).joined(separator: ", ")))"): see 'kip project members \(project.name)'"
            )
        }
        plan.owned = { _ in rewritten }
        plan.report = [
            .success(
                from.isEmpty
                    ? "\(subject) is no longer a default member of \(project.name)"
                    : "\(subject) has no role any more in \(project.name): \(from.joined(separator: ", "))")
        ]
        if !notKips.isEmpty {
            plan.report.append(
                .info("  also taken out of RoleBindings kip did not write: \(notKips.joined(separator: ", "))"))
        }
        return plan
    }

    static func name(_ o: JSON) -> String { o.at("metadata", "name")?.stringValue ?? "" }

    /// The binding with only `subjects` left, as applied back: its roleRef (which cannot
    /// change) and the resourceVersion read, so a concurrent change is read again.
    static func without(_ b: JSON, subjects: [JSON]) -> JSON {
        var meta: JSON = ["name": b.at("metadata", "name") ?? "", "namespace": b.at("metadata", "namespace") ?? ""]
        if let rv = b.at("metadata", "resourceVersion") { meta["resourceVersion"] = rv }
        return [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
            "roleRef": b["roleRef"] ?? [:], "subjects": .array(subjects),
        ]
    }
}
