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

    /// The namespace a new object goes into must exist, and not be going away: the
    /// NamespaceLifecycle admission plugin refuses creates in a Terminating namespace.
    func checkNamespace(_ r: ResourceInfo, _ ns: String?, name: String) throws {
        guard r.namespaced, let ns else { return }
        guard let n = objects["/namespaces"]?[ns] else {
            throw APIError(
                code: 404, reason: "NotFound", message: "namespaces \"\(ns)\" not found",
                details: ["name": .string(ns), "kind": "namespaces"])
        }
        if n.at("metadata", "deletionTimestamp") != nil {
            throw APIError(
                code: 403, reason: "Forbidden",
                message:
                    "\(qualified(r)) \"\(name)\" is forbidden: unable to create new content in namespace \(ns) because it is being terminated",
                details: ["name": .string(name), "group": .string(r.group), "kind": .string(r.plural)])
        }
    }

    /// Brings a body into shape: kind and apiVersion, namespace filled in, `stringData`
    /// folded, schema applied; throws what the API server would answer.
    /// `partial`: an applied configuration for an object that exists, which holds only
    /// the fields its manager sets. Its schema and types are checked here; required
    /// fields and the rules that span fields, on the merged object.
    func prepare(
        _ body: JSON, _ r: ResourceInfo, namespace: String?, name: String?, strict: Bool, partial: Bool = false
    ) throws
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
        if r.schema == nil, let schema = Schemas.builtin.root(apiVersion: r.groupVersion, kind: r.kind) {
            o = try checkSchema(o, schema, r, strict: strict)
        }
        if partial { return o }
        let errs = Validation.object(o, resource: r) + Validation.semantic(o, resource: r)
        if !errs.isEmpty { throw APIError.invalid(r, o.at("metadata", "name")?.stringValue ?? "", errs) }
        return o
    }

    /// Refuses a change to a field that cannot change once set.
    func checkTransition(old: JSON, new o: JSON, _ r: ResourceInfo) throws {
        let errs = Validation.transition(old: old, new: o, resource: r)
        if !errs.isEmpty { throw APIError.invalid(r, o.at("metadata", "name")?.stringValue ?? "", errs) }
    }

    func finish(_ o: inout JSON, old: JSON?, _ r: ResourceInfo) {
        Defaulting.apply(&o, r)
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
            // A Service gets its cluster IP from the server unless it asked for one (or None).
            if r.kind == "Service" && r.group.isEmpty && o.at("spec", "clusterIP") == nil
                && o.at("spec", "type")?.stringValue != "ExternalName"
            {
                let ip = "10.96.\((uidCounter / 250) % 250).\(uidCounter % 250 + 2)"
                o.set(["spec", "clusterIP"], .string(ip))
                o.set(["spec", "clusterIPs"], [.string(ip)])
            }
        }
        // Deletion, once begun, is not undone by a write (a patch of a Terminating
        // namespace leaves it Terminating).
        if let old, let t = old.at("metadata", "deletionTimestamp") {
            o.set(["metadata", "deletionTimestamp"], t)
            o.set(["metadata", "finalizers"], old.at("metadata", "finalizers"))
        }
        if r.kind == "Namespace" && r.group.isEmpty {
            let terminating = o.at("metadata", "deletionTimestamp") != nil
            o.set(["status", "phase"], terminating ? "Terminating" : "Active")
            if terminating { o.set(["spec", "finalizers"], ["kubernetes"]) }
            o.set(["metadata", "labels", "kubernetes.io/metadata.name"], o.at("metadata", "name"))
        }
        workloadChanged(o, r, old: old)
        quotaChanged(o, r)
        if r.kind == "CustomResourceDefinition" {
            let established = old.map(Self.isEstablished) ?? false
            o.set(["status", "conditions"], Self.crdConditions(established: established))
            if !established {
                schedule(.establishCRD(o.at("metadata", "name")?.stringValue ?? ""), after: timing.crdDelay)
            }
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
        let o = r.isNewEvents ? EventForms.core(o) : o
        let ns = o.at("metadata", "namespace")?.stringValue
        let name = o.at("metadata", "name")?.stringValue ?? ""
        put(r.storageKey, key(r.namespaced ? ns : nil, name), o)
        if r.kind == "CustomResourceDefinition" && Self.isEstablished(o) { _ = registry.register(crd: o) }
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
        try checkNamespace(
            r, namespace ?? o.at("metadata", "namespace")?.stringValue,
            name: o.at("metadata", "name")?.stringValue ?? "")
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
            old: nil, new: o, managed: ManagedFields(), manager: manager, apiVersion: r.groupVersion, time: timestamp(),
            schema: r.builtinSchema)
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
        var out = r.isNewEvents ? EventForms.new(o) : o
        out["apiVersion"] = .string(r.groupVersion)
        return out
    }

    func list(_ r: ResourceInfo, namespace: String?, labelSelector: String?, fieldSelector: String?) throws -> [JSON] {
        let ls: LabelSelector?
        let fs: FieldSelector?
        do {
            ls = try labelSelector.map { try LabelSelector($0) }
            fs = try fieldSelector.map { try FieldSelector($0, kind: r.kind) }
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
        try checkTransition(old: old, new: o, r)
        finish(&o, old: old, r)
        let uid = old.at("metadata", "uid")!.stringValue!
        managed[uid] = recordUpdate(
            old: old, new: o, managed: managed[uid] ?? ManagedFields(), manager: manager, apiVersion: r.groupVersion,
            time: timestamp(), schema: r.builtinSchema)
        store(o, r)
        return withManaged(o)
    }

    func patch(
        _ r: ResourceInfo, namespace: String?, name: String, patch: JSON, manager: String, strict: Bool,
        strategic: Bool = false
    ) throws
        -> JSON
    {
        let k = key(r.namespaced ? namespace : nil, name)
        guard let old = objects[r.storageKey]?[k] else { throw APIError.notFound(r, name) }
        var merged = strategic ? strategicMergePatch(old, patch, r.builtinSchema) : mergePatch(old, patch)
        merged.set(
            ["metadata", "resourceVersion"],
            patch.at("metadata", "resourceVersion") ?? old.at("metadata", "resourceVersion"))
        return try update(r, namespace: namespace, name: name, body: merged, manager: manager, strict: strict)
    }

    /// A JSON patch (RFC 6902: add, remove, replace, test) applied to the stored object.
    /// The value at a JSON pointer's tokens: object keys, and array indices (RFC 6901).
    static func pointer(_ doc: JSON, _ path: [String]) -> JSON? {
        var cur: JSON? = doc
        for p in path {
            if let a = cur?.arrayValue {
                guard let i = Int(p), a.indices.contains(i) else { return nil }
                cur = a[i]
            } else {
                cur = cur?[p]
            }
        }
        return cur
    }

    /// Sets (nil: removes) the value at a JSON pointer's tokens, through objects and arrays.
    static func pointer(_ doc: inout JSON, _ path: [String], _ value: JSON?) {
        guard let first = path.first else {
            if let value { doc = value }
            return
        }
        if var a = doc.arrayValue, let i = Int(first), a.indices.contains(i) {
            if path.count == 1 {
                if let value { a[i] = value } else { a.remove(at: i) }
            } else {
                pointer(&a[i], Array(path.dropFirst()), value)
            }
            doc = .array(a)
            return
        }
        if path.count == 1 {
            doc.set([first], value)
            return
        }
        var child = doc[first] ?? .object([:])
        pointer(&child, Array(path.dropFirst()), value)
        doc[first] = child
    }

    func jsonPatch(_ r: ResourceInfo, namespace: String?, name: String, ops: JSON, manager: String, strict: Bool) throws
        -> JSON
    {
        let k = key(r.namespaced ? namespace : nil, name)
        guard let old = objects[r.storageKey]?[k] else { throw APIError.notFound(r, name) }
        var doc = old
        for op in ops.arrayValue ?? [] {
            let path = (op["path"]?.stringValue ?? "").split(separator: "/", omittingEmptySubsequences: false)
                .dropFirst().map {
                    $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                }
            let present = Self.pointer(doc, path) != nil
            // Into an array (RFC 6902): `-` appends, an index inserts (add), replaces or removes.
            if let last = path.last, var list = Self.pointer(doc, Array(path.dropLast()))?.arrayValue {
                let i = last == "-" ? list.count : Int(last)
                guard let i, i >= 0, i <= list.count else {
                    throw APIError(
                        code: 422, reason: "Invalid",
                        message: "the server rejected our request due to an error in our request: bad index \(last)")
                }
                switch op["op"]?.stringValue ?? "" {
                case "add": list.insert(op["value"] ?? .null, at: i)
                case "replace" where i < list.count: list[i] = op["value"] ?? .null
                case "remove" where i < list.count: list.remove(at: i)
                case "test" where i < list.count:
                    guard list[i] == op["value"] else {
                        throw APIError(code: 422, reason: "Invalid", message: "testing value failed")
                    }
                default:
                    throw APIError(
                        code: 422, reason: "Invalid",
                        message: "the server rejected our request due to an error in our request: bad index \(last)")
                }
                Self.pointer(&doc, Array(path.dropLast()), .array(list))
                continue
            }
            switch op["op"]?.stringValue ?? "" {
            case "add", "replace":
                if op["op"]?.stringValue == "replace" && !present {
                    throw APIError(
                        code: 422, reason: "Invalid",
                        message: "the server rejected our request due to an error in our request")
                }
                Self.pointer(&doc, path, op["value"] ?? .null)
            case "remove":
                guard present else {
                    throw APIError(
                        code: 422, reason: "Invalid",
                        message:
                            "the server rejected our request due to an error in our request: remove operation does not apply: doc is missing path: \(op["path"]?.stringValue ?? "")"
                    )
                }
                Self.pointer(&doc, path, nil)
            case "test":
                guard Self.pointer(doc, path) == op["value"] else {
                    throw APIError(code: 422, reason: "Invalid", message: "testing value failed")
                }
            default:
                throw APIError.badRequest("unknown JSON patch operation \(op["op"]?.stringValue ?? "")")
            }
        }
        return try update(r, namespace: namespace, name: name, body: doc, manager: manager, strict: strict)
    }

    func apply(
        _ r: ResourceInfo, namespace: String?, name: String, config: JSON, manager: String, force: Bool, strict: Bool,
        dryRun: Bool
    ) throws -> (JSON, Bool) {
        let k = key(r.namespaced ? namespace : nil, name)
        let old = objects[r.storageKey]?[k]
        var cfg = try prepare(config, r, namespace: namespace, name: name, strict: strict, partial: old != nil)
        cfg.set(["metadata", "managedFields"], nil)
        // A resourceVersion in an applied object is a precondition, as on a real server.
        if let rv = cfg.at("metadata", "resourceVersion")?.stringValue, !rv.isEmpty,
            rv != old?.at("metadata", "resourceVersion")?.stringValue
        {
            throw APIError.modified(r, name)
        }
        cfg.set(["metadata", "resourceVersion"], nil)
        if old == nil { try checkNamespace(r, namespace, name: name) }
        let uid = old?.at("metadata", "uid")?.stringValue
        let result = serverSideApply(
            current: old, managed: uid.flatMap { managed[$0] } ?? ManagedFields(), config: cfg, manager: manager,
            force: force, apiVersion: r.groupVersion, time: timestamp(), schema: r.builtinSchema)
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
                try checkTransition(old: old, new: o, r)
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

    /// Every change to the store goes through here, so that watches see it.
    func put(_ sk: String, _ k: String, _ o: JSON) {
        let type = objects[sk]?[k] == nil ? "ADDED" : "MODIFIED"
        objects[sk, default: [:]][k] = o
        record(type, sk, o)
    }

    func record(_ type: String, _ sk: String, _ o: JSON) {
        let rv = Int(o.at("metadata", "resourceVersion")?.stringValue ?? "") ?? resourceVersion
        changes.append(Change(resourceVersion: rv, type: type, storageKey: sk, object: o))
        if changes.count > 4000 { changes.removeFirst(changes.count - 2000) }
    }

    /// A built-in object against its schema, as kube-apiserver checks it: unknown fields
    /// refused under `fieldValidation=Strict` (else dropped), wrong types and duplicate
    /// list-map keys refused (server-side apply cannot build a typed object from them).
    func checkSchema(_ o: JSON, _ schema: JSON, _ r: ResourceInfo, strict: Bool) throws -> JSON {
        var problems: [Schemas.Problem] = []
        let checked = Schemas.builtin.check(o, schema, path: "", strict: strict, into: &problems)
        if problems.isEmpty { return checked }
        let ns = o.at("metadata", "namespace")?.stringValue.map { $0 + "/" } ?? ""
        let name = o.at("metadata", "name")?.stringValue ?? ""
        let unknown = problems.compactMap { p -> String? in
            if case .unknown(let path) = p { return path } else { return nil }
        }
        if unknown.count == problems.count {
            throw APIError.badRequest(
                unknown.sorted().map { "\($0): field not declared in schema" }.joined(separator: ", "))
        }
        let text = problems.map { p -> String in
            switch p {
            case .unknown(let path): return "\(path): field not declared in schema"
            case .type(let path, let why): return "\(path): \(why)"
            case .duplicate(let path, let why): return "\(path): \(why)"
            }
        }
        let kind = r.group.isEmpty ? "/\(r.version), Kind=\(r.kind)" : "\(r.group)/\(r.version), Kind=\(r.kind)"
        throw APIError(
            code: 500, reason: "InternalError",
            message: "failed to create typed patch object (\(ns)\(name); \(kind)): \(text.joined(separator: "; "))")
    }
}
