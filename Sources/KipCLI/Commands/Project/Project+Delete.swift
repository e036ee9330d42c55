import Foundation
import KipCore

extension ProjectCommands {
    // MARK: delete

    static func delete(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let cluster = try ctx.clusterName()
        let (project, observed) = try ctx.readProject(name, kinds: CRDs.workloadKinds, strays: true)
        try Protection.check(project.environments, project: name, inv, ctx)
        // The route hosts its apps held are free again.
        let (plan, namespaces, aside) = ProjectPlanner.deletePlan(
            project, observed: observed, released: try ctx.releasedClaims(selector: "\(Keys.project)=\(name)"))
        // Deletions carry no precondition: nothing to read again for.
        let written = try ctx.run {
            Attempt(
                plan, aside: aside,
                question: .typed(
                    name, what: "project \"\(name)\"", flag: inv.value("confirm"), declined: "Not deleted."),
                config: [.forgetProject(cluster: cluster, project: name)])
        }
        guard case .applied = written else { return written.code }
        try ctx.awaitDeletion(namespaces, inv)
        return 0
    }
}
