import Foundation
import KipCore

extension ProjectCommands {
    // MARK: delete

    static func delete(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let cluster = try ctx.clusterName()
        let (project, observed) = try ctx.readProject(name, kinds: CRDs.workloadKinds, strays: true)
        // Its environments' namespaces and any other labelled with it (a stray), and no
        // other namespace read on the way (the settings' one).
        let labelled = observed.namespaces.filter {
            $0.value.at("metadata", "labels", Keys.project)?.stringValue == name
        }
        let namespaces = Set(project.environments.map(\.namespace)).union(labelled.keys).sorted()
        var plan = Plan()
        plan.deletes =
            [Plan.Deletion(ref: "\(CRDs.project)/\(name)", namespace: nil)]
            + namespaces.filter { !terminating(observed.namespaces[$0]) }.map {
                Plan.Deletion(ref: "namespace/\($0)", namespace: nil)
            }
            // The route hosts its apps held are free again.
            + (try ctx.releasedClaims(selector: "\(Keys.project)=\(name)"))
        plan.report = namespaces.map { .success("deleting \($0)") } + [.success("Project \"\(name)\" deleted")]
        try Protection.check(project.environments, project: name, inv, ctx)
        let aside =
            ["Project \"\(name)\" has \(project.environments.count) environment(s):"]
            + project.environments.map {
                "  \($0.name)  \($0.namespace): \(inventory(observed.workloads[$0.namespace] ?? []))"
            }
            + ["Deleting it deletes every environment, app, service and its data. This cannot be undone."]
        // Deletions carry no precondition: nothing to read again for.
        let written = try ctx.run {
            Attempt(
                plan, aside: aside,
                question: .typed(
                    name, what: "project \"\(name)\"", flag: inv.value("confirm"), declined: "Not deleted."))
        }
        guard case .applied = written else { return written.code }
        try ctx.config.update { cfg in
            if cfg.active[cluster]?.project == name { cfg.active[cluster] = nil }
        }
        try ctx.awaitDeletion(namespaces, inv)
        return 0
    }
}
