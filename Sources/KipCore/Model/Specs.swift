/// The specs of kip's workload CRs as Swift values. Each is decoded from and encoded to
/// its CR's `spec` here and nowhere else; defaults are declared once, on the type, and
/// the parser's help, the renderer and the diff read them from there.
public protocol WorkloadSpec: Equatable, Sendable {
    static var kind: WorkloadKind { get }
    init(json: JSON)
    /// The CR's `spec`, with unset optional fields and empty lists left out.
    var json: JSON { get }
    /// The same spec with every default spelled out: what the renderer uses, and what
    /// two specs are compared on.
    var resolved: Self { get }
}

public struct EnvVar: Equatable, Sendable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public static func list(_ j: JSON?) -> [EnvVar] {
        (j?.arrayValue ?? []).map { EnvVar(name: $0["name"]?.stringValue ?? "", value: $0["value"]?.stringValue ?? "") }
    }
    public static func json(_ l: [EnvVar]) -> JSON {
        .array(l.map { ["name": .string($0.name), "value": .string($0.value)] })
    }
}

public struct Resources: Equatable, Sendable {
    public var cpuRequest: String?
    public var cpuLimit: String?
    public var memoryRequest: String?
    public var memoryLimit: String?
    public init(
        cpuRequest: String? = nil, cpuLimit: String? = nil, memoryRequest: String? = nil, memoryLimit: String? = nil
    ) {
        self.cpuRequest = cpuRequest
        self.cpuLimit = cpuLimit
        self.memoryRequest = memoryRequest
        self.memoryLimit = memoryLimit
    }

    /// Sets the field named as in `fields`.
    public mutating func set(_ field: String, _ value: String?) {
        switch field {
        case "cpuRequest": cpuRequest = value
        case "cpuLimit": cpuLimit = value
        case "memoryRequest": memoryRequest = value
        case "memoryLimit": memoryLimit = value
        default: break
        }
    }

    /// Field name in the CR, value; in that order everywhere kip prints them.
    public var fields: [(String, String?)] {
        [
            ("cpuRequest", cpuRequest), ("cpuLimit", cpuLimit), ("memoryRequest", memoryRequest),
            ("memoryLimit", memoryLimit),
        ]
    }
    public var isEmpty: Bool { fields.allSatisfy { $0.1 == nil } }

    /// A request above its limit (the API server refuses it): which resource, and the two.
    public var overLimit: (resource: String, request: String, limit: String)? {
        for (rq, lm, what) in [(cpuRequest, cpuLimit, "cpu"), (memoryRequest, memoryLimit, "memory")] {
            if let rq, let lm, let a = Quantity.value(rq), let b = Quantity.value(lm), a > b { return (what, rq, lm) }
        }
        return nil
    }

    init(json j: JSON?) {
        let m = j?.stringMap ?? [:]
        self.init(
            cpuRequest: m["cpuRequest"], cpuLimit: m["cpuLimit"], memoryRequest: m["memoryRequest"],
            memoryLimit: m["memoryLimit"])
    }
    var json: JSON {
        .object(Dictionary(uniqueKeysWithValues: fields.compactMap { k, v in v.map { (k, JSON.string($0)) } }))
    }
}

public struct Autoscale: Equatable, Sendable {
    public static let defaultCPUPercent = 80
    public var min: Int
    public var max: Int
    public var cpuPercent: Int?
    public init(min: Int, max: Int, cpuPercent: Int? = nil) {
        self.min = min
        self.max = max
        self.cpuPercent = cpuPercent
    }
    public var targetCPUPercent: Int { cpuPercent ?? Self.defaultCPUPercent }

    init?(json j: JSON?) {
        guard let j, !j.isNull else { return nil }
        self.init(min: j["min"]?.intValue ?? 1, max: j["max"]?.intValue ?? 1, cpuPercent: j["cpuPercent"]?.intValue)
    }
    var json: JSON {
        var a: JSON = ["min": .int(min), "max": .int(max)]
        if let cpuPercent { a["cpuPercent"] = .int(cpuPercent) }
        return a
    }
}

/// An app's binding to a service: the service's credentials as `PREFIX_URL`, `PREFIX_HOST`, ….
public struct Binding: Equatable, Sendable {
    public static let defaultPrefix = "DATABASE"
    public var service: String
    public var prefix: String
    public init(service: String, prefix: String) {
        self.service = service
        self.prefix = prefix
    }
    /// The prefix a binding gets when none is given: REDIS for redis, else DATABASE.
    public static func defaultPrefix(forType type: String?) -> String { type == "redis" ? "REDIS" : defaultPrefix }
}

public struct Mount: Equatable, Sendable {
    public var volume: String
    public var path: String
    /// The volume's access mode, copied from it when mounted: nil for ReadWriteOnce (one
    /// node at a time), `ReadWriteMany` for a volume every replica may mount.
    public var accessMode: String?
    public init(volume: String, path: String, accessMode: String? = nil) {
        self.volume = volume
        self.path = path
        self.accessMode = accessMode
    }
    public var isShared: Bool { accessMode == VolumeSpec.readWriteMany }
}

public struct AppSpec: WorkloadSpec {
    public static let kind = WorkloadKind.app
    public static let defaultReplicas = 1
    /// The CPU request an autoscaled app gets when none is given.
    public static let defaultCPURequest = "100m"

    /// What the spec sets beyond its image and port, one entry each, in words (`env LOG`,
    /// `binding db`, `mount data:/data`): what `deploy --reset` says it drops.
    public var describedEntries: [String] {
        var out =
            env.map { "env \($0.name)" } + bindings.map { "binding \($0.service)" }
            + volumes.map { "mount \($0.volume):\($0.path)" }
        out += resources.fields.compactMap { k, v in v.map { "\(k) \($0)" } }
        if let autoscale { out.append("autoscaling \(autoscale.min):\(autoscale.max)") }
        if let replicas { out.append("replicas \(replicas)") }
        if let route { out.append("route \(route)") }
        return out
    }

    public var image: String
    public var port: Int?
    public var replicas: Int?
    public var env: [EnvVar] = []
    public var resources = Resources()
    public var autoscale: Autoscale?
    /// The public hostname, when the app has a route.
    public var route: String?
    public var bindings: [Binding] = []
    public var volumes: [Mount] = []
    /// The keys of the app's secret (`kip app secret set`), names only: a key named like
    /// a binding's variable overrides it.
    public var secretEnv: [String] = []
    /// `runAsNonRoot` for the app's pods; nil leaves it to the image.
    public var runAsNonRoot: Bool?
    /// true for the hardened container defaults (no privilege escalation, every
    /// capability dropped, the runtime's seccomp profile): new apps in `restricted`
    /// environments and `--security-defaults`. false or nil: what the image does (as
    /// under `baseline`), so that images that chown or switch user at start keep running.
    /// An App without it that runs already keeps the context it runs with (see
    /// `Workloads.keepingSecurity`).
    public var securityDefaults: Bool?
    /// `runAsUser` for the app's container (`--run-as-user`).
    public var runAsUser: Int?

    public init(image: String, port: Int? = nil) {
        self.image = image
        self.port = port
    }

    public init(json j: JSON) {
        image = j["image"]?.stringValue ?? ""
        port = j["port"]?.intValue
        replicas = j["replicas"]?.intValue
        env = EnvVar.list(j["env"])
        resources = Resources(json: j["resources"])
        autoscale = Autoscale(json: j["autoscale"])
        route = j.at("route", "host")?.stringValue
        bindings = (j["bindings"]?.arrayValue ?? []).map {
            Binding(
                service: $0["service"]?.stringValue ?? "", prefix: $0["prefix"]?.stringValue ?? Binding.defaultPrefix)
        }
        volumes = (j["volumes"]?.arrayValue ?? []).map {
            Mount(
                volume: $0["volume"]?.stringValue ?? "", path: $0["path"]?.stringValue ?? "",
                accessMode: $0["accessMode"]?.stringValue)
        }
        secretEnv = (j["secretEnv"]?.arrayValue ?? []).compactMap(\.stringValue)
        runAsNonRoot = j["runAsNonRoot"]?.boolValue
        securityDefaults = j["securityDefaults"]?.boolValue
        runAsUser = j["runAsUser"]?.intValue
    }

    public var json: JSON {
        var s: JSON = ["image": .string(image)]
        if let port { s["port"] = .int(port) }
        if let replicas { s["replicas"] = .int(replicas) }
        if !env.isEmpty { s["env"] = EnvVar.json(env) }
        if !resources.isEmpty { s["resources"] = resources.json }
        if let autoscale { s["autoscale"] = autoscale.json }
        if let route { s["route"] = ["host": .string(route)] }
        if !bindings.isEmpty {
            s["bindings"] = .array(bindings.map { ["service": .string($0.service), "prefix": .string($0.prefix)] })
        }
        if !volumes.isEmpty {
            s["volumes"] = .array(
                volumes.map { m in
                    var o: JSON = ["volume": .string(m.volume), "path": .string(m.path)]
                    if let a = m.accessMode { o["accessMode"] = .string(a) }
                    return o
                })
        }
        if !secretEnv.isEmpty { s["secretEnv"] = JSON.strings(secretEnv.sorted()) }
        if let runAsNonRoot { s["runAsNonRoot"] = .bool(runAsNonRoot) }
        if let securityDefaults { s["securityDefaults"] = .bool(securityDefaults) }
        if let runAsUser { s["runAsUser"] = .int(runAsUser) }
        return s
    }

    /// The variables a binding would give that the user set explicitly, as an env var
    /// or a secret: those win, and the binding's are left out (one entry per name).
    public var overridden: Set<String> {
        let given = Set(env.map(\.name)).union(secretEnv)
        return Set(bindings.flatMap { b in Workloads.bindingKeys.map { "\(b.prefix)_\($0.suffix)" } })
            .intersection(given)
    }

    /// Mounts of ReadWriteOnce volumes: a volume one node at a time can attach.
    public var exclusiveMounts: [Mount] { volumes.filter { !$0.isShared } }

    /// Why Kubernetes could not run this spec as asked, or nil: more than one replica (or
    /// an autoscaler) on a ReadWriteOnce volume, which a second node cannot attach.
    public var problem: String? {
        guard let m = exclusiveMounts.first else { return nil }
        let many = autoscale != nil || (replicas ?? Self.defaultReplicas) > 1
        guard many else { return nil }
        let what = autoscale != nil ? "autoscaling" : "\(replicas ?? 1) replicas"
        return
            "\(what) with volume \(m.volume) mounted: a ReadWriteOnce volume attaches to one node, so only one replica can run; use one replica, or a volume added with --access-mode ReadWriteMany"
    }

    public var resolved: AppSpec {
        var s = self
        if autoscale == nil { s.replicas = replicas ?? Self.defaultReplicas }
        if var a = s.autoscale {
            a.cpuPercent = a.targetCPUPercent
            s.autoscale = a
        }
        return s
    }

    /// How the replica count reads in tables: `2-5` when autoscaled.
    public var replicaText: String {
        autoscale.map { "\($0.min)-\($0.max)" } ?? String(replicas ?? Self.defaultReplicas)
    }
}

public struct ServiceSpec: WorkloadSpec {
    public static let kind = WorkloadKind.service
    public static let defaultStorage = "1Gi"

    public var type: String
    public var version: String?
    public var storage: String?
    /// The StorageClass of its data volume, fixed when the service is created (nil: the
    /// cluster's default class).
    public var storageClass: String?

    public init(type: String, version: String? = nil, storage: String? = nil, storageClass: String? = nil) {
        self.type = type
        self.version = version
        self.storage = storage
        self.storageClass = storageClass
    }

    public init(json j: JSON) {
        // A CR written by hand may leave the version out, or leave it empty: both mean
        // the engine's default (an empty tag would render `postgres:`).
        self.init(
            type: j["type"]?.stringValue ?? "postgres",
            version: j["version"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            storage: j["storage"]?.stringValue, storageClass: j["storageClass"]?.stringValue)
    }

    public var json: JSON {
        var s: JSON = ["type": .string(type)]
        if let version { s["version"] = .string(version) }
        if let storage { s["storage"] = .string(storage) }
        if let storageClass { s["storageClass"] = .string(storageClass) }
        return s
    }

    public var resolved: ServiceSpec {
        ServiceSpec(
            type: type, version: version ?? Workloads.engines[type]?.defaultVersion,
            storage: storage ?? Self.defaultStorage, storageClass: storageClass)
    }

    /// The major version: what comes before the first dot (`16` of `16.4`, `8` of `8.4`).
    public static func major(_ version: String) -> String {
        String(version.split(separator: ".", maxSplits: 1).first ?? "")
    }

    /// Whether version `a` comes before `b`, number by number (`15` < `16`, `8.0` < `8.4`);
    /// false when either is not numbers.
    public static func isOlder(_ a: String, than b: String) -> Bool {
        let x = a.split(separator: ".").map { Int($0) }
        let y = b.split(separator: ".").map { Int($0) }
        guard !x.contains(nil), !y.contains(nil) else { return false }
        for (p, q) in zip(x, y) where p != q { return p! < q! }
        return false
    }
}

public struct VolumeSpec: WorkloadSpec {
    public static let kind = WorkloadKind.volume
    public static let defaultSize = "1Gi"
    public static let readWriteOnce = "ReadWriteOnce"
    public static let readWriteMany = "ReadWriteMany"
    public static let accessModes = [readWriteOnce, readWriteMany]

    public var size: String
    /// nil: ReadWriteOnce.
    public var accessMode: String?
    /// nil: the cluster's default StorageClass.
    public var storageClass: String?
    public init(size: String, accessMode: String? = nil, storageClass: String? = nil) {
        self.size = size
        self.accessMode = accessMode
        self.storageClass = storageClass
    }
    public init(json j: JSON) {
        self.init(
            size: j["size"]?.stringValue ?? Self.defaultSize, accessMode: j["accessMode"]?.stringValue,
            storageClass: j["storageClass"]?.stringValue)
    }
    public var json: JSON {
        var s: JSON = ["size": .string(size)]
        if let accessMode { s["accessMode"] = .string(accessMode) }
        if let storageClass { s["storageClass"] = .string(storageClass) }
        return s
    }
    public var resolved: VolumeSpec { self }
    /// The access mode a mount of this volume records (nil for ReadWriteOnce).
    public var mountMode: String? { accessMode == Self.readWriteMany ? Self.readWriteMany : nil }
}

public struct FunctionSpec: WorkloadSpec {
    public static let kind = WorkloadKind.function
    public static let defaultPort = 8080

    public var image: String
    public var port: Int?
    public var env: [EnvVar] = []

    public init(image: String, port: Int? = nil, env: [EnvVar] = []) {
        self.image = image
        self.port = port
        self.env = env
    }
    public init(json j: JSON) {
        self.init(image: j["image"]?.stringValue ?? "", port: j["port"]?.intValue, env: EnvVar.list(j["env"]))
    }
    public var json: JSON {
        var s: JSON = ["image": .string(image)]
        if let port { s["port"] = .int(port) }
        if !env.isEmpty { s["env"] = EnvVar.json(env) }
        return s
    }
    public var resolved: FunctionSpec { FunctionSpec(image: image, port: port ?? Self.defaultPort, env: env) }
}

public struct JobSpec: WorkloadSpec {
    public static let kind = WorkloadKind.job

    public var image: String
    /// A cron schedule; nil for a one-off Job.
    public var schedule: String?
    public var command: [String] = []
    public var env: [EnvVar] = []

    public init(image: String, schedule: String? = nil, command: [String] = [], env: [EnvVar] = []) {
        self.image = image
        self.schedule = schedule
        self.command = command
        self.env = env
    }
    public init(json j: JSON) {
        self.init(
            image: j["image"]?.stringValue ?? "", schedule: j["schedule"]?.stringValue,
            command: (j["command"]?.arrayValue ?? []).compactMap(\.stringValue), env: EnvVar.list(j["env"]))
    }
    public var json: JSON {
        var s: JSON = ["image": .string(image)]
        if let schedule { s["schedule"] = .string(schedule) }
        if !command.isEmpty { s["command"] = JSON.strings(command) }
        if !env.isEmpty { s["env"] = EnvVar.json(env) }
        return s
    }
    public var resolved: JobSpec { self }
}

extension WorkloadKind {
    /// The typed spec of a CR of this kind, resolved (defaults filled), as JSON: what diff
    /// compares and the renderer reads.
    public func resolvedSpec(_ spec: JSON) -> JSON {
        switch self {
        case .app: return AppSpec(json: spec).resolved.json
        case .service: return ServiceSpec(json: spec).resolved.json
        case .volume: return VolumeSpec(json: spec).resolved.json
        case .function: return FunctionSpec(json: spec).resolved.json
        case .job: return JobSpec(json: spec).resolved.json
        }
    }
}
