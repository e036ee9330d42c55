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
        var kubeconfig = inv.value("kubeconfig")
        if let k = kubeconfig, !k.hasPrefix("/") {
            kubeconfig = FileManager.default.currentDirectoryPath + "/" + k
        }
        if let k = kubeconfig, !FileManager.default.fileExists(atPath: k) {
            throw KipError("kubeconfig \(k) does not exist")
        }
        let context = try inv.value("context") ?? ctx.currentContext(kubeconfig: kubeconfig)
        let contexts = try ctx.contexts(kubeconfig: kubeconfig)
        guard contexts.contains(context) else {
            throw KipError(
                "context '\(context)' is not in the kubeconfig; it has: \(contexts.isEmpty ? "none" : contexts.joined(separator: ", "))"
            )
        }
        let becameCurrent: Bool = try ctx.config.update { cfg in
            if let existing = cfg.clusters[name], existing.context != context || existing.kubeconfig != kubeconfig {
                throw KipError(
                    "cluster '\(name)' already exists with context '\(existing.context ?? "")': remove it first with 'kip cluster remove \(name)'"
                )
            }
            cfg.clusters[name] = cfg.clusters[name] ?? KipConfig.Cluster(context: context, kubeconfig: kubeconfig)
            if cfg.currentCluster == nil || inv.has("set-current") {
                cfg.currentCluster = name
                return true
            }
            return false
        }
        ctx.printer.success("Cluster \"\(name)\" added (context \(context))" + (becameCurrent ? ", now current" : ""))
        return 0
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
        if entries.isEmpty {
            // What kip uses without config, in every output form.
            if let ctxName = try? ctx.currentContext(kubeconfig: ctx.globals.value("kubeconfig")) {
                entries.append(
                    (ctxName, true, ctxName, ctx.globals.value("kubeconfig") ?? "", cfg.active[ctxName]?.display ?? ""))
                ctx.stderr.line(
                    "No clusters added; kubectl's current context is used (add one with 'kip cluster add NAME').")
            }
        }
        let doc = document(entries, cfg)
        let none = "No clusters: add one with 'kip cluster add NAME --context CONTEXT'."
        return try ctx.show(doc, names: entries.map(\.name), empty: entries.isEmpty ? none : nil) { wide in
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
        let active: KipConfig.Active? = try ctx.config.update { cfg in
            guard cfg.clusters[name] != nil else { throw unknown(name, cfg) }
            cfg.currentCluster = name
            return cfg.active[name]
        }
        ctx.printer.success("Current cluster: \"\(name)\"")
        if let active { ctx.printer.line("  Active project: \(active.display)") }
        return 0
    }

    static func remove(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        try ctx.config.update { cfg in
            guard cfg.clusters[name] != nil else { throw unknown(name, cfg) }
            cfg.clusters[name] = nil
            cfg.active[name] = nil
            if cfg.currentCluster == name { cfg.currentCluster = nil }
        }
        ctx.printer.success("Cluster \"\(name)\" removed from kip's config")
        return 0
    }

    static func unknown(_ name: String, _ cfg: KipConfig) -> KipError {
        let known = cfg.clusters.keys.sorted()
        return KipError(
            "unknown cluster '\(name)': "
                + (known.isEmpty
                    ? "add it with 'kip cluster add \(name) --context CONTEXT'"
                    : "known clusters are \(known.joined(separator: ", "))"))
    }
}
