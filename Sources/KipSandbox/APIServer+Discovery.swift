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

    // MARK: OpenAPI v3

    func gvPath(_ gv: String) -> String { gv.contains("/") ? "apis/\(gv)" : "api/\(gv)" }

    func openAPI(_ segs: [String]) throws -> HTTPResponse {
        guard segs.count >= 2, segs[1] == "v3" else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
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
}
