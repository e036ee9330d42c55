import KipCore

/// A field path inside an object: object keys, and `k:{"name":"X"}` for an item of a
/// list whose schema says `x-kubernetes-list-type: map` (merged by its keys, each item
/// owned on its own, as a real server does). Other lists are owned whole (atomic).
typealias FieldPath = [String]

/// The schema cursor for paths: built-in kinds have schemas with list keys; kip's CRDs
/// declare none, so their lists are atomic.
typealias Schema = JSON?

func child(_ s: Schema, _ key: String) -> Schema { s.flatMap { Schemas.builtin.property($0, key) } }
func itemSchema(_ s: Schema) -> Schema { s.flatMap { Schemas.builtin.items($0) } }
func mapKeys(_ s: Schema) -> [String]? { s.flatMap { Schemas.builtin.listMapKeys($0) } }

/// `k:{"name":"X"}` for an item of a list-map.
func itemKey(_ item: JSON, _ keys: [String]) -> String {
    var o: [String: JSON] = [:]
    for k in keys { o[k] = item[k] ?? .null }
    return "k:" + JSON.object(o).serialized()
}

/// The value at a path (list-map items found by their keys).
func value(_ v: JSON, at p: FieldPath, _ s: Schema) -> JSON? {
    guard let first = p.first else { return v }
    if first.hasPrefix("k:"), case .array(let a) = v, let keys = mapKeys(s) {
        guard let item = a.first(where: { itemKey($0, keys) == first }) else { return nil }
        return value(item, at: Array(p.dropFirst()), itemSchema(s))
    }
    guard let c = v[first] else { return nil }
    return value(c, at: Array(p.dropFirst()), child(s, first))
}

/// Fields no manager owns: identity and server-set metadata.
private let unownedTopLevel: Set<String> = ["apiVersion", "kind", "status"]
private let unownedMetadata: Set<String> = [
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
    "deletionTimestamp", "selfLink", "generateName",
]

func isOwnable(_ p: FieldPath) -> Bool {
    guard let first = p.first else { return false }
    if unownedTopLevel.contains(first) { return false }
    if first == "metadata", p.count >= 2, unownedMetadata.contains(p[1]) { return false }
    return true
}

/// Leaf paths of a value: scalars, atomic lists, empty objects, and the fields of each
/// list-map item.
func leafPaths(_ v: JSON, _ s: Schema, prefix: FieldPath = []) -> Set<FieldPath> {
    var out = Set<FieldPath>()
    switch v {
    case .object(let o) where !o.isEmpty:
        for (k, c) in o { out.formUnion(leafPaths(c, child(s, k), prefix: prefix + [k])) }
    case .array(let a) where mapKeys(s) != nil && !a.isEmpty:
        let keys = mapKeys(s)!
        for item in a { out.formUnion(leafPaths(item, itemSchema(s), prefix: prefix + [itemKey(item, keys)])) }
    default:
        if !prefix.isEmpty { out.insert(prefix) }
    }
    return out.filter(isOwnable)
}

/// Removes the value at `path`; an object or list-map item left empty goes too, and a
/// list left empty.
func removing(_ path: FieldPath, from v: JSON, _ s: Schema) -> JSON {
    guard let first = path.first else { return v }
    if first.hasPrefix("k:"), case .array(var a) = v, let keys = mapKeys(s) {
        guard let i = a.firstIndex(where: { itemKey($0, keys) == first }) else { return v }
        if path.count == 1 {
            a.remove(at: i)
        } else {
            let c = removing(Array(path.dropFirst()), from: a[i], itemSchema(s))
            if case .object(let co) = c, co.isEmpty { a.remove(at: i) } else { a[i] = c }
        }
        return .array(a)
    }
    guard case .object(var o) = v else { return v }
    if path.count == 1 {
        o[first] = nil
    } else if let c0 = o[first] {
        let c = removing(Array(path.dropFirst()), from: c0, child(s, first))
        switch c {
        case .object(let co) where co.isEmpty: o[first] = nil
        case .array(let ca) where ca.isEmpty && mapKeys(child(s, first)) != nil: o[first] = nil
        default: o[first] = c
        }
    }
    return .object(o)
}

/// Deep merge for apply: objects merge key by key, list-maps item by item (by their
/// keys: the applied items in the applied order, then other managers' items), everything
/// else is replaced.
func applyMerge(_ base: JSON, _ patch: JSON, _ s: Schema) -> JSON {
    if case .array(let b) = base, case .array(let p) = patch, let keys = mapKeys(s) {
        // The applied items in the applied order, then the others' items as they were.
        let applied = Set(p.map { itemKey($0, keys) })
        let merged = p.map { item -> JSON in
            let k = itemKey(item, keys)
            return b.first(where: { itemKey($0, keys) == k }).map { applyMerge($0, item, itemSchema(s)) } ?? item
        }
        return .array(merged + b.filter { !applied.contains(itemKey($0, keys)) })
    }
    guard case .object(var b) = base, case .object(let p) = patch else { return patch }
    for (k, pv) in p {
        if let bv = b[k] { b[k] = applyMerge(bv, pv, child(s, k)) } else { b[k] = pv }
    }
    return .object(b)
}

/// RFC 7386 JSON merge patch: `null` deletes, objects merge, the rest replaces. The
/// strategic merge patch is served with the same rules (lists replaced whole).
func mergePatch(_ base: JSON, _ patch: JSON) -> JSON {
    guard case .object(let p) = patch else { return patch }
    var b: [String: JSON]
    if case .object(let bo) = base { b = bo } else { b = [:] }
    for (k, pv) in p {
        if k.hasPrefix("$") { continue }  // strategic merge directives: ignored
        if pv == .null {
            b[k] = nil
        } else if case .object = pv {
            b[k] = mergePatch(b[k] ?? .object([:]), pv)
        } else {
            b[k] = pv
        }
    }
    return .object(b)
}

/// Strategic merge patch, as kube-apiserver applies one to a built-in kind: a merge patch
/// whose lists keyed in the schema (containers by name, env by name, volume mounts by
/// path…) merge item by item — an item of the patch merges into the item with the same
/// keys, or is added; the others stay. `$`-directives are ignored.
func strategicMergePatch(_ base: JSON, _ patch: JSON, _ s: Schema) -> JSON {
    if case .array(let b) = base, case .array(let p) = patch, let keys = mapKeys(s) {
        var merged = b
        for item in p {
            let k = itemKey(item, keys)
            if let i = merged.firstIndex(where: { itemKey($0, keys) == k }) {
                merged[i] = strategicMergePatch(merged[i], item, itemSchema(s))
            } else {
                merged.append(item)
            }
        }
        return .array(merged)
    }
    guard case .object(let p) = patch else { return patch }
    var b: [String: JSON]
    if case .object(let bo) = base { b = bo } else { b = [:] }
    for (k, pv) in p {
        if k.hasPrefix("$") { continue }
        if pv == .null {
            b[k] = nil
        } else if case .object = pv {
            b[k] = strategicMergePatch(b[k] ?? .object([:]), pv, child(s, k))
        } else if case .array = pv, let bv = b[k] {
            b[k] = strategicMergePatch(bv, pv, child(s, k))
        } else {
            b[k] = pv
        }
    }
    return .object(b)
}

/// Field ownership of one object, keyed by operation and manager (`Apply:kip`,
/// `Update:kubectl-edit`), as Kubernetes keeps one entry per manager and operation.
struct ManagedFields: Equatable {
    static func key(_ manager: String, _ operation: String) -> String { operation + ":" + manager }

    struct Entry: Equatable {
        var operation: String  // "Apply" or "Update"
        var apiVersion: String
        var time: String
        var paths: Set<FieldPath>
    }
    var entries: [String: Entry] = [:]

    /// What the API server reports, in `fieldsV1` form (`f:` keys, `.: {}` markers omitted).
    func json() -> JSON {
        .array(
            entries.keys.sorted().compactMap { m in
                let e = entries[m]!
                if e.paths.isEmpty { return nil }
                var fields = JSON.object([:])
                for p in e.paths.sorted(by: { $0.joined(separator: ".") < $1.joined(separator: ".") }) {
                    fields.set(p.map { $0.hasPrefix("k:") ? $0 : "f:" + $0 }, .object([:]))
                }
                return [
                    "manager": .string(String(m.drop { $0 != ":" }.dropFirst())), "operation": .string(e.operation),
                    "apiVersion": .string(e.apiVersion),
                    "time": .string(e.time), "fieldsType": "FieldsV1", "fieldsV1": fields,
                ]
            })
    }
}

struct ApplyConflicts: Error { var list: [ApplyConflict] }

struct ApplyConflict {
    var manager: String
    var path: FieldPath
}

/// Server-side apply of `config` by `manager` onto `current` (nil when absent).
/// Returns the new object and the updated ownership, or the conflicts when not forced.
func serverSideApply(
    current: JSON?, managed: ManagedFields, config: JSON, manager: String, force: Bool, apiVersion: String,
    time: String,
    schema: Schema = nil
) -> Result<(JSON, ManagedFields), ApplyConflicts> {
    var obj = current ?? .object([:])
    var owners = managed
    let applied = leafPaths(config, schema)
    var conflicts: [ApplyConflict] = []
    let me = ManagedFields.key(manager, "Apply")
    for (other, entry) in owners.entries where other != me {
        for p in entry.paths where applied.contains(p) {
            let have = value(obj, at: p, schema)
            let want = value(config, at: p, schema)
            if have != want {
                if force {
                    owners.entries[other]!.paths.remove(p)
                } else {
                    conflicts.append(ApplyConflict(manager: String(other.drop { $0 != ":" }.dropFirst()), path: p))
                }
            }
        }
    }
    if !conflicts.isEmpty {
        return .failure(
            ApplyConflicts(list: conflicts.sorted { $0.path.joined(separator: ".") < $1.path.joined(separator: ".") }))
    }
    // Fields this manager applied before and no longer applies are removed, unless
    // another manager also owns them.
    let previous = owners.entries[me]?.paths ?? []
    let others = owners.entries.filter { $0.key != me }.flatMap(\.value.paths)
    for p in previous.subtracting(applied) where !others.contains(p) {
        // A list-map item's key fields go with the item: only when nobody (this apply
        // included) owns anything under it any more.
        if p.count >= 2, p[p.count - 2].hasPrefix("k:") {
            let item = Array(p.dropLast())
            let stillOwned = (others + applied).contains {
                $0.count > item.count && Array($0.prefix(item.count)) == item
            }
            if stillOwned { continue }
            obj = removing(item, from: obj, schema)
        } else {
            obj = removing(p, from: obj, schema)
        }
    }
    obj = applyMerge(obj, config, schema)
    owners.entries[me] = .init(operation: "Apply", apiVersion: apiVersion, time: time, paths: applied)
    return .success((obj, owners))
}

/// After a non-apply write (create, update, patch) by `manager`: it owns the leaves it
/// changed, and nobody keeps fields that no longer exist.
func recordUpdate(
    old: JSON?, new: JSON, managed: ManagedFields, manager: String, apiVersion: String, time: String,
    schema: Schema = nil
) -> ManagedFields {
    var owners = managed
    let newLeaves = leafPaths(new, schema)
    let oldLeaves = old.map { leafPaths($0, schema) } ?? []
    var changed = Set<FieldPath>()
    for p in newLeaves
    where old.flatMap({ value($0, at: p, schema) }) != value(new, at: p, schema) || !oldLeaves.contains(p) {
        changed.insert(p)
    }
    let me = ManagedFields.key(manager, "Update")
    for m in owners.entries.keys {
        owners.entries[m]!.paths = owners.entries[m]!.paths.intersection(newLeaves)
        if m != me { owners.entries[m]!.paths.subtract(changed) }
    }
    if !changed.isEmpty {
        var e = owners.entries[me] ?? .init(operation: "Update", apiVersion: apiVersion, time: time, paths: [])
        e.paths.formUnion(changed)
        e.time = time
        owners.entries[me] = e
    }
    owners.entries = owners.entries.filter { !$0.value.paths.isEmpty }
    return owners
}
