import Foundation

/// `kip project export --format manifests`: the rendered objects as files a GitOps tool
/// (Argo CD, Flux) applies on its own, without kip.
///
/// - Each environment's Namespace comes first, with its Pod Security labels: the tool
///   creates it before the rest.
/// - Nothing is kip's any more: `app.kubernetes.io/managed-by: kip` is dropped and no owner
///   references are kept, so kip never mistakes the objects for its own (`sync --prune`
///   deletes only namespaces kip manages; a kip command refuses to take an object over).
///   The `kipper.run/*` labels stay: selectors and routes use them.
/// - A StatefulSet keeps its claims when deleted (`whenDeleted: Retain`): a tool that
///   prunes a renamed database must not take its data along.
/// - Secret values are never exported: `missingSecrets` names the Secrets the objects
///   reference, to create in each namespace before the tool syncs.
public enum ManifestExport {
    /// The environment's objects, ready to leave kip: its Namespace first.
    public static func objects(
        _ project: Project, _ env: Project.Environment, rendered: [JSON], podSecurity: String
    ) -> [JSON] {
        let ns = Render.namespace(project, env, uid: "", podSecurity: podSecurity)
        return ([ns] + rendered).map(detach)
    }

    /// An object without kip's ownership: no managed-by label, no owner references, and a
    /// StatefulSet that keeps its volumes.
    public static func detach(_ object: JSON) -> JSON {
        var o = object
        o.set(["metadata", "ownerReferences"], nil)
        if var labels = o.at("metadata", "labels")?.objectValue, labels[Keys.managedBy] != nil {
            labels[Keys.managedBy] = nil
            o.set(["metadata", "labels"], .object(labels))
        }
        if o["kind"]?.stringValue == "StatefulSet" {
            o.set(["spec", "persistentVolumeClaimRetentionPolicy"], ["whenDeleted": "Retain", "whenScaled": "Retain"])
        }
        return o
    }

    /// The Secrets `objects` reference (env, envFrom, volumes, pull secrets) that are not
    /// among them, sorted. An Ingress's TLS secret is cert-manager's to write, not listed.
    public static func missingSecrets(_ objects: [JSON]) -> [String] {
        var named = Set<String>()
        func walk(_ j: JSON) {
            switch j {
            case .object(let o):
                for (k, v) in o {
                    if k == "secretKeyRef" || k == "secretRef", let n = v["name"]?.stringValue { named.insert(n) }
                    if k == "secret", let n = v["secretName"]?.stringValue { named.insert(n) }
                    if k == "imagePullSecrets" {
                        for s in v.arrayValue ?? [] { if let n = s["name"]?.stringValue { named.insert(n) } }
                    }
                    walk(v)
                }
            case .array(let a):
                for v in a { walk(v) }
            default: break
            }
        }
        for o in objects {
            walk(o)
        }
        let present = Set(
            objects.filter { $0["kind"]?.stringValue == "Secret" }.compactMap { $0.at("metadata", "name")?.stringValue }
        )
        return named.subtracting(present).sorted()
    }
}
