import Foundation
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

/// Create, read, update, patch and server-side apply of stored objects.
extension APIServer {
    // MARK: Store operations (callers hold the lock)

    func key(_ ns: String?, _ name: String) -> String { ns.map { "\($0)/\(name)" } ?? name }

    func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: now())
    }

    func nextUID() -> String {
        uidCounter += 1
        let r = deterministic ? UInt64(uidCounter) &* 0x9E37_79B9_7F4A_7C15 : UInt64.random(in: 0...UInt64.max)
        return String(
            format: "%08x-%04x-4%03x-8%03x-%012llx", uidCounter, Int(r & 0xffff), Int((r >> 16) & 0xfff),
            Int((r >> 28) & 0xfff), (r >> 40) | UInt64(uidCounter))
    }

    func namespaceExists(_ ns: String) -> Bool { objects["/namespaces"]?[ns] != nil }

    func checkNamespace(_ r: ResourceInfo, _ ns: String?) throws {
        guard r.namespaced, let ns else { return }
        if !namespaceExists(ns) {
            throw APIError(
                code: 404, reason: "NotFound", message: "namespaces \"\(ns)\" not found",
                details: ["name": .string(ns), "kind": "namespaces"])
        }
    }

    /// Brings a body into shape: kind and apiVersion, namespace filled in, `stringData`
    /// folded, schema applied; throws what the API server would answer.
    func prepare(_ body: JSON, _ r: ResourceInfo, namespace: String?, name: String?, strict: Bool) throws
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

    func finish(_ o: inout JSON, old: JSON?, _ r: ResourceInfo) {
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

    func withManaged(_ o: JSON) -> JSON {
        var out = o
        if let uid = o.at("metadata", "uid")?.stringValue, let m = managed[uid] {
            let j = m.json()
            if j.arrayValue?.isEmpty == false { out.set(["metadata", "managedFields"], j) }
        }
        return out
    }

    func store(_ o: JSON, _ r: ResourceInfo) {
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

    func createDefaultServiceAccount(_ ns: String) {
        guard let sa = registry.resource(groupVersion: "v1", plural: "serviceaccounts") else { return }
        var o: JSON = [
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "default", "namespace": .string(ns)],
        ]
        finish(&o, old: nil, sa)
        store(o, sa)
    }

    func get(_ r: ResourceInfo, namespace: String?, name: String) throws -> JSON {
        guard let o = objects[r.storageKey]?[key(r.namespaced ? namespace : nil, name)] else {
            throw APIError.notFound(r, name)
        }
        return withManaged(asVersion(o, r))
    }

    func asVersion(_ o: JSON, _ r: ResourceInfo) -> JSON {
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
        let all = objects[r.storageKey] ?? [:]
        return all.keys.sorted().compactMap { k -> JSON? in
            let o = all[k]!
            if let namespace, r.namespaced, o.at("metadata", "namespace")?.stringValue != namespace { return nil }
            if let ls, !ls.matches(o.at("metadata", "labels")?.stringMap ?? [:]) { return nil }
            if let fs, !fs.matches(o) { return nil }
            return withManaged(asVersion(o, r))
        }
    }

    func listDoc(_ items: [JSON], _ r: ResourceInfo) -> JSON {
        [
            "kind": .string(r.kind + "List"), "apiVersion": .string(r.groupVersion),
            "metadata": ["resourceVersion": .string(String(resourceVersion))], "items": .array(items),
        ]
    }

    func update(_ r: ResourceInfo, namespace: String?, name: String, body: JSON, manager: String, strict: Bool) throws
        -> JSON
    {
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
        let k = key(r.namespaced ? namespace : nil, name)
        guard let old = objects[r.storageKey]?[k] else { throw APIError.notFound(r, name) }
        var merged = mergePatch(old, patch)
        merged.set(
            ["metadata", "resourceVersion"],
            patch.at("metadata", "resourceVersion") ?? old.at("metadata", "resourceVersion"))
        return try update(r, namespace: namespace, name: name, body: merged, manager: manager, strict: strict)
    }

    func apply(
        _ r: ResourceInfo, namespace: String?, name: String, config: JSON, manager: String, force: Bool, strict: Bool,
        dryRun: Bool
    ) throws -> (JSON, Bool) {
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
}
