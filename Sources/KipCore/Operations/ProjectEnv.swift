import Foundation

/// `kip project env set|unset`: the project's variables, which every app of every
/// environment reads first (a ConfigMap `kip-project-env` per environment, `envFrom`)
/// and its own env vars and secrets override (pure).
public enum ProjectEnv {
    /// The project with `set` added or replaced and `unset` removed, and the names whose
    /// value changed. A name to unset that the project lacks is refused.
    public static func change(_ p: Project, set: [EnvVar], unset: [String]) throws -> (Project, changed: [String]) {
        var out = p
        var changed: [String] = []
        for name in unset {
            guard let i = out.env.firstIndex(where: { $0.name == name }) else {
                throw KipError(
                    "project \(p.name) has no variable \(name)"
                        + (p.env.isEmpty ? "" : "; it has: \(p.env.map(\.name).joined(separator: ", "))"))
            }
            out.env.remove(at: i)
            changed.append(name)
        }
        for v in set {
            if let i = out.env.firstIndex(where: { $0.name == v.name }) {
                if out.env[i].value == v.value { continue }
                out.env[i] = v
            } else {
                out.env.append(v)
            }
            changed.append(v.name)
        }
        return (out, changed)
    }

    /// The plan: the Project; in each environment its ConfigMap (deleted once no variable
    /// is left); then a rolling restart of every app that would see a change (one that
    /// sets every changed name itself is passed by), after the ConfigMaps are written so
    /// that its new pods read them.
    public static func plan(_ updated: Project, changed: [String], observed: Observed, at: Date) -> Plan {
        var plan = Plan()
        plan.owners = [updated.manifest]
        plan.knownUIDs[Plan.key(updated.manifest)] = updated.uid
        let key = Plan.key(updated.manifest)
        let envs = updated.environments.filter { observed.namespaces[$0.namespace] != nil }
        if updated.env.isEmpty {
            plan.deletes = envs.map {
                Plan.Deletion(ref: "configmap/\(Render.projectEnvConfigMap)", namespace: $0.namespace)
            }
        } else {
            plan.owned = { uids in envs.map { Render.projectEnv(updated, $0, uid: uids[key] ?? "") } }
        }
        var restarted = 0
        for e in envs {
            let deployments = Set(
                (observed.natives[e.namespace] ?? []).filter { $0["kind"] == "Deployment" }.compactMap {
                    $0.at("metadata", "name")?.stringValue
                })
            for cr in observed.workloads[e.namespace] ?? [] where cr["kind"]?.stringValue == WorkloadKind.app.rawValue {
                guard let name = cr.at("metadata", "name")?.stringValue, deployments.contains(name) else { continue }
                let spec = AppSpec(json: cr["spec"] ?? [:])
                let own = Set(spec.env.map(\.name) + spec.secretEnv)
                guard changed.contains(where: { !own.contains($0) }) else { continue }
                plan.restarts.append(Plan.restartMark(name, namespace: e.namespace, at: at))
                restarted += 1
            }
        }
        let vars = updated.env.isEmpty ? "none" : updated.env.map(\.name).joined(separator: ", ")
        plan.report = [
            .success("variables of project \(updated.name): \(vars) (changed: \(changed.joined(separator: ", ")))"),
            .info(
                restarted == 0
                    ? "  no app reads them yet: apps get them when they are deployed"
                    : "  \(restarted) app(s) in \(envs.count) environment(s) restarting to read them"),
        ]
        return plan
    }
}
