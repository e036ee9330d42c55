/// The cluster's kip settings, read from the `kipper-system` namespace's annotations.
public struct ClusterSettings: Equatable, Sendable {
    public static let defaultPodSecurity = "baseline"
    public static let podSecurityLevels = ["baseline", "restricted"]
    public static let defaultClusterDomain = "cluster.local"

    public var org: String?
    public var domain: String?
    /// The IngressClass of every route (nil: the cluster's default class).
    public var ingressClass: String?
    /// A wildcard certificate (a TLS Secret of the `default` namespace) copied into every
    /// environment and served on every route.
    public var tlsSecret: String?
    /// A cert-manager ClusterIssuer that issues each route's certificate.
    public var clusterIssuer: String?
    /// The StorageClass of new volumes and databases (nil: the cluster's default).
    public var storageClass: String?
    /// The Pod Security level every environment's namespace enforces.
    public var podSecurity: String?
    /// The cluster's DNS domain (`cluster.local`), in service hosts.
    public var clusterDomain: String?
    /// The group bound to kip-reader (nil: every authenticated user): kept by a re-install
    /// that does not name another.
    public var readers: String?
    /// The ingress controller's namespace, whose traffic every environment admits.
    public var ingressNamespace: String?
    /// `off`: environments are not isolated (a network plugin that enforces no policy).
    public var isolation: String?
    /// Every environment's quota unless it has its own: `off`, or `cpu=8,memory=16Gi,…`
    /// (nil: `Quota.standard`).
    public var quota: String?

    public static let defaultIngressNamespace = "ingress-nginx"
    public var isolated: Bool { isolation != "off" }
    public var ingressNamespaceName: String { ingressNamespace ?? Self.defaultIngressNamespace }

    public init(org: String? = nil, domain: String? = nil) {
        self.org = org
        self.domain = domain
    }

    /// Routes are served over TLS when a certificate or an issuer is set.
    public var tls: Bool { tlsSecret != nil || clusterIssuer != nil }
    public var podSecurityLevel: String { podSecurity ?? Self.defaultPodSecurity }
    public var dnsDomain: String { clusterDomain ?? Self.defaultClusterDomain }

    /// Each setting, its annotation and value, in the order kip prints them.
    public var annotations: [(String, String?)] {
        [
            (Keys.orgAnnotation, org), (Keys.domainAnnotation, domain), (Keys.ingressClassAnnotation, ingressClass),
            (Keys.tlsSecretAnnotation, tlsSecret), (Keys.clusterIssuerAnnotation, clusterIssuer),
            (Keys.storageClassAnnotation, storageClass), (Keys.podSecurityAnnotation, podSecurity),
            (Keys.clusterDomainAnnotation, clusterDomain), (Keys.readersAnnotation, readers),
            (Keys.ingressNamespaceAnnotation, ingressNamespace), (Keys.isolationAnnotation, isolation),
            (Keys.quotaAnnotation, quota),
        ]
    }

    /// nil when kip is not installed (no `kipper-system` namespace among `namespaces`).
    public static func from(namespaces: [JSON]) -> ClusterSettings? {
        guard let ns = namespaces.first(where: { $0.at("metadata", "name")?.stringValue == Keys.systemNamespace })
        else { return nil }
        let a = ns.at("metadata", "annotations")?.stringMap ?? [:]
        func v(_ k: String) -> String? { a[k].flatMap { $0.isEmpty ? nil : $0 } }
        var s = ClusterSettings(org: v(Keys.orgAnnotation), domain: v(Keys.domainAnnotation))
        s.ingressClass = v(Keys.ingressClassAnnotation)
        s.tlsSecret = v(Keys.tlsSecretAnnotation)
        s.clusterIssuer = v(Keys.clusterIssuerAnnotation)
        s.storageClass = v(Keys.storageClassAnnotation)
        s.podSecurity = v(Keys.podSecurityAnnotation)
        s.clusterDomain = v(Keys.clusterDomainAnnotation)
        s.readers = v(Keys.readersAnnotation)
        s.ingressNamespace = v(Keys.ingressNamespaceAnnotation)
        s.isolation = v(Keys.isolationAnnotation)
        s.quota = v(Keys.quotaAnnotation)
        return s
    }
}

/// A Project CR as kip models it.
public struct Project: Equatable, Sendable {
    public struct Environment: Equatable, Sendable {
        public var name: String
        public var namespace: String
        /// Destructive commands there need the environment named (`--confirm-env`), never
        /// only `--yes`.
        public var protected: Bool
        /// When a short-lived environment (`add-env --ttl`) is due for `kip project gc`
        /// (RFC 3339, UTC).
        public var expiresAt: String?
        /// A preview (`add-env --preview`): not a stage of the pipeline, so promotion's
        /// order, `promote --all`'s default source and status's BEHIND pass it by.
        public var preview: Bool
        /// Promotions into it need an approval by one of its admins other than the
        /// promoter (`protect --require-approval`, `kip app approve`).
        public var requireApproval: Bool
        /// Its own quota keys, over the install's (`Quota.of`); nil: the install's alone.
        public var quota: [String: String]?
        public init(
            name: String, namespace: String, protected: Bool = false, expiresAt: String? = nil, preview: Bool = false,
            requireApproval: Bool = false, quota: [String: String]? = nil
        ) {
            self.name = name
            self.namespace = namespace
            self.protected = protected
            self.expiresAt = expiresAt
            self.preview = preview
            self.requireApproval = requireApproval
            self.quota = quota
        }

        var json: JSON {
            var o: JSON = ["name": .string(name), "namespace": .string(namespace)]
            if protected { o["protected"] = true }
            if let expiresAt { o["expiresAt"] = .string(expiresAt) }
            if preview { o["preview"] = true }
            if requireApproval { o["requireApproval"] = true }
            if let quota, !quota.isEmpty { o["quota"] = .object(quota.mapValues(JSON.string)) }
            return o
        }
    }

    public var name: String
    public var displayName: String?
    public var environments: [Environment]
    /// The project's default members: granted in every environment, those added later
    /// included. Kept here, where only someone who may change the Project writes, never
    /// taken from bindings in namespaces that tenants can write.
    public var members: [Member] = []
    /// Variables every app of every environment gets unless it sets its own
    /// (`kip project env set`): a ConfigMap `kip-project-env` per environment that apps
    /// read first (`envFrom`). Not for secrets: whoever may list Projects reads them.
    public var env: [EnvVar] = []
    public var uid: String?
    /// When the Project was created (RFC 3339), as read.
    public var created: String?
    /// The version read from the cluster: sent back as the precondition of a change, so
    /// that two kip processes changing one project never lose each other's write.
    public var resourceVersion: String?

    public init(name: String, displayName: String?, environments: [Environment], uid: String? = nil) {
        self.name = name
        self.displayName = displayName
        self.environments = environments
        self.uid = uid
    }

    public init?(_ o: JSON) {
        guard o["kind"]?.stringValue == "Project", let name = o.at("metadata", "name")?.stringValue else { return nil }
        self.name = name
        displayName = o.at("spec", "displayName")?.stringValue
        environments = (o.at("spec", "environments")?.arrayValue ?? []).compactMap { e in
            guard let n = e["name"]?.stringValue, let ns = e["namespace"]?.stringValue else { return nil }
            return Environment(
                name: n, namespace: ns, protected: e["protected"]?.boolValue ?? false,
                expiresAt: e["expiresAt"]?.stringValue, preview: e["preview"]?.boolValue ?? false,
                requireApproval: e["requireApproval"]?.boolValue ?? false, quota: e["quota"]?.stringMap)
        }
        members = (o.at("spec", "members")?.arrayValue ?? []).compactMap(Member.init(json:))
        env = EnvVar.list(o.at("spec", "env"))
        uid = o.at("metadata", "uid")?.stringValue
        created = o.at("metadata", "creationTimestamp")?.stringValue
        resourceVersion = o.at("metadata", "resourceVersion")?.stringValue
    }

    public var pipeline: [String] { environments.map(\.name) }
    /// The stages of the pipeline, in order: every environment but previews.
    public var stages: [String] { environments.filter { !$0.preview }.map(\.name) }
    public func environment(_ name: String) -> Environment? { environments.first { $0.name == name } }
    public func environment(namespace: String) -> Environment? { environments.first { $0.namespace == namespace } }
    public var isSimple: Bool { environments.count == 1 && environments[0].name == Naming.defaultEnvironment }

    /// The CR kip applies.
    public var manifest: JSON {
        var spec: JSON = ["environments": .array(environments.map(\.json))]
        if let displayName { spec["displayName"] = .string(displayName) }
        if !members.isEmpty { spec["members"] = .array(members.map(\.json)) }
        if !env.isEmpty { spec["env"] = EnvVar.json(env) }
        var meta: JSON = ["name": .string(name), "labels": .object(Render.labels(project: name, environment: nil))]
        if let resourceVersion { meta["resourceVersion"] = .string(resourceVersion) }
        return ["apiVersion": .string(Keys.apiVersion), "kind": "Project", "metadata": meta, "spec": spec]
    }
}

/// Builders of the native objects kip writes, each with kip's labels and an owner
/// reference, so `kubectl delete` of the owner cascades through the garbage collector.
public enum Render {
    public static func labels(project: String, environment: String?, extra: [String: String] = [:]) -> [String: JSON] {
        var l: [String: JSON] = [Keys.managedBy: .string(Keys.managedByValue), Keys.project: .string(project)]
        if let environment { l[Keys.environment] = .string(environment) }
        for (k, v) in extra { l[k] = .string(v) }
        return l
    }

    public static func ownerReference(apiVersion: String = Keys.apiVersion, kind: String, name: String, uid: String)
        -> JSON
    {
        [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid),
            "controller": true,
        ]
    }

    /// An environment's Namespace. It enforces the cluster's Pod Security level and warns
    /// about what `restricted` would refuse.
    public static func namespace(
        _ p: Project, _ env: Project.Environment, uid: String, podSecurity: String = ClusterSettings.defaultPodSecurity
    ) -> JSON {
        let order = p.environments.firstIndex { $0.name == env.name } ?? 0
        let extra = [
            Keys.envOrder: String(order), Keys.podSecurityEnforce: podSecurity, Keys.podSecurityWarn: "restricted",
        ]
        var meta: JSON = [
            "name": .string(env.namespace),
            "labels": .object(labels(project: p.name, environment: env.name, extra: extra)),
            "ownerReferences": [ownerReference(kind: "Project", name: p.name, uid: uid)],
        ]
        if let d = p.displayName { meta["annotations"] = [Keys.displayName: .string(d)] }
        return ["apiVersion": "v1", "kind": "Namespace", "metadata": meta]
    }

    /// The environment's NetworkPolicy: its pods admit traffic from its own namespace and
    /// from the ingress controller's, nothing from other environments or projects.
    /// Egress is left open (DNS, registries, the internet); another environment's pods
    /// are refused by that environment's own policy.
    public static let isolationPolicy = "kip-isolation"

    public static func isolation(_ p: Project, _ env: Project.Environment, uid: String, ingressNamespace: String)
        -> JSON
    {
        [
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": [
                "name": .string(isolationPolicy), "namespace": .string(env.namespace),
                "labels": .object(labels(project: p.name, environment: env.name)),
                "ownerReferences": [ownerReference(kind: "Project", name: p.name, uid: uid)],
            ],
            "spec": [
                "podSelector": [:], "policyTypes": ["Ingress"],
                "ingress": [
                    [
                        "from": [
                            ["podSelector": [:]],
                            [
                                "namespaceSelector": [
                                    "matchLabels": ["kubernetes.io/metadata.name": .string(ingressNamespace)]
                                ]
                            ],
                        ]
                    ]
                ],
            ],
        ]
    }

    /// The ConfigMap of the project's variables in environment `env`, which every app reads
    /// before its own (`envFrom`; its own env vars and secrets win).
    public static let projectEnvConfigMap = "kip-project-env"

    public static func projectEnv(_ p: Project, _ env: Project.Environment, uid: String) -> JSON {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": .string(projectEnvConfigMap), "namespace": .string(env.namespace),
                "labels": .object(labels(project: p.name, environment: env.name)),
                "ownerReferences": [ownerReference(kind: "Project", name: p.name, uid: uid)],
            ],
            "data": .object(Dictionary(p.env.map { ($0.name, JSON.string($0.value)) }) { $1 }),
        ]
    }

    /// Is this Secret an image pull secret (the two registry credential types)?
    public static func isPullSecret(_ s: JSON) -> Bool {
        let t = s["type"]?.stringValue
        return t == "kubernetes.io/dockerconfigjson" || t == "kubernetes.io/dockercfg"
    }

    /// A copy of a pull secret of the `default` namespace into an environment.
    public static func pullSecret(_ source: JSON, _ p: Project, _ env: Project.Environment, uid: String) -> JSON {
        [
            "apiVersion": "v1", "kind": "Secret", "type": source["type"] ?? "kubernetes.io/dockerconfigjson",
            "metadata": [
                "name": source.at("metadata", "name") ?? "", "namespace": .string(env.namespace),
                "labels": .object(
                    labels(project: p.name, environment: env.name, extra: [Keys.pullSecretSource: "default"])),
                "ownerReferences": [ownerReference(kind: "Project", name: p.name, uid: uid)],
            ],
            "data": source["data"] ?? [:],
        ]
    }

    /// The `default` ServiceAccount of an environment, listing its pull secrets.
    public static func defaultServiceAccount(_ p: Project, _ env: Project.Environment, pullSecrets: [String]) -> JSON {
        [
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": [
                "name": "default", "namespace": .string(env.namespace),
                "labels": .object(labels(project: p.name, environment: env.name)),
            ],
            "imagePullSecrets": .array(pullSecrets.sorted().map { ["name": .string($0)] }),
        ]
    }

    /// Everything an environment needs besides its namespace's existence: the namespace
    /// itself, copies of the secrets of `default` it shares (pull secrets, the routes'
    /// TLS certificate), and the default ServiceAccount listing the pull secrets.
    /// `keeping`: pull secrets the live ServiceAccount lists that someone else added; its
    /// list is atomic, so kip writes them back with its own.
    public static func environment(
        _ p: Project, _ env: Project.Environment, uid: String, pullSecrets: [JSON],
        cluster: ClusterSettings = ClusterSettings(), keeping: [String] = []
    ) -> [JSON] {
        var out = [namespace(p, env, uid: uid, podSecurity: cluster.podSecurityLevel)]
        if cluster.isolated { out.append(isolation(p, env, uid: uid, ingressNamespace: cluster.ingressNamespaceName)) }
        out += quota(p, env, uid: uid, cluster: cluster)
        if !p.env.isEmpty { out.append(projectEnv(p, env, uid: uid)) }
        out += pullSecrets.map { pullSecret($0, p, env, uid: uid) }
        let pull = pullSecrets.filter(isPullSecret).compactMap { $0.at("metadata", "name")?.stringValue }
        if !pull.isEmpty {
            out.append(defaultServiceAccount(p, env, pullSecrets: Array(Set(pull + keeping))))
        }
        return out
    }
}
