/// `kip project quota P/ENV KEY=Q …`: an environment's own quota keys, kept in the
/// Project, and its ResourceQuota and LimitRange written again (pure).
public enum QuotaChange {
    public static func plan(
        _ project: Project, env: String, set: [String: String], removed: [String], reset: Bool, observed: Observed
    ) throws -> Plan {
        guard let i = project.environments.firstIndex(where: { $0.name == env }) else {
            throw KipError(
                "project \"\(project.name)\" has no environment \"\(env)\"; it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        var updated = project
        var own = reset ? [:] : (project.environments[i].quota ?? [:])
        for k in removed { own[k] = nil }
        own.merge(set) { $1 }
        updated.environments[i].quota = own.isEmpty ? nil : own
        let e = updated.environments[i]
        let cluster = observed.cluster
        guard let q = Quota.of(e, cluster: cluster) else {
            throw KipError("quotas are off on this cluster ('kip install --quota off'): give the install one first")
        }
        var plan = Plan()
        let key = Plan.key(updated.manifest)
        plan.owners = [updated.manifest]
        plan.knownUIDs[key] = project.uid
        plan.owned = { uids in Render.quota(updated, e, uid: uids[key] ?? "", cluster: cluster) }
        let name = "\(project.name)/\(env)"
        plan.report = [
            .success(
                "quota of \(name): \(q.text)" + (e.quota.map { " (its own: \(Quota($0).text))" } ?? " (the install's)"))
        ]
        // A quota lowered below what runs: what runs stays, new pods are refused.
        let used = Quota.live(in: observed.natives[e.namespace] ?? [])?.at("status", "used")?.stringMap ?? [:]
        for (k, limit) in q.hard.sorted(by: { $0.key < $1.key }) {
            guard let u = used[k], let uv = Quantity.value(u), let lv = Quantity.value(limit), uv > lv else { continue }
            plan.report.append(
                .warning(
                    "\(name) uses \(Quota([k: u]).text), more than \(Quota([k: limit]).text): what runs stays, new pods are refused"
                ))
        }
        return plan
    }
}
