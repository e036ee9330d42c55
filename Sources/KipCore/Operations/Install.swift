import Foundation

/// What `kip install` was asked: the org and domain (nil: keep what is recorded; "":
/// clear), the other settings by flag (`ingress-class`, …; "" clears one), `--readers`.
public struct InstallOptions: Sendable {
    public var org: String?
    public var domain: String?
    public var settings: [String: String] = [:]
    public var readers: String?

    public init(org: String? = nil, domain: String? = nil) {
        self.org = org
        self.domain = domain
    }
}

/// What `kip install` reads, in one round: the settings namespace, the TLS Secret named
/// (when one is given), kip's ClusterRoles as they are, and what the cluster offers
/// routes, storage and autoscaling.
public struct InstallRead: Sendable {
    public var system: [JSON]
    public var tlsSecret: JSON?
    public var roles: [JSON]
    public var ingressClasses: [JSON]
    public var storageClasses: [JSON]
    public var metricsAPI: [JSON]
    /// The DaemonSets of kube-system, where a network plugin runs (empty when unreadable).
    public var daemonSets: [JSON] = []

    public init(
        system: [JSON], tlsSecret: JSON?, roles: [JSON], ingressClasses: [JSON], storageClasses: [JSON],
        metricsAPI: [JSON]
    ) {
        self.system = system
        self.tlsSecret = tlsSecret
        self.roles = roles
        self.ingressClasses = ingressClasses
        self.storageClasses = storageClasses
        self.metricsAPI = metricsAPI
    }
}

/// `kip install` as an operation: from what it read, the settings to record, the plan
/// (CRDs, settings, kip's ClusterRoles and the reader binding), what to say before
/// writing, and what to say once written.
public enum Install {
    public struct Outcome {
        public var plan: Plan
        public var settings: ClusterSettings
        public var notices: [Plan.Line]
        /// Said once the write is done (and the CRDs are served).
        public var done: [Plan.Line]
    }

    /// Flag values checked before anything is read: the org a short DNS label, the
    /// domain a DNS name (a leading `*.` dropped), each setting its kind of value.
    public static func checked(_ o: InstallOptions) throws -> InstallOptions {
        var o = o
        if let org = o.org, !org.isEmpty, !DNS.isLabel(org) || org.count > 30 {
            throw KipError("--org '\(org)' must be a DNS-1123 label of at most 30 characters (e.g. labbc)")
        }
        if let d = o.domain {
            let bare = d.hasPrefix("*.") ? String(d.dropFirst(2)) : d
            guard bare.isEmpty || DNS.isSubdomain(bare) else {
                throw KipError("--domain '\(d)' is not a DNS name (e.g. apprunr.com)")
            }
            o.domain = bare
        }
        for (flag, v) in o.settings.sorted(by: { $0.key < $1.key }) where !v.isEmpty {
            switch flag {
            case "pod-security":
                guard ClusterSettings.podSecurityLevels.contains(v) else {
                    throw KipError("--pod-security '\(v)': use baseline or restricted")
                }
            case "cluster-domain":
                guard DNS.isSubdomain(v) else { throw KipError("--cluster-domain '\(v)' is not a DNS name") }
            case "isolation":
                guard v == "on" || v == "off" else { throw KipError("--isolation '\(v)': use on or off") }
            case "quota":
                if v != "off" {
                    let q = try Quota.parse([v])
                    o.settings["quota"] = Quota(q.set).text
                }
            case "ingress-namespace":
                guard DNS.isLabel(v) else { throw KipError("--ingress-namespace '\(v)' is not a namespace name") }
            default:
                guard DNS.isSubdomain(v) else { throw KipError("--\(flag) '\(v)' is not a Kubernetes object name") }
            }
        }
        if let t = o.settings["tls-secret"], let i = o.settings["cluster-issuer"], !t.isEmpty, !i.isEmpty {
            throw UsageProblem("--tls-secret and --cluster-issuer both set the routes' certificate: give one")
        }
        return o
    }

    /// The TLS Secret to read: the one `--tls-secret` names.
    public static func tlsSecret(_ o: InstallOptions) -> String? {
        o.settings["tls-secret"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `projects` is read only when the org would change (it cannot while projects exist).
    public static func plan(
        _ o: InstallOptions, _ read: InstallRead, cluster: String, projects: () throws -> [Project]
    ) throws -> Outcome {
        let current = ClusterSettings.from(namespaces: read.system)
        var settings = current ?? ClusterSettings()
        let org = o.org ?? current?.org ?? ""
        let domain = o.domain ?? current?.domain ?? ""
        if let current, (current.org ?? "") != org {
            let ps = try projects()
            if !ps.isEmpty {
                throw KipError(
                    (current.org.map { "cannot change the org from '\($0)' to '\(org)'" }
                        ?? "cannot set the org to '\(org)'")
                        + ": \(ps.count) project(s) exist (\(ps.map(\.name).prefix(5).joined(separator: ", "))) and their namespaces would be stranded; delete them first"
                )
            }
        }
        settings.org = org.isEmpty ? nil : org
        settings.domain = domain.isEmpty ? nil : domain
        try apply(o, read, to: &settings)
        var notices: [Plan.Line] = []
        if current != nil, current?.readers != settings.readers {
            notices.append(
                .warning(
                    "kip-reader is now bound to \(settings.readers.map { "group \($0)" } ?? "every authenticated user") (it was \(current?.readers.map { "group \($0)" } ?? "every authenticated user"))"
                ))
        }
        // Rules changed outside kip are put back: said, role by role.
        for live in read.roles {
            let n = live.at("metadata", "name")?.stringValue ?? ""
            if let want = KipRoles.rules[n],
                live["rules"]?.arrayValue.map(KipRoles.normalized) != KipRoles.normalized(want)
            {
                notices.append(
                    .warning("ClusterRole \(n) was changed outside kip: its rules are put back as kip writes them"))
            }
        }
        var plan = Plan()
        plan.owners =
            CRDs.all + [systemNamespace(settings)] + KipRoles.clusterRoles
            + [KipRoles.readerBinding(group: settings.readers)]
        let done =
            [
                .success("Resource types: projects, apps, services, volumes, functions, jobs (\(Keys.apiVersion))"),
                .success(
                    "Cluster \"\(cluster)\": org \(org.isEmpty ? "none" : org), domain \(domain.isEmpty ? "none" : domain)"
                ),
            ] + summary(settings) + warnings(read, settings)
        return Outcome(plan: plan, settings: settings, notices: notices, done: done)
    }

    /// The settings the flags give (one certificate source: the one just given replaces
    /// the other); a TLS Secret named must exist in `default` and be of type TLS.
    static func apply(_ o: InstallOptions, _ read: InstallRead, to settings: inout ClusterSettings) throws {
        let given = o.settings
        func set(_ flag: String, _ path: WritableKeyPath<ClusterSettings, String?>) {
            if let v = given[flag] { settings[keyPath: path] = v.isEmpty ? nil : v }
        }
        set("ingress-class", \.ingressClass)
        set("tls-secret", \.tlsSecret)
        set("cluster-issuer", \.clusterIssuer)
        set("storage-class", \.storageClass)
        set("pod-security", \.podSecurity)
        set("cluster-domain", \.clusterDomain)
        set("ingress-namespace", \.ingressNamespace)
        set("isolation", \.isolation)
        set("quota", \.quota)
        if settings.isolation == "on" { settings.isolation = nil }
        if given["tls-secret"].map({ !$0.isEmpty }) == true { settings.clusterIssuer = nil }
        if given["cluster-issuer"].map({ !$0.isEmpty }) == true { settings.tlsSecret = nil }
        if let t = settings.tlsSecret, given["tls-secret"] != nil {
            guard let found = read.tlsSecret, found["type"]?.stringValue == "kubernetes.io/tls" else {
                throw KipError(
                    read.tlsSecret == nil
                        ? "--tls-secret \(t): there is no Secret \(t) in namespace default: create it with 'kubectl create secret tls \(t) --cert FILE --key FILE -n default'"
                        : "--tls-secret \(t): Secret \(t) in namespace default is not of type kubernetes.io/tls")
            }
        }
        // Who may use kip at all: kept unless --readers names another group.
        if let r = o.readers { settings.readers = r.isEmpty ? nil : r }
    }

    /// `kipper-system`, whose annotations hold the settings.
    static func systemNamespace(_ settings: ClusterSettings) -> JSON {
        var annotations: [String: JSON] = [:]
        for (k, v) in settings.annotations { annotations[k] = .string(v ?? "") }
        return [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": [
                "name": .string(Keys.systemNamespace),
                "labels": [Keys.managedBy: .string(Keys.managedByValue)],
                "annotations": .object(annotations),
            ],
        ]
    }

    static func summary(_ settings: ClusterSettings) -> [Plan.Line] {
        let routes =
            "routes: class \(settings.ingressClass ?? "(the cluster's default)"), "
            + (settings.tlsSecret.map { "TLS from Secret \($0)" } ?? settings.clusterIssuer.map {
                "TLS from cert-manager issuer \($0)"
            }
                ?? "no TLS")
        return [
            .info("  \(routes)"),
            .info(
                "  storage class \(settings.storageClass ?? "(the cluster's default)"), pod security \(settings.podSecurityLevel), cluster domain \(settings.dnsDomain)"
            ),
            .info(
                settings.isolated
                    ? "  isolation: each environment admits traffic from itself and namespace \(settings.ingressNamespaceName) only (NetworkPolicy kip-isolation; enforced where the network plugin enforces policies)"
                    : "  isolation: off (no NetworkPolicy)"),
            .info(
                Quota.cluster(settings.quota).map {
                    "  quota of each environment: \($0.text) (ResourceQuota kip-quota; containers that ask for nothing get \(Quota.defaultRequest["cpu"]!) CPU and \(Quota.defaultRequest["memory"]!) memory)"
                } ?? "  quota: off (no ResourceQuota)"),
        ]
    }

    /// What the cluster lacks for kip's objects to work as they say: a default
    /// IngressClass (or the one named), a default StorageClass, the metrics API.
    public static func warnings(_ read: InstallRead, _ s: ClusterSettings) -> [Plan.Line] {
        func names(_ l: [JSON]) -> [String] { l.compactMap { $0.at("metadata", "name")?.stringValue }.sorted() }
        func isDefault(_ o: JSON, _ key: String) -> Bool { o.at("metadata", "annotations", key)?.stringValue == "true" }
        var out: [Plan.Line] = []
        let classes = read.ingressClasses
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
        let storage = read.storageClasses
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
        if read.metricsAPI.isEmpty {
            out.append(
                .warning("the cluster has no metrics API (metrics-server): autoscaled apps keep their minimum replicas")
            )
        }
        if s.isolated, let w = networkPluginWarning(names(read.daemonSets)) { out.append(.warning(w)) }
        return out
    }

    /// Network plugins by their DaemonSet in kube-system: those that enforce
    /// NetworkPolicies, and those that do not.
    static let enforcing: Set<String> = [
        "calico-node", "cilium", "weave-net", "kube-router", "antrea-agent", "canal", "kube-ovn-cni", "anetd",
        "azure-npm",
    ]
    static let notEnforcing: Set<String> = ["kindnet", "kube-flannel-ds", "kube-flannel"]

    /// What install says of isolation when the network plugin does not enforce it, or when
    /// kip cannot tell.
    static func networkPluginWarning(_ daemonSets: [String]) -> String? {
        if daemonSets.contains(where: enforcing.contains) { return nil }
        if let plugin = daemonSets.first(where: notEnforcing.contains) {
            return
                "the network plugin (\(plugin)) enforces no NetworkPolicy: environments are not isolated from each other on this cluster; install one that does (Calico, Cilium), or 'kip install --no-isolation' to say so"
        }
        return
            "kip cannot tell whether the network plugin enforces NetworkPolicies (none it knows runs in kube-system): environments are isolated only where it does; 'kip install --no-isolation' if it does not"
    }
}
