import KipCore

/// `kip install`: the CRDs and the cluster's settings (org, wildcard domain).
enum InstallCommand {
    static let spec = CommandSpec(
        "install", "Install kip's resource types on the cluster and record its settings.",
        discussion: """
            Applies the CustomResourceDefinitions of kipper.run/v1alpha1 (Project, App, Service,
            Volume, Function, Job) and records the org and wildcard domain as annotations of the
            namespace kipper-system, where kip on any machine reads them. Also applies kip's
            ClusterRoles: kip-reader (list Projects, read the settings; bound to every
            authenticated user, or to --readers GROUP), and kip-viewer, kip-developer and
            kip-admin for project admins to bind per environment. Safe to run again; an
            option left out keeps its recorded value. Nothing that runs code is installed.
            """,
        options: [
            .value(
                "org", "org", "Prefix for every project's namespaces (e.g. labbc). Cannot change while projects exist."),
            .value("domain", "domain", "Wildcard DNS domain for app routes (e.g. apprunr.com)."),
            readers.spec,
        ], handler: run)

    static let readers = Option<String>.string(
        "readers", "group", "Group that may use kip at all (kip-reader) (default: every authenticated user).")

    static func run(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        var org = inv.value("org")
        var domain = inv.value("domain")
        if let o = org, !o.isEmpty, !DNS.isLabel(o) || o.count > 30 {
            throw KipError("--org '\(o)' must be a DNS-1123 label of at most 30 characters (e.g. labbc)")
        }
        if let d = domain {
            let bare = d.hasPrefix("*.") ? String(d.dropFirst(2)) : d
            guard bare.isEmpty || DNS.isSubdomain(bare) else {
                throw KipError("--domain '\(d)' is not a DNS name (e.g. apprunr.com)")
            }
            domain = bare
        }
        let driver = try ctx.driver()
        let existing = try driver.get("namespaces", names: [Keys.systemNamespace])
        let current = ClusterSettings.from(namespaces: existing)
        if let current {
            if org == nil { org = current.org ?? "" }
            if domain == nil { domain = current.domain ?? "" }
            if (current.org ?? "") != (org ?? "") {
                let projects = try driver.get([CRDs.project]).compactMap(Project.init)
                if !projects.isEmpty {
                    throw KipError(
                        "cannot change the org from '\(current.org ?? "")' to '\(org ?? "")': \(projects.count) project(s) exist (\(projects.map(\.name).prefix(5).joined(separator: ", "))) and their namespaces would be stranded; delete them first"
                    )
                }
            }
        }
        let system: JSON = [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": [
                "name": .string(Keys.systemNamespace),
                "labels": [Keys.managedBy: .string(Keys.managedByValue)],
                "annotations": [Keys.orgAnnotation: .string(org ?? ""), Keys.domainAnnotation: .string(domain ?? "")],
            ],
        ]
        var plan = Plan()
        plan.owners =
            CRDs.all + [system] + KipRoles.clusterRoles + [KipRoles.readerBinding(group: try inv.get(readers))]
        let o = (org ?? "").isEmpty ? "none" : org!
        let d = (domain ?? "").isEmpty ? "none" : domain!
        guard try ctx.write(plan) != nil else { return 0 }
        // Ready when it says so: the new kinds are served once the CRDs are Established.
        try driver.waitEstablished(CRDs.all.compactMap { $0.at("metadata", "name")?.stringValue })
        ctx.printer.report([
            .success("Resource types: projects, apps, services, volumes, functions, jobs (\(Keys.apiVersion))"),
            .success("Cluster \"\(driver.target.name)\": org \(o), domain \(d)"),
        ])
        try ctx.config.update { cfg in
            guard var c = cfg.clusters[driver.target.name] else { return }
            c.org = (org ?? "").isEmpty ? nil : org
            c.domain = (domain ?? "").isEmpty ? nil : domain
            cfg.clusters[driver.target.name] = c
        }
        return 0
    }
}
