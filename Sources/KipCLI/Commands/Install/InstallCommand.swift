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
                    choices: f.flag == "pod-security"
                        ? ClusterSettings.podSecurityLevels : f.flag == "isolation" ? ["on", "off"] : nil)
            } + [
                readers.spec, .flag("no-isolation", "The same as --isolation off."),
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
        (
            "ingress-namespace", "namespace",
            "The ingress controller's namespace, whose traffic every environment admits (default ingress-nginx)."
        ),
        (
            "isolation", "on|off",
            "on (default): each environment admits traffic only from itself and the ingress controller (a NetworkPolicy); off for a network plugin that enforces none."
        ),
        (
            "quota", "quota",
            "Every environment's ResourceQuota unless it has its own, e.g. cpu=8,memory=16Gi,pods=50, or off (default: cpu=8,memory=16Gi,pods=50,volumes=20,storage=200Gi)."
        ),
    ]

    static func run(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        var given = InstallOptions(org: inv.value("org"), domain: inv.value("domain"))
        for f in settingFlags { given.settings[f.flag] = inv.value(f.flag) }
        if inv.has("no-isolation") {
            if inv.value("isolation") == "on" {
                throw UsageError(
                    message: "--no-isolation and --isolation on contradict each other: give one", command: inv.command)
            }
            given.settings["isolation"] = "off"
        }
        given.readers = try inv.get(readers)
        let o = try ctx.usage(inv) { try Install.checked(given) }
        let cluster = try ctx.clusterName()
        let read = try ctx.readForInstall(tlsSecret: Install.tlsSecret(o))
        let outcome = try Install.plan(o, read, cluster: cluster) { try ctx.everyProject().projects }
        // Nothing here is written against a resourceVersion: no conflict to plan again for.
        let settings = KipConfig.Change.settings(
            cluster: cluster, org: outcome.settings.org, domain: outcome.settings.domain)
        guard try ctx.run({ Attempt(outcome.plan, notices: outcome.notices, config: [settings]) }).applied != nil
        else { return 0 }
        // Ready when it says so: the new kinds are served once the CRDs are Established.
        try ctx.waitEstablished(CRDs.all.compactMap { $0.at("metadata", "name")?.stringValue })
        ctx.printer.report(outcome.done)
        return 0
    }
}
