/// What one `kubectl get` saw of the cluster, sorted by kind.
public struct Observed: Equatable, Sendable {
    public var settings: ClusterSettings?
    public var projects: [Project] = []
    public var namespaces: [String: JSON] = [:]
    /// Secrets by namespace.
    public var secrets: [String: [JSON]] = [:]
    public var serviceAccounts: [String: [JSON]] = [:]
    /// kip workload CRs (App, Service, Volume, Function, Job) by namespace.
    public var workloads: [String: [JSON]] = [:]
    /// Every other object (Deployments, Services, Ingresses, …) by namespace.
    public var natives: [String: [JSON]] = [:]

    public init(items: [JSON]) {
        var nsList: [JSON] = []
        for o in items {
            let kind = o["kind"]?.stringValue ?? ""
            let ns = o.at("metadata", "namespace")?.stringValue ?? ""
            let isKip = o["apiVersion"]?.stringValue?.hasPrefix(Keys.group + "/") == true
            switch kind {
            case "Namespace":
                nsList.append(o)
                namespaces[o.at("metadata", "name")?.stringValue ?? ""] = o
            case "Project" where isKip:
                if let p = Project(o) { projects.append(p) }
            case "Secret": secrets[ns, default: []].append(o)
            case "ServiceAccount": serviceAccounts[ns, default: []].append(o)
            default:
                if isKip { workloads[ns, default: []].append(o) } else { natives[ns, default: []].append(o) }
            }
        }
        projects.sort { $0.name < $1.name }
        settings = ClusterSettings.from(namespaces: nsList)
        // An App that does not record its security choice keeps the one it runs with.
        for (ns, crs) in workloads {
            let deployments = (natives[ns] ?? []).filter { $0["kind"]?.stringValue == "Deployment" }
            workloads[ns] = crs.map { cr in
                Workloads.keepingSecurity(
                    cr,
                    live: deployments.first {
                        $0.at("metadata", "name")?.stringValue == cr.at("metadata", "name")?.stringValue
                    })
            }
        }
    }

    public func project(_ name: String) -> Project? { projects.first { $0.name == name } }
    /// The secrets of `default` every environment gets a copy of: its image pull secrets.
    /// (Never the routes' wildcard certificate: its key would serve every project's hosts,
    /// and developers read their environment's Secrets; the ingress controller serves it.)
    public var pullSecrets: [JSON] { (secrets["default"] ?? []).filter(Render.isPullSecret) }
    public var podSecurity: String { settings?.podSecurityLevel ?? ClusterSettings.defaultPodSecurity }
    /// The cluster's settings, the defaults where kip is not installed.
    public var cluster: ClusterSettings { settings ?? ClusterSettings() }
}
