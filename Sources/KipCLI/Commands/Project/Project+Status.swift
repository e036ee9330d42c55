import Foundation
import KipCore

extension ProjectCommands {
    // MARK: status

    static func status(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = try ctx.projectName(inv.arguments.first)
        let (p, observed, hidden) = try ctx.readProjectShowing(
            name, kinds: [WorkloadKind.app.resource, "deployments.apps"])
        let envs = p.environments
        var apps = Set<String>()
        for e in envs {
            for a in observed.workloads[e.namespace] ?? [] where a["kind"]?.stringValue == "App" {
                apps.insert(a.at("metadata", "name")?.stringValue ?? "")
            }
        }
        /// What runs: the Deployment's image, and how its rollout stands.
        func cell(_ app: String, _ e: Project.Environment) -> (image: String?, wanted: String?, state: String) {
            if hidden.contains(e.namespace) { return (nil, nil, "not visible") }
            let cr = (observed.workloads[e.namespace] ?? []).first {
                $0["kind"]?.stringValue == "App" && $0.at("metadata", "name")?.stringValue == app
            }
            guard let cr else { return (nil, nil, "absent") }
            let wanted = cr.at("spec", "image")?.stringValue
            let d = (observed.natives[e.namespace] ?? []).first {
                $0["kind"]?.stringValue == "Deployment" && $0.at("metadata", "name")?.stringValue == app
            }
            guard let d else { return (nil, wanted, "no Deployment") }
            let image = d.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"]?.stringValue
            switch Rollout.state(d, pods: []) {
            case .done: return (image, wanted, image == wanted ? "ready" : "differs from the App")
            case .progressing: return (image, wanted, "rolling out")
            case .failed: return (image, wanted, "failed")
            }
        }
        let rows = apps.sorted().map { app -> (String, [(image: String?, wanted: String?, state: String)], [String]) in
            let cells = envs.map { cell(app, $0) }
            var behind: [String] = []
            for i in envs.indices.dropFirst() where cells[i].image != nil && cells[i - 1].image != nil {
                if cells[i].image != cells[i - 1].image { behind.append("\(envs[i].name) behind \(envs[i - 1].name)") }
            }
            return (app, cells, behind)
        }
        let doc: JSON = .array(
            rows.map { app, cells, behind in
                [
                    "app": .string(app),
                    "environments": .array(
                        zip(envs, cells).map { e, c in
                            var o: JSON = ["name": .string(e.name), "state": .string(c.state)]
                            if let i = c.image { o["image"] = .string(i) }
                            if let w = c.wanted { o["wanted"] = .string(w) }
                            return o
                        }),
                    "behind": JSON.strings(behind),
                ]
            })
        return try ctx.show(doc, empty: rows.isEmpty ? "No apps in project \(p.name) yet." : nil) { _ in
            ctx.printer.table(
                ["APP"] + envs.map { $0.name.uppercased() } + ["BEHIND"],
                rows.map { app, cells, behind in
                    [app]
                        + cells.map { c in
                            switch c.state {
                            case "absent": return "-"
                            case "ready": return c.image ?? "-"
                            case "not visible", "no Deployment": return "(\(c.state))"
                            default: return "\(c.image ?? "-") (\(c.state))"
                            }
                        } + [behind.joined(separator: ", ").ifEmpty("-")]
                })
        }
    }
}
