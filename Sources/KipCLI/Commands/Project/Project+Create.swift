import Foundation
import KipCore

extension ProjectCommands {
    // MARK: create

    static func create(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        if let p = Naming.checkProject(name) { throw KipError(p) }
        _ = try quota(inv)
        try ctx.run {
            let envs = inv.options["environments"] ?? [Naming.defaultEnvironment]
            func read() throws -> Observed {
                try ctx.readForPlanning(project: name, environments: envs) { org in
                    envs.map { Naming.namespace(org: org, project: name, environment: $0) }
                }
            }
            var observed = try read()
            let planned = envs.map { Naming.namespace(org: observed.settings?.org, project: name, environment: $0) }
            if try ctx.waitForDeleted(inv, planned, observed) { observed = try read() }
            if inv.has("if-not-exists"), let p = observed.project(name),
                inv.options["environments"] == nil || p.pipeline == envs,
                p.environments.allSatisfy({ observed.namespaces[$0.namespace] != nil })
            {
                return Attempt(
                    Plan.unchanged(
                        .info("= project \(name) exists (environments: \(p.pipeline.joined(separator: ", ")))")))
            }
            var (project, completing) = try ProjectPlanner.create(
                name: name, environments: inv.options["environments"], displayName: inv.value("display-name"),
                observed: observed)
            if let q = try quota(inv), !completing {
                for i in project.environments.indices { project.environments[i].quota = q }
            }
            // Said once, before the first write: a retry reads and plans again silently.
            let header: [Plan.Line] =
                ctx.dryRun
                ? [] : [.info(completing ? "Completing project \"\(name)\"..." : "Creating project \"\(name)\"...")]
            return Attempt(
                ProjectPlanner.writePlan(
                    project, environments: project.environments, pullSecrets: observed.pullSecrets,
                    cluster: observed.cluster),
                notices: header)
        }
        return 0
    }
}
