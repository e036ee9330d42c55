import Foundation
import KipCore

extension ProjectCommands {
    // MARK: list

    static func list(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let projects = try ctx.everyProject().projects.sorted { $0.name < $1.name }
        let none = projects.isEmpty ? "No projects. Create one with 'kip project create NAME'." : nil
        return try ctx.show(.array(projects.map(document)), names: projects.map(\.name), empty: none) { wide in
            var header = ["PROJECT", "ENVIRONMENTS"]
            if wide { header += ["DISPLAY NAME", "NAMESPACES", "AGE", "EXPIRES"] }
            let now = ctx.clock()
            ctx.printer.table(
                header,
                projects.map { p in
                    var row = [p.name, p.environments.map(envLabel).joined(separator: ", ")]
                    if wide {
                        let age = p.created.flatMap(Durations.parse).map { Durations.short(now.timeIntervalSince($0)) }
                        let expiring = p.environments.compactMap { e -> String? in
                            guard let at = e.expiresAt.flatMap(Durations.parse) else { return nil }
                            let left = at.timeIntervalSince(now)
                            return "\(e.name) " + (left > 0 ? "in \(Durations.short(left))" : "expired")
                        }
                        row += [
                            p.displayName ?? "-", p.environments.map(\.namespace).joined(separator: ","), age ?? "-",
                            expiring.isEmpty ? "-" : expiring.joined(separator: ", "),
                        ]
                    }
                    return row
                })
        }
    }

    static func document(_ p: Project) -> JSON {
        var o: JSON = [
            "name": .string(p.name),
            "environments": .array(
                p.environments.map { e in
                    var j: JSON = [
                        "name": .string(e.name), "namespace": .string(e.namespace), "protected": .bool(e.protected),
                    ]
                    if let x = e.expiresAt { j["expiresAt"] = .string(x) }
                    if e.preview { j["preview"] = true }
                    return j
                }),
        ]
        if let d = p.displayName { o["displayName"] = .string(d) }
        if let c = p.created { o["created"] = .string(c) }
        return o
    }

    /// An environment's name as lists show it: 🔒 when protected, ⏳ when it expires.
    static func envLabel(_ e: Project.Environment) -> String {
        e.name + (e.preview ? " (preview)" : "") + (e.protected ? " 🔒" : "") + (e.expiresAt != nil ? " ⏳" : "")
    }
}
