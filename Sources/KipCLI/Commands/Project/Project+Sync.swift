import Foundation
import KipCore

extension ProjectCommands {
    // MARK: sync

    static func sync(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = try ctx.projectName(inv.arguments.first)
        var project: Project!
        let written = try ctx.run(
            { n in
                var (p, observed) = try ctx.readProject(name, kinds: ["secrets", "serviceaccounts"], strays: true)
                if n == 0, try ctx.waitForDeleted(inv, p.environments.map(\.namespace), observed) {
                    (p, observed) = try ctx.readProject(name, kinds: ["secrets", "serviceaccounts"], strays: true)
                }
                project = p
                observed.secrets["default"] =
                    Observed(items: try ctx.defaultSecrets()).secrets["default"]
                return try syncAttempt(try ProjectPlanner.sync(p, observed: observed), name, inv)
            },
            then: { inv.has("workloads") ? rewriteWorkloads(project, inv, ctx) : [] })
        return written.code
    }

    /// What sync writes: the Project's namespaces, bindings and secret copies as they
    /// should be; with `--prune`, the namespaces no environment declares, after the
    /// project's name is typed.
    static func syncAttempt(_ sync: ProjectPlanner.SyncPlan, _ name: String, _ inv: Invocation) throws -> Attempt {
        let prune = inv.has("prune") && !sync.strays.isEmpty
        var attempt = Attempt(sync.plan(project: name, prune: prune))
        if prune {
            // Destructive: say what goes, and confirm as remove-env does.
            attempt.aside = [
                "⚠ --prune deletes \(sync.strays.count == 1 ? "this namespace and everything in it" : "these namespaces and everything in them"): \(sync.strays.joined(separator: ", ")). This cannot be undone."
            ]
            attempt.question = .typed(
                name, what: "namespaces \(sync.strays.joined(separator: ", "))", flag: inv.value("confirm"),
                declined: "Nothing changed.")
        }
        return attempt
    }

    /// `--workloads`: what kip renders, applied again over whatever changed it behind
    /// kip's back, a step per environment.
    static func rewriteWorkloads(_ project: Project, _ inv: Invocation, _ ctx: Context)
        -> [(Int) throws -> Attempt]
    {
        project.environments.map { env in
            let scoped = Invocation(
                command: inv.command, options: ["project": ["\(project.name)/\(env.name)"]], arguments: [])
            return { _ in
                let w = try ctx.environment(scoped)
                let crs = WorkloadKind.allCases.flatMap { w.crs($0) }
                var p = try w.plan(crs)
                p.report =
                    crs.isEmpty
                    ? [] : [.success("\(env.name): \(crs.count) workload(s) written as kip renders them")]
                return Attempt(p)
            }
        }
    }
}
