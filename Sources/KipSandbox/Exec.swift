import Foundation
import KipCore

/// `pods/exec` as kube-apiserver and the kubelet answer kubectl 1.30+: a WebSocket
/// upgrade speaking `v5.channel.k8s.io` (or v4), each message's first byte its stream —
/// 0 stdin, 1 stdout, 2 stderr, 3 the closing `Status`, 4 resize, 255 "this stream is
/// closed" (v5). kip-sandbox runs no containers: a small shell answers in their place
/// (`FakeShell`), with the container's environment as the kubelet would set it, and the
/// databases' dump tools reading and writing what the sandbox keeps per StatefulSet.
extension APIServer {
    func exec(_ req: HTTPRequest, _ t: Target, pod name: String) throws -> HTTPResponse {
        // Since 1.31 (AuthorizePodWebsocketUpgradeCreatePermission) a WebSocket GET on
        // exec needs `create` as well as the `get` its method asked for.
        let create = Attributes(
            verb: "create", group: "", resource: "pods", subresource: "exec", namespace: t.namespace, name: name)
        if !allowed(requester, create) { throw Self.forbidden(requester, create) }
        let pod = try get(t.resource, namespace: t.namespace, name: name)
        guard (req.headers["upgrade"] ?? "").lowercased() == "websocket", let wsKey = req.headers["sec-websocket-key"]
        else {
            throw APIError.badRequest("Upgrade request required (kip-sandbox speaks exec over WebSocket only)")
        }
        let offered = (req.headers["sec-websocket-protocol"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard let proto = ["v5.channel.k8s.io", "v4.channel.k8s.io"].first(where: offered.contains) else {
            throw APIError.badRequest("kip-sandbox: exec needs the v5.channel.k8s.io or v4.channel.k8s.io protocol")
        }
        let pairs = req.rawQuery.split(separator: "&").map { pair -> (String, String) in
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let value = kv.count > 1 ? kv[1].replacingOccurrences(of: "+", with: " ") : ""
            return (kv[0], value.removingPercentEncoding ?? value)
        }
        let argv = pairs.filter { $0.0 == "command" }.map(\.1)
        let containers = pod.at("spec", "containers")?.arrayValue ?? []
        let containerName = req.query["container"] ?? containers.first?["name"]?.stringValue ?? ""
        guard let container = containers.first(where: { $0["name"]?.stringValue == containerName }) else {
            throw APIError.badRequest("container \(containerName) is not valid for pod \(name)")
        }
        let running = (pod.at("status", "containerStatuses")?.arrayValue ?? []).contains {
            $0["name"]?.stringValue == containerName && $0.at("state", "running") != nil
        }
        guard running, pod.at("status", "phase")?.stringValue == "Running" else {
            throw APIError(code: 500, reason: "InternalError", message: "container not found (\"\(containerName)\")")
        }
        let namespace = t.namespace ?? "default"
        let env = containerEnvironment(container, pod: pod, namespace: namespace)
        let owner =
            (pod.at("metadata", "ownerReferences")?.arrayValue ?? []).first {
                $0["kind"]?.stringValue == "StatefulSet"
            }?[
                "name"]?.stringValue ?? name
        let store = key(namespace, owner)
        let wantsStdin = req.query["stdin"] == "true" || req.query["stdin"] == "1"
        let tty = req.query["tty"] == "true" || req.query["tty"] == "1"
        var resp = HTTPResponse(status: 101, body: Data())
        resp.headers = [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", WebSocketConnection.accept(key: wsKey)), ("Sec-WebSocket-Protocol", proto),
        ]
        resp.takeover = { [self] fd, leftover in
            let ws = WebSocketConnection(fd: fd, leftover: leftover)
            var shell = FakeShell(env: env, hostname: name) { [self] in
                locked { databases[store] }
            } save: { [self] data in
                locked { databases[store] = data }
            }
            func out(_ stream: UInt8, _ bytes: [UInt8]) {
                var off = 0
                while off < bytes.count {
                    let end = min(off + 32768, bytes.count)
                    ws.send([stream] + bytes[off..<end])
                    off = end
                }
            }
            var code = 0
            let interactive = wantsStdin && argv.count == 1 && ["sh", "bash", "/bin/sh", "/bin/bash"].contains(argv[0])
            if interactive {
                code = shell.interactive(
                    tty: tty,
                    receive: {
                        while let m = ws.receive() {
                            guard let ch = m.first else { continue }
                            if ch == 0 { return Array(m.dropFirst()) }
                            if ch == 255 { return nil }
                        }
                        return nil
                    }, write: out)
            } else {
                var input: [UInt8] = []
                if wantsStdin && proto.hasPrefix("v5") {
                    while let m = ws.receive() {
                        guard let ch = m.first else { continue }
                        if ch == 0 { input += m.dropFirst() } else if ch == 255 { break }
                    }
                }
                let r = shell.run(argv, stdin: input)
                out(1, r.stdout)
                out(2, r.stderr)
                code = r.code
            }
            let status: JSON =
                code == 0
                ? ["metadata": [:], "status": "Success"]
                : [
                    "metadata": [:], "status": "Failure",
                    "message": .string(
                        "command terminated with non-zero exit code: error executing command \(argv), exit code \(code)"
                    ),
                    "reason": "NonZeroExitCode",
                    "details": ["causes": [["reason": "ExitCode", "message": .string(String(code))]]],
                ]
            ws.send([3] + Array(status.serialized().utf8))
            ws.close()
        }
        return resp
    }

    /// The environment the kubelet gives container `c`: literal values, Secret and
    /// ConfigMap keys (`valueFrom`, `envFrom`), the pod's own name and namespace.
    func containerEnvironment(_ c: JSON, pod: JSON, namespace: String) -> [String: String] {
        var env: [String: String] = [
            "HOSTNAME": pod.at("metadata", "name")?.stringValue ?? "",
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
        ]
        func data(_ kind: String, _ name: String) -> [String: String] {
            guard let r = registry.resource(groupVersion: "v1", plural: kind),
                let obj = try? get(r, namespace: namespace, name: name)
            else { return [:] }
            if kind == "secrets" {
                return (obj["data"]?.stringMap ?? [:]).compactMapValues {
                    Data(base64Encoded: $0).map { String(decoding: $0, as: UTF8.self) }
                }
            }
            return obj["data"]?.stringMap ?? [:]
        }
        for from in c["envFrom"]?.arrayValue ?? [] {
            let prefix = from["prefix"]?.stringValue ?? ""
            if let s = from.at("secretRef", "name")?.stringValue {
                for (k, v) in data("secrets", s) { env[prefix + k] = v }
            }
            if let m = from.at("configMapRef", "name")?.stringValue {
                for (k, v) in data("configmaps", m) { env[prefix + k] = v }
            }
        }
        for e in c["env"]?.arrayValue ?? [] {
            guard let n = e["name"]?.stringValue else { continue }
            if let v = e["value"]?.stringValue {
                env[n] = v
            } else if let ref = e.at("valueFrom", "secretKeyRef"), let s = ref["name"]?.stringValue,
                let k = ref["key"]?.stringValue
            {
                env[n] = data("secrets", s)[k]
            } else if let ref = e.at("valueFrom", "configMapKeyRef"), let m = ref["name"]?.stringValue,
                let k = ref["key"]?.stringValue
            {
                env[n] = data("configmaps", m)[k]
            } else if let path = e.at("valueFrom", "fieldRef", "fieldPath")?.stringValue {
                switch path {
                case "metadata.name": env[n] = pod.at("metadata", "name")?.stringValue
                case "metadata.namespace": env[n] = namespace
                default: break
                }
            }
        }
        return env
    }
}

/// What answers an exec in kip-sandbox: a handful of commands (echo, env, printenv, cat,
/// hostname, true, false, exit, `sh -c SCRIPT`), and the database tools, whose dump is
/// whatever was last restored into the same StatefulSet (`psql`/`mysql` read a dump on
/// stdin, `pg_dump`/`mysqldump` print it back), so tests can follow data through.
struct FakeShell {
    var env: [String: String]
    var hostname: String
    var load: () -> Data?
    var save: (Data) -> Void

    struct Result {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var code = 0
    }

    mutating func run(_ argv: [String], stdin: [UInt8]) -> Result {
        guard let program = argv.first else {
            return Result(stderr: Array("kip-sandbox: no command given\n".utf8), code: 126)
        }
        let args = Array(argv.dropFirst())
        var r = Result()
        func say(_ s: String) { r.stdout += Array(s.utf8) }
        func fail(_ s: String, _ code: Int) {
            r.stderr += Array(s.utf8)
            r.code = code
        }
        let name = program.split(separator: "/").last.map(String.init) ?? program
        switch name {
        case "sh", "bash":
            guard args.first == "-c", args.count >= 2 else { return run(["cat"], stdin: stdin) }
            return script(args[1], stdin: stdin)
        case "echo": say(args.joined(separator: " ") + "\n")
        case "env": say(env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined())
        case "printenv":
            if let k = args.first {
                if let v = env[k] { say(v + "\n") } else { r.code = 1 }
            } else {
                return run(["env"], stdin: stdin)
            }
        case "cat": r.stdout = stdin
        case "hostname": say(hostname + "\n")
        case "true": break
        case "false": r.code = 1
        case "exit": r.code = Int(args.first ?? "0") ?? 2
        case "pg_dump", "mysqldump":
            let data = load() ?? Data("-- kip-sandbox: \(name) of an empty database\n".utf8)
            r.stdout = Array(data)
        case "psql", "mysql":
            if args.contains("-c") || args.contains("-e") || args.contains(where: { $0.hasPrefix("--execute") }) {
                say("kip-sandbox: \(name) ran the statement\n")
            } else {
                save(Data(stdin))
            }
        case "redis-cli": say("PONG\n")
        default: fail("kip-sandbox: \(program): not found\n", 127)
        }
        return r
    }

    /// `sh -c SCRIPT`: commands split on `;` and `&&`, each with its quotes, `$VAR`,
    /// `${VAR}` and `${VAR:-default}` as sh reads them, `VAR=value` prefixes and `exec`.
    mutating func script(_ text: String, stdin: [UInt8]) -> Result {
        var total = Result()
        for (command, andThen) in Self.split(text) {
            if andThen && total.code != 0 { continue }
            var words = Self.words(command, env)
            var saved = env
            while let w = words.first, let eq = w.firstIndex(of: "="), !w.hasPrefix("="),
                w[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            {
                env[String(w[..<eq])] = String(w[w.index(after: eq)...])
                words.removeFirst()
            }
            if words.first == "exec" { words.removeFirst() }
            if words.isEmpty {
                saved = env
                continue
            }
            let r = run(words, stdin: stdin)
            env = saved
            total.stdout += r.stdout
            total.stderr += r.stderr
            total.code = r.code
            if words.first == "exit" { break }
        }
        return total
    }

    /// An interactive shell: a line read, a line run, until `exit` or the end of stdin.
    mutating func interactive(tty: Bool, receive: () -> [UInt8]?, write: (UInt8, [UInt8]) -> Void) -> Int {
        var line: [UInt8] = []
        var code = 0
        if tty { write(1, Array("$ ".utf8)) }
        while let chunk = receive() {
            for b in chunk {
                if tty { write(1, b == 13 ? [13, 10] : [b]) }
                if b == 4 { return code }
                guard b == 10 || b == 13 else {
                    line.append(b)
                    continue
                }
                let text = String(decoding: line, as: UTF8.self)
                line = []
                let r = script(text, stdin: [])
                // A terminal's line discipline ends each line with CR LF.
                func lines(_ b: [UInt8]) -> [UInt8] { tty ? b.flatMap { $0 == 10 ? [13, 10] : [$0] } : b }
                write(1, lines(r.stdout))
                write(2, lines(r.stderr))
                code = r.code
                if text.trimmingCharacters(in: .whitespaces).hasPrefix("exit") { return code }
                if tty { write(1, Array("$ ".utf8)) }
            }
        }
        return code
    }

    /// A script's commands, each with whether it ran after `&&`.
    static func split(_ text: String) -> [(String, Bool)] {
        var out: [(String, Bool)] = []
        var current = ""
        var quote: Character? = nil
        var andThen = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if let q = quote {
                if c == q { quote = nil }
                current.append(c)
            } else if c == "'" || c == "\"" {
                quote = c
                current.append(c)
            } else if c == ";" || c == "\n" {
                out.append((current, andThen))
                (current, andThen) = ("", false)
            } else if c == "&", chars.first == "&" {
                chars.removeFirst()
                out.append((current, andThen))
                (current, andThen) = ("", true)
            } else {
                current.append(c)
            }
        }
        out.append((current, andThen))
        return out.filter { !$0.0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// One command's words after quoting and parameter expansion.
    static func words(_ text: String, _ env: [String: String]) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var chars = Array(text)[...]
        func expand() -> String {
            if chars.first == "{", let close = chars.firstIndex(of: "}") {
                let inner = String(chars[chars.index(after: chars.startIndex)..<close])
                chars = chars[chars.index(after: close)...]
                if let r = inner.range(of: ":-") {
                    let v = env[String(inner[..<r.lowerBound])] ?? ""
                    return v.isEmpty ? String(inner[r.upperBound...]) : v
                }
                return env[inner] ?? ""
            }
            var name = ""
            while let c = chars.first, c.isLetter || c.isNumber || c == "_" {
                name.append(c)
                chars.removeFirst()
            }
            return name.isEmpty ? "$" : env[name] ?? ""
        }
        while let c = chars.popFirst() {
            if quote == "'" {
                if c == "'" { quote = nil } else { current.append(c) }
            } else if quote == "\"" {
                if c == "\"" {
                    quote = nil
                } else if c == "$" {
                    current += expand()
                } else if c == "\\", let n = chars.first, "\"\\$".contains(n) {
                    current.append(chars.removeFirst())
                } else {
                    current.append(c)
                }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == "$" {
                current += expand()
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord || !current.isEmpty { words.append(current) }
                (current, inWord) = ("", false)
            } else {
                current.append(c)
                inWord = true
            }
        }
        if inWord || !current.isEmpty { words.append(current) }
        return words
    }
}
