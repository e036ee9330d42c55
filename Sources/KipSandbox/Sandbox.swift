import Foundation
import KipCore

/// The `kip-sandbox` command: flags, kubeconfig file, server start.
public enum Sandbox {
    public static let help = """
        OVERVIEW: An in-memory Kubernetes API server for kip's tests and demo.

        It answers the Kubernetes API on 127.0.0.1 the way a real control plane's API
        server does for what kip and kubectl use: discovery (from a real 1.33 cluster),
        OpenAPI v3, a generic object store with server-side apply, CustomResourceDefinitions,
        label and field selectors, and what a control plane does over time: a deleted
        namespace stays Terminating before it goes (creating in it is Forbidden, deleting it
        again a Conflict), the garbage collector deletes dependents later (Background,
        Foreground, Orphan), a new CRD is served once Established, and Deployments,
        StatefulSets and Jobs roll out: their status reaches the new generation, a
        Deployment gets a ReplicaSet per template (pod-template-hash, revision) and Pod
        records appear, with the image names a container runtime reports. It runs no
        containers: pods are records with a phase, and their logs say so. Objects live in memory and are gone when it stops.

        USAGE: kip-sandbox [--port <port>] [--kubeconfig-out <file>] [--request-log <file>] [--fault <spec> ...]
                           [--namespace-delay <s>] [--gc-delay <s>] [--crd-delay <s>] [--rollout-delay <s>]
                           [--fail-image <glob> ...] [--crash-image <glob> ...] [--root-image <glob> ...]
                           [--deadline-scale <factor>] [--latency <duration>]
                           [--users <file> [--user <name>]]

        OPTIONS:
          --port <port>           Port on 127.0.0.1; 0 picks a free one. (default: 0)
          --kubeconfig-out <file> Write a kubeconfig (context 'kip-sandbox', plain http, no auth) here.
          --request-log <file>    Append one JSON line per request: method, path, query, status, durationMs.
          --fault <spec>          Fail, slow or hang matching requests: 'METHOD PATHGLOB:STATUS:MODE', STATUS
                                  a code, '+Nms' of added latency, 'hang' (accept, never answer), or
                                  'race' (another field manager changes an annotation of the object the
                                  request names first, so its resourceVersion moves on); MODE once,
                                  always, every-N or after-N.
                                  Example: --fault 'PATCH /api/v1/namespaces/*:500:once'
          --namespace-delay <s>   Seconds a deleted namespace stays Terminating. (default: 0)
          --gc-delay <s>          Seconds before the garbage collector deletes dependents. (default: 0)
          --crd-delay <s>         Seconds before a new CRD is Established and served. (default: 0)
          --rollout-delay <s>     Seconds before a changed workload's pods are up. (default: 0)
          --fail-image <glob>     Images matching it never start: ImagePullBackOff, then the
                                  Deployment's ProgressDeadlineExceeded.
          --crash-image <glob>    Images matching it start and exit: CrashLoopBackOff, a growing
                                  restartCount, and a last log line.
          --root-image <glob>     Images matching it need root, as official nginx does: refused
                                  (CreateContainerConfigError) under runAsNonRoot, and crash
                                  ('chown … Operation not permitted') with a non-zero runAsUser or
                                  capabilities.drop [ALL].
          --deadline-scale <f>    Multiplies progressDeadlineSeconds (0.01 makes 600 s six). (default: 1)
          --latency <duration>    Answer every request this much later, e.g. 50ms or 0.2s: a remote
                                  link in one flag. (default: 0)
          --users <file>          Bearer tokens, as kube-apiserver's --token-auth-file: token,user,uid,"g1,g2".
                                  A request without a token is the administrator (system:masters).
                                  Requests are authorized by the RBAC objects stored (cluster-admin,
                                  admin, edit and view exist from the start); an administrator may
                                  impersonate (kubectl --as USER --as-group G).
          --user <name>           Make --kubeconfig-out act as that user (impersonation: kubectl sends no
                                  token over plain http).
          -h, --help              Show help information.

        """

    public struct Options {
        public var port = 0
        public var kubeconfigOut: String?
        public var requestLog: String?
        public var faults: [FaultRule] = []
        public var timing = Timing()
        public var tokens = TokenFile()
        /// The user whose token `--kubeconfig-out` writes (none: the administrator).
        public var user: String?
    }

    public static func parse(_ args: [String]) throws -> Options? {
        var o = Options()
        var i = 0
        func value(_ flag: String) throws -> String {
            i += 1
            guard i < args.count else { throw SandboxError.usage("Missing value for '\(flag)'") }
            return args[i]
        }
        while i < args.count {
            var a = args[i]
            var inline: String? = nil
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                inline = String(a[a.index(after: eq)...])
                a = String(a[..<eq])
            }
            func v() throws -> String {
                if let inline { return inline }
                return try value(a)
            }
            switch a {
            case "-h", "--help": return nil
            case "--port":
                let s = try v()
                guard let p = Int(s), p >= 0, p < 65536 else {
                    throw SandboxError.usage("--port must be 0-65535, got '\(s)'")
                }
                o.port = p
            case "--kubeconfig-out": o.kubeconfigOut = try v()
            case "--request-log": o.requestLog = try v()
            case "--fault": o.faults.append(try FaultRule(spec: try v()))
            case "--namespace-delay": o.timing.namespaceDelay = try seconds(a, try v())
            case "--gc-delay": o.timing.gcDelay = try seconds(a, try v())
            case "--crd-delay": o.timing.crdDelay = try seconds(a, try v())
            case "--rollout-delay": o.timing.rolloutDelay = try seconds(a, try v())
            case "--deadline-scale": o.timing.deadlineScale = try seconds(a, try v())
            case "--latency": o.timing.latency = try duration(a, try v())
            case "--fail-image": o.timing.failImages.append(try v())
            case "--crash-image": o.timing.crashImages.append(try v())
            case "--root-image": o.timing.rootImages.append(try v())
            case "--users":
                let path = try v()
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw SandboxError.usage("--users \(path): cannot read it")
                }
                o.tokens = try TokenFile(text: text)
            case "--user": o.user = try v()
            default: throw SandboxError.usage("Unknown option '\(a)'. See 'kip-sandbox --help'.")
            }
            i += 1
        }
        if let u = o.user, !o.tokens.users.values.contains(where: { $0.user == u }) {
            throw SandboxError.usage("--user \(u) is not in the --users file")
        }
        return o
    }

    /// `50ms`, `0.2s` or a bare number of seconds.
    static func duration(_ flag: String, _ s: String) throws -> Double {
        if s.hasSuffix("ms"), let d = Double(s.dropLast(2)), d >= 0, d.isFinite { return d / 1000 }
        if s.hasSuffix("s"), let d = Double(s.dropLast()), d >= 0, d.isFinite { return d }
        if let d = Double(s), d >= 0, d.isFinite { return d }
        throw SandboxError.usage("\(flag) must be a duration like 50ms or 0.2s, got '\(s)'")
    }

    static func seconds(_ flag: String, _ s: String) throws -> Double {
        guard let d = Double(s), d >= 0, d.isFinite else {
            throw SandboxError.usage("\(flag) must be a number of seconds, 0 or more, got '\(s)'")
        }
        return d
    }

    /// A kubeconfig for the sandbox; as `user` (with `groups`), through impersonation:
    /// kubectl sends no bearer token over plain http, and an administrator's kubeconfig on
    /// a real cluster does the same with `as:`.
    public static func kubeconfig(server: String, user: String? = nil, groups: [String] = []) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kip-sandbox
          cluster:
            server: \(server)
        contexts:
        - name: kip-sandbox
          context:
            cluster: kip-sandbox
            user: kip-sandbox
        current-context: kip-sandbox
        users:
        - name: kip-sandbox
          user: \(user.map { u in "{as: \(JSON.quoted(u))" + (groups.isEmpty ? "" : ", as-groups: [\(groups.map(JSON.quoted).joined(separator: ", "))]") + "}" } ?? "{}")

        """
    }

    /// Starts the server; returns it (its port) once it accepts connections.
    public static func start(_ o: Options) throws -> HTTPServer {
        let api = APIServer(faults: o.faults, requestLog: o.requestLog, timing: o.timing, tokens: o.tokens)
        let server = try HTTPServer(port: o.port) { api.handle($0) }
        server.start()
        if let path = o.kubeconfigOut {
            let tmp = path + ".tmp"
            let id = o.user.flatMap { u in o.tokens.users.values.first { $0.user == u } }
            try kubeconfig(
                server: "http://127.0.0.1:\(server.port)", user: id?.user,
                groups: (id?.groups ?? []).filter { $0 != "system:authenticated" }
            ).write(
                toFile: tmp, atomically: false, encoding: .utf8)
            _ = rename(tmp, path)
        }
        return server
    }
}
