import Foundation
import KipCore
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// What one command left behind.
public struct Run: CustomStringConvertible {
    public var code: Int32
    public var stdout: String
    public var stderr: String
    public var description: String { "exit \(code)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// One cluster for one test: a fresh `kip-sandbox` process with its own kubeconfig,
/// `KIP_HOME` and `KUBECACHEDIR`, or, when `KIP_E2E_KUBECONFIG` is set, that real cluster
/// (names made unique per test and the test's projects deleted afterwards).
public final class E2ECluster {
    public let kubeconfig: String
    public let home: String
    public let cacheDir: String
    public let requestLog: String
    public let isReal: Bool
    private var process: Process?
    private let suffix: String
    private var created: [String] = []
    public let binDir: String

    /// What the sandbox runs with unless a test says otherwise: time passes, as on a real
    /// control plane (a deleted namespace stays Terminating for half a second, the
    /// garbage collector and CRD establishment lag, rollouts take half a second).
    public static let realTime = [
        "--namespace-delay", "0.5", "--gc-delay", "0.3", "--crd-delay", "0.3", "--rollout-delay", "0.5",
    ]

    /// Starts a sandbox (with `faults`, in kip-sandbox's `--fault` syntax, and `options`)
    /// unless a real cluster is configured; tests that need faults skip on a real cluster.
    public init(
        _ test: XCTestCase, faults: [String] = [], options: [String] = E2ECluster.realTime, sandboxOnly: Bool = false
    ) throws {
        let dir = temporaryDirectory(test)
        home = dir + "/kip-home"
        cacheDir = dir + "/kube-cache"
        requestLog = dir + "/requests.jsonl"
        suffix = String(UUID().uuidString.prefix(6).lowercased())
        binDir =
            ProcessInfo.processInfo.environment["KIP_BIN_DIR"]
            ?? packageRoot().appendingPathComponent(".build/debug").path
        guard FileManager.default.isExecutableFile(atPath: binDir + "/kip") else {
            throw XCTSkip("kip is not built in \(binDir): run 'swift build' (make test does) first")
        }
        if !sandboxOnly, let real = ProcessInfo.processInfo.environment["KIP_E2E_KUBECONFIG"], !real.isEmpty {
            if !faults.isEmpty { throw XCTSkip("fault injection needs kip-sandbox; skipped on a real cluster") }
            kubeconfig = real
            isReal = true
        } else {
            kubeconfig = dir + "/kubeconfig"
            isReal = false
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binDir + "/kip-sandbox")
            p.arguments =
                ["--port", "0", "--kubeconfig-out", kubeconfig, "--request-log", requestLog]
                + faults.flatMap { ["--fault", $0] } + options
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.standardError
            try p.run()
            process = p
            let deadline = Date().addingTimeInterval(10)
            while !FileManager.default.fileExists(atPath: kubeconfig) {
                guard Date() < deadline, p.isRunning else { throw XCTSkip("kip-sandbox did not start") }
                usleep(5_000)
            }
        }
        test.addTeardownBlock { [self] in self.stop() }
    }

    /// A name for this test: the given one on the sandbox, made unique on a real cluster.
    public func name(_ base: String) -> String {
        let n = isReal ? "\(base)-\(suffix)" : base
        if !created.contains(n) { created.append(n) }
        return n
    }

    public var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["KIP_HOME"] = home
        env["KUBECONFIG"] = kubeconfig
        env["KUBECACHEDIR"] = cacheDir
        env["HOME"] = home
        env["NO_COLOR"] = "1"
        env["KIP_CLUSTER"] = nil
        if !isReal, env["KIP_KUBECTL"] == nil, let client = Self.sandboxClient { env["KIP_KUBECTL"] = client }
        return env
    }

    /// The kubectl client the tests run against kip-sandbox, when `kubectl` on PATH is the
    /// Google Cloud SDK's dispatcher: it asks the server's `/version` and then runs the
    /// matching `kubectl.1.NN` installed beside it, two Go programs per call. kip-sandbox
    /// reports 1.33, so the tests run `kubectl.1.33` itself (the client the dispatcher would
    /// pick) at half the cost. `KIP_E2E_KUBECTL` names another client; on a real cluster the
    /// tests run `kubectl` as found.
    public static let sandboxClient: String? = {
        let env = ProcessInfo.processInfo.environment
        if let named = env["KIP_E2E_KUBECTL"], !named.isEmpty { return named }
        for dir in (env["PATH"] ?? "").split(separator: ":") {
            let path = String(dir) + "/kubectl"
            guard FileManager.default.isExecutableFile(atPath: path) else { continue }
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath()
            let versioned = real.deletingLastPathComponent().appendingPathComponent("kubectl.1.33").path
            return FileManager.default.isExecutableFile(atPath: versioned) ? versioned : nil
        }
        return nil
    }()

    public func run(_ argv: [String], stdin: String? = nil, env extra: [String: String] = [:]) -> Run {
        var env = environment
        for (k, v) in extra { env[k] = v }
        var argv = argv
        if argv.first == "kubectl", let client = env["KIP_KUBECTL"] { argv[0] = client }
        do {
            let r = try ProcessRunner(environment: env).run(argv, stdin: stdin.map { Data($0.utf8) })
            return Run(
                code: r.status, stdout: String(decoding: r.stdout, as: UTF8.self),
                stderr: String(decoding: r.stderr, as: UTF8.self))
        } catch {
            return Run(code: -1, stdout: "", stderr: "\(error)")
        }
    }

    /// Runs the built kip.
    @discardableResult
    public func kip(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) -> Run {
        run([binDir + "/kip"] + args, stdin: stdin, env: env)
    }

    @discardableResult
    public func kip(_ line: String, stdin: String? = nil) -> Run {
        kip(line.split(separator: " ").map(String.init), stdin: stdin)
    }

    /// Runs the built kip on a pseudo-terminal (stdin, stdout and stderr all a terminal),
    /// typing `input` line by line; `interruptAfterPrompt` sends SIGINT once `prompt`
    /// appears instead of typing. Returns the exit code (negative for a signal) and
    /// everything the terminal showed.
    public func kipInTerminal(
        _ args: [String], input: [String] = [], waitFor prompt: String? = nil, interrupt: Bool = false,
        noColor: Bool = true
    ) throws -> Run {
        var master: Int32 = 0
        var slave: Int32 = 0
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { throw KipError("openpty failed") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binDir + "/kip")
        p.arguments = args
        var env = environment
        env["TERM"] = "xterm"
        if !noColor { env["NO_COLOR"] = nil }
        p.environment = env
        let slaveHandle = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        p.standardInput = slaveHandle
        p.standardOutput = slaveHandle
        p.standardError = slaveHandle
        try p.run()
        close(slave)
        var seen = Data()
        var buf = [UInt8](repeating: 0, count: 4096)
        func pump(until deadline: Date, _ done: () -> Bool) {
            while Date() < deadline && !done() {
                var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                if poll(&pfd, 1, 50) > 0 {
                    let n = read(master, &buf, buf.count)
                    if n <= 0 { return }
                    seen.append(contentsOf: buf[0..<n])
                }
            }
        }
        if let prompt {
            pump(until: Date().addingTimeInterval(20)) { String(decoding: seen, as: UTF8.self).contains(prompt) }
        }
        if interrupt {
            kill(p.processIdentifier, SIGINT)
        } else {
            for line in input {
                let bytes = Array((line + "\n").utf8)
                _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            }
        }
        pump(until: Date().addingTimeInterval(30)) { !p.isRunning }
        pump(until: Date().addingTimeInterval(0.3)) { false }
        p.waitUntilExit()
        close(master)
        let code = p.terminationReason == .uncaughtSignal ? -p.terminationStatus : p.terminationStatus
        return Run(
            code: code, stdout: String(decoding: seen, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n"),
            stderr: "")
    }

    /// Runs the real kubectl against the same cluster.
    @discardableResult
    public func kubectl(_ args: [String], stdin: String? = nil) -> Run { run(["kubectl"] + args, stdin: stdin) }

    public func kubectlJSON(_ args: [String]) throws -> JSON {
        let r = kubectl(args + ["-o", "json"])
        guard r.code == 0 else { throw KipError("kubectl \(args.joined(separator: " ")) failed: \(r.stderr)") }
        return try JSON.parse(r.stdout)
    }

    /// Names of the objects of `kind` (optionally in a namespace).
    public func names(_ kind: String, namespace: String? = nil) throws -> [String] {
        var args = ["get", kind]
        if let namespace { args += ["-n", namespace] }
        return (try kubectlJSON(args)["items"]?.arrayValue ?? []).compactMap { $0.at("metadata", "name")?.stringValue }
            .sorted()
    }

    /// The sandbox's request log (empty on a real cluster).
    /// Requests that listed a namespaced kind across all namespaces (`/api/v1/secrets`,
    /// `/apis/apps/v1/deployments`): what a scoped command never sends.
    public func clusterWideLists() -> [String] {
        let namespaced: Set<String> = [
            "secrets", "configmaps", "services", "serviceaccounts", "persistentvolumeclaims", "pods", "deployments",
            "statefulsets", "ingresses", "horizontalpodautoscalers", "cronjobs", "jobs", "apps", "volumes", "functions",
            "rolebindings", "roles",
        ]
        return requests().compactMap { r -> String? in
            guard r["method"]?.stringValue == "GET", let path = r["path"]?.stringValue, !path.contains("/namespaces/"),
                let last = path.split(separator: "/").last, namespaced.contains(String(last))
            else { return nil }
            return path
        }
    }

    /// A kubeconfig for the same sandbox acting as `user` (in `groups`), by impersonation
    /// from the admin kubeconfig; its path is the admin's plus `.USER`.
    public func impersonating(_ user: String, groups: [String] = []) throws -> String {
        let admin = try String(contentsOfFile: kubeconfig, encoding: .utf8)
        let path = kubeconfig + "." + user
        let impersonate =
            groups.isEmpty ? "{as: \(user)}" : "{as: \(user), as-groups: [\(groups.joined(separator: ", "))]}"
        try admin.replacingOccurrences(of: "user: {}", with: "user: \(impersonate)").write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Requests that change something: not a read, not a review (`auth whoami`, access
    /// reviews create nothing), not a test's own call to the sandbox.
    public func writes() -> Int {
        requests().filter { r in
            let path = r["path"]?.stringValue ?? ""
            return ["POST", "PUT", "PATCH", "DELETE"].contains(r["method"]?.stringValue ?? "")
                && !path.hasSuffix("reviews") && !path.hasPrefix("/kip-sandbox/")
        }.count
    }

    public func requests() -> [JSON] {
        guard let text = try? String(contentsOfFile: requestLog, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
    }

    /// Number of kubectl processes kip started, read from `kip -v` output.
    public static func kubectlCalls(_ r: Run) -> Int {
        r.stderr.split(separator: "\n").filter { $0.hasPrefix("+ kubectl") }.count
    }

    func stop() {
        if isReal {
            for n in created {
                _ = kubectl(["delete", "projects.kipper.run", n, "--ignore-not-found", "--wait=false"])
            }
        }
        if let p = process, p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
    }
}
