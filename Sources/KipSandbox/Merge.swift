import KipCore

/// A field path inside an object: object keys only; lists are owned whole (atomic), which
/// is the simplification of managed fields this server makes.
typealias FieldPath = [String]

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

/// Leaf paths of a value: scalars, lists and empty objects.
func leafPaths(_ v: JSON, prefix: FieldPath = []) -> Set<FieldPath> {
    var out = Set<FieldPath>()
    if case .object(let o) = v, !o.isEmpty {
        for (k, c) in o { out.formUnion(leafPaths(c, prefix: prefix + [k])) }
    } else if !prefix.isEmpty {
        out.insert(prefix)
    }
    return out.filter(isOwnable)
}

/// Removes the value at `path`, and any object left empty on the way up that `keep` does
/// not still need.
func removing(_ path: FieldPath, from v: JSON) -> JSON {
    guard let first = path.first, case .object(var o) = v else { return v }
    if path.count == 1 {
        o[first] = nil
    } else if let child = o[first] {
        let c = removing(Array(path.dropFirst()), from: child)
        if case .object(let co) = c, co.isEmpty { o[first] = nil } else { o[first] = c }
    }
    return .object(o)
}

/// Deep merge for apply: objects merge key by key, everything else is replaced.
func applyMerge(_ base: JSON, _ patch: JSON) -> JSON {
    guard case .object(var b) = base, case .object(let p) = patch else { return patch }
    for (k, pv) in p {
        if let bv = b[k], case .object = bv, case .object = pv { b[k] = applyMerge(bv, pv) } else { b[k] = pv }
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
                    fields.set(p.map { "f:" + $0 }, .object([:]))
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
    current: JSON?, managed: ManagedFields, config: JSON, manager: String, force: Bool, apiVersion: String, time: String
) -> Result<(JSON, ManagedFields), ApplyConflicts> {
    var obj = current ?? .object([:])
    var owners = managed
    let applied = leafPaths(config)
    var conflicts: [ApplyConflict] = []
    let me = ManagedFields.key(manager, "Apply")
    for (other, entry) in owners.entries where other != me {
        for p in entry.paths where applied.contains(p) {
            let have = obj.at(p)
            let want = config.at(p)
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
    for p in previous.subtracting(applied) {
        let sharedWithOther = owners.entries.contains { $0.key != me && $0.value.paths.contains(p) }
        if !sharedWithOther { obj = removing(p, from: obj) }
    }
    obj = applyMerge(obj, config)
    owners.entries[me] = .init(operation: "Apply", apiVersion: apiVersion, time: time, paths: applied)
    return .success((obj, owners))
}

/// After a non-apply write (create, update, patch) by `manager`: it owns the leaves it
/// changed, and nobody keeps fields that no longer exist.
func recordUpdate(old: JSON?, new: JSON, managed: ManagedFields, manager: String, apiVersion: String, time: String)
    -> ManagedFields
{
    var owners = managed
    let newLeaves = leafPaths(new)
    let oldLeaves = old.map { leafPaths($0) } ?? []
    var changed = Set<FieldPath>()
    for p in newLeaves where old?.at(p) != new.at(p) || !oldLeaves.contains(p) { changed.insert(p) }
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
