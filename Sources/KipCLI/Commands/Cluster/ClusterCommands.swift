import Foundation
import KipCore

/// `kip cluster add|list|use|remove`: the clusters kip knows and which one is current.
enum ClusterCommands {
    static let spec = CommandSpec(
        "cluster", "Manage the clusters kip talks to.",
        discussion: "Each cluster remembers its own active project (see 'kip project use').",
        subcommands: [
            CommandSpec(
                "add", "Add a cluster (a kubeconfig context) under a name.",
                arguments: [ArgumentSpec("name", "Name for the cluster in kip (e.g. apprunr.com).")],
                options: [
                    .value("context", "name", "kubeconfig context (default: the kubeconfig's current context)."),
                    .value("kubeconfig", "path", "kubeconfig file (default: kubectl's)."),
                    .flag("set-current", "Make it the current cluster (the first cluster added always is)."),
                ], handler: add),
            CommandSpec(
                "list", "List clusters, the current one marked, with each one's active project.", handler: list),
            CommandSpec(
                "use", "Make a cluster current; its active project comes back with it.",
                arguments: [ArgumentSpec("name", "A cluster from 'kip cluster list'.")], handler: use),
            CommandSpec(
                "remove", "Forget a cluster (nothing in the cluster changes).",
                arguments: [ArgumentSpec("name", "A cluster from 'kip cluster list'.")], handler: remove),
        ])

    static func add(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        guard !name.isEmpty, !name.contains("/"), name.count <= 253 else {
            throw KipError("cluster name '\(name)' is not usable: use letters, digits, '.', '-' (e.g. apprunr.com)")
        }
        let kubeconfig = try inv.value("kubeconfig").map { try ctx.inputPath($0, flag: "--kubeconfig") }
        let context = try inv.value("context") ?? ctx.currentContext(kubeconfig: kubeconfig)
        let contexts = try ctx.contexts(kubeconfig: kubeconfig)
        guard contexts.contains(context) else {
            throw KipError(
                "context '\(context)' is not in the kubeconfig; it has: \(contexts.isEmpty ? "none" : contexts.joined(separator: ", "))"
            )
        }
        let cfg = try ctx.config.load()
        let current = cfg.currentCluster == nil || inv.has("set-current")
        return try ctx.run {
            Attempt(
                Plan.local(
                    .success("Cluster \"\(name)\" added (context \(context))" + (current ? ", now current" : "")),
                    would: "Would add cluster \"\(name)\" (context \(context)) to kip's config."),
                config: [
                    .addCluster(
                        name: name, KipConfig.Cluster(context: context, kubeconfig: kubeconfig),
                        makeCurrent: inv.has("set-current"))
                ])
        }.code
    }

    static func list(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let cfg = try ctx.config.load()
        var entries: [Entry] = []
        for name in cfg.clusters.keys.sorted() {
            let c = cfg.clusters[name]!
            entries.append(
                (name, cfg.currentCluster == name, c.context ?? "", c.kubeconfig ?? "", cfg.active[name]?.display ?? "")
            )
        }
        var notes: [Plan.Line] = []
        if entries.isEmpty {
            // What kip uses without config, in every output form.
            if let ctxName = try? ctx.currentContext(kubeconfig: ctx.globals.value("kubeconfig")) {
                entries.append(
                    (ctxName, true, ctxName, ctx.globals.value("kubeconfig") ?? "", cfg.active[ctxName]?.display ?? ""))
                notes.append(
                    .note("No clusters added; kubectl's current context is used (add one with 'kip cluster add NAME').")
                )
            }
        }
        let doc = document(entries, cfg)
        let none = "No clusters: add one with 'kip cluster add NAME --context CONTEXT'."
        return try ctx.show(doc, names: entries.map(\.name), empty: entries.isEmpty ? none : nil, notes: notes) {
            wide in
            var header = ["CURRENT", "NAME", "CONTEXT", "ACTIVE PROJECT"]
            if wide { header.append("KUBECONFIG") }
            ctx.printer.table(
                header,
                entries.map { e in
                    var r = [e.current ? "*" : "", e.name, e.context, e.active.isEmpty ? "-" : e.active]
                    if wide { r.append(e.kubeconfig.isEmpty ? "(kubectl default)" : e.kubeconfig) }
                    return r
                })
        }
    }

    typealias Entry = (name: String, current: Bool, context: String, kubeconfig: String, active: String)

    /// `cluster list -o json|yaml`: each cluster with its context, kubeconfig, active
    /// project, org and domain.
    static func document(_ entries: [Entry], _ cfg: KipConfig) -> JSON {
        .array(
            entries.map { e in
                var o: JSON = ["name": .string(e.name), "current": .bool(e.current), "context": .string(e.context)]
                if !e.kubeconfig.isEmpty { o["kubeconfig"] = .string(e.kubeconfig) }
                if let a = cfg.active[e.name] {
                    o["activeProject"] = .string(a.project)
                    if let env = a.environment { o["activeEnvironment"] = .string(env) }
                }
                if let c = cfg.clusters[e.name] {
                    if let org = c.org { o["org"] = .string(org) }
                    if let d = c.domain { o["domain"] = .string(d) }
                }
                return o
            })
    }

    static func use(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let cfg = try ctx.config.load()
        guard cfg.clusters[name] != nil else { throw cfg.unknownCluster(name) }
        var plan = Plan.local(
            .success("Current cluster: \"\(name)\""), would: "Would make cluster \"\(name)\" current.")
        if let active = cfg.active[name] { plan.report.append(.info("  Active project: \(active.display)")) }
        return try ctx.run { Attempt(plan, config: [.useCluster(name)]) }.code
    }

    static func remove(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let cfg = try ctx.config.load()
        guard cfg.clusters[name] != nil else { throw cfg.unknownCluster(name) }
        return try ctx.run {
            Attempt(
                Plan.local(
                    .success("Cluster \"\(name)\" removed from kip's config"),
                    would: "Would remove cluster \"\(name)\" from kip's config."),
                config: [.removeCluster(name)])
        }.code
    }
}
