import Foundation
import KipCore

extension FileCommands {
    // MARK: drift

    /// Exit 0 when nothing drifted, 1 when something did, 2 on error (`Kip.errorExitCode`).
    static func drift(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        if let f = inv.value("file") {
            var file = try load(f, ctx)
            if let p = inv.arguments.first { file.project = p }
            let (project, observed) = try ctx.readProject(file.project, kinds: CRDs.workloadKinds) {
                p in p.environments.filter { e in file.environments.contains { $0.name == e.name } }
            }
            let settings = observed.settings ?? ClusterSettings()
            var lines: [String] = []
            for e in file.environments {
                guard let env = project.environment(e.name) else {
                    lines.append("environment \(e.name): only in the file")
                    continue
                }
                let live = EnvironmentFile.specs(observed.workloads[env.namespace] ?? [])
                let scope = WorkloadScope(
                    project: project.name, environment: e.name, namespace: env.namespace, domain: settings.domain,
                    cluster: settings)
                lines += EnvironmentFile.changes(e, live: live, scope: scope, prune: true).map {
                    "\(e.name): \($0.line)"
                }
            }
            return try report(lines, ctx, clean: "\(project.name) matches \(f)")
        }
        let name = try ctx.projectName(inv.arguments.first)
        let only = inv.arguments.count > 1 ? inv.arguments[1] : nil
        // What kip renders, never Secrets: a viewer may look for drift too.
        let (project, observed) = try ctx.readProject(
            name, kinds: EnvironmentView.kinds.filter { $0 != "secrets" }
        ) { p in p.environments.filter { only == nil || $0.name == only } }
        if let only, project.environment(only) == nil {
            throw KipError(
                "project \"\(name)\" has no environment \"\(only)\"; it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        let settings = observed.settings ?? ClusterSettings()
        var lines: [String] = []
        for env in project.environments where only == nil || env.name == only {
            let scope = WorkloadScope(
                project: name, environment: env.name, namespace: env.namespace, domain: settings.domain,
                cluster: settings)
            let live = observed.natives[env.namespace] ?? []
            for cr in (observed.workloads[env.namespace] ?? []).sorted(by: { Plan.key($0) < Plan.key($1) }) {
                let uid = cr.at("metadata", "uid")?.stringValue ?? ""
                let rendered = Workloads.render(cr, scope, uid: uid, password: { _ in nil })
                lines += Drift.compare(rendered: rendered, live: live).map { "\(env.name): \($0.line)" }
            }
        }
        return try report(lines, ctx, clean: "no drift in \(name)" + (only.map { "/\($0)" } ?? ""))
    }

    static func report(_ lines: [String], _ ctx: Context, clean: String) throws -> Int32 {
        try ctx.show(["drifted": .bool(!lines.isEmpty), "differences": JSON.strings(lines)]) { _ in
            if lines.isEmpty { ctx.printer.success(clean) }
            for l in lines { ctx.printer.line(l) }
        }
        return lines.isEmpty ? 0 : 1
    }
}
