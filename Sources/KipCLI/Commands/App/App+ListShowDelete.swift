import Foundation
import KipCore

extension AppCommands {
    // MARK: list / show / delete

    static func list(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv, reading: .kinds([WorkloadKind.app.resource, "deployments.apps"]))
        let apps = w.crs(.app)
        let running = w.runningImages
        let empty =
            "No apps in \(w.scope.namespace). Deploy one with 'kip app deploy --name NAME --image IMAGE --port PORT'."
        return try ctx.showList(apps, in: w, empty: empty) { wide in
            var header = ["NAME", "IMAGE", "READY", "REPLICAS", "ROUTE"]
            if wide { header += ["BINDINGS", "PROMOTED FROM"] }
            ctx.printer.table(
                header,
                apps.map { a in
                    let s = AppSpec(json: a["spec"] ?? [:])
                    let n = a.at("metadata", "name")?.stringValue ?? ""
                    var row = [
                        n, Self.imageText(s.image, running: running[n]), w.readyText(n), s.replicaText, s.route ?? "-",
                    ]
                    if wide {
                        row.append(s.bindings.map(\.service).joined(separator: ",").ifEmpty("-"))
                        row.append(a.at("metadata", "annotations", Keys.promotedFrom)?.stringValue ?? "-")
                    }
                    return row
                })
        }
    }

    /// The image an app's CR asks for, and the one its Deployment runs when that differs
    /// (a rollout that failed half-way, a `kubectl set image` behind kip's back).
    static func imageText(_ wanted: String, running: String?) -> String {
        guard let running else { return "\(wanted) (no Deployment)" }
        return running == wanted ? wanted : "\(wanted) (runs \(running))"
    }

    static func show(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let n = inv.arguments[0]
        // The App and what it runs, by name: readable by a viewer (no Secret values).
        let w = try ctx.environment(
            inv,
            reading: .objects([
                "\(CRDs.app)/\(n)", "deployments.apps/\(n)", "ingresses.v1.networking.k8s.io/\(n)",
                "horizontalpodautoscalers.autoscaling/\(n)",
            ]))
        let a = try w.require(.app, n)
        return try ctx.show(w.document([a]).arrayValue![0]) { _ in try showText(a, w, ctx) }
    }

    static func showText(_ a: JSON, _ w: EnvironmentView, _ ctx: Context) throws {
        let name = a.at("metadata", "name")?.stringValue ?? ""
        var rows = showRows(a, w)
        switch try ctx.readableSecret(SecretNames.app(name), in: w.scope.namespace) {
        case .value(let secret):
            let keys = (secret?["data"]?.objectValue ?? [:]).keys.sorted()
            if !keys.isEmpty { rows.append(("Secrets", keys.joined(separator: ", "))) }
        case .hidden: rows.append(("Secrets", "(not shown: you may not read secrets in \(w.scope.namespace))"))
        }
        if let from = a.at("metadata", "annotations", Keys.promotedFrom)?.stringValue {
            rows.append(
                ("Promoted", "from \(from) at \(a.at("metadata", "annotations", Keys.promotedAt)?.stringValue ?? "?")"))
        }
        for (k, v) in rows { ctx.printer.line((k + ":").padding(toLength: 12, withPad: " ", startingAt: 0) + v) }
    }

    /// `app show`'s lines from what was read: what the app asks for and what runs.
    static func showRows(_ a: JSON, _ w: EnvironmentView) -> [(String, String)] {
        let s = AppSpec(json: a["spec"] ?? [:])
        let name = a.at("metadata", "name")?.stringValue ?? ""
        var rows: [(String, String)] = [
            ("App", name), ("Namespace", w.scope.namespace),
            ("Image", Self.imageText(s.image, running: w.runningImages[name])),
            ("Ready", w.readyText(name)),
        ]
        rows.append(("Port", s.port.map(String.init) ?? "-"))
        if let au = s.autoscale {
            let now = w.native("HorizontalPodAutoscaler", name)?.at("status", "currentReplicas")?.intValue
            rows.append(
                (
                    "Replicas",
                    "\(s.replicaText) (autoscaled at \(au.targetCPUPercent)% CPU\(now.map { "; now \($0)" } ?? ""))"
                ))
        } else {
            rows.append(("Replicas", s.replicaText))
        }
        rows.append(
            (
                "Route",
                s.route.map {
                    "\(w.scope.cluster.tls ? "https" : "http")://\($0)"
                        + (w.native("Ingress", name) == nil ? " (no Ingress)" : "")
                } ?? "-"
            )
        )
        return rows + specRows(s)
    }

    /// What the app's spec adds to `app show`: resources, variables, bindings, volumes.
    static func specRows(_ s: AppSpec) -> [(String, String)] {
        var rows: [(String, String)] = []
        if !s.resources.isEmpty {
            rows.append(
                ("Resources", s.resources.fields.compactMap { k, v in v.map { "\(k)=\($0)" } }.joined(separator: " ")))
        }
        for e in s.env { rows.append(("Env", "\(e.name)=\(e.value)")) }
        let overridden = s.overridden
        for b in s.bindings {
            let mine = Workloads.bindingKeys.map { "\(b.prefix)_\($0.suffix)" }.filter { overridden.contains($0) }
            rows.append(
                (
                    "Binding",
                    "\(b.service) as \(b.prefix)_URL, _HOST, _PORT, _USER, _PASSWORD, _NAME"
                        + (mine.isEmpty ? "" : " (\(mine.joined(separator: ", ")) overridden by the app's own)")
                ))
        }
        for v in s.volumes {
            rows.append(("Volume", "\(v.volume) at \(v.path)" + (v.isShared ? " (ReadWriteMany)" : "")))
        }
        return rows
    }

    static func delete(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv)
        let name = inv.arguments[0]
        return try ctx.run {
            Attempt(
                try w.deletion(.app, name),
                question: .yesNo(
                    "Delete app \(name) in \(w.scope.namespace) (its Deployment, Service, route and secrets)?",
                    declined: "Not deleted."))
        }.code
    }
}
