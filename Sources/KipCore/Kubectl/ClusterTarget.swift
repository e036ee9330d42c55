/// Which cluster kubectl talks to. kip always passes the context (and kubeconfig)
/// explicitly, never relying on kubectl's own current context.
public struct ClusterTarget: Equatable, Sendable {
    public var name: String
    public var context: String?
    public var kubeconfig: String?

    public init(name: String, context: String?, kubeconfig: String?) {
        self.name = name
        self.context = context
        self.kubeconfig = kubeconfig
    }
}
