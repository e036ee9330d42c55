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

/// A fault rule: `METHOD PATHGLOB:STATUS:MODE`, STATUS a code or `+Nms` of latency,
/// MODE `once`, `always`, `every-N` or `after-N` (the first N pass, then every one fails).
public struct FaultRule: Sendable {
    public enum Action: Sendable {
        case status(Int)
        case latency(Int)
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
            "bad --fault '\(spec)': expected 'METHOD PATHGLOB:STATUS|+MSms:once|always|every-N|after-N'")
        let parts = spec.split(separator: ":").map(String.init)
        guard parts.count >= 2, parts.count <= 3 else { throw bad }
        let mp = parts[0].split(separator: " ", maxSplits: 1).map(String.init)
        guard mp.count == 2 else { throw bad }
        method = mp[0].uppercased()
        glob = mp[1]
        if parts[1].hasPrefix("+"), parts[1].hasSuffix("ms"), let ms = Int(parts[1].dropFirst().dropLast(2)) {
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
    private let lock = NSLock()
    private var registry = Registry()
    /// storageKey -> "namespace/name" (or "name") -> object
    private var objects: [String: [String: JSON]] = [:]
    private var managed: [String: ManagedFields] = [:]  // by uid
    private var resourceVersion = 1
    private var uidCounter = 0
    private var faults: [FaultRule]
    private let logHandle: FileHandle?
    private let logLock = NSLock()
    private let now: () -> Date

    /// Uids derived from a counter instead of random bits: the same requests give the
    /// same uids, for golden files.
    private let deterministic: Bool

    public init(
        faults: [FaultRule] = [], requestLog: String? = nil, now: @escaping () -> Date = Date.init,
        deterministic: Bool = false
    ) {
        self.deterministic = deterministic
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
    }

    /// Reads the discovery registry under the lock.
    func withRegistry<T>(_ body: (Registry) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(registry)
    }

    // MARK: HTTP entry point

    public func handle(_ req: HTTPRequest) -> HTTPResponse {
        let start = Date()
        var resp: HTTPResponse
        if let fault = fault(for: req) {
            switch fault {
            case .latency(let ms):
                usleep(useconds_t(ms * 1000))
                resp = route(req)
            case .status(let code):
                let e = APIError(
                    code: code, reason: code == 409 ? "Conflict" : (code == 429 ? "TooManyRequests" : "InternalError"),
                    message: "kip-sandbox: injected fault for \(req.method) \(req.path)")
                resp = HTTPResponse(status: code, body: e.status.data)
            }
        } else {
            resp = route(req)
        }
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
        return resp
    }

    private func fault(for req: HTTPRequest) -> FaultRule.Action? {
        lock.lock()
        defer { lock.unlock() }
        for i in faults.indices where faults[i].fires(method: req.method, path: req.path) { return faults[i].action }
        return nil
    }

    private func json(_ v: JSON, _ status: Int = 200) -> HTTPResponse { HTTPResponse(status: status, body: v.data) }

    private func route(_ req: HTTPRequest) -> HTTPResponse {
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
            case "healthz", "readyz", "livez":
                return HTTPResponse(status: 200, contentType: "text/plain", body: Data("ok".utf8))
            case "openapi":
                return try openAPI(segs)
            case "api":
                if segs.count == 1 {
                    return json([
                        "kind": "APIVersions", "versions": ["v1"],
                        "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"]],
                    ])
                }
                return try resourceRequest(req, gv: segs[1], rest: Array(segs.dropFirst(2)))
            case "apis":
                if segs.count == 1 { return json(groupList()) }
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

    // MARK: Discovery

    private func groupDoc(_ g: String, versions: [String]) -> JSON {
        let vs: [JSON] = versions.map { ["groupVersion": .string("\(g)/\($0)"), "version": .string($0)] }
        return [
            "name": .string(g), "versions": .array(vs), "preferredVersion": vs.first ?? .null,
        ]
    }

    private func groupList() -> JSON {
        lock.lock()
        defer { lock.unlock() }
        return [
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": .array(registry.groups.map { groupDoc($0, versions: registry.versions(ofGroup: $0)) }),
        ]
    }

    private func group(_ g: String) -> JSON? {
        lock.lock()
        defer { lock.unlock() }
        let vs = registry.versions(ofGroup: g)
        if vs.isEmpty { return nil }
        var d = groupDoc(g, versions: vs)
        d["kind"] = "APIGroup"
        d["apiVersion"] = "v1"
        return d
    }

    private func resourceList(_ gv: String) -> JSON? {
        lock.lock()
        defer { lock.unlock() }
        guard let rs = registry.resources(groupVersion: gv) else { return nil }
        var items = rs.map(\.discoveryJSON)
        items.append(contentsOf: registry.subresources[gv] ?? [])
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(gv), "resources": .array(items)]
    }

    // MARK: OpenAPI v3

    private func gvPath(_ gv: String) -> String { gv.contains("/") ? "apis/\(gv)" : "api/\(gv)" }

    private func openAPI(_ segs: [String]) throws -> HTTPResponse {
        guard segs.count >= 2, segs[1] == "v3" else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        lock.lock()
        defer { lock.unlock() }
        if segs.count == 2 {
            var paths: [String: JSON] = [:]
            for (gv, _) in registry.groupVersions {
                paths[gvPath(gv)] = [
                    "serverRelativeURL": .string("/openapi/v3/\(gvPath(gv))?hash=G\(registry.generation)")
                ]
            }
            return json(["paths": .object(paths)])
        }
        let rest = segs.dropFirst(2)
        let gv = rest.first == "api" ? rest.dropFirst().joined(separator: "/") : rest.dropFirst().joined(separator: "/")
        guard let rs = registry.resources(groupVersion: gv) else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        var paths: [String: JSON] = [:]
        var schemas: [String: JSON] = [:]
        let param: JSON = [
            "name": "fieldValidation", "in": "query", "schema": ["type": "string"],
            "description":
                "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.",
        ]
        for r in rs {
            let base = "/" + gvPath(gv) + (r.namespaced ? "/namespaces/{namespace}/" : "/") + r.plural + "/{name}"
            let gvk: JSON = ["group": .string(r.group), "version": .string(r.version), "kind": .string(r.kind)]
            let ref = "\(r.group.isEmpty ? "io.k8s.api.core" : r.group).\(r.version).\(r.kind)"
            let op: JSON = [
                "x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch",
                "operationId": .string("patch\(r.kind)"),
                "parameters": [param, ["name": "fieldManager", "in": "query", "schema": ["type": "string"]]],
                "responses": [
                    "200": [
                        "description": "OK",
                        "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(ref)")]]],
                    ]
                ],
            ]
            paths[base] = ["patch": op]
            var schema = r.schema ?? ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
            schema["x-kubernetes-group-version-kind"] = [gvk]
            schemas[ref] = schema
        }
        return json([
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.33.1"], "paths": .object(paths),
            "components": ["schemas": .object(schemas)],
        ])
    }

    // MARK: Resources

    private struct Target {
        var resource: ResourceInfo
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    private func resolve(gv: String, rest: [String]) throws -> Target {
        let notFound = APIError(
            code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        lock.lock()
        defer { lock.unlock() }
        guard !rest.isEmpty else { throw notFound }
        if rest[0] == "namespaces", rest.count >= 3, let r = registry.resource(groupVersion: gv, plural: rest[2]),
            r.namespaced
        {
            return Target(
                resource: r, namespace: rest[1], name: rest.count > 3 ? rest[3] : nil,
                subresource: rest.count > 4 ? rest[4] : nil)
        }
        guard let r = registry.resource(groupVersion: gv, plural: rest[0]) else { throw notFound }
        if rest.count >= 2 && r.namespaced { throw notFound }
        return Target(
            resource: r, namespace: nil, name: rest.count > 1 ? rest[1] : nil,
            subresource: rest.count > 2 ? rest[2] : nil)
    }

    private func resourceRequest(_ req: HTTPRequest, gv: String, rest: [String]) throws -> HTTPResponse {
        if rest.isEmpty {
            guard req.method == "GET", let list = resourceList(gv) else {
                throw APIError(
                    code: 404, reason: "NotFound", message: "the server could not find the requested resource")
            }
            return json(list)
        }
        let t = try resolve(gv: gv, rest: rest)
        let r = t.resource
        let manager = req.query["fieldManager"] ?? userAgentManager(req.headers["user-agent"])
        switch (req.method, t.name) {
        case ("GET", nil):
            if req.query["watch"] == "true" || req.query["watch"] == "1" {
                // No controllers change objects behind a client's back: a watch has nothing to say.
                return json([
                    "type": "BOOKMARK",
                    "object": [
                        "kind": .string(r.kind), "apiVersion": .string(r.groupVersion),
                        "metadata": ["resourceVersion": .string(String(resourceVersion))],
                    ],
                ])
            }
            let items = try list(
                r, namespace: t.namespace, labelSelector: req.query["labelSelector"],
                fieldSelector: req.query["fieldSelector"])
            return json(
                render(list: items, r, accept: req.headers["accept"] ?? "", includeObject: req.query["includeObject"]))
        case ("GET", let name?):
            let obj = try get(r, namespace: t.namespace, name: name)
            return json(
                render(object: obj, r, accept: req.headers["accept"] ?? "", includeObject: req.query["includeObject"]))
        case ("POST", nil):
            let body = try parseBody(req)
            let strict = req.query["fieldValidation"] == "Strict"
            return json(
                try create(
                    resource: r, namespace: t.namespace, body: body, manager: manager, strict: strict,
                    dryRun: req.query["dryRun"] != nil), 201)
        case ("PUT", let name?):
            let body = try parseBody(req)
            return json(
                try update(
                    r, namespace: t.namespace, name: name, body: body, manager: manager,
                    strict: req.query["fieldValidation"] == "Strict"))
        case ("PATCH", let name?):
            let body = try parseBody(req)
            let ct = (req.headers["content-type"] ?? "").split(separator: ";").first.map(String.init) ?? ""
            let strict = req.query["fieldValidation"] == "Strict"
            switch ct {
            case "application/apply-patch+yaml", "application/apply-patch+cbor":
                guard req.query["fieldManager"] != nil else {
                    throw APIError.badRequest(
                        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
                    )
                }
                let (obj, created) = try apply(
                    r, namespace: t.namespace, name: name, config: body, manager: manager,
                    force: req.query["force"] == "true", strict: strict, dryRun: req.query["dryRun"] != nil)
                return json(obj, created ? 201 : 200)
            case "application/merge-patch+json", "application/strategic-merge-patch+json":
                return json(
                    try patch(r, namespace: t.namespace, name: name, patch: body, manager: manager, strict: strict))
            default:
                throw APIError(
                    code: 415, reason: "UnsupportedMediaType",
                    message:
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                )
            }
        case ("DELETE", let name?):
            var policy = req.query["propagationPolicy"]
            if policy == nil, !req.body.isEmpty, let b = try? JSON.parse(req.body) {
                policy = b["propagationPolicy"]?.stringValue
            }
            if req.query["orphanDependents"] == "true" { policy = "Orphan" }
            return json(try delete(r, namespace: t.namespace, name: name, policy: policy ?? "Background"))
        case ("DELETE", nil):
            let items = try list(
                r, namespace: t.namespace, labelSelector: req.query["labelSelector"],
                fieldSelector: req.query["fieldSelector"])
            for i in items {
                _ = try? delete(
                    r, namespace: i.at("metadata", "namespace")?.stringValue,
                    name: i.at("metadata", "name")?.stringValue ?? "", policy: "Background")
            }
            return json(listDoc(items, r))
        default:
            throw APIError(
                code: 405, reason: "MethodNotAllowed",
                message: "the server does not allow this method on the requested resource")
        }
    }

    private func userAgentManager(_ ua: String?) -> String {
        guard let ua, let first = ua.split(separator: "/").first else { return "unknown" }
        return String(first)
    }

    private func parseBody(_ req: HTTPRequest) throws -> JSON {
        if (req.headers["content-type"] ?? "").contains("protobuf") {
            throw APIError(
                code: 415, reason: "UnsupportedMediaType",
                message: "kip-sandbox speaks JSON only, not application/vnd.kubernetes.protobuf")
        }
        do {
            let trimmed = String(decoding: req.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.hasPrefix("{") { return try JSON.parse(req.body) }
            return try MiniYAML.parse(trimmed)
        } catch {
            throw APIError.badRequest("the body of the request could not be decoded: \(error)")
        }
    }

    // MARK: Store operations (each takes the lock)

    private func key(_ ns: String?, _ name: String) -> String { ns.map { "\($0)/\(name)" } ?? name }

    private func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: now())
    }

    private func nextUID() -> String {
        uidCounter += 1
        let r = deterministic ? UInt64(uidCounter) &* 0x9E37_79B9_7F4A_7C15 : UInt64.random(in: 0...UInt64.max)
        return String(
            format: "%08x-%04x-4%03x-8%03x-%012llx", uidCounter, Int(r & 0xffff), Int((r >> 16) & 0xfff),
            Int((r >> 28) & 0xfff), (r >> 40) | UInt64(uidCounter))
    }

    private func namespaceExists(_ ns: String) -> Bool { objects["/namespaces"]?[ns] != nil }

    private func checkNamespace(_ r: ResourceInfo, _ ns: String?) throws {
        guard r.namespaced, let ns else { return }
        if !namespaceExists(ns) {
            throw APIError(
                code: 404, reason: "NotFound", message: "namespaces \"\(ns)\" not found",
                details: ["name": .string(ns), "kind": "namespaces"])
        }
    }

    /// Brings a body into shape: kind and apiVersion, namespace filled in, `stringData`
    /// folded, schema applied; throws what the API server would answer.
    private func prepare(_ body: JSON, _ r: ResourceInfo, namespace: String?, name: String?, strict: Bool) throws
        -> JSON
    {
        var o = body
        guard case .object = o else { throw APIError.badRequest("the body of the request must be an object") }
        if let k = o["kind"]?.stringValue, k != r.kind {
            throw APIError.badRequest("the kind \"\(k)\" in the body does not match \"\(r.kind)\" served at this path")
        }
        o["kind"] = .string(r.kind)
        o["apiVersion"] = .string(r.groupVersion)
        if let name {
            if let bn = o.at("metadata", "name")?.stringValue, bn != name {
                throw APIError.badRequest("the name of the object (\(bn)) does not match the name on the URL (\(name))")
            }
            o.set(["metadata", "name"], .string(name))
        }
        if r.namespaced {
            if let bns = o.at("metadata", "namespace")?.stringValue, let namespace, bns != namespace {
                throw APIError.badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request")
            }
            if let namespace { o.set(["metadata", "namespace"], .string(namespace)) }
        } else {
            o.set(["metadata", "namespace"], nil)
        }
        if r.kind == "Secret" && r.group.isEmpty { o = Validation.foldStringData(o) }
        if let schema = r.schema {
            let (pruned, errs) = Validation.custom(o, schema: schema, strict: strict)
            let unknown = errs.filter { $0.kind == "unknown field" }
            if !unknown.isEmpty {
                throw APIError.badRequest(
                    ".\(unknown.map(\.path).sorted().joined(separator: ", .")): field not declared in schema")
            }
            if !errs.isEmpty { throw APIError.invalid(r, o.at("metadata", "name")?.stringValue ?? "", errs) }
            o = pruned
        }
        let errs = Validation.object(o, resource: r)
        if !errs.isEmpty { throw APIError.invalid(r, o.at("metadata", "name")?.stringValue ?? "", errs) }
        return o
    }

    private func finish(_ o: inout JSON, old: JSON?, _ r: ResourceInfo) {
        resourceVersion += 1
        o.set(["metadata", "resourceVersion"], .string(String(resourceVersion)))
        if let old {
            for f in ["uid", "creationTimestamp"] { o.set(["metadata", f], old.at("metadata", f)) }
            var oldSpec = old
            var newSpec = o
            for k in ["metadata", "status", "apiVersion", "kind"] {
                oldSpec[k] = nil
                newSpec[k] = nil
            }
            let gen = old.at("metadata", "generation")?.intValue ?? 1
            o.set(["metadata", "generation"], .int(oldSpec == newSpec ? gen : gen + 1))
        } else {
            o.set(["metadata", "uid"], .string(nextUID()))
            o.set(["metadata", "creationTimestamp"], .string(timestamp()))
            o.set(["metadata", "generation"], .int(1))
        }
        if r.kind == "Namespace" && r.group.isEmpty {
            o.set(["status", "phase"], "Active")
            o.set(["metadata", "labels", "kubernetes.io/metadata.name"], o.at("metadata", "name"))
        }
        if r.kind == "CustomResourceDefinition" {
            o.set(
                ["status", "conditions"],
                [
                    [
                        "type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                        "message": "no conflicts found",
                    ],
                    [
                        "type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                        "message": "the initial names have been accepted",
                    ],
                ])
            o.set(["status", "acceptedNames"], o.at("spec", "names"))
            o.set(
                ["status", "storedVersions"],
                .array(
                    (o.at("spec", "versions")?.arrayValue ?? []).filter { $0["storage"]?.boolValue == true }.compactMap
                    { $0["name"] }))
        }
    }

    private func withManaged(_ o: JSON) -> JSON {
        var out = o
        if let uid = o.at("metadata", "uid")?.stringValue, let m = managed[uid] {
            let j = m.json()
            if j.arrayValue?.isEmpty == false { out.set(["metadata", "managedFields"], j) }
        }
        return out
    }

    private func store(_ o: JSON, _ r: ResourceInfo) {
        let ns = o.at("metadata", "namespace")?.stringValue
        let name = o.at("metadata", "name")?.stringValue ?? ""
        objects[r.storageKey, default: [:]][key(r.namespaced ? ns : nil, name)] = o
        if r.kind == "CustomResourceDefinition" { _ = registry.register(crd: o) }
    }

    func create(
        resource r: ResourceInfo, namespace: String?, body: JSON, manager: String, strict: Bool = false,
        dryRun: Bool = false
    ) throws -> JSON {
        var body = body
        if (body.at("metadata", "name")?.stringValue ?? "").isEmpty,
            let gen = body.at("metadata", "generateName")?.stringValue
        {
            let suffix = String((0..<5).map { _ in "bcdfghjklmnpqrstvwxz2456789".randomElement()! })
            body.set(["metadata", "name"], .string(gen + suffix))
        }
        lock.lock()
        defer { lock.unlock() }
        var o = try prepare(body, r, namespace: namespace, name: nil, strict: strict)
        let name = o.at("metadata", "name")?.stringValue ?? ""
        try checkNamespace(r, namespace ?? o.at("metadata", "namespace")?.stringValue)
        if r.namespaced && o.at("metadata", "namespace") == nil {
            throw APIError.badRequest("the namespace of the object must be set")
        }
        let k = key(r.namespaced ? o.at("metadata", "namespace")?.stringValue : nil, name)
        if objects[r.storageKey]?[k] != nil {
            throw APIError(
                code: 409, reason: "AlreadyExists", message: "\(qualified(r)) \"\(name)\" already exists",
                details: ["name": .string(name), "group": .string(r.group), "kind": .string(r.plural)])
        }
        if dryRun { return o }
        finish(&o, old: nil, r)
        let uid = o.at("metadata", "uid")!.stringValue!
        managed[uid] = recordUpdate(
            old: nil, new: o, managed: ManagedFields(), manager: manager, apiVersion: r.groupVersion, time: timestamp())
        store(o, r)
        if r.kind == "Namespace" && r.group.isEmpty { createDefaultServiceAccount(name) }
        return withManaged(o)
    }

    private func createDefaultServiceAccount(_ ns: String) {
        guard let sa = registry.resource(groupVersion: "v1", plural: "serviceaccounts") else { return }
        var o: JSON = [
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "default", "namespace": .string(ns)],
        ]
        finish(&o, old: nil, sa)
        store(o, sa)
    }

    func get(_ r: ResourceInfo, namespace: String?, name: String) throws -> JSON {
        lock.lock()
        defer { lock.unlock() }
        guard let o = objects[r.storageKey]?[key(r.namespaced ? namespace : nil, name)] else {
            throw APIError.notFound(r, name)
        }
        return withManaged(asVersion(o, r))
    }

    private func asVersion(_ o: JSON, _ r: ResourceInfo) -> JSON {
        var out = o
        out["apiVersion"] = .string(r.groupVersion)
        return out
    }

    func list(_ r: ResourceInfo, namespace: String?, labelSelector: String?, fieldSelector: String?) throws -> [JSON] {
        let ls: LabelSelector?
        let fs: FieldSelector?
        do {
            ls = try labelSelector.map { try LabelSelector($0) }
            fs = try fieldSelector.map { try FieldSelector($0) }
        } catch let e as SelectorError {
            throw APIError.badRequest("unable to parse requirement: invalid selector: '\(e.text)'")
        }
        lock.lock()
        defer { lock.unlock() }
        let all = objects[r.storageKey] ?? [:]
        return all.keys.sorted().compactMap { k -> JSON? in
            let o = all[k]!
            if let namespace, r.namespaced, o.at("metadata", "namespace")?.stringValue != namespace { return nil }
            if let ls, !ls.matches(o.at("metadata", "labels")?.stringMap ?? [:]) { return nil }
            if let fs, !fs.matches(o) { return nil }
            return withManaged(asVersion(o, r))
        }
    }

    private func listDoc(_ items: [JSON], _ r: ResourceInfo) -> JSON {
        [
            "kind": .string(r.kind + "List"), "apiVersion": .string(r.groupVersion),
            "metadata": ["resourceVersion": .string(String(resourceVersion))], "items": .array(items),
        ]
    }

    func update(_ r: ResourceInfo, namespace: String?, name: String, body: JSON, manager: String, strict: Bool) throws
        -> JSON
    {
        lock.lock()
        defer { lock.unlock() }
        let k = key(r.namespaced ? namespace : nil, name)
        guard let old = objects[r.storageKey]?[k] else { throw APIError.notFound(r, name) }
        var o = try prepare(body, r, namespace: namespace, name: name, strict: strict)
        if let rv = o.at("metadata", "resourceVersion")?.stringValue, !rv.isEmpty,
            rv != old.at("metadata", "resourceVersion")?.stringValue
        {
            throw APIError.modified(r, name)
        }
        o.set(["metadata", "managedFields"], nil)
        if o["status"] == nil { o["status"] = old["status"] }
        finish(&o, old: old, r)
        let uid = old.at("metadata", "uid")!.stringValue!
        managed[uid] = recordUpdate(
            old: old, new: o, managed: managed[uid] ?? ManagedFields(), manager: manager, apiVersion: r.groupVersion,
            time: timestamp())
        store(o, r)
        return withManaged(o)
    }

    func patch(_ r: ResourceInfo, namespace: String?, name: String, patch: JSON, manager: String, strict: Bool) throws
        -> JSON
    {
        lock.lock()
        let k = key(r.namespaced ? namespace : nil, name)
        guard let old = objects[r.storageKey]?[k] else {
            lock.unlock()
            throw APIError.notFound(r, name)
        }
        lock.unlock()
        var merged = mergePatch(old, patch)
        // The version the patch was merged onto is its precondition: a write in between
        // (after the lock was let go) is a 409, never silently overwritten.
        merged.set(
            ["metadata", "resourceVersion"],
            patch.at("metadata", "resourceVersion") ?? old.at("metadata", "resourceVersion"))
        return try update(r, namespace: namespace, name: name, body: merged, manager: manager, strict: strict)
    }

    func apply(
        _ r: ResourceInfo, namespace: String?, name: String, config: JSON, manager: String, force: Bool, strict: Bool,
        dryRun: Bool
    ) throws -> (JSON, Bool) {
        lock.lock()
        defer { lock.unlock() }
        var cfg = try prepare(config, r, namespace: namespace, name: name, strict: strict)
        cfg.set(["metadata", "managedFields"], nil)
        let k = key(r.namespaced ? namespace : nil, name)
        let old = objects[r.storageKey]?[k]
        // A resourceVersion in an applied object is a precondition, as on a real server.
        if let rv = cfg.at("metadata", "resourceVersion")?.stringValue, !rv.isEmpty,
            rv != old?.at("metadata", "resourceVersion")?.stringValue
        {
            throw APIError.modified(r, name)
        }
        cfg.set(["metadata", "resourceVersion"], nil)
        if old == nil { try checkNamespace(r, namespace) }
        let uid = old?.at("metadata", "uid")?.stringValue
        let result = serverSideApply(
            current: old, managed: uid.flatMap { managed[$0] } ?? ManagedFields(), config: cfg, manager: manager,
            force: force, apiVersion: r.groupVersion, time: timestamp())
        switch result {
        case .failure(let c):
            let conflicts = c.list
            let list = conflicts.map { "conflict with \"\($0.manager)\": .\($0.path.joined(separator: "."))" }
            let msg =
                "Apply failed with \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"): "
                + list.joined(separator: "\n")
            throw APIError(
                code: 409, reason: "Conflict", message: msg,
                details: ["name": .string(name), "group": .string(r.group), "kind": .string(r.plural)])
        case .success(var (o, owners)):
            if let old {
                // The merged object must still be valid.
                o = try prepare(o, r, namespace: namespace, name: name, strict: false)
                if dryRun { return (o, false) }
                finish(&o, old: old, r)
            } else {
                if dryRun { return (o, true) }
                finish(&o, old: nil, r)
            }
            managed[o.at("metadata", "uid")!.stringValue!] = owners
            store(o, r)
            if old == nil && r.kind == "Namespace" && r.group.isEmpty { createDefaultServiceAccount(name) }
            return (withManaged(o), old == nil)
        }
    }

    func delete(_ r: ResourceInfo, namespace: String?, name: String, policy: String) throws -> JSON {
        lock.lock()
        defer { lock.unlock() }
        let k = key(r.namespaced ? namespace : nil, name)
        guard let o = objects[r.storageKey]?[k] else { throw APIError.notFound(r, name) }
        remove(r.storageKey, k)
        let uid = o.at("metadata", "uid")?.stringValue ?? ""
        if policy == "Orphan" {
            orphan(uid)
        }
        if r.kind == "Namespace" && r.group.isEmpty {
            for sk in objects.keys {
                for (ok, obj) in objects[sk]!
                where obj.at("metadata", "namespace")?.stringValue == name && sk != "/namespaces" {
                    remove(sk, ok)
                }
            }
        }
        if r.kind == "CustomResourceDefinition" {
            let g = o.at("spec", "group")?.stringValue ?? ""
            let plural = o.at("spec", "names", "plural")?.stringValue ?? ""
            objects["\(g)/\(plural)"] = nil
            registry.unregister(group: g, plural: plural)
        }
        collectGarbage()
        var out = o
        if r.kind == "Namespace" && r.group.isEmpty { out.set(["status", "phase"], "Terminating") }
        return out
    }

    private func remove(_ sk: String, _ k: String) {
        if let uid = objects[sk]?[k]?.at("metadata", "uid")?.stringValue { managed[uid] = nil }
        objects[sk]?[k] = nil
    }

    private func orphan(_ uid: String) {
        for sk in objects.keys {
            for (k, o) in objects[sk]! {
                guard let refs = o.at("metadata", "ownerReferences")?.arrayValue,
                    refs.contains(where: { $0["uid"]?.stringValue == uid })
                else { continue }
                var n = o
                let kept = refs.filter { $0["uid"]?.stringValue != uid }
                n.set(["metadata", "ownerReferences"], kept.isEmpty ? nil : .array(kept))
                objects[sk]![k] = n
            }
        }
    }

    /// The garbage collector: deletes every object whose owners are all gone, until
    /// nothing more goes (a cascade through several levels).
    private func collectGarbage() {
        while true {
            var live = Set<String>()
            for (_, byKey) in objects {
                for (_, o) in byKey { if let u = o.at("metadata", "uid")?.stringValue { live.insert(u) } }
            }
            var doomed: [(String, String, JSON)] = []
            for (sk, byKey) in objects {
                for (k, o) in byKey {
                    guard let refs = o.at("metadata", "ownerReferences")?.arrayValue, !refs.isEmpty else { continue }
                    if refs.allSatisfy({ !live.contains($0["uid"]?.stringValue ?? "") }) { doomed.append((sk, k, o)) }
                }
            }
            if doomed.isEmpty { return }
            for (sk, k, o) in doomed {
                remove(sk, k)
                if o["kind"]?.stringValue == "Namespace" && sk == "/namespaces" {
                    let name = o.at("metadata", "name")?.stringValue ?? ""
                    for s in objects.keys {
                        for (ok, obj) in objects[s]!
                        where obj.at("metadata", "namespace")?.stringValue == name && s != "/namespaces" {
                            remove(s, ok)
                        }
                    }
                }
            }
        }
    }

    // MARK: Tables for kubectl's human output

    private func render(list items: [JSON], _ r: ResourceInfo, accept: String, includeObject: String?) -> JSON {
        guard accept.contains("as=Table") else {
            lock.lock()
            defer { lock.unlock() }
            return listDoc(items, r)
        }
        return table(items, r, includeObject: includeObject)
    }

    private func render(object o: JSON, _ r: ResourceInfo, accept: String, includeObject: String?) -> JSON {
        accept.contains("as=Table") ? table([o], r, includeObject: includeObject) : o
    }

    private func table(_ items: [JSON], _ r: ResourceInfo, includeObject: String?) -> JSON {
        var cols: [(String, String, [String])] = [("Name", "name", ["metadata", "name"])]
        if r.kind == "Namespace" { cols.append(("Status", "", ["status", "phase"])) }
        if r.fromCRD {
            lock.lock()
            let crd = objects["apiextensions.k8s.io/customresourcedefinitions"]?["\(r.plural).\(r.group)"]
            lock.unlock()
            let version = crd?.at("spec", "versions")?.arrayValue?.first { $0["name"]?.stringValue == r.version }
            for c in version?["additionalPrinterColumns"]?.arrayValue ?? [] {
                let path = (c["jsonPath"]?.stringValue ?? "").split(separator: ".").map(String.init)
                cols.append((c["name"]?.stringValue ?? "", "", path))
            }
        }
        cols.append(("Age", "", ["metadata", "creationTimestamp"]))
        let defs: JSON = .array(
            cols.map {
                ["name": .string($0.0), "type": "string", "format": .string($0.1), "description": "", "priority": 0]
            })
        let f = ISO8601DateFormatter()
        let rows: [JSON] = items.map { o in
            let cells: [JSON] = cols.map { c in
                if c.0 == "Age" {
                    guard let ts = o.at(c.2)?.stringValue, let d = f.date(from: ts) else { return "<unknown>" }
                    return .string(Self.age(now().timeIntervalSince(d)))
                }
                let v = o.at(c.2)
                if let s = v?.stringValue { return .string(s) }
                if let a = v?.arrayValue {
                    return .string(a.map { $0.stringValue ?? $0.serialized() }.joined(separator: ","))
                }
                return v ?? ""
            }
            var row: JSON = ["cells": .array(cells)]
            if includeObject == "Object" {
                row["object"] = o
            } else {
                row["object"] = [
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"] ?? [:],
                ]
            }
            return row
        }
        lock.lock()
        defer { lock.unlock() }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": ["resourceVersion": .string(String(resourceVersion))],
            "columnDefinitions": defs, "rows": .array(rows),
        ]
    }

    static func age(_ s: TimeInterval) -> String {
        let n = max(0, Int(s))
        if n < 120 { return "\(n)s" }
        if n < 3600 * 3 { return "\(n / 60)m" }
        if n < 86400 * 2 { return "\(n / 3600)h" }
        return "\(n / 86400)d"
    }
}
