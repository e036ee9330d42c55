import Foundation
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

/// Discovery and OpenAPI v3, from the built-in data and the CRDs applied.
extension APIServer {
    // MARK: Discovery

    func groupDoc(_ g: String, versions: [String]) -> JSON {
        let vs: [JSON] = versions.map { ["groupVersion": .string("\(g)/\($0)"), "version": .string($0)] }
        return [
            "name": .string(g), "versions": .array(vs), "preferredVersion": vs.first ?? .null,
        ]
    }

    func groupList() -> JSON {
        return [
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": .array(registry.groups.map { groupDoc($0, versions: registry.versions(ofGroup: $0)) }),
        ]
    }

    func group(_ g: String) -> JSON? {
        let vs = registry.versions(ofGroup: g)
        if vs.isEmpty { return nil }
        var d = groupDoc(g, versions: vs)
        d["kind"] = "APIGroup"
        d["apiVersion"] = "v1"
        return d
    }

    func resourceList(_ gv: String) -> JSON? {
        guard let rs = registry.resources(groupVersion: gv) else { return nil }
        var items = rs.map(\.discoveryJSON)
        items.append(contentsOf: registry.subresources[gv] ?? [])
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(gv), "resources": .array(items)]
    }

    // MARK: Aggregated discovery (apidiscovery.k8s.io/v2)

    static let aggregatedType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    /// `/api` or `/apis` as one `APIGroupDiscoveryList`, when the client asks for it (as
    /// kubectl 1.30+ does): every resource of every group-version in one answer, so a
    /// client never fetches the group-versions one by one. With an `ETag`, and a 304 for
    /// an `If-None-Match` that matches, as kube-apiserver answers.
    func aggregatedDiscovery(core: Bool, _ req: HTTPRequest) -> HTTPResponse? {
        let accept = req.headers["accept"] ?? ""
        guard accept.contains("g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList") else { return nil }
        var items: [JSON] = []
        if core {
            items.append(["metadata": [:], "versions": [versionDiscovery("v1")]])
        } else {
            for g in registry.groups {
                items.append([
                    "metadata": ["name": .string(g)],
                    "versions": .array(registry.versions(ofGroup: g).map { versionDiscovery("\(g)/\($0)") }),
                ])
            }
        }
        let doc: JSON = [
            "kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": [:],
            "items": .array(items),
        ]
        return cacheable(doc.data, contentType: Self.aggregatedType, req, immutable: false)
    }

    private func versionDiscovery(_ gv: String) -> JSON {
        let version = String(gv.split(separator: "/").last ?? "")
        let subs = registry.subresources[gv] ?? []
        let resources: [JSON] = (registry.resources(groupVersion: gv) ?? []).map { r in
            var o: JSON = [
                "resource": .string(r.plural),
                "responseKind": ["group": .string(r.group), "version": .string(r.version), "kind": .string(r.kind)],
                "scope": .string(r.namespaced ? "Namespaced" : "Cluster"), "singularResource": .string(r.singular),
                "verbs": JSON.strings(r.verbs),
            ]
            if !r.shortNames.isEmpty { o["shortNames"] = JSON.strings(r.shortNames) }
            if !r.categories.isEmpty { o["categories"] = JSON.strings(r.categories) }
            let mine = subs.filter { ($0["name"]?.stringValue ?? "").hasPrefix(r.plural + "/") }
            if !mine.isEmpty {
                o["subresources"] = .array(
                    mine.map { s in
                        let kind = s["kind"]?.stringValue ?? ""
                        let (g, v) = kind == "Scale" ? ("autoscaling", "v1") : (r.group, r.version)
                        return [
                            "subresource": .string(String((s["name"]?.stringValue ?? "").split(separator: "/")[1])),
                            "responseKind": ["group": .string(g), "version": .string(v), "kind": .string(kind)],
                            "verbs": s["verbs"] ?? [],
                        ]
                    })
            }
            return o
        }
        return ["version": .string(version), "resources": .array(resources), "freshness": "Current"]
    }

    /// A body with its `ETag` (a hash of it): 304 when the client already has it. An
    /// `immutable` one (a hashed OpenAPI URL) may be kept for a year without asking again.
    func cacheable(_ body: Data, contentType: String = "application/json", _ req: HTTPRequest, immutable: Bool)
        -> HTTPResponse
    {
        let etag = "\"\(Self.hash(body))\""
        var headers: [(String, String)] = [("ETag", etag), ("Vary", "Accept")]
        if immutable {
            headers.append(("Cache-Control", "public, immutable"))
            headers.append(("Expires", httpDate(Date().addingTimeInterval(365 * 24 * 3600))))
        }
        if let inm = req.headers["if-none-match"],
            inm.split(separator: ",").contains(where: {
                $0.trimmingCharacters(in: .whitespaces) == etag
            })
        {
            return HTTPResponse(status: 304, contentType: contentType, body: Data(), headers: headers)
        }
        return HTTPResponse(status: 200, contentType: contentType, body: body, headers: headers)
    }

    /// FNV-1a, 64 bits, upper-case hex: stands in for kube-apiserver's SHA-512 of the document.
    static func hash(_ d: Data) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in d {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return String(format: "%016llX", h)
    }

    // MARK: OpenAPI v3

    func gvPath(_ gv: String) -> String { gv.contains("/") ? "apis/\(gv)" : "api/\(gv)" }

    /// `/openapi/v3` lists a URL per group-version whose `hash` is its document's hash;
    /// that URL is immutable (kubectl's HTTP cache keeps it), a stale hash is redirected
    /// to the current one, and the document without a hash is revalidated by `ETag`.
    func openAPI(_ segs: [String], _ req: HTTPRequest) throws -> HTTPResponse {
        guard segs.count >= 2, segs[1] == "v3" else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        if openAPIDocs.generation != registry.generation { openAPIDocs = (registry.generation, [:]) }
        if segs.count == 2 {
            var paths: [String: JSON] = [:]
            for (gv, _) in registry.groupVersions {
                guard let doc = openAPIDoc(gv) else { continue }
                paths[gvPath(gv)] = ["serverRelativeURL": .string("/openapi/v3/\(gvPath(gv))?hash=\(doc.hash)")]
            }
            return cacheable(JSON.object(["paths": .object(paths)]).data, req, immutable: false)
        }
        let gv = segs.dropFirst(3).joined(separator: "/")
        guard let doc = openAPIDoc(gv) else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        if let asked = req.query["hash"] {
            if asked != doc.hash {
                let to = "/openapi/v3/\(gvPath(gv))?hash=\(doc.hash)"
                return HTTPResponse(status: 301, contentType: "text/html", body: Data(), headers: [("Location", to)])
            }
            return cacheable(doc.body, req, immutable: true)
        }
        return cacheable(doc.body, req, immutable: false)
    }

    private func openAPIDoc(_ gv: String) -> (hash: String, body: Data)? {
        if let d = openAPIDocs.docs[gv] { return d }
        guard let body = openAPIDocument(gv) else { return nil }
        let d = (Self.hash(body), body)
        openAPIDocs.docs[gv] = d
        return d
    }

    private func openAPIDocument(_ gv: String) -> Data? {
        guard let rs = registry.resources(groupVersion: gv) else { return nil }
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
        let doc: JSON = [
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.33.1"], "paths": .object(paths),
            "components": ["schemas": .object(schemas)],
        ]
        return doc.data
    }
}
