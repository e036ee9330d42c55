import Foundation
import KipCore

extension WorkloadCommands {
    // MARK: shared

    static func simpleList(_ inv: Invocation, _ ctx: Context, _ kind: WorkloadKind) throws -> Int32 {
        // Jobs show how their last run went; functions what they run.
        let w = try ctx.environment(
            inv,
            reading: .kinds([kind.resource] + (kind == .job ? ["cronjobs.batch", "jobs.batch"] : ["deployments.apps"])))
        let items = w.crs(kind)
        return try ctx.showList(items, in: w, empty: "No \(kind.plural) in \(w.scope.namespace).") { _ in
            let extra = kind == .job ? ["SCHEDULE", "LAST RUN"] : ["PORT", "READY"]
            ctx.printer.table(
                ["NAME", "IMAGE"] + extra,
                items.map { o in
                    let s = o["spec"] ?? [:]
                    let n = o.at("metadata", "name")?.stringValue ?? ""
                    let x =
                        kind == .job
                        ? [s["schedule"]?.stringValue ?? "(once)", w.lastRun(n)]
                        : [String(s["port"]?.intValue ?? 8080), w.readyText(n)]
                    return [n, s["image"]?.stringValue ?? ""] + x
                })
        }
    }

    static func confirmedDelete(_ inv: Invocation, _ ctx: Context, _ kind: WorkloadKind) throws -> Int32 {
        let w = try ctx.environment(inv)
        let name = inv.arguments[0]
        return try ctx.run {
            Attempt(
                try w.deletion(kind, name),
                question: .yesNo("Delete \(kind.word) \(name) in \(w.scope.namespace)?", declined: "Not deleted."))
        }.code
    }
}
