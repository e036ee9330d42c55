import Foundation

extension KipConfig {
    /// A change of kip's own config that a command makes as a step of its plan: carried
    /// out by the Runner after the cluster's write succeeded (or alone, for a command that
    /// writes only the config), under the config's lock, on the config as it is then;
    /// never under `--dry-run`, never when the question was answered no, never after a
    /// failed write.
    public enum Change: Equatable, Sendable {
        /// `project use`: the active project of a cluster; the one it replaces is kept for
        /// `project use -`.
        case activate(cluster: String, Active)
        /// `project use --clear`.
        case clearActive(cluster: String)
        /// `project delete`: a deleted project is nobody's active project any more.
        case forgetProject(cluster: String, project: String)
        /// `project remove-env`: the active project keeps its project, not the environment.
        case forgetEnvironment(cluster: String, project: String, environment: String)
        /// `install`: the org and domain of a cluster kip knows (nothing for one it does
        /// not: reading never adds a cluster).
        case settings(cluster: String, org: String?, domain: String?)
        /// `cluster add`: refused when the name is taken by another context or kubeconfig;
        /// current when asked, or when no cluster is.
        case addCluster(name: String, Cluster, makeCurrent: Bool)
        /// `cluster use`.
        case useCluster(String)
        /// `cluster remove`: its active project goes with it.
        case removeCluster(String)
    }

    /// Carries out one change; throws (and the config is left as it was) when the change
    /// no longer fits the config as it is.
    public mutating func apply(_ change: Change) throws {
        switch change {
        case .activate(let cluster, let active):
            if let was = self.active[cluster], was != active {
                var earlier = previous ?? [:]
                earlier[cluster] = was
                previous = earlier
            }
            self.active[cluster] = active
        case .clearActive(let cluster):
            self.active[cluster] = nil
        case .forgetProject(let cluster, let project):
            if self.active[cluster]?.project == project { self.active[cluster] = nil }
        case .forgetEnvironment(let cluster, let project, let environment):
            if self.active[cluster]?.project == project, self.active[cluster]?.environment == environment {
                self.active[cluster]?.environment = nil
            }
        case .settings(let cluster, let org, let domain):
            guard var c = clusters[cluster] else { return }
            c.org = org
            c.domain = domain
            clusters[cluster] = c
        case .addCluster(let name, let cluster, let makeCurrent):
            if let existing = clusters[name],
                existing.context != cluster.context || existing.kubeconfig != cluster.kubeconfig
            {
                throw KipError(
                    "cluster '\(name)' already exists with context '\(existing.context ?? "")': remove it first with 'kip cluster remove \(name)'"
                )
            }
            clusters[name] = clusters[name] ?? cluster
            if currentCluster == nil || makeCurrent { currentCluster = name }
        case .useCluster(let name):
            guard clusters[name] != nil else { throw unknownCluster(name) }
            currentCluster = name
        case .removeCluster(let name):
            guard clusters[name] != nil else { throw unknownCluster(name) }
            clusters[name] = nil
            self.active[name] = nil
            if currentCluster == name { currentCluster = nil }
        }
    }

    /// A cluster name kip does not know, with the ones it does.
    public func unknownCluster(_ name: String) -> KipError {
        let known = clusters.keys.sorted()
        return KipError(
            "unknown cluster '\(name)': "
                + (known.isEmpty
                    ? "add it with 'kip cluster add \(name) --context CONTEXT'"
                    : "known clusters are \(known.joined(separator: ", "))"))
    }
}
