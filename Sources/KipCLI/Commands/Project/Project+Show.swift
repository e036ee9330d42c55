import Foundation
import KipCore

extension ProjectCommands {
    // MARK: show

    /// A namespace's phase as `project show` prints it: Active, or Terminating while it
    /// is being deleted (by kip's remove-env, or by anyone with kubectl).
    static func namespaceStatus(_ ns: JSON) -> String {
        ns.at("status", "phase")?.stringValue == "Terminating" || ns.at("metadata", "deletionTimestamp") != nil
            ? "Terminating" : "Active"
    }

    static func show(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = try ctx.projectName(inv.arguments.first)
        let (p, observed, hidden) = try ctx.readProjectShowing(name, kinds: CRDs.workloadKinds + ["resourcequotas"])
        return try ctx.show(showDocument(p, observed, hidden), names: p.environments.map(\.name)) { _ in
            showText(p, observed, hidden, ctx)
        }
    }

    /// `project show -o json|yaml`: the Project and, in each environment, what it holds.
    static func showDocument(_ p: Project, _ observed: Observed, _ hidden: Set<String>) -> JSON {
        var doc = document(p)
        doc["environments"] = .array(
            p.environments.map { e in
                var o: JSON = [
                    "name": .string(e.name), "namespace": .string(e.namespace),
                    "exists": .bool(observed.namespaces[e.namespace] != nil),
                ]
                if let ns = observed.namespaces[e.namespace] { o["status"] = .string(namespaceStatus(ns)) }
                if hidden.contains(e.namespace) {
                    o["exists"] = nil
                    o["visible"] = false
                    return o
                }
                var byKind: [String: [JSON]] = [:]
                for w in observed.workloads[e.namespace] ?? [] {
                    byKind[(w["kind"]?.stringValue ?? "").lowercased() + "s", default: []].append(
                        w.at("metadata", "name") ?? "")
                }
                for k in ["apps", "services", "volumes", "functions", "jobs"] { o[k] = .array(byKind[k] ?? []) }
                if let q = Quota.live(in: observed.natives[e.namespace] ?? []) {
                    o["quota"] = [
                        "hard": q.at("status", "hard") ?? q.at("spec", "hard") ?? [:],
                        "used": q.at("status", "used") ?? [:],
                    ]
                }
                return o
            })
        return doc
    }

    static func showText(_ p: Project, _ observed: Observed, _ hidden: Set<String>, _ ctx: Context) {
        ctx.printer.line("Project:       \(p.name)")
        if let d = p.displayName { ctx.printer.line("Display name:  \(d)") }
        ctx.printer.line(
            p.environments.count > 1
                ? "Pipeline:      \(ProjectPlanner.arrow(p.stages))" : "Environment:   \(p.pipeline.joined())")
        ctx.printer.line()
        let rows = environmentRows(p, observed, hidden)
        let kinds = WorkloadKind.allCases.map { $0.plural.uppercased() }
        ctx.printer.table(["ENVIRONMENT", "NAMESPACE", "STATUS"] + kinds, rows)
        if rows.contains(where: { $0[2] == "Missing" }) {
            ctx.printer.warning("some namespaces are missing: run 'kip project sync \(p.name)'")
        }
        for r in rows where r[2] == "Terminating" {
            ctx.printer.warning(
                "namespace \(r[1]) is being deleted (not by kip): nothing can be written there; once it is gone, 'kip project sync \(p.name)' recreates it"
            )
        }
        for e in p.environments {
            if let q = Quota.live(in: observed.natives[e.namespace] ?? []) {
                ctx.printer.line("quota of \(e.name): \(Quota.inUse(q))")
            }
        }
        let now = ctx.clock()
        for e in p.environments {
            if let at = e.expiresAt.flatMap(Durations.parse) {
                let left = at.timeIntervalSince(now)
                ctx.printer.line(
                    "⏳ \(e.name) "
                        + (left > 0
                            ? "expires in \(Durations.short(left)) (\(e.expiresAt!))"
                            : "expired at \(e.expiresAt!): 'kip project gc' removes it"))
            }
        }
    }

    /// One row an environment: its namespace, the namespace's status, and how many of
    /// each kind it holds (`-` where the user may not look).
    static func environmentRows(_ p: Project, _ observed: Observed, _ hidden: Set<String>) -> [[String]] {
        p.environments.map { e in
            if hidden.contains(e.namespace) {
                return [envLabel(e), e.namespace, "Not visible"]
                    + Array(repeating: "-", count: WorkloadKind.allCases.count)
            }
            let ws = observed.workloads[e.namespace] ?? []
            return [envLabel(e), e.namespace, observed.namespaces[e.namespace].map(namespaceStatus) ?? "Missing"]
                + WorkloadKind.allCases.map { k in String(ws.filter { $0["kind"]?.stringValue == k.rawValue }.count) }
        }
    }
}
