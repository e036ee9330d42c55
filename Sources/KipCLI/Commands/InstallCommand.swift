import KipCore

/// `kip install`: the CRDs and the cluster's settings (org, wildcard domain).
enum InstallCommand {
    static let spec = CommandSpec(
        "install", "Install kip's resource types on the cluster and record its settings.",
        discussion: """
            Applies the CustomResourceDefinitions of kipper.run/v1alpha1 (Project, App, Service,
            Volume, Function, Job) and records the org, the wildcard domain and the other settings
            below as annotations of the namespace kipper-system, where kip on any machine reads
            them (an empty value clears one). It warns about what the cluster lacks for routes,
            storage and autoscaling to work. Also applies kip's
            ClusterRoles: kip-reader (list Projects, read the settings; bound to every
            authenticated user, or to --readers GROUP), and kip-viewer, kip-developer and
            kip-admin for project admins to bind per environment. Safe to run again; an
            option left out keeps its recorded value. Nothing that runs code is installed.
            """,
        options: [
            .value(
                "org", "org", "Prefix for every project's namespaces (e.g. labbc). Cannot change while projects exist."),
            .value("domain", "domain", "Wildcard DNS domain for app routes (e.g. apprunr.com)."),
        ]
            + settingFlags.map { f in
                // The level is one of two: a wrong one is a usage mistake.
                OptionSpec.value(
                    f.flag, f.value, f.help,
                    choices: f.flag == "pod-security" ? ClusterSettings.podSecurityLevels : nil)
            } + [
                readers.spec
            ], handler: run)

    static let readers = Option<String>.string(
        "readers", "group", "Group that may use kip at all (kip-reader) (default: every authenticated user).")

    /// The settings beyond org and domain: flag, annotation, what it means.
    static let settingFlags: [(flag: String, value: String, help: String)] = [
        ("ingress-class", "class", "IngressClass of every route (default: the cluster's default class)."),
        (
            "tls-secret", "name",
            "TLS Secret in namespace default (a wildcard certificate), copied into every environment."
        ),
        ("cluster-issuer", "name", "cert-manager ClusterIssuer that issues each route's certificate."),
        ("storage-class", "class", "StorageClass of new volumes and databases (default: the cluster's default class)."),
        ("pod-security", "level", "Pod Security level environments enforce: baseline (default) or restricted."),
        ("cluster-domain", "domain", "The cluster's DNS domain, in service hosts (default cluster.local)."),
    ]

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
        // Given values, checked; "" clears a setting.
        var given: [String: String] = [:]
        for f in settingFlags {
            guard let v = inv.value(f.flag) else { continue }
            if !v.isEmpty {
                switch f.flag {
                case "pod-security":
                    guard ClusterSettings.podSecurityLevels.contains(v) else {
                        throw KipError("--pod-security '\(v)': use baseline or restricted")
                    }
                case "cluster-domain":
                    guard DNS.isSubdomain(v) else { throw KipError("--cluster-domain '\(v)' is not a DNS name") }
                default:
                    guard DNS.isSubdomain(v) else {
                        throw KipError("--\(f.flag) '\(v)' is not a Kubernetes object name")
                    }
                }
            }
            given[f.flag] = v
        }
        if let t = given["tls-secret"], let i = given["cluster-issuer"], !t.isEmpty, !i.isEmpty {
            throw UsageError(
                message: "--tls-secret and --cluster-issuer both set the routes' certificate: give one",
                command: inv.command)
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
                        (current.org.map { "cannot change the org from '\($0)' to '\(org ?? "")'" }
                            ?? "cannot set the org to '\(org ?? "")'")
                            + ": \(projects.count) project(s) exist (\(projects.map(\.name).prefix(5).joined(separator: ", "))) and their namespaces would be stranded; delete them first"
                    )
                }
            }
        }
        var settings = current ?? ClusterSettings()
        settings.org = (org ?? "").isEmpty ? nil : org
        settings.domain = (domain ?? "").isEmpty ? nil : domain
        func set(_ flag: String, _ path: WritableKeyPath<ClusterSettings, String?>) {
            if let v = given[flag] { settings[keyPath: path] = v.isEmpty ? nil : v }
        }
        set("ingress-class", \.ingressClass)
        set("tls-secret", \.tlsSecret)
        set("cluster-issuer", \.clusterIssuer)
        set("storage-class", \.storageClass)
        set("pod-security", \.podSecurity)
        set("cluster-domain", \.clusterDomain)
        // One certificate source: the one just given replaces the other.
        if given["tls-secret"].map({ !$0.isEmpty }) == true { settings.clusterIssuer = nil }
        if given["cluster-issuer"].map({ !$0.isEmpty }) == true { settings.tlsSecret = nil }
        if let t = settings.tlsSecret, given["tls-secret"] != nil {
            let found = try driver.get("secrets", names: [t], namespace: "default").first
            guard let found, found["type"]?.stringValue == "kubernetes.io/tls" else {
                throw KipError(
                    found == nil
                        ? "--tls-secret \(t): there is no Secret \(t) in namespace default: create it with 'kubectl create secret tls \(t) --cert FILE --key FILE -n default'"
                        : "--tls-secret \(t): Secret \(t) in namespace default is not of type kubernetes.io/tls")
            }
        }
        // Who may use kip at all: kept unless --readers names another group.
        if let r = try inv.get(readers) { settings.readers = r.isEmpty ? nil : r }
        var changed: [Plan.Line] = []
        if current != nil, current?.readers != settings.readers {
            changed.append(
                .warning(
                    "kip-reader is now bound to \(settings.readers.map { "group \($0)" } ?? "every authenticated user") (it was \(current?.readers.map { "group \($0)" } ?? "every authenticated user"))"
                ))
        }
        // Rules changed outside kip are put back: said, role by role.
        let roles = try driver.get(
            "clusterroles", names: KipRoles.clusterRoles.compactMap { $0.at("metadata", "name")?.stringValue })
        for live in roles {
            let n = live.at("metadata", "name")?.stringValue ?? ""
            if let want = KipRoles.rules[n],
                live["rules"]?.arrayValue.map(KipRoles.normalized) != KipRoles.normalized(want)
            {
                changed.append(
                    .warning("ClusterRole \(n) was changed outside kip: its rules are put back as kip writes them"))
            }
        }
        var annotations: [String: JSON] = [:]
        for (k, v) in settings.annotations { annotations[k] = .string(v ?? "") }
        let system: JSON = [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": [
                "name": .string(Keys.systemNamespace),
                "labels": [Keys.managedBy: .string(Keys.managedByValue)],
                "annotations": .object(annotations),
            ],
        ]
        var plan = Plan()
        plan.owners =
            CRDs.all + [system] + KipRoles.clusterRoles + [KipRoles.readerBinding(group: settings.readers)]
        ctx.printer.report(changed)
        let o = (org ?? "").isEmpty ? "none" : org!
        let d = (domain ?? "").isEmpty ? "none" : domain!
        // Nothing here is written against a resourceVersion: no conflict to plan again for.
        guard try ctx.write({ plan }) != nil else { return 0 }
        // Ready when it says so: the new kinds are served once the CRDs are Established.
        try driver.waitEstablished(CRDs.all.compactMap { $0.at("metadata", "name")?.stringValue })
        var lines: [Plan.Line] = [
            .success("Resource types: projects, apps, services, volumes, functions, jobs (\(Keys.apiVersion))"),
            .success("Cluster \"\(driver.target.name)\": org \(o), domain \(d)"),
        ]
        let routes =
            "routes: class \(settings.ingressClass ?? "(the cluster's default)"), "
            + (settings.tlsSecret.map { "TLS from Secret \($0)" } ?? settings.clusterIssuer.map {
                "TLS from cert-manager issuer \($0)"
            }
                ?? "no TLS")
        lines.append(.info("  \(routes)"))
        lines.append(
            .info(
                "  storage class \(settings.storageClass ?? "(the cluster's default)"), pod security \(settings.podSecurityLevel), cluster domain \(settings.dnsDomain)"
            ))
        lines += try warnings(driver, settings)
        ctx.printer.report(lines)
        try ctx.config.update { cfg in
            guard var c = cfg.clusters[driver.target.name] else { return }
            c.org = (org ?? "").isEmpty ? nil : org
            c.domain = (domain ?? "").isEmpty ? nil : domain
            cfg.clusters[driver.target.name] = c
        }
        return 0
    }

    /// What the cluster lacks for kip's objects to work as they say: a default
    /// IngressClass (or the one named), a default StorageClass, the metrics API.
    static func warnings(_ driver: KubectlDriver, _ s: ClusterSettings) throws -> [Plan.Line] {
        let reads = try driver.concurrently([
            { try driver.get(["ingressclasses.v1.networking.k8s.io"]) },
            { try driver.get(["storageclasses.v1.storage.k8s.io"]) },
            { try driver.get("apiservices.v1.apiregistration.k8s.io", names: ["v1beta1.metrics.k8s.io"]) },
        ])
        func names(_ l: [JSON]) -> [String] { l.compactMap { $0.at("metadata", "name")?.stringValue }.sorted() }
        func isDefault(_ o: JSON, _ key: String) -> Bool { o.at("metadata", "annotations", key)?.stringValue == "true" }
        var out: [Plan.Line] = []
        let classes = reads[0]
        if let c = s.ingressClass {
            if !names(classes).contains(c) {
                out.append(
                    .warning("there is no IngressClass \(c) (yet): routes are served once its controller is installed"))
            }
        } else if !classes.contains(where: { isDefault($0, "ingressclass.kubernetes.io/is-default-class") }) {
            let have = names(classes)
            out.append(
                .warning(
                    "the cluster has no default IngressClass: routes are served only by a controller that takes Ingresses without a class; "
                        + (have.isEmpty
                            ? "install an ingress controller, then 'kip install --ingress-class NAME'"
                            : "pass --ingress-class (\(have.joined(separator: ", ")))")))
        }
        let storage = reads[1]
        if let c = s.storageClass {
            if !names(storage).contains(c) {
                out.append(.warning("there is no StorageClass \(c): databases and volumes stay Pending until there is"))
            }
        } else if !storage.contains(where: { isDefault($0, "storageclass.kubernetes.io/is-default-class") }) {
            out.append(
                .warning(
                    "the cluster has no default StorageClass: databases and volumes stay Pending; pass --storage-class NAME"
                        + (storage.isEmpty ? "" : " (\(names(storage).joined(separator: ", ")))")))
        }
        if reads[2].isEmpty {
            out.append(
                .warning("the cluster has no metrics API (metrics-server): autoscaled apps keep their minimum replicas")
            )
        }
        return out
    }
}
