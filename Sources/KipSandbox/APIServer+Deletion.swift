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
        if r.kind == "Namespace" && r.group.isEmpty {
            if o.at("metadata", "deletionTimestamp") != nil {
                throw APIError(
                    code: 409, reason: "Conflict",
                    message:
                        "Operation cannot be fulfilled on namespaces \"\(name)\": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.",
                    details: ["name": .string(name), "kind": "namespaces"])
            }
            return terminate(namespace: name)
        }
        if o.at("metadata", "deletionTimestamp") != nil { return o }  // already going (foreground)
        let uid = o.at("metadata", "uid")?.stringValue ?? ""
        switch policy {
        case "Orphan":
            orphan(uid)
            remove(r.storageKey, k)
        case "Foreground":
            // Stays, marked, until the garbage collector has deleted its dependents.
            var marked = o
            marked.set(["metadata", "deletionTimestamp"], .string(timestamp()))
            marked.set(["metadata", "finalizers"], ["foregroundDeletion"])
            resourceVersion += 1
            marked.set(["metadata", "resourceVersion"], .string(String(resourceVersion)))
            put(r.storageKey, k, marked)
            schedule(.collectGarbage, after: timing.gcDelay)
            return marked
        default:
            remove(r.storageKey, k)
        }
        if r.kind == "CustomResourceDefinition" {
            let g = o.at("spec", "group")?.stringValue ?? ""
            let plural = o.at("spec", "names", "plural")?.stringValue ?? ""
            objects["\(g)/\(plural)"] = nil
            registry.unregister(group: g, plural: plural)
        }
        schedule(.collectGarbage, after: timing.gcDelay)
        return o
    }

    /// Starts a namespace's deletion: it stays, Terminating, for `namespaceDelay`, then
    /// goes with everything in it.
    @discardableResult
    func terminate(namespace name: String) -> JSON {
        let sk = "/namespaces"
        guard var ns = objects[sk]?[name] else { return [:] }
        if ns.at("metadata", "deletionTimestamp") == nil {
            ns.set(["metadata", "deletionTimestamp"], .string(timestamp()))
            ns.set(["spec", "finalizers"], ["kubernetes"])
            ns.set(["status", "phase"], "Terminating")
            resourceVersion += 1
            ns.set(["metadata", "resourceVersion"], .string(String(resourceVersion)))
            put(sk, name, ns)
            schedule(.finalizeNamespace(name), after: timing.namespaceDelay)
        }
        return ns
    }

    func finalizeNamespace(_ name: String) {
        for sk in objects.keys where sk != "/namespaces" {
            for (k, obj) in objects[sk]! where obj.at("metadata", "namespace")?.stringValue == name { remove(sk, k) }
        }
        remove("/namespaces", name)
        collectGarbage()
    }

    func remove(_ sk: String, _ k: String) {
        guard var gone = objects[sk]?[k] else { return }
        if let uid = gone.at("metadata", "uid")?.stringValue { managed[uid] = nil }
        objects[sk]?[k] = nil
        resourceVersion += 1
        gone.set(["metadata", "resourceVersion"], .string(String(resourceVersion)))
        record("DELETED", sk, gone)
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
                resourceVersion += 1
                n.set(["metadata", "resourceVersion"], .string(String(resourceVersion)))
                put(sk, k, n)
            }
        }
    }

    /// The garbage collector: deletes every object whose owners are all gone, and the
    /// dependents of objects deleted in the foreground, until nothing more goes (a
    /// cascade through several levels). A namespace it deletes starts Terminating.
    func collectGarbage() {
        while true {
            var live = Set<String>()
            var foreground = Set<String>()
            for (_, byKey) in objects {
                for (_, o) in byKey {
                    guard let u = o.at("metadata", "uid")?.stringValue else { continue }
                    live.insert(u)
                    if o.at("metadata", "finalizers")?.arrayValue?.contains("foregroundDeletion") == true {
                        foreground.insert(u)
                    }
                }
            }
            var doomed: [(String, String, JSON)] = []
            var ownersOfSomething = Set<String>()
            for (sk, byKey) in objects {
                for (k, o) in byKey {
                    guard let refs = o.at("metadata", "ownerReferences")?.arrayValue, !refs.isEmpty else { continue }
                    let owners = refs.compactMap { $0["uid"]?.stringValue }
                    ownersOfSomething.formUnion(owners)
                    let gone = owners.allSatisfy { !live.contains($0) || foreground.contains($0) }
                    if gone && o.at("metadata", "deletionTimestamp") == nil { doomed.append((sk, k, o)) }
                }
            }
            // Foreground deletions whose dependents are all gone finish now.
            for (sk, byKey) in objects {
                for (k, o) in byKey {
                    guard let u = o.at("metadata", "uid")?.stringValue, foreground.contains(u),
                        !ownersOfSomething.contains(u)
                    else { continue }
                    doomed.append((sk, k, o))
                }
            }
            if doomed.isEmpty { return }
            for (sk, k, o) in doomed {
                if o["kind"]?.stringValue == "Namespace" && sk == "/namespaces" {
                    terminate(namespace: o.at("metadata", "name")?.stringValue ?? "")
                } else {
                    remove(sk, k)
                }
            }
        }
    }
}
