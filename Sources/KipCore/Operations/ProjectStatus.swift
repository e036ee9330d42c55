import Foundation

/// `kip project status`: which image each app runs in each environment, how its rollout
/// stands, and which environment is behind the one before it. A query over one read.
public struct ProjectStatus {
    public struct Cell: Equatable {
        /// What the Deployment runs.
        public var image: String?
        /// What the App asks for.
        public var wanted: String?
        /// ready, rolling out, failed, differs from the App, absent, no Deployment, not visible.
        public var state: String
        /// Who approved the promotion that brought the image the App asks for (where the
        /// environment requires approvals).
        public var approvedBy: String = ""
    }

    /// An approval not used yet: the image it lets into the environment, and by whom.
    public struct Pending: Equatable {
        public var environment: String
        public var image: String
        public var approvedBy: String
    }

    public struct Row: Equatable {
        public var app: String
        public var cells: [Cell]
        /// `acc behind test`, for each environment running another image than the one before.
        public var behind: [String]
        public var pending: [Pending] = []
    }

    public var environments: [Project.Environment]
    public var rows: [Row]

    /// From what was read in `project`'s environments; `hidden` the namespaces the user
    /// may not read.
    public init(_ project: Project, observed: Observed, hidden: Set<String>) {
        let envs = project.environments
        var apps = Set<String>()
        for e in envs {
            for a in observed.workloads[e.namespace] ?? [] where a["kind"]?.stringValue == "App" {
                apps.insert(a.at("metadata", "name")?.stringValue ?? "")
            }
        }
        environments = envs
        rows = apps.sorted().map { app in
            let cells = envs.map { Self.cell(app, $0, observed, hidden) }
            // Stage after stage: a preview is no stage and is never behind.
            let stages = envs.indices.filter { !envs[$0].preview }
            var behind: [String] = []
            for (a, b) in zip(stages, stages.dropFirst()) where cells[b].image != nil && cells[a].image != nil {
                if cells[b].image != cells[a].image { behind.append("\(envs[b].name) behind \(envs[a].name)") }
            }
            return Row(app: app, cells: cells, behind: behind, pending: Self.pending(app, envs, observed))
        }
    }

    /// The app's approvals still to be used, environment by environment.
    static func pending(_ app: String, _ envs: [Project.Environment], _ observed: Observed) -> [Pending] {
        envs.flatMap { e -> [Pending] in
            let read = observed.workloads[e.namespace] ?? []
            let approvals = read.filter {
                $0["kind"]?.stringValue == "Approval" && $0.at("spec", "app")?.stringValue == app
            }
            return PromotionGates.pending(approvals, apps: read.filter { $0["kind"]?.stringValue == "App" }).map {
                Pending(
                    environment: e.name, image: $0.at("spec", "image")?.stringValue ?? "",
                    approvedBy: $0.at("spec", "approvedBy")?.stringValue ?? "")
            }
        }
    }

    /// What runs: the Deployment's image, and how its rollout stands.
    static func cell(_ app: String, _ e: Project.Environment, _ observed: Observed, _ hidden: Set<String>) -> Cell {
        if hidden.contains(e.namespace) { return Cell(image: nil, wanted: nil, state: "not visible") }
        let cr = (observed.workloads[e.namespace] ?? []).first {
            $0["kind"]?.stringValue == "App" && $0.at("metadata", "name")?.stringValue == app
        }
        guard let cr else { return Cell(image: nil, wanted: nil, state: "absent") }
        let wanted = cr.at("spec", "image")?.stringValue
        let d = (observed.natives[e.namespace] ?? []).first {
            $0["kind"]?.stringValue == "Deployment" && $0.at("metadata", "name")?.stringValue == app
        }
        guard let d else { return Cell(image: nil, wanted: wanted, state: "no Deployment") }
        let image = d.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"]?.stringValue
        var cell: Cell
        if Sleep.asleep(d) { return Cell(image: image, wanted: wanted, state: "asleep") }
        switch Rollout.state(d, pods: []) {
        case .done: cell = Cell(image: image, wanted: wanted, state: image == wanted ? "ready" : "differs from the App")
        case .progressing: cell = Cell(image: image, wanted: wanted, state: "rolling out")
        case .failed: cell = Cell(image: image, wanted: wanted, state: "failed")
        }
        cell.approvedBy = Promotion.history(cr).last { $0.ran && $0.imageAfter == wanted }?.approvedBy ?? ""
        return cell
    }

    /// `-o json|yaml`.
    public var document: JSON {
        .array(
            rows.map { r in
                [
                    "app": .string(r.app),
                    "environments": .array(
                        zip(environments, r.cells).map { e, c in
                            var o: JSON = ["name": .string(e.name), "state": .string(c.state)]
                            if let i = c.image { o["image"] = .string(i) }
                            if let w = c.wanted { o["wanted"] = .string(w) }
                            if !c.approvedBy.isEmpty { o["approvedBy"] = .string(c.approvedBy) }
                            return o
                        }),
                    "behind": JSON.strings(r.behind),
                    "pendingApprovals": .array(
                        r.pending.map {
                            [
                                "environment": .string($0.environment), "image": .string($0.image),
                                "approvedBy": .string($0.approvedBy),
                            ]
                        }),
                ]
            })
    }

    /// The lines under the table: approvals not used yet.
    public var pendingLines: [String] {
        rows.flatMap { r in
            r.pending.map { "pending approval: \(r.app) → \($0.environment) with \($0.image) (by \($0.approvedBy))" }
        }
    }

    /// The table: one row an app, one column an environment, then BEHIND.
    public var table: (header: [String], rows: [[String]]) {
        (
            ["APP"] + environments.map { $0.name.uppercased() } + ["BEHIND"],
            rows.map { r in
                [r.app]
                    + r.cells.map { c in
                        switch c.state {
                        case "absent": return "-"
                        case "ready" where !c.approvedBy.isEmpty:
                            return "\(c.image ?? "-") (approved by \(c.approvedBy))"
                        case "ready": return c.image ?? "-"
                        case "not visible", "no Deployment": return "(\(c.state))"
                        default: return "\(c.image ?? "-") (\(c.state))"
                        }
                    } + [r.behind.isEmpty ? "-" : r.behind.joined(separator: ", ")]
            }
        )
    }
}
