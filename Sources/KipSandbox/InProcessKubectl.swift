import Foundation
import KipCore

/// A kubectl that runs inside the test process against an `APIServer`, so that every kip
/// command can be tested as a unit, in milliseconds, on the sandbox's own store. It
/// understands the kubectl command lines `KubectlDriver` builds (get, apply, delete,
/// config) and answers as kubectl does: a `List` or one object on stdout, `Error from
/// server (Reason): message` on stderr, exit 1 on failure. Anything else is refused
/// loudly, so a new driver verb cannot pass a test unnoticed. The e2e suite keeps what
/// only the real kubectl shows (discovery, OpenAPI, HTTP).
public final class InProcessKubectl: CommandRunner, @unchecked Sendable {
    /// One call at a time, in order: the store's uids and resourceVersions stay the same
    /// from run to run, for golden files.
    public var runsConcurrently: Bool { false }

    public let server: APIServer
    private let lock = NSLock()
    private var recorded: [[String]] = []

    /// By default a server with a fixed clock and counter-based uids, so that what
    /// commands print is the same on every run.
    public init(server: APIServer = APIServer(now: { Date(timeIntervalSince1970: 1_800_000_000) }, deterministic: true))
    {
        self.server = server
    }

    /// Every command line run so far, without the connection flags.
    public var calls: [[String]] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    public func run(_ argv: [String], stdin: Data?) throws -> ProcessResult {
        var args: [String] = []
        var i = 1
        while i < argv.count {
            if ["--kubeconfig", "--context"].contains(argv[i]) {
                i += 2
                continue
            }
            if argv[i].hasPrefix("--request-timeout=") {
                i += 1
                continue
            }
            args.append(argv[i])
            i += 1
        }
        lock.lock()
        recorded.append(args)
        lock.unlock()
        do {
            return try server.serving { try dispatch(args, stdin) }
        } catch let e as APIError {
            return fail("Error from server (\(e.reason)): \(e.message)")
        }
    }

    /// One kubectl line, run while holding the server's lock.
    private func dispatch(_ args: [String], _ stdin: Data?) throws -> ProcessResult {
        switch args.first {
        case "get": return try get(Array(args.dropFirst()))
        case "apply": return try apply(Array(args.dropFirst()), stdin ?? Data())
        case "delete": return try delete(Array(args.dropFirst()))
        case "create": return try create(Array(args.dropFirst()), stdin ?? Data())
        case "patch": return try patch(Array(args.dropFirst()))
        case "config" where args.dropFirst().first == "current-context":
            return ProcessResult(status: 0, stdout: Data("sandbox\n".utf8))
        default:
            return fail("InProcessKubectl does not emulate 'kubectl \(args.joined(separator: " "))'")
        }
    }

    private func fail(_ line: String) -> ProcessResult {
        ProcessResult(status: 1, stderr: Data((line + "\n").utf8))
    }

    /// Flags and positionals of one command line.
    private struct Line {
        var positionals: [String] = []
        var values: [String: String] = [:]
        var flags: Set<String> = []

        init(_ args: [String], valued: Set<String>) {
            var i = 0
            while i < args.count {
                let a = args[i]
                if a.hasPrefix("-") {
                    if let eq = a.firstIndex(of: "=") {
                        values[String(a[..<eq])] = String(a[a.index(after: eq)...])
                    } else if valued.contains(a), i + 1 < args.count {
                        values[a] = args[i + 1]
                        i += 1
                    } else {
                        flags.insert(a)
                    }
                } else {
                    positionals.append(a)
                }
                i += 1
            }
        }
    }

    private static let valued: Set<String> = [
        "-o", "-n", "-l", "-f", "--namespace", "--selector", "--output", "--field-manager", "--field-selector",
    ]

    private func resource(_ token: String) throws -> ResourceInfo {
        guard let r = server.lookup(token) else {
            throw APIError(
                code: 404, reason: "NotFound", message: "the server doesn't have a resource type \"\(token)\"")
        }
        return r
    }

    private func output(_ items: [JSON], single: Bool) -> ProcessResult {
        let doc: JSON =
            single && items.count == 1
            ? items[0]
            : ["apiVersion": "v1", "kind": "List", "items": .array(items), "metadata": ["resourceVersion": ""]]
        return ProcessResult(status: 0, stdout: Data((doc.serialized(pretty: true) + "\n").utf8))
    }

    private func get(_ args: [String]) throws -> ProcessResult {
        let line = Line(args, valued: Self.valued)
        guard line.values["-o"] == "json", let kinds = line.positionals.first else {
            return fail("InProcessKubectl: get needs TYPE and -o json")
        }
        let all = line.flags.contains("-A")
        let ns = line.values["-n"] ?? "default"
        var items: [JSON] = []
        if line.positionals.allSatisfy({ $0.contains("/") }) {
            // `type/name …`, of any types.
            for ref in line.positionals {
                let parts = ref.split(separator: "/", maxSplits: 1).map(String.init)
                let r = try resource(parts[0])
                do { items.append(try server.get(r, namespace: r.namespaced ? ns : nil, name: parts[1])) } catch let e
                    as APIError where e.code == 404
                {
                    if !line.flags.contains("--ignore-not-found") { throw e }
                }
            }
            if items.isEmpty { return ProcessResult(status: 0) }
            return output(items, single: line.positionals.count == 1)
        }
        let names = Array(line.positionals.dropFirst())
        if names.isEmpty {
            for k in kinds.split(separator: ",") {
                let r = try resource(String(k))
                items += try server.list(
                    r, namespace: r.namespaced && !all ? ns : nil, labelSelector: line.values["-l"],
                    fieldSelector: line.values["--field-selector"])
            }
            return output(items, single: false)
        }
        let r = try resource(kinds)
        for n in names {
            do { items.append(try server.get(r, namespace: r.namespaced ? ns : nil, name: n)) } catch let e as APIError
                where e.code == 404
            {
                if !line.flags.contains("--ignore-not-found") { throw e }
            }
        }
        if items.isEmpty { return ProcessResult(status: 0) }
        return output(items, single: names.count == 1)
    }

    private func apply(_ args: [String], _ stdin: Data) throws -> ProcessResult {
        let line = Line(args, valued: Self.valued)
        guard line.flags.contains("--server-side"), line.values["-f"] == "-" else {
            return fail("InProcessKubectl: apply needs --server-side -f -")
        }
        let manager = line.values["--field-manager"] ?? "kubectl"
        var applied: [JSON] = []
        var errors: [String] = []
        for o in try Self.stream(stdin) {
            let gv = o["apiVersion"]?.stringValue ?? ""
            let kind = o["kind"]?.stringValue ?? ""
            let name = o.at("metadata", "name")?.stringValue ?? ""
            guard let r = server.resource(groupVersion: gv, kind: kind) else {
                errors.append(
                    "error: resource mapping not found for name: \"\(name)\" namespace: \"\": no matches for kind \"\(kind)\" in version \"\(gv)\""
                )
                continue
            }
            do {
                let ns =
                    r.namespaced ? (o.at("metadata", "namespace")?.stringValue ?? line.values["-n"] ?? "default") : nil
                let (obj, _) = try server.apply(
                    r, namespace: ns, name: name, config: o, manager: manager,
                    force: line.flags.contains("--force-conflicts"), strict: true, dryRun: false)
                applied.append(obj)
            } catch let e as APIError {
                errors.append("Error from server (\(e.reason)): error when applying patch: \(e.message)")
            }
        }
        // kubectl prints nothing of what it applied when any object failed.
        if !errors.isEmpty { return fail(errors.joined(separator: "\n")) }
        return output(applied, single: true)
    }

    /// `kubectl create -f -`: each object created; one that exists fails as kubectl says
    /// (AlreadyExists), after the others.
    private func create(_ args: [String], _ stdin: Data) throws -> ProcessResult {
        let line = Line(args, valued: Self.valued)
        var out = ""
        var errors: [String] = []
        for o in try Self.stream(stdin) {
            let gv = o["apiVersion"]?.stringValue ?? ""
            let name = o.at("metadata", "name")?.stringValue ?? ""
            guard let r = server.resource(groupVersion: gv, kind: o["kind"]?.stringValue ?? "") else {
                errors.append("error: no matches for kind \"\(o["kind"]?.stringValue ?? "")\" in version \"\(gv)\"")
                continue
            }
            do {
                let ns =
                    r.namespaced ? (o.at("metadata", "namespace")?.stringValue ?? line.values["-n"] ?? "default") : nil
                _ = try server.create(resource: r, namespace: ns, body: o, manager: "kubectl-create", strict: true)
                out += "\(r.singular)\(r.group.isEmpty ? "" : "." + r.group)/\(name)\n"
            } catch let e as APIError {
                errors.append("Error from server (\(e.reason)): error when creating \"STDIN\": \(e.message)")
            }
        }
        if !errors.isEmpty {
            return ProcessResult(
                status: 1, stdout: Data(out.utf8), stderr: Data((errors.joined(separator: "\n") + "\n").utf8))
        }
        return ProcessResult(status: 0, stdout: Data(out.utf8))
    }

    /// `kubectl patch TYPE/NAME --type merge -p JSON`.
    private func patch(_ args: [String]) throws -> ProcessResult {
        let line = Line(args, valued: Self.valued.union(["--type", "-p"]))
        guard line.values["--type"] == "merge", let ref = line.positionals.first, let p = line.values["-p"] else {
            return fail("InProcessKubectl: patch needs TYPE/NAME --type merge -p JSON")
        }
        let parts = ref.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return fail("InProcessKubectl: patch needs TYPE/NAME, got \(ref)") }
        let r = try resource(parts[0])
        _ = try server.patch(
            r, namespace: r.namespaced ? (line.values["-n"] ?? "default") : nil, name: parts[1],
            patch: try JSON.parse(Data(p.utf8)), manager: "kubectl-patch", strict: false)
        return ProcessResult(status: 0, stdout: Data("\(r.singular)/\(parts[1])\n".utf8))
    }

    private func delete(_ args: [String]) throws -> ProcessResult {
        let line = Line(args, valued: Self.valued)
        var out = ""
        for ref in line.positionals {
            let parts = ref.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return fail("InProcessKubectl: delete needs TYPE/NAME, got \(ref)") }
            let r = try resource(parts[0])
            do {
                _ = try server.delete(
                    r, namespace: r.namespaced ? (line.values["-n"] ?? "default") : nil, name: parts[1],
                    policy: "Background")
                out += "\(r.singular)\(r.group.isEmpty ? "" : "." + r.group) \"\(parts[1])\" deleted\n"
            } catch let e as APIError where e.code == 404 && line.flags.contains("--ignore-not-found") {}
        }
        return ProcessResult(status: 0, stdout: Data(out.utf8))
    }

    /// Concatenated JSON objects, as kip writes them on stdin.
    static func stream(_ data: Data) throws -> [JSON] {
        let text = String(decoding: data, as: UTF8.self)
        var out: [JSON] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start: String.Index?
        for i in text.indices {
            let c = text[i]
            if inString {
                if escaped {
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    inString = false
                }
                continue
            }
            switch c {
            case "\"": inString = true
            case "{":
                if depth == 0 { start = i }
                depth += 1
            case "}":
                depth -= 1
                if depth == 0, let s = start { out.append(try JSON.parse(String(text[s...i]))) }
            default: break
            }
        }
        return out
    }
}

extension APIServer {
    /// A resource as kubectl names it on a command line: plural, singular, kind or short
    /// name, optionally with `.group`; without a group the core group wins (`services`).
    func lookup(_ token: String) -> ResourceInfo? {
        let t = token.lowercased()
        let all = registry.allResources
        func names(_ r: ResourceInfo) -> [String] { [r.plural, r.singular, r.kind.lowercased()] + r.shortNames }
        if let r = all.first(where: { $0.group.isEmpty && names($0).contains(t) }) { return r }
        if let r = all.first(where: { !$0.group.isEmpty && names($0).contains(t) }) { return r }
        // `resource.version.group` first, as kubectl reads it, then `resource.group`.
        for r in all where !r.group.isEmpty {
            for n in names(r) where t == "\(n).\(r.version).\(r.group)" { return r }
        }
        for r in all where !r.group.isEmpty {
            for n in names(r) where t == "\(n).\(r.group)" { return r }
        }
        return nil
    }

    func resource(groupVersion gv: String, kind: String) -> ResourceInfo? {
        registry.resources(groupVersion: gv)?.first { $0.kind == kind }
    }
}
