import Foundation
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

/// REST paths to store operations.
extension APIServer {
    // MARK: Resources

    struct Target {
        var resource: ResourceInfo
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    func resolve(gv: String, rest: [String]) throws -> Target {
        let notFound = APIError(
            code: 404, reason: "NotFound", message: "the server could not find the requested resource")
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

    func resourceRequest(_ req: HTTPRequest, gv: String, rest: [String]) throws -> HTTPResponse {
        if rest.isEmpty {
            guard req.method == "GET", let list = resourceList(gv) else {
                throw APIError(
                    code: 404, reason: "NotFound", message: "the server could not find the requested resource")
            }
            return json(list)
        }
        let t = try resolve(gv: gv, rest: rest)
        let r = t.resource
        if req.method == "POST", ["SelfSubjectAccessReview", "SelfSubjectReview"].contains(r.kind) {
            let protobuf = (req.headers["content-type"] ?? "").contains("protobuf")
            let body: JSON =
                r.kind == "SelfSubjectReview"
                ? [:] : (protobuf ? Protobuf.accessReview(req.body) ?? [:] : try parseBody(req))
            if let answer = review(r, body, requester) { return json(answer, 201) }
        }
        try authorize(req, t)
        if t.subresource == "exec", r.kind == "Pod", let name = t.name { return try exec(req, t, pod: name) }
        if t.subresource == "portforward", r.kind == "Pod", let name = t.name {
            return try portForward(req, t, pod: name)
        }
        let manager = req.query["fieldManager"] ?? userAgentManager(req.headers["user-agent"])
        // The scale subresource (`kubectl scale`, an autoscaler): an autoscaling/v1 Scale.
        if t.subresource == "scale", let name = t.name, ["Deployment", "StatefulSet", "ReplicaSet"].contains(r.kind) {
            var obj = try get(r, namespace: t.namespace, name: name)
            if req.method == "PATCH" || req.method == "PUT" {
                if let n = try parseBody(req).at("spec", "replicas") {
                    obj.set(["spec", "replicas"], n)
                    obj = try update(r, namespace: t.namespace, name: name, body: obj, manager: manager, strict: false)
                }
            }
            let selector = (obj.at("spec", "selector", "matchLabels")?.stringMap ?? [:]).sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            var meta: JSON = [:]
            for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
                if let v = obj.at("metadata", k) { meta[k] = v }
            }
            return json([
                "apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": meta,
                "spec": ["replicas": obj.at("spec", "replicas") ?? 1],
                "status": ["replicas": obj.at("status", "replicas") ?? 0, "selector": .string(selector)],
            ])
        }
        switch (req.method, t.name) {
        case ("GET", nil):
            var items = try list(
                r, namespace: t.namespace, labelSelector: req.query["labelSelector"],
                fieldSelector: req.query["fieldSelector"])
            if r.kind == "ResourceQuota" { items = items.map(withQuotaStatus) }
            return json(
                render(list: items, r, accept: req.headers["accept"] ?? "", includeObject: req.query["includeObject"]))
        case ("GET", let name?) where t.subresource == "log" && r.kind == "Pod":
            _ = try get(r, namespace: t.namespace, name: name)
            var text = podLogs[key(t.namespace, name)] ?? "kip-sandbox runs no containers: pod \(name) has no logs\n"
            if let tail = req.query["tailLines"].flatMap({ Int($0) }) {
                text = text.split(separator: "\n").suffix(tail).map { $0 + "\n" }.joined()
            }
            return HTTPResponse(status: 200, contentType: "text/plain", body: Data(text.utf8))
        case ("GET", let name?):
            var obj = try get(r, namespace: t.namespace, name: name)
            if r.kind == "ResourceQuota" { obj = withQuotaStatus(obj) }
            return json(
                render(object: obj, r, accept: req.headers["accept"] ?? "", includeObject: req.query["includeObject"]))
        case ("POST", nil):
            let body = try parseBody(req)
            try checkEscalation(r, namespace: t.namespace, body)
            let strict = req.query["fieldValidation"] == "Strict"
            return json(
                try create(
                    resource: r, namespace: t.namespace, body: body, manager: manager, strict: strict,
                    dryRun: req.query["dryRun"] != nil), 201)
        case ("PUT", let name?):
            let body = try parseBody(req)
            try checkEscalation(r, namespace: t.namespace, body)
            return json(
                try update(
                    r, namespace: t.namespace, name: name, body: body, manager: manager,
                    strict: req.query["fieldValidation"] == "Strict"))
        case ("PATCH", let name?):
            let body = try parseBody(req)
            try checkEscalation(r, namespace: t.namespace, body)
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
            case "application/json-patch+json":
                return json(
                    try jsonPatch(r, namespace: t.namespace, name: name, ops: body, manager: manager, strict: strict))
            case "application/merge-patch+json", "application/strategic-merge-patch+json":
                return json(
                    try patch(
                        r, namespace: t.namespace, name: name, patch: body, manager: manager, strict: strict,
                        strategic: ct.hasPrefix("application/strategic")))
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

    func userAgentManager(_ ua: String?) -> String {
        guard let ua, let first = ua.split(separator: "/").first else { return "unknown" }
        return String(first)
    }

    func parseBody(_ req: HTTPRequest) throws -> JSON {
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

    /// RBAC for the request being served: the verb from the method and path, the rest
    /// from the resource it names.
    func authorize(_ req: HTTPRequest, _ t: Target) throws {
        let verb: String
        switch (req.method, t.name) {
        case ("GET", nil): verb = "list"
        case ("GET", _): verb = "get"
        case ("POST", _): verb = "create"
        case ("PUT", _): verb = "update"
        case ("PATCH", _): verb = "patch"
        case ("DELETE", nil): verb = "deletecollection"
        case ("DELETE", _): verb = "delete"
        default: verb = req.method.lowercased()
        }
        // A create names its object in the body, not the path. A request on a Namespace
        // object itself is authorized in that namespace, as kube-apiserver does, so a
        // RoleBinding there can allow reading it.
        let isNamespace = t.resource.group.isEmpty && t.resource.plural == "namespaces"
        let a = Attributes(
            verb: verb, group: t.resource.group, resource: t.resource.plural, subresource: t.subresource,
            namespace: isNamespace ? t.name : t.namespace, name: verb == "create" ? nil : t.name)
        if !allowed(requester, a) { throw Self.forbidden(requester, a) }
    }
}
