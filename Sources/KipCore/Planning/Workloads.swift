import Foundation

/// The kip kinds that live in an environment.
public enum WorkloadKind: String, CaseIterable, Sendable {
    case app = "App"
    case service = "Service"
    case volume = "Volume"
    case function = "Function"
    case job = "Job"

    public var word: String { rawValue.lowercased() }
    public var plural: String { word + "s" }
    /// `apps.kipper.run`: never ambiguous with built-in `services` or `jobs`.
    public var resource: String { "\(plural).\(Keys.version).\(Keys.group)" }
    /// Label on every object rendered from a CR of this kind (`kipper.run/app=api`).
    public var labelKey: String { "\(Keys.group)/\(word)" }

    /// Whether it renders a Service under its own name: apps, functions and services
    /// then share one name space in an environment.
    public var sharesNames: Bool {
        switch self {
        case .app, .function, .service: return true
        case .volume, .job: return false
        }
    }

    /// The built-in kinds it renders, by API group: what kip's roles grant in an
    /// environment besides kip's own kinds (a new kind's children are granted here or
    /// the compiler says so).
    public var renders: [(group: String, resources: [String])] {
        switch self {
        case .app:
            return [
                ("", ["services"]), ("apps", ["deployments"]), ("networking.k8s.io", ["ingresses"]),
                ("autoscaling", ["horizontalpodautoscalers"]),
            ]
        case .service: return [("", ["services", "persistentvolumeclaims"]), ("apps", ["statefulsets"])]
        case .volume: return [("", ["persistentvolumeclaims"])]
        case .function: return [("", ["services"]), ("apps", ["deployments"])]
        case .job: return [("batch", ["cronjobs", "jobs"])]
        }
    }

    /// Every built-in resource the kinds render, merged by group in first-seen order.
    public static var rendered: [(group: String, resources: [String])] {
        var out: [(group: String, resources: [String])] = []
        for k in allCases {
            for (g, rs) in k.renders {
                if let i = out.firstIndex(where: { $0.group == g }) {
                    for r in rs where !out[i].resources.contains(r) { out[i].resources.append(r) }
                } else {
                    out.append((g, rs))
                }
            }
        }
        return out
    }
}

/// Where a workload lives and what kip knows of that place.
public struct WorkloadScope: Equatable, Sendable {
    public var project: String?
    public var environment: String?
    public var namespace: String
    public var domain: String?
    /// The cluster's settings: ingress class, TLS, storage class, DNS domain.
    public var cluster = ClusterSettings()

    public init(
        project: String?, environment: String?, namespace: String, domain: String?, cluster: ClusterSettings? = nil
    ) {
        self.project = project
        self.environment = environment
        self.namespace = namespace
        self.domain = domain
        if let cluster { self.cluster = cluster }
    }

    /// The default route host: `<app>-<env>.<domain>`, `<app>.<domain>` for `default`.
    /// An app's host under the cluster's wildcard domain: `<app>-<project>-<env>`, unique
    /// per project and environment; the app's name once when it is the project's
    /// (`shop-prod` for app shop of project shop), and no environment for a simple
    /// project's (`api-shop`, `shop`). A label over 63 characters keeps a prefix and
    /// 8 hex digits of a hash of the whole.
    public func defaultHost(_ app: String) -> String? {
        guard let domain, !domain.isEmpty else { return nil }
        var parts = [app]
        if let project, project != app { parts.append(project) }
        if let env = environment, env != Naming.defaultEnvironment { parts.append(env) }
        return Self.label(parts.joined(separator: "-")) + "." + domain
    }

    static func label(_ s: String) -> String {
        guard s.count > DNS.labelMax else { return s }
        var h: UInt32 = 2_166_136_261
        for b in s.utf8 {
            h ^= UInt32(b)
            h = h &* 16_777_619
        }
        var prefix = String(s.prefix(DNS.labelMax - 9))
        while prefix.hasSuffix("-") { prefix.removeLast() }
        return prefix + "-" + String(format: "%08x", h)
    }
}

/// Renders kip CRs into the native objects kip applies with them.
public enum Workloads {
    public static func labels(_ scope: WorkloadScope, _ kind: WorkloadKind?, _ name: String?) -> [String: JSON] {
        var l: [String: JSON] = [Keys.managedBy: .string(Keys.managedByValue)]
        if let p = scope.project { l[Keys.project] = .string(p) }
        if let e = scope.environment { l[Keys.environment] = .string(e) }
        if let kind, let name { l[kind.labelKey] = .string(name) }
        return l
    }

    /// A kip CR with kip's labels; `annotations` carried as given (promotion records).
    public static func cr(
        _ kind: WorkloadKind, _ name: String, _ scope: WorkloadScope, spec: JSON, annotations: [String: String] = [:]
    ) -> JSON {
        var meta: JSON = [
            "name": .string(name), "namespace": .string(scope.namespace), "labels": .object(labels(scope, nil, nil)),
        ]
        if !annotations.isEmpty { meta["annotations"] = JSON.strings(annotations) }
        return ["apiVersion": .string(Keys.apiVersion), "kind": .string(kind.rawValue), "metadata": meta, "spec": spec]
    }

    static func meta(
        _ name: String, _ scope: WorkloadScope, _ kind: WorkloadKind, owner: String, uid: String,
        annotations: [String: String] = [:]
    ) -> JSON {
        var m: JSON = [
            "name": .string(name), "namespace": .string(scope.namespace), "labels": .object(labels(scope, kind, owner)),
            "ownerReferences": [Render.ownerReference(kind: kind.rawValue, name: owner, uid: uid)],
        ]
        if !annotations.isEmpty { m["annotations"] = JSON.strings(annotations) }
        return m
    }

    /// Children of any kip CR. A service's credentials Secret is rendered only when
    /// `password` gives one (a new service); an existing one is never regenerated.
    public static func render(_ cr: JSON, _ scope: WorkloadScope, uid: String, password: (String) -> String?) -> [JSON]
    {
        guard let kind = WorkloadKind(rawValue: cr["kind"]?.stringValue ?? ""),
            let name = cr.at("metadata", "name")?.stringValue
        else { return [] }
        let spec = cr["spec"] ?? [:]
        switch kind {
        case .app:
            return app(
                name, AppSpec(json: spec).resolved, scope, uid: uid, annotations: promotion(cr),
                configHash: cr.at("metadata", "annotations", Keys.configHash)?.stringValue)
        case .service:
            return service(
                name, ServiceSpec(json: spec).resolved, scope, uid: uid, password: password(name),
                rootPassword: password(rootPasswordKey(name)))
        case .volume: return [pvc(name, VolumeSpec(json: spec), scope, uid: uid)]
        case .function: return function(name, FunctionSpec(json: spec).resolved, scope, uid: uid)
        case .job: return [job(name, JobSpec(json: spec), scope, uid: uid)]
        }
    }

    /// An App CR that keeps what promotion recorded on the one it replaces (the
    /// promotion annotations and `status.history`) and its resourceVersion.
    public static func app(_ name: String, _ scope: WorkloadScope, spec: AppSpec, replacing existing: JSON?) -> JSON {
        var kept = promotion(existing ?? [:])
        if let h = existing?.at("metadata", "annotations", Keys.configHash)?.stringValue { kept[Keys.configHash] = h }
        var cr = Workloads.cr(.app, name, scope, spec: spec.json, annotations: kept)
        if let h = existing?.at("status", "history") { cr.set(["status", "history"], h) }
        // The version read is the write's precondition: a change in between is a 409.
        if let rv = existing?.at("metadata", "resourceVersion") { cr.set(["metadata", "resourceVersion"], rv) }
        return cr
    }

    /// A CR read from the cluster, made fit to apply again: the server-set metadata
    /// (uid, managedFields, …) removed. The resourceVersion stays, as the precondition
    /// of a read-modify-write: the server refuses the write if someone wrote in between.
    public static func applyable(_ cr: JSON) -> JSON {
        var o = cr
        for f in ["uid", "generation", "creationTimestamp", "managedFields", "selfLink"] {
            o.set(["metadata", f], nil)
        }
        return o
    }

    /// A merge patch that drops a live Deployment's `rollingUpdate` before kip applies
    /// `Recreate` to it: nil unless the rendered Deployment asks for Recreate and the live
    /// one still has a rollingUpdate (the server's default, which no field manager owns
    /// on a Deployment written by an older kip or another tool).
    public static func strategyPatch(rendered: JSON, live: JSON?) -> JSON? {
        guard rendered["kind"]?.stringValue == "Deployment",
            rendered.at("spec", "strategy", "type")?.stringValue == "Recreate", let live,
            let ru = live.at("spec", "strategy", "rollingUpdate"), !ru.isNull
        else { return nil }
        return ["spec": ["strategy": ["type": "Recreate", "rollingUpdate": .null]]]
    }

    /// A CR as read, to apply again as it was (its history included): without its
    /// resourceVersion, as it is a putting back, not a change racing another.
    public static func asItWas(_ cr: JSON) -> JSON {
        var o = applyable(cr)
        o.set(["metadata", "resourceVersion"], nil)
        return o
    }

    /// Promotion annotations of an App CR, carried onto its Deployment.
    public static func promotion(_ cr: JSON) -> [String: String] {
        (cr.at("metadata", "annotations")?.stringMap ?? [:]).filter {
            [Keys.promotedFrom, Keys.promotedAt, Keys.promotedImage].contains($0.key)
        }
    }

    static func envVars(_ env: [EnvVar]) -> [JSON] {
        env.map { ["name": .string($0.name), "value": .string($0.value)] }
    }

    /// `DATABASE_URL`, `DATABASE_HOST`, … from the bound service's credentials Secret.
    public static let bindingKeys: [(suffix: String, key: String)] = [
        ("URL", "url"), ("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password"),
        ("NAME", "database"),
    ]

    /// The bindings' variables, less those `overridden` (set by the user as an env var or
    /// a secret): each name once, as the API server requires.
    static func bindingEnv(_ bindings: [Binding], overridden: Set<String> = []) -> [JSON] {
        bindings.flatMap { b -> [JSON] in
            bindingKeys.filter { !overridden.contains("\(b.prefix)_\($0.suffix)") }.map { k in
                [
                    "name": .string("\(b.prefix)_\(k.suffix)"),
                    "valueFrom": [
                        "secretKeyRef": ["name": .string(SecretNames.credentials(b.service)), "key": .string(k.key)]
                    ],
                ]
            }
        }
    }

    static func resources(_ r: Resources) -> JSON? {
        var req: [String: JSON] = [:]
        var lim: [String: JSON] = [:]
        if let v = r.cpuRequest { req["cpu"] = .string(v) }
        if let v = r.memoryRequest { req["memory"] = .string(v) }
        if let v = r.cpuLimit { lim["cpu"] = .string(v) }
        if let v = r.memoryLimit { lim["memory"] = .string(v) }
        var out: [String: JSON] = [:]
        if !req.isEmpty { out["requests"] = .object(req) }
        if !lim.isEmpty { out["limits"] = .object(lim) }
        return out.isEmpty ? nil : .object(out)
    }

    static func podSpec(_ containers: [JSON], _ scope: WorkloadScope, volumes: [JSON] = [], restart: String? = nil)
        -> JSON
    {
        // Image pull secrets reach pods through the namespace's default ServiceAccount
        // (Render.environment), not through each pod template: a workload's rendering
        // depends on its CR alone, so a command reads only the objects it touches.
        var s: JSON = ["containers": .array(containers)]
        if !volumes.isEmpty { s["volumes"] = .array(volumes) }
        if let restart { s["restartPolicy"] = .string(restart) }
        return s
    }

    /// One mount per volume and per path (the API server refuses a second of either):
    /// the later entry wins.
    static func distinctMounts(_ mounts: [Mount]) -> [Mount] {
        var out: [Mount] = []
        for m in mounts {
            out.removeAll { $0.volume == m.volume || $0.path == m.path }
            out.append(m)
        }
        return out
    }

    /// The safe container defaults `restricted` Pod Security asks for: no privilege
    /// escalation, every capability dropped (and, with `runAsNonRoot`, no root).
    static func containerSecurity() -> JSON {
        ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]]]
    }

    /// Whether a live Deployment's containers run with the hardened defaults.
    public static func runsHardened(_ deployment: JSON) -> Bool {
        let containers = deployment.at("spec", "template", "spec", "containers")?.arrayValue ?? []
        return !containers.isEmpty
            && containers.allSatisfy {
                ($0.at("securityContext", "capabilities", "drop")?.arrayValue ?? []).contains("ALL")
            }
    }

    /// App CR `cr` marked hardened when the Deployment it runs as (`live`) is and the CR
    /// does not record a choice (written by an earlier kip, whose default was the
    /// hardened set): a re-deploy, set-image or promote never changes the security
    /// context a running app has unless asked. (Absent already means as the image runs.)
    public static func keepingSecurity(_ cr: JSON, live: JSON?) -> JSON {
        guard cr["kind"]?.stringValue == WorkloadKind.app.rawValue, cr.at("spec", "securityDefaults") == nil,
            let live, runsHardened(live)
        else { return cr }
        var out = cr
        out.set(["spec", "securityDefaults"], true)
        return out
    }

    /// Pod spec `pod` made to pass `restricted` Pod Security when the environment
    /// enforces it (functions and jobs; apps and services carry their own): no root,
    /// no privilege escalation, no capabilities, the runtime's seccomp profile.
    static func restrictedSafe(_ pod: JSON, _ scope: WorkloadScope) -> JSON {
        guard scope.cluster.podSecurityLevel == "restricted" else { return pod }
        var p = pod
        p["containers"] = .array(
            (pod["containers"]?.arrayValue ?? []).map { c in
                var c = c
                if c["securityContext"] == nil { c["securityContext"] = containerSecurity() }
                return c
            })
        p["securityContext"] = ["runAsNonRoot": true, "seccompProfile": ["type": "RuntimeDefault"]]
        return p
    }

    static func app(
        _ name: String, _ spec: AppSpec, _ scope: WorkloadScope, uid: String, annotations: [String: String],
        configHash: String? = nil
    ) -> [JSON] {
        let port = spec.port
        var container: JSON = ["name": .string(name), "image": .string(spec.image)]
        if let port { container["ports"] = [["name": "http", "containerPort": .int(port)]] }
        let env = envVars(spec.env) + bindingEnv(spec.bindings, overridden: spec.overridden)
        if !env.isEmpty { container["env"] = .array(env) }
        // The project's variables first: the app's secrets, then its env vars, win.
        container["envFrom"] = [
            ["configMapRef": ["name": .string(Render.projectEnvConfigMap), "optional": true]],
            ["secretRef": ["name": .string(SecretNames.app(name)), "optional": true]],
        ]
        if let r = resources(spec.resources) { container["resources"] = r }
        let mounts = distinctMounts(spec.volumes)
        if !mounts.isEmpty {
            container["volumeMounts"] = .array(
                mounts.map { ["name": .string($0.volume), "mountPath": .string($0.path)] })
        }
        // Hardened only when asked (or made in a restricted environment): under baseline
        // an image that chowns or switches user at start (official nginx) keeps running.
        let hardened = spec.securityDefaults == true
        var security: JSON = hardened ? containerSecurity() : [:]
        if let uid = spec.runAsUser { security["runAsUser"] = .int(uid) }
        if security != [:] { container["securityContext"] = security }
        let volumes: [JSON] = mounts.map {
            ["name": .string($0.volume), "persistentVolumeClaim": ["claimName": .string($0.volume)]]
        }
        let selector: JSON = [WorkloadKind.app.labelKey: .string(name)]
        var podLabels = labels(scope, .app, name)
        podLabels[WorkloadKind.app.labelKey] = .string(name)
        var pod = podSpec([container], scope, volumes: volumes)
        var podSecurity: JSON = [:]
        if hardened { podSecurity["seccompProfile"] = ["type": "RuntimeDefault"] }
        if let nonRoot = spec.runAsNonRoot { podSecurity["runAsNonRoot"] = .bool(nonRoot) }
        if podSecurity != [:] { pod["securityContext"] = podSecurity }
        var templateMeta: JSON = ["labels": .object(podLabels)]
        // The hash of the app's secrets and bound credentials: a change rolls the pods,
        // which read those values only when they start.
        if let configHash { templateMeta["annotations"] = [Keys.configHash: .string(configHash)] }
        var dspec: JSON = [
            "selector": ["matchLabels": selector],
            "template": ["metadata": templateMeta, "spec": pod],
        ]
        // A ReadWriteOnce volume attaches to one node: the old pod must let go of it
        // before the new one starts.
        // The whole strategy is kip's, written every time: the server's default
        // `rollingUpdate` would otherwise be nobody's, stay when Recreate is asked for,
        // and make the server refuse the change (`Workloads.strategyPatch` clears it on
        // Deployments written before kip owned it).
        dspec["strategy"] =
            mounts.contains(where: { !$0.isShared })
            ? ["type": "Recreate"]
            : ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"]]
        if spec.autoscale == nil { dspec["replicas"] = .int(spec.replicas ?? AppSpec.defaultReplicas) }
        var out: [JSON] = [
            [
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": meta(name, scope, .app, owner: name, uid: uid, annotations: annotations), "spec": dspec,
            ]
        ]
        if let port { out.append(clusterService(name, port: port, scope, .app, uid: uid)) }
        if let host = spec.route, port != nil {
            var ingress: JSON = [
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": meta(name, scope, .app, owner: name, uid: uid),
                "spec": [
                    "rules": [
                        [
                            "host": .string(host),
                            "http": [
                                "paths": [
                                    [
                                        "path": "/", "pathType": "Prefix",
                                        "backend": ["service": ["name": .string(name), "port": ["number": 80]]],
                                    ]
                                ]
                            ],
                        ]
                    ]
                ],
            ]
            let cluster = scope.cluster
            if let c = cluster.ingressClass { ingress.set(["spec", "ingressClassName"], .string(c)) }
            if let issuer = cluster.clusterIssuer {
                ingress.set(["metadata", "annotations", Keys.certManagerIssuer], .string(issuer))
            }
            // A wildcard certificate (--tls-secret) is the ingress controller's default
            // certificate: no secretName, so its key stays in `default`, out of developers'
            // reach. cert-manager (--cluster-issuer) issues one per host into <app>-tls.
            if cluster.clusterIssuer != nil {
                ingress.set(["spec", "tls"], [["hosts": [.string(host)], "secretName": .string("\(name)-tls")]])
            } else if cluster.tlsSecret != nil {
                ingress.set(["spec", "tls"], [["hosts": [.string(host)]]])
            }
            out.append(ingress)
        }
        if let a = spec.autoscale {
            out.append([
                "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": meta(name, scope, .app, owner: name, uid: uid),
                "spec": [
                    "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name)],
                    "minReplicas": .int(a.min), "maxReplicas": .int(a.max),
                    "metrics": [
                        [
                            "type": "Resource",
                            "resource": [
                                "name": "cpu",
                                "target": ["type": "Utilization", "averageUtilization": .int(a.targetCPUPercent)],
                            ],
                        ]
                    ],
                ],
            ])
        }
        return out
    }

    static func clusterService(_ name: String, port: Int, _ scope: WorkloadScope, _ kind: WorkloadKind, uid: String)
        -> JSON
    {
        [
            "apiVersion": "v1", "kind": "Service", "metadata": meta(name, scope, kind, owner: name, uid: uid),
            "spec": [
                "type": "ClusterIP", "selector": [kind.labelKey: .string(name)],
                "ports": [["name": "http", "port": 80, "targetPort": .int(port), "protocol": "TCP"]],
            ],
        ]
    }

    /// Engine facts per service type.
    public struct Engine: Sendable {
        public var image: String
        public var defaultVersion: String
        public var port: Int
        public var user: String
        public var dataPath: String
        public var scheme: String
        /// The image's documented non-root user (and group): the pod runs as it.
        public var uid: Int = 999
        /// Requests and limits of the database container.
        public var resources = Resources()
        /// The command that tells the engine answers (readiness and liveness).
        public var probe: @Sendable (_ database: String) -> [String] = { _ in [] }
    }

    public static let engines: [String: Engine] = [
        "postgres": Engine(
            image: "postgres", defaultVersion: "16", port: 5432, user: "app", dataPath: "/var/lib/postgresql/data",
            scheme: "postgresql",
            resources: Resources(cpuRequest: "100m", cpuLimit: "1", memoryRequest: "256Mi", memoryLimit: "1Gi"),
            probe: { db in ["pg_isready", "-h", "127.0.0.1", "-U", "app", "-d", db] }),
        "mysql": Engine(
            image: "mysql", defaultVersion: "8.4", port: 3306, user: "app", dataPath: "/var/lib/mysql", scheme: "mysql",
            resources: Resources(cpuRequest: "100m", cpuLimit: "1", memoryRequest: "512Mi", memoryLimit: "1Gi"),
            probe: { _ in ["mysqladmin", "ping", "-h", "127.0.0.1", "--silent"] }),
        "redis": Engine(
            image: "redis", defaultVersion: "7", port: 6379, user: "default", dataPath: "/data", scheme: "redis",
            resources: Resources(cpuRequest: "50m", cpuLimit: "500m", memoryRequest: "64Mi", memoryLimit: "256Mi"),
            // redis-cli reads the password from REDISCLI_AUTH: never in a process's arguments.
            probe: { _ in ["sh", "-c", "redis-cli ping | grep -q PONG"] }),
    ]

    public static func host(_ service: String, _ scope: WorkloadScope) -> String {
        "\(service).\(scope.namespace).svc.\(scope.cluster.dnsDomain)"
    }

    /// The key under which a service's second generated password (MySQL's root
    /// password) is asked for.
    public static func rootPasswordKey(_ service: String) -> String { service + ":root" }

    /// The hash an app's pods carry of its secret values (base64, as stored) and of the
    /// credentials of the services it is bound to, salted with a value only those who can
    /// read the Secret see: a viewer, who reads Deployments, cannot test guesses of a
    /// secret against it. 16 hex digits of SHA-256.
    public static func configHash(salt: String, secret: [String: String], credentials: [String: [String: String]])
        -> String
    {
        var text = salt + "\n"
        for k in secret.keys.sorted() { text += "secret\t\(k)\t\(secret[k]!)\n" }
        for s in credentials.keys.sorted() {
            for (k, v) in credentials[s]!.sorted(by: { $0.key < $1.key }) { text += "credentials\t\(s)\t\(k)\t\(v)\n" }
        }
        return String(SHA256.hex(SHA256.digest(Array(text.utf8))).prefix(16))
    }

    public static func database(_ service: String) -> String { service.replacingOccurrences(of: "-", with: "_") }

    static func service(
        _ name: String, _ spec: ServiceSpec, _ scope: WorkloadScope, uid: String, password: String?,
        rootPassword: String? = nil
    ) -> [JSON] {
        let type = spec.type
        guard let e = engines[type] else { return [] }
        let version = spec.version ?? e.defaultVersion
        let secret = SecretNames.credentials(name)
        func fromSecret(_ env: String, _ key: String, optional: Bool = false) -> JSON {
            var ref: JSON = ["name": .string(secret), "key": .string(key)]
            if optional { ref["optional"] = true }
            return ["name": .string(env), "valueFrom": ["secretKeyRef": ref]]
        }
        var env: [JSON]
        switch type {
        case "postgres":
            env = [
                fromSecret("POSTGRES_USER", "user"), fromSecret("POSTGRES_PASSWORD", "password"),
                fromSecret("POSTGRES_DB", "database"),
                ["name": "PGDATA", "value": .string(e.dataPath + "/pgdata")],
            ]
        case "mysql":
            // Root has its own password, never the app's. Credentials written before
            // there was one lack the key: the engine reads it only when it first
            // initialises its data, which those services have done.
            env = [
                fromSecret("MYSQL_USER", "user"), fromSecret("MYSQL_PASSWORD", "password"),
                fromSecret("MYSQL_DATABASE", "database"),
                fromSecret("MYSQL_ROOT_PASSWORD", "root-password", optional: true),
            ]
        default:
            env = [fromSecret("REDIS_PASSWORD", "password"), fromSecret("REDISCLI_AUTH", "password")]
        }
        let probe: JSON = ["exec": ["command": JSON.strings(e.probe(database(name)))]]
        var readiness = probe
        readiness["initialDelaySeconds"] = 5
        readiness["periodSeconds"] = 10
        readiness["timeoutSeconds"] = 5
        var liveness = probe
        liveness["initialDelaySeconds"] = 30
        liveness["periodSeconds"] = 10
        liveness["timeoutSeconds"] = 5
        liveness["failureThreshold"] = 6
        var container: JSON = [
            "name": .string(type), "image": .string("\(e.image):\(version)"), "env": .array(env),
            "ports": [["name": .string(type), "containerPort": .int(e.port)]],
            "volumeMounts": [["name": "data", "mountPath": .string(e.dataPath)]],
            "readinessProbe": readiness, "livenessProbe": liveness,
            "securityContext": containerSecurity(),
        ]
        if let r = resources(e.resources) { container["resources"] = r }
        var runVolume: [JSON] = []
        if type == "redis" {
            // The password reaches redis-server in a config file written at start into
            // memory (printf is the shell's own: no process shows it), not as an argument
            // that node process lists and the runtime's config would show.
            container["command"] = [
                "sh", "-c",
                "printf 'requirepass %s\\n' \"$REDIS_PASSWORD\" > /run/redis/redis.conf && exec redis-server /run/redis/redis.conf --appendonly yes",
            ]
            container["volumeMounts"] = [
                ["name": "data", "mountPath": .string(e.dataPath)], ["name": "run", "mountPath": "/run/redis"],
            ]
            runVolume = [["name": "run", "emptyDir": ["medium": "Memory", "sizeLimit": "1Mi"]]]
        } else {
            // A first start initialises the data (slow on small disks): liveness waits
            // for the startup probe, up to five minutes, instead of killing it half-way.
            var startup = probe
            startup["periodSeconds"] = 10
            startup["timeoutSeconds"] = 5
            startup["failureThreshold"] = 30
            container["startupProbe"] = startup
        }
        var podLabels = labels(scope, .service, name)
        podLabels[WorkloadKind.service.labelKey] = .string(name)
        var pod = podSpec([container], scope)
        if !runVolume.isEmpty { pod["volumes"] = .array(runVolume) }
        // The images' own non-root user; fsGroup makes the data volume theirs.
        pod["securityContext"] = [
            "runAsNonRoot": true, "runAsUser": .int(e.uid), "runAsGroup": .int(e.uid), "fsGroup": .int(e.uid),
            "fsGroupChangePolicy": "OnRootMismatch", "seccompProfile": ["type": "RuntimeDefault"],
        ]
        var claim: JSON = [
            "accessModes": ["ReadWriteOnce"],
            "resources": ["requests": ["storage": .string(spec.storage ?? ServiceSpec.defaultStorage)]],
        ]
        if let c = spec.storageClass { claim["storageClassName"] = .string(c) }
        var out: [JSON] = [
            [
                "apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": meta(name, scope, .service, owner: name, uid: uid),
                "spec": [
                    "serviceName": .string(name), "replicas": 1,
                    "selector": ["matchLabels": [WorkloadKind.service.labelKey: .string(name)]],
                    "template": ["metadata": ["labels": .object(podLabels)], "spec": pod],
                    "volumeClaimTemplates": [["metadata": ["name": "data"], "spec": claim]],
                    "persistentVolumeClaimRetentionPolicy": ["whenDeleted": "Delete", "whenScaled": "Retain"],
                ],
            ],
            [
                "apiVersion": "v1", "kind": "Service", "metadata": meta(name, scope, .service, owner: name, uid: uid),
                "spec": [
                    "clusterIP": "None", "selector": [WorkloadKind.service.labelKey: .string(name)],
                    "ports": [["name": .string(type), "port": .int(e.port), "targetPort": .int(e.port)]],
                ],
            ],
        ]
        if let password {
            out.append(credentials(name, type: type, scope, uid: uid, password: password, rootPassword: rootPassword))
        }
        return out
    }

    /// The credentials Secret: fresh, never copied; the password only ever on stdin.
    /// MySQL's has a second password, root's.
    public static func credentials(
        _ name: String, type: String, _ scope: WorkloadScope, uid: String, password: String,
        rootPassword: String? = nil
    ) -> JSON {
        let e = engines[type]!
        let h = host(name, scope)
        let db = database(name)
        let url: String
        switch type {
        case "redis": url = "redis://:\(password)@\(h):\(e.port)/0"
        default: url = "\(e.scheme)://\(e.user):\(password)@\(h):\(e.port)/\(db)"
        }
        var data: [String: String] = [
            "host": h, "port": String(e.port), "user": e.user, "password": password,
            "database": type == "redis" ? "0" : db, "url": url,
        ]
        if type == "mysql", let rootPassword { data["root-password"] = rootPassword }
        return [
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": meta(SecretNames.credentials(name), scope, .service, owner: name, uid: uid),
            "data": .object(data.mapValues { .string(Data($0.utf8).base64EncodedString()) }),
        ]
    }

    static func pvc(_ name: String, _ spec: VolumeSpec, _ scope: WorkloadScope, uid: String) -> JSON {
        var claim: JSON = [
            "accessModes": [.string(spec.accessMode ?? VolumeSpec.readWriteOnce)],
            "resources": ["requests": ["storage": .string(spec.size)]],
        ]
        if let c = spec.storageClass { claim["storageClassName"] = .string(c) }
        return [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": meta(name, scope, .volume, owner: name, uid: uid), "spec": claim,
        ]
    }

    static func function(_ name: String, _ spec: FunctionSpec, _ scope: WorkloadScope, uid: String) -> [JSON] {
        let port = spec.port ?? FunctionSpec.defaultPort
        var container: JSON = [
            "name": .string(name), "image": .string(spec.image),
            "ports": [["name": "http", "containerPort": .int(port)]],
        ]
        let env = envVars(spec.env)
        if !env.isEmpty { container["env"] = .array(env) }
        var podLabels = labels(scope, .function, name)
        podLabels[WorkloadKind.function.labelKey] = .string(name)
        return [
            [
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": meta(name, scope, .function, owner: name, uid: uid),
                "spec": [
                    "replicas": 1, "selector": ["matchLabels": [WorkloadKind.function.labelKey: .string(name)]],
                    "template": [
                        "metadata": ["labels": .object(podLabels)],
                        "spec": restrictedSafe(podSpec([container], scope), scope),
                    ],
                ],
            ],
            clusterService(name, port: port, scope, .function, uid: uid),
        ]
    }

    static func job(_ name: String, _ spec: JobSpec, _ scope: WorkloadScope, uid: String) -> JSON {
        var container: JSON = ["name": .string(name), "image": .string(spec.image)]
        if !spec.command.isEmpty { container["command"] = JSON.strings(spec.command) }
        let env = envVars(spec.env)
        if !env.isEmpty { container["env"] = .array(env) }
        var podLabels = labels(scope, .job, name)
        podLabels[WorkloadKind.job.labelKey] = .string(name)
        let template: JSON = [
            "metadata": ["labels": .object(podLabels)],
            "spec": restrictedSafe(podSpec([container], scope, restart: "OnFailure"), scope),
        ]
        if let schedule = spec.schedule {
            return [
                "apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta(name, scope, .job, owner: name, uid: uid),
                "spec": [
                    "schedule": .string(schedule), "concurrencyPolicy": "Forbid",
                    "jobTemplate": ["spec": ["backoffLimit": 3, "template": template]],
                ],
            ]
        }
        return [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": meta(name, scope, .job, owner: name, uid: uid),
            "spec": ["backoffLimit": 3, "template": template],
        ]
    }

    /// `kind.group/name` for kubectl (`deployment.apps/api`, `service/api`).
    public static func ref(_ o: JSON) -> String {
        let kind = (o["kind"]?.stringValue ?? "").lowercased()
        let api = o["apiVersion"]?.stringValue ?? ""
        let group = api.contains("/") ? String(api.split(separator: "/")[0]) : ""
        let name = o.at("metadata", "name")?.stringValue ?? ""
        if group.isEmpty { return "\(kind)/\(name)" }
        // A group with dots is named with its version (`ingress.v1.networking.k8s.io`):
        // kubectl reads `a.b.c` as resource.version.group first, and a miss there makes
        // it discover the whole API again.
        let version = String(api.split(separator: "/").last ?? "")
        return group.contains(".") ? "\(kind).\(version).\(group)/\(name)" : "\(kind).\(group)/\(name)"
    }

    /// Children that exist for `owner` but are no longer rendered (an Ingress after the
    /// route went, an HPA after autoscaling stopped). Secrets are never pruned here:
    /// credentials and user secrets outlive a re-render.
    public static func stale(existing: [JSON], rendered: [JSON], kind: WorkloadKind, owner: String) -> [JSON] {
        let keep = Set(rendered.map(ref))
        return existing.filter { o in
            o.at("metadata", "labels", kind.labelKey)?.stringValue == owner && o["kind"]?.stringValue != "Secret"
                && !keep.contains(ref(o))
        }
    }
}
