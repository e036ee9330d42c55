import Foundation
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

/// An error the API server answers with a `Status` object.
struct APIError: Error {
    var code: Int
    var reason: String
    var message: String
    var details: JSON? = nil

    static func notFound(_ r: ResourceInfo, _ name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(qualified(r)) \"\(name)\" not found",
            details: ["name": .string(name), "group": .string(r.group), "kind": .string(r.plural)])
    }
    /// The 409 of a failed resourceVersion precondition, in kube-apiserver's words.
    static func modified(_ r: ResourceInfo, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(qualified(r)) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: ["name": .string(name), "group": .string(r.group), "kind": .string(r.plural)])
    }
    static func badRequest(_ m: String) -> APIError { APIError(code: 400, reason: "BadRequest", message: m) }
    static func invalid(_ r: ResourceInfo, _ name: String, _ errs: [FieldError]) -> APIError {
        let body = errs.count == 1 ? errs[0].text : "[" + errs.map(\.text).joined(separator: ", ") + "]"
        let kind = r.group.isEmpty ? r.kind : "\(r.kind).\(r.group)"
        return APIError(
            code: 422, reason: "Invalid", message: "\(kind) \"\(name)\" is invalid: \(body)",
            details: [
                "name": .string(name), "group": .string(r.group), "kind": .string(r.kind),
                "causes": .array(
                    errs.map { e in
                        let msg = e.text.hasPrefix(e.path + ": ") ? String(e.text.dropFirst(e.path.count + 2)) : e.text
                        return [
                            "reason": .string(e.kind == "Required value" ? "FieldValueRequired" : "FieldValueInvalid"),
                            "message": .string(msg), "field": .string(e.path),
                        ]
                    }),
            ])
    }

    var status: JSON {
        var s: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": .string(message),
            "reason": .string(reason), "code": .int(code),
        ]
        if let details { s["details"] = details }
        return s
    }
}

func qualified(_ r: ResourceInfo) -> String { r.group.isEmpty ? r.plural : "\(r.plural).\(r.group)" }

/// A fault rule: `METHOD PATHGLOB:STATUS:MODE`, STATUS a code, `+Nms` of latency, `hang`,
/// or `race` (another field manager changes an annotation of the object the request
/// names just before it is served, so that its resourceVersion moves on, as a second
/// client writing at the same moment does); MODE `once`, `always`, `every-N` or
/// `after-N` (the first N pass, then every one fails).
public struct FaultRule: Sendable {
    public enum Action: Sendable {
        case status(Int)
        case latency(Int)
        case hang
        case race
    }
    public enum Mode: Sendable {
        case once, always
        case every(Int)
        case after(Int)
    }
    var method: String
    var glob: String
    var action: Action
    var mode: Mode
    var seen = 0
    var fired = 0

    public init(spec: String) throws {
        let bad = SandboxError.usage(
            "bad --fault '\(spec)': expected 'METHOD PATHGLOB:STATUS|+MSms|hang|race:once|always|every-N|after-N'")
        let parts = spec.split(separator: ":").map(String.init)
        guard parts.count >= 2, parts.count <= 3 else { throw bad }
        let mp = parts[0].split(separator: " ", maxSplits: 1).map(String.init)
        guard mp.count == 2 else { throw bad }
        method = mp[0].uppercased()
        glob = mp[1]
        if parts[1] == "hang" {
            action = .hang
        } else if parts[1] == "race" {
            action = .race
        } else if parts[1].hasPrefix("+"), parts[1].hasSuffix("ms"), let ms = Int(parts[1].dropFirst().dropLast(2)) {
            action = .latency(ms)
        } else if let code = Int(parts[1]), code >= 100, code < 600 {
            action = .status(code)
        } else {
            throw bad
        }
        let m = parts.count == 3 ? parts[2] : "always"
        if m == "once" {
            mode = .once
        } else if m == "always" {
            mode = .always
        } else if m.hasPrefix("every-"),
            let n = Int(m.dropFirst(6)), n > 0
        {
            mode = .every(n)
        } else if m.hasPrefix("after-"), let n = Int(m.dropFirst(6)), n >= 0 {
            mode = .after(n)
        } else {
            throw bad
        }
    }

    /// Whether this request triggers the rule (counting it).
    mutating func fires(method: String, path: String) -> Bool {
        guard self.method == "*" || self.method == method, fnmatch(glob, path, 0) == 0 else { return false }
        seen += 1
        let hit: Bool
        switch mode {
        case .once: hit = fired == 0
        case .always: hit = true
        case .every(let n): hit = seen % n == 0
        case .after(let n): hit = seen > n
        }
        if hit { fired += 1 }
        return hit
    }
}

/// The in-memory API server: discovery, OpenAPI, a generic object store with server-side
/// apply, CRDs, namespace deletion and garbage collection. One lock guards everything.
public final class APIServer: @unchecked Sendable {
    let lock = NSLock()
    var registry = Registry()
    /// storageKey -> "namespace/name" (or "name") -> object
    var objects: [String: [String: JSON]] = [:]
    var managed: [String: ManagedFields] = [:]  // by uid
    var resourceVersion = 1
    var uidCounter = 0
    var faults: [FaultRule]
    let logHandle: FileHandle?
    let logLock = NSLock()
    let now: () -> Date

    /// Uids derived from a counter instead of random bits: the same requests give the
    /// same uids, for golden files.
    let deterministic: Bool
    /// How long asynchronous work takes, and the events waiting for their time.
    var timing: Timing
    var pending: [(Date, ControllerEvent)] = []
    /// What each pod's containers printed, by namespace/name (`kubectl logs`).
    var podLogs: [String: String] = [:]
    /// What each database StatefulSet holds, by namespace/name: the last dump restored
    /// into it through exec (`FakeShell`).
    var databases: [String: Data] = [:]
    /// Recent changes, oldest first, for watches.
    var changes: [Change] = []
    /// Bearer tokens and the identity of the request being served.
    let tokens: TokenFile
    var requester = Identity.admin
    /// OpenAPI v3 documents per group-version, with their hash, for one registry generation.
    var openAPIDocs: (generation: Int, docs: [String: (hash: String, body: Data)]) = (0, [:])

    public init(
        faults: [FaultRule] = [], requestLog: String? = nil, now: @escaping () -> Date = Date.init,
        deterministic: Bool = false, timing: Timing = Timing(), tokens: TokenFile = TokenFile()
    ) {
        self.tokens = tokens
        self.deterministic = deterministic
        self.timing = timing
        self.faults = faults
        self.now = now
        if let requestLog {
            FileManager.default.createFile(atPath: requestLog, contents: nil)
            logHandle = FileHandle(forWritingAtPath: requestLog)
        } else {
            logHandle = nil
        }
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try? create(
                resource: registry.resource(groupVersion: "v1", plural: "namespaces")!, namespace: nil,
                body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]],
                manager: "kube-apiserver")
        }
        // As kind has: its network plugin, kindnet, which enforces no NetworkPolicy (nor
        // does kip-sandbox).
        if let daemonSets = registry.resource(groupVersion: "apps/v1", plural: "daemonsets") {
            let labels: JSON = ["app": "kindnet", "k8s-app": "kindnet", "tier": "node"]
            _ = try? create(
                resource: daemonSets, namespace: "kube-system",
                body: [
                    "apiVersion": "apps/v1", "kind": "DaemonSet",
                    "metadata": ["name": "kindnet", "namespace": "kube-system", "labels": labels],
                    "spec": [
                        "selector": ["matchLabels": ["app": "kindnet"]],
                        "template": [
                            "metadata": ["labels": labels],
                            "spec": [
                                "containers": [
                                    ["name": "kindnet-cni", "image": "docker.io/kindest/kindnetd:v20250512-df8de77b"]
                                ]
                            ],
                        ],
                    ],
                ],
                manager: "kubectl-create")
        }
        // As kind has: a default StorageClass, and no IngressClass.
        if let classes = registry.resource(groupVersion: "storage.k8s.io/v1", plural: "storageclasses") {
            _ = try? create(
                resource: classes, namespace: nil,
                body: [
                    "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                    "metadata": [
                        "name": "standard", "annotations": ["storageclass.kubernetes.io/is-default-class": "true"],
                    ],
                    "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete",
                    "volumeBindingMode": "WaitForFirstConsumer",
                ],
                manager: "kube-apiserver")
        }
        let clusterRoles = registry.resource(groupVersion: "rbac.authorization.k8s.io/v1", plural: "clusterroles")!
        for role in Self.defaultClusterRoles {
            _ = try? create(resource: clusterRoles, namespace: nil, body: role, manager: "kube-apiserver")
        }
        if timing.namespaceDelay > 0 || timing.gcDelay > 0 || timing.crdDelay > 0 || timing.rolloutDelay > 0 {
            startControllers()
        }
    }

    /// Runs `body` holding the server's one lock: every request, and every in-process
    /// call, is one critical section, so no write can slip in between a read and the
    /// write that depends on it.
    public func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// One request's critical section: the control plane's due work first, then the
    /// request, then whatever it made due at once.
    func serving<T>(as who: Identity = .admin, _ body: () throws -> T) rethrows -> T {
        try locked {
            requester = who
            runDue()
            defer { runDue() }
            return try body()
        }
    }

    // MARK: HTTP entry point

    public func handle(_ req: HTTPRequest) -> HTTPResponse {
        let start = Date()
        var resp: HTTPResponse
        defer { log(req, resp, start) }
        if timing.latency > 0 { usleep(useconds_t(timing.latency * 1_000_000)) }
        let who: Identity
        do { who = try locked { try authenticate(req) } } catch let e as APIError {
            resp = HTTPResponse(status: e.code, body: e.status.data)
            return resp
        } catch {
            resp = HTTPResponse(status: 500, body: Data())
            return resp
        }
        if let fault = locked({ fault(for: req) }) {
            switch fault {
            case .race:
                serving { raceWrite(req.path) }
                resp = serving(as: who) { route(req) }
            case .latency(let ms):
                usleep(useconds_t(ms * 1000))
                resp = serving(as: who) { route(req) }
            case .hang:
                // Accepts the request and never answers (until the client gives up and
                // closes the connection, or an hour passes).
                sleep(3600)
                resp = HTTPResponse(status: 504, body: Data())
            case .status(let code) where code == 422:
                // As the API server words a refused object: `<resource> "<name>" is invalid: …`.
                let segs = req.path.split(separator: "/")
                let what = segs.count >= 2 ? "\(segs[segs.count - 2]) \"\(segs[segs.count - 1])\"" : req.path
                let e = APIError(
                    code: 422, reason: "Invalid",
                    message: "\(what) is invalid: spec: Invalid value: kip-sandbox: injected fault for \(req.method)")
                resp = HTTPResponse(status: code, body: e.status.data)
            case .status(let code):
                let e = APIError(
                    code: code, reason: code == 409 ? "Conflict" : (code == 429 ? "TooManyRequests" : "InternalError"),
                    message: "kip-sandbox: injected fault for \(req.method) \(req.path)")
                resp = HTTPResponse(status: code, body: e.status.data)
            }
        } else if req.method == "GET", ["true", "1"].contains(req.query["watch"] ?? "") {
            resp = watch(req, as: who)
        } else {
            resp = serving(as: who) { route(req) }
        }
        return resp
    }

    private func log(_ req: HTTPRequest, _ resp: HTTPResponse, _ start: Date) {
        if let logHandle {
            let line: JSON = [
                "method": .string(req.method), "path": .string(req.path), "query": .string(req.rawQuery),
                "status": .int(resp.status),
                "durationMs": .double((Date().timeIntervalSince(start) * 1000).rounded() / 1),
                "userAgent": .string(req.headers["user-agent"] ?? ""),
            ]
            logLock.lock()
            logHandle.write(Data((line.serialized() + "\n").utf8))
            logLock.unlock()
        }
    }

    func fault(for req: HTTPRequest) -> FaultRule.Action? {
        for i in faults.indices where faults[i].fires(method: req.method, path: req.path) { return faults[i].action }
        return nil
    }

    /// The `race` fault's other writer: an annotation `kip-sandbox/race` counted up on the
    /// object `path` names, under the field manager `race-writer`. Nothing when the
    /// object does not exist (yet).
    func raceWrite(_ path: String) {
        let segs = path.split(separator: "/").map(String.init)
        let (gv, rest): (String, [String])
        if segs.first == "api", segs.count > 2 {
            (gv, rest) = (segs[1], Array(segs.dropFirst(2)))
        } else if segs.first == "apis", segs.count > 3 {
            (gv, rest) = (segs[1] + "/" + segs[2], Array(segs.dropFirst(3)))
        } else {
            return
        }
        guard let t = try? resolve(gv: gv, rest: rest), let name = t.name, t.subresource == nil,
            let old = try? get(t.resource, namespace: t.namespace, name: name)
        else { return }
        let n = (Int(old.at("metadata", "annotations", Self.raceAnnotation)?.stringValue ?? "") ?? 0) + 1
        // As `kubectl annotate` sends it: a merge patch, no precondition.
        _ = try? patch(
            t.resource, namespace: t.namespace, name: name,
            patch: ["metadata": ["annotations": [Self.raceAnnotation: .string(String(n))]]], manager: "race-writer",
            strict: false)
    }

    public static let raceAnnotation = "kip-sandbox/race"

    func json(_ v: JSON, _ status: Int = 200) -> HTTPResponse { HTTPResponse(status: status, body: v.data) }

    func route(_ req: HTTPRequest) -> HTTPResponse {
        let segs = req.path.split(separator: "/").map(String.init)
        do {
            switch segs.first {
            case "version":
                return json([
                    "major": "1", "minor": "33", "gitVersion": "v1.33.1", "gitCommit": "kip-sandbox",
                    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24.0",
                    "compiler": "gc", "platform": "linux/amd64", "emulationMajor": "1", "emulationMinor": "33",
                    "minCompatibilityMajor": "1", "minCompatibilityMinor": "32",
                ])
            case "kip-sandbox" where segs.count == 2 && segs[1] == "faults" && req.method == "POST":
                // Tests add a fault while the sandbox runs: one sandbox set up once, then
                // one fault per case.
                let spec = String(decoding: req.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                do { faults.append(try FaultRule(spec: spec)) } catch {
                    throw APIError.badRequest("\(error)")
                }
                return json(["kind": "Status", "status": "Success", "message": .string(spec)], 201)
            case "healthz", "readyz", "livez":
                return HTTPResponse(status: 200, contentType: "text/plain", body: Data("ok".utf8))
            case "openapi":
                return try openAPI(segs, req)
            case "api":
                if segs.count == 1 {
                    if let r = aggregatedDiscovery(core: true, req) { return r }
                    return json([
                        "kind": "APIVersions", "versions": ["v1"],
                        "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"]],
                    ])
                }
                return try resourceRequest(req, gv: segs[1], rest: Array(segs.dropFirst(2)))
            case "apis":
                if segs.count == 1 { return aggregatedDiscovery(core: false, req) ?? json(groupList()) }
                if segs.count == 2 {
                    guard let g = group(segs[1]) else {
                        throw APIError(
                            code: 404, reason: "NotFound", message: "the server could not find the requested resource")
                    }
                    return json(g)
                }
                return try resourceRequest(req, gv: segs[1] + "/" + segs[2], rest: Array(segs.dropFirst(3)))
            default:
                throw APIError(
                    code: 404, reason: "NotFound", message: "the server could not find the requested resource")
            }
        } catch let e as APIError {
            return json(e.status, e.code)
        } catch {
            return json(APIError(code: 500, reason: "InternalError", message: "\(error)").status, 500)
        }
    }
}
