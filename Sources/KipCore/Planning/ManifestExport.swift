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
        _ project: Project, _ env: Project.Environment, rendered: [JSON], cluster: ClusterSettings
    ) -> [JSON] {
        let ns = Render.namespace(project, env, uid: "", podSecurity: cluster.podSecurityLevel)
        let policy =
            cluster.isolated
            ? [Render.isolation(project, env, uid: "", ingressNamespace: cluster.ingressNamespaceName)] : []
        let vars = project.env.isEmpty ? [] : [Render.projectEnv(project, env, uid: "")]
        return ([ns] + policy + Render.quota(project, env, uid: "", cluster: cluster) + vars + rendered).map(detach)
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

    /// What `export --format manifests` writes for `envs`: each object with its path
    /// (`ENV/KIND-NAME.EXT`, in the order a GitOps tool applies them), and, by namespace,
    /// the Secrets those objects need that values never leave the cluster for.
    public static func files(
        _ project: Project, _ envs: [Project.Environment], observed: Observed, fileExtension ext: String
    ) -> (files: [(path: String, object: JSON)], missing: [String]) {
        let settings = observed.settings ?? ClusterSettings()
        var files: [(path: String, object: JSON)] = []
        var missing: [String] = []
        for e in envs {
            let scope = WorkloadScope(
                project: project.name, environment: e.name, namespace: e.namespace, domain: settings.domain,
                cluster: settings)
            let rendered = (observed.workloads[e.namespace] ?? []).sorted(by: { Plan.key($0) < Plan.key($1) })
                .flatMap { Workloads.render($0, scope, uid: "", password: { _ in nil }) }
            let objects = Self.objects(project, e, rendered: rendered, cluster: observed.cluster)
            for o in objects {
                let kind = (o["kind"]?.stringValue ?? "").lowercased()
                files.append(("\(e.name)/\(kind)-\(o.at("metadata", "name")?.stringValue ?? "").\(ext)", o))
            }
            let secrets = missingSecrets(objects)
            if !secrets.isEmpty { missing.append("\(e.namespace): \(secrets.joined(separator: ", "))") }
        }
        return (files, missing)
    }

    /// What to say on stderr: values never leave the cluster, so which Secrets to create.
    public static func secretsNotice(_ missing: [String]) -> String {
        "Secrets are not exported: create the registry pull secrets your images need (listed in each namespace's default ServiceAccount)"
            + (missing.isEmpty ? "" : " and these Secrets before the first sync: \(missing.joined(separator: "; "))")
            + "."
    }
}
