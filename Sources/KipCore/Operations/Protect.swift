/// `kip project protect|unprotect P/ENV [--require-approval]`: the environment's
/// protection (and approval requirement) in the Project, told as an Event (pure).
public enum Protect {
    /// The index of environment `env` in `project`, or the refusal naming those it has.
    public static func index(_ project: Project, _ env: String) throws -> Int {
        guard let i = project.environments.firstIndex(where: { $0.name == env }) else {
            throw KipError(
                "project \"\(project.name)\" has no environment \"\(env)\"; it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        return i
    }

    /// Protection on or off; `--require-approval` adds to it, unprotect lifts both.
    /// `actor` is asked only when something changes (it may cost a request).
    public static func plan(
        _ project: Project, env: String, on: Bool, requireApproval: Bool, actor: () throws -> String
    ) throws -> Plan {
        let i = try index(project, env)
        var updated = project
        updated.environments[i].protected = on
        updated.environments[i].requireApproval = on && (requireApproval || project.environments[i].requireApproval)
        let name = "\(project.name)/\(env)"
        var plan = Plan()
        plan.report = [
            on
                ? .success(
                    "🔒 \(name) is protected: destructive commands there need --confirm-env \(env) (or typing it)")
                : .success("\(name) is no longer protected")
        ]
        let e = updated.environments[i]
        if e.requireApproval {
            plan.report.append(
                .success(
                    "promotions into \(name) need an approval by another admin of it ('kip app approve APP --to \(env)')"
                ))
        }
        guard updated != project else { return plan }
        plan.owners = [updated.manifest]
        plan.knownUIDs[Plan.key(updated.manifest)] = project.uid
        plan.changes = [
            .environment(
                on ? "Protected" : "Unprotected", on ? "Protect" : "Unprotect", namespace: e.namespace,
                note: "kip project \(on ? "protect" : "unprotect") by \(try actor())"
                    + (e.requireApproval ? ": promotions need approvals" : ""))
        ]
        return plan
    }
}
