import Foundation

/// The plans of the commands that change a project's shape or remove it (pure):
/// `remove-env`, `delete`, `reorder` and `sync`, each from what was read.
extension ProjectPlanner {
    /// A namespace already on its way out (`deletionTimestamp` set): deleting it again is
    /// a 409 on a real cluster, and it is going anyway.
    public static func terminating(_ ns: JSON?) -> Bool { ns?.at("metadata", "deletionTimestamp") != nil }

    /// `test → acc → prod`.
    public static func arrow(_ envs: [String]) -> String { envs.joined(separator: " → ") }

    /// What an environment holds, for the question before it goes: `2 apps, 1 service`.
    public static func inventory(_ items: [JSON]) -> String {
        var counts: [String: Int] = [:]
        for o in items { counts[o["kind"]?.stringValue ?? "", default: 0] += 1 }
        let parts = WorkloadKind.allCases.compactMap { k in
            counts[k.rawValue].map { "\($0) \(k.word)\($0 == 1 ? "" : "s")" }
        }
        return parts.isEmpty ? "empty" : parts.joined(separator: ", ")
    }

    /// `remove-env`: the Project without the environment, its namespace deleted (unless
    /// it is going already) and the route hosts it held released.
    public static func removeEnvPlan(
        _ updated: Project, _ removed: Project.Environment, namespace: JSON?, released: [Plan.Deletion]
    ) -> Plan {
        var plan = Plan()
        plan.owners = [updated.manifest]
        plan.knownUIDs[Plan.key(updated.manifest)] = updated.uid
        if !terminating(namespace) {
            plan.deletes = [Plan.Deletion(ref: "namespace/\(removed.namespace)", namespace: nil)]
        }
        plan.deletes += released
        plan.report = [
            .success("Removed environment \"\(removed.name)\" (deleting namespace \(removed.namespace))"),
            .info(
                updated.environments.count > 1
                    ? "Promotion pipeline: \(arrow(updated.stages))" : "Environment: \(updated.pipeline.joined())"),
        ]
        return plan
    }

    /// What removing the environment takes with it, said before the typed confirmation.
    public static func removeEnvNotice(_ project: String, _ removed: Project.Environment, observed: Observed)
        -> [String]
    {
        let held = (observed.workloads[removed.namespace] ?? []).sorted {
            ($0["kind"]?.stringValue ?? "", $0.at("metadata", "name")?.stringValue ?? "")
                < ($1["kind"]?.stringValue ?? "", $1.at("metadata", "name")?.stringValue ?? "")
        }
        return [
            "Environment \"\(removed.name)\" of project \"\(project)\" is namespace \(removed.namespace): \(inventory(held))."
        ]
            + held.map {
                "  \(($0["kind"]?.stringValue ?? "").lowercased()) \($0.at("metadata", "name")?.stringValue ?? "")"
            }
            + [
                "Removing it deletes the namespace and everything in it: apps, services and their data, secrets, volumes. This cannot be undone."
            ]
    }

    /// `delete`: the Project, its environments' namespaces and any other labelled with it
    /// (a stray; no other namespace read on the way), and the route hosts it held; with
    /// what it deletes said before the typed confirmation.
    public static func deletePlan(_ project: Project, observed: Observed, released: [Plan.Deletion]) -> (
        plan: Plan, namespaces: [String], aside: [String]
    ) {
        let name = project.name
        let labelled = observed.namespaces.filter {
            $0.value.at("metadata", "labels", Keys.project)?.stringValue == name
        }
        let namespaces = Set(project.environments.map(\.namespace)).union(labelled.keys).sorted()
        var plan = Plan()
        plan.deletes =
            [Plan.Deletion(ref: "\(CRDs.project)/\(name)", namespace: nil)]
            + namespaces.filter { !terminating(observed.namespaces[$0]) }.map {
                Plan.Deletion(ref: "namespace/\($0)", namespace: nil)
            } + released
        plan.report = namespaces.map { .success("deleting \($0)") } + [.success("Project \"\(name)\" deleted")]
        let aside =
            ["Project \"\(name)\" has \(project.environments.count) environment(s):"]
            + project.environments.map {
                "  \($0.name)  \($0.namespace): \(inventory(observed.workloads[$0.namespace] ?? []))"
            }
            + ["Deleting it deletes every environment, app, service and its data. This cannot be undone."]
        return (plan, namespaces, aside)
    }

    /// `reorder`: the Project with its environments in `order`, their namespaces labelled
    /// again; nothing written when the order is the same.
    public static func reorderPlan(_ project: Project, _ order: [String], observed: Observed) throws -> Plan {
        let updated = try reorder(project, order)
        if updated.pipeline == project.pipeline {
            return Plan.unchanged(.success("Pipeline of \(project.name) unchanged: \(arrow(project.pipeline))"))
        }
        var plan = writePlan(
            updated, environments: [], pullSecrets: [], cluster: observed.cluster,
            relabel: updated.environments.filter { observed.namespaces[$0.namespace] != nil })
        plan.report = [.success("Promotion pipeline of \(project.name): \(arrow(updated.pipeline))")]
        return plan
    }
}

extension ProjectPlanner.SyncPlan {
    /// What `sync` writes: the Project's namespaces, bindings and secret copies as they
    /// should be; with `prune`, the namespaces no environment declares deleted, else
    /// named as a warning.
    public func plan(project name: String, prune: Bool) -> Plan {
        var plan = Plan()
        plan.owners = apply
        plan.report = changes.map { .success($0) }
        plan.deletes = removals.map { Plan.Deletion(ref: "secrets/\($0.name)", namespace: $0.namespace) }
        if prune {
            plan.deletes += strays.map { Plan.Deletion(ref: "namespace/\($0)", namespace: nil) }
            plan.report += strays.map { .success("deleting namespace \($0) (no environment declares it)") }
        } else {
            plan.report += strays.map {
                .warning(
                    "namespace \($0) is labelled with project \(name) but no environment declares it: 'kip project sync \(name) --prune' deletes it"
                )
            }
        }
        if changes.isEmpty && plan.deletes.isEmpty {
            plan.report.append(.success("Project \"\(name)\" matches its definition: nothing to change"))
        }
        return plan
    }
}

extension Plan {
    /// A plan that writes nothing and says so.
    public static func unchanged(_ line: Line) -> Plan {
        var plan = Plan()
        plan.report = [line]
        return plan
    }

    /// A plan that finds nothing to do: `line` said on stderr, also under `--dry-run`.
    public static func nothing(_ line: String) -> Plan { unchanged(.note(line)) }

    /// A plan that changes only kip's own config (the Attempt carries the change): `done`
    /// said once it is made, `would` under `--dry-run`.
    public static func local(_ done: Line, would: String) -> Plan {
        var plan = unchanged(done)
        plan.summary = [would]
        return plan
    }

    /// `app restart`: a rolling restart of the app's Deployment, by a field manager of its
    /// own so that kip's next write keeps the mark.
    public static func restart(app: String, namespace: String, at: Date) -> Plan {
        var plan = Plan()
        plan.partial = [restartMark(app, namespace: namespace, at: at)]
        plan.partialManager = restartFieldManager
        plan.report = [.success("app \(app) in \(namespace) restarting (a rollout, pod by pod)")]
        return plan
    }
}
