import Foundation
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

/// Deletion, namespace cascades and the garbage collector.
extension APIServer {
    // MARK: Deletion

    func delete(_ r: ResourceInfo, namespace: String?, name: String, policy: String) throws -> JSON {
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

    func remove(_ sk: String, _ k: String) {
        if let uid = objects[sk]?[k]?.at("metadata", "uid")?.stringValue { managed[uid] = nil }
        objects[sk]?[k] = nil
    }

    func orphan(_ uid: String) {
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
    func collectGarbage() {
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
}
