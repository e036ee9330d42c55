import Foundation
import KipCore

/// The `kip-sandbox` command: flags, kubeconfig file, server start.
public enum Sandbox {
    public static let help = """
        OVERVIEW: An in-memory Kubernetes API server for kip's tests and demo.

        It answers the Kubernetes API on 127.0.0.1 the way a real control plane's API
        server does for what kip and kubectl use: discovery (from a real 1.33 cluster),
        OpenAPI v3, a generic object store with server-side apply, CustomResourceDefinitions,
        label and field selectors, namespace deletion and owner-reference garbage collection.
        It runs no pods and no other controllers: Deployments never get replicas, Services
        never get endpoints. Objects live in memory and are gone when it stops.

        USAGE: kip-sandbox [--port <port>] [--kubeconfig-out <file>] [--request-log <file>] [--fault <spec> ...]

        OPTIONS:
          --port <port>           Port on 127.0.0.1; 0 picks a free one. (default: 0)
          --kubeconfig-out <file> Write a kubeconfig (context 'kip-sandbox', plain http, no auth) here.
          --request-log <file>    Append one JSON line per request: method, path, query, status, durationMs.
          --fault <spec>          Fail or slow matching requests: 'METHOD PATHGLOB:STATUS:MODE', STATUS a
                                  code or '+Nms' of added latency, MODE once, always, every-N or after-N.
                                  Example: --fault 'PATCH /api/v1/namespaces/*:500:once'
          -h, --help              Show help information.

        """

    public struct Options {
        public var port = 0
        public var kubeconfigOut: String?
        public var requestLog: String?
        public var faults: [FaultRule] = []
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
            default: throw SandboxError.usage("Unknown option '\(a)'. See 'kip-sandbox --help'.")
            }
            i += 1
        }
        return o
    }

    public static func kubeconfig(server: String) -> String {
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
          user: {}

        """
    }

    /// Starts the server; returns it (its port) once it accepts connections.
    public static func start(_ o: Options) throws -> HTTPServer {
        let api = APIServer(faults: o.faults, requestLog: o.requestLog)
        let server = try HTTPServer(port: o.port) { api.handle($0) }
        server.start()
        if let path = o.kubeconfigOut {
            let tmp = path + ".tmp"
            try kubeconfig(server: "http://127.0.0.1:\(server.port)").write(
                toFile: tmp, atomically: false, encoding: .utf8)
            _ = rename(tmp, path)
        }
        return server
    }
}
