import Foundation

/// kubectl verbs, as kip uses them. Manifests and secret values go on stdin, never argv.
public final class KubectlDriver {
    public let runner: CommandRunner
    public let target: ClusterTarget
    private let trace: ((String) -> Void)?
    /// Counts the processes and rounds of the command (shared by its drivers).
    public let rounds: Rounds

    /// How long one kubectl request may take (`30s`, `2m`; `0` for no bound): passed as
    /// `--request-timeout` on every call, so a server that accepts and never answers
    /// costs that long, not kubectl's minutes.
    public let requestTimeout: String?
    /// Which project environment a namespace is (`shop-prod` → `shop`, `prod`), once a
    /// command has resolved it: a refusal there then names it in kip's terms.
    public var places = Places()
    /// The kip command being run (`app deploy`), for saying what a refusal stops.
    public var command: String?
    /// The least of kip's roles the command needs (`developer` for a write), so that a
    /// refusal of its first read does not suggest a role too small for the rest.
    public var commandRole: String?

    public init(
        runner: CommandRunner, target: ClusterTarget, requestTimeout: String? = nil, trace: ((String) -> Void)? = nil,
        rounds: Rounds = Rounds()
    ) {
        self.rounds = rounds
        self.runner = runner
        self.target = target
        self.requestTimeout = requestTimeout
        self.trace = trace
    }

    private var connection: [String] {
        var a: [String] = []
        if let k = target.kubeconfig { a += ["--kubeconfig", k] }
        if let c = target.context { a += ["--context", c] }
        return a
    }

    /// `30s`, `2m`, `1h`, `0`: what `--request-timeout` accepts (kip's subset of Go
    /// durations). Returns the seconds, or nil when it is not one.
    public static func seconds(_ d: String) -> Int? {
        if d == "0" { return 0 }
        guard let unit = d.last, let n = Int(d.dropLast()), n >= 0 else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        default: return nil
        }
    }

    /// Runs `kubectl <args>` and returns stdout, or throws with argv and stderr.
    @discardableResult
    public func kubectl(_ args: [String], stdin: Data? = nil) throws -> Data {
        let (argv, r) = try run(args, stdin: stdin)
        guard r.status == 0 else { throw failure(argv, r) }
        return r.stdout
    }

    /// Runs `kubectl <args>` with its output handed on as it comes (no request timeout:
    /// `logs --follow` runs until it is stopped); throws as `kubectl` does on failure.
    public func stream(_ args: [String], output: @escaping @Sendable (Data) -> Void) throws {
        let argv = ["kubectl"] + connection + args
        trace?("+ " + argv.map(Self.shellQuote).joined(separator: " "))
        rounds.process()
        let r: ProcessResult
        do { r = try runner.stream(argv, output: output) } catch let e as RunnerError { throw KipError(e.description) }
        guard r.status == 0 else { throw failure(argv, r) }
    }

    /// Runs `kubectl <args>` on kip's own standard streams (no request timeout: an exec
    /// lasts as long as its command); returns kubectl's status, which is the command's.
    public func attached(_ args: [String]) throws -> Int32 {
        let argv = ["kubectl"] + connection + args
        trace?("+ " + argv.map(Self.shellQuote).joined(separator: " "))
        rounds.process()
        let r: ProcessResult
        do {
            r = try runner.attached(argv, environment: [:]) { line in
                line.contains(" is forbidden: User \"") || line.contains("You must be logged in to the server")
            }
        } catch let e as RunnerError { throw KipError(e.description) }
        if r.status != 0, !r.stderr.isEmpty { throw failure(argv, r) }
        return r.status
    }

    /// Starts `kubectl port-forward …` beside kip and waits (up to `timeout` seconds) for
    /// the local port it says it forwards from; the process and the port. A refusal is
    /// said as kip says every refusal.
    public func forward(_ args: [String], timeout: Double) throws -> (Running, Int) {
        let argv = ["kubectl"] + connection + args
        trace?("+ " + argv.map(Self.shellQuote).joined(separator: " ") + " &")
        rounds.process()
        let found = Box<Int?>(nil)
        let running: Running
        do {
            running = try runner.start(argv) { line in
                if found.get() == nil, let p = PodStreams.forwardedPort(line) { found.set(p) }
            } withheld: { line in
                line.contains(" is forbidden: User \"") || line.contains("You must be logged in to the server")
            }
        } catch let e as RunnerError { throw KipError(e.description) }
        let started = Date()
        while found.get() == nil {
            if !running.isRunning {
                let status = running.wait()
                Thread.sleep(forTimeInterval: 0.05)  // the last stderr lines
                throw failure(argv, ProcessResult(status: status, stderr: Data(running.withheld.utf8)))
            }
            if timeout > 0, Date().timeIntervalSince(started) > timeout {
                running.stop()
                throw KipError("kubectl port-forward did not say which port it forwards within \(Int(timeout))s")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return (running, found.get()!)
    }

    /// Runs `kubectl <first> | kubectl <second>`; throws with the stderr of the first that
    /// failed.
    public func piped(_ first: [String], into second: [String]) throws -> Data {
        let a = ["kubectl"] + connection + first
        let b = ["kubectl"] + connection + second
        trace?(
            "+ " + a.map(Self.shellQuote).joined(separator: " ") + " | " + b.map(Self.shellQuote).joined(separator: " ")
        )
        rounds.process()
        rounds.process()
        let r: (first: ProcessResult, second: ProcessResult)
        do { r = try runner.piped(a, into: b) } catch let e as RunnerError { throw KipError(e.description) }
        if r.first.status != 0 { throw failure(a, r.first) }
        if r.second.status != 0 { throw failure(b, r.second) }
        return r.second.stdout
    }

    private func run(_ args: [String], stdin: Data?) throws -> ([String], ProcessResult) {
        let argv = ["kubectl"] + connection + args + (requestTimeout.map { ["--request-timeout=\($0)"] } ?? [])
        trace?("+ " + argv.map(Self.shellQuote).joined(separator: " "))
        rounds.process()
        do { return (argv, try runner.run(argv, stdin: stdin)) } catch let e as RunnerError {
            throw KipError(e.description)
        }
    }

    private func failure(_ argv: [String], _ r: ProcessResult) -> KipError {
        let err = String(decoding: r.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let lines = err.split(separator: "\n").map(String.init)
        var summary = lines.last(where: { !$0.isEmpty }) ?? "exit status \(r.status)"
        if let m = err.range(of: "the server doesn't have a resource type \"") {
            let kind = err[m.upperBound...].prefix { $0 != "\"" }
            summary = "the cluster does not know \"\(kind)\": run 'kip install' on cluster \"\(target.name)\" first"
            return KipError(
                summary, detail: ["$ " + argv.map(Self.shellQuote).joined(separator: " ")] + lines.map { "  " + $0 })
        }
        // 401: the credentials, not the rights. kubectl's discovery cache adds a line per
        // group it could not read; one sentence says it all.
        if err.contains("You must be logged in to the server") || err.contains("provide credentials")
            || err.contains("(Unauthorized)")
        {
            return KipError(
                "cluster \"\(target.name)\" did not accept your credentials (401 Unauthorized): log in again, or check the user of your kubeconfig's context",
                detail: ["$ " + argv.map(Self.shellQuote).joined(separator: " ")])
        }
        // A write into a namespace being deleted: not a matter of rights.
        if let r = err.range(of: "unable to create new content in namespace "),
            err.contains("because it is being terminated")
        {
            let ns = String(err[r.upperBound...].prefix { !$0.isWhitespace })
            let place = places[ns].map { " (\($0.project)/\($0.environment))" } ?? ""
            let fix = places[ns].map { "; once it is gone, 'kip project sync \($0.project)' recreates it" } ?? ""
            return KipError(
                "namespace \(ns)\(place) is being deleted (Terminating): nothing can be written there\(fix)",
                detail: ["$ " + argv.map(Self.shellQuote).joined(separator: " ")])
        }
        // RBAC's escalation check: a grant of permissions the granter does not hold.
        if err.contains("is attempting to grant RBAC permissions not currently held") {
            let user = err.range(of: "user \"").map { String(err[$0.upperBound...].prefix { $0 != "\"" }) } ?? "you"
            var e = KipError(
                "RBAC refused the grant: user \"\(user)\" may grant only permissions they hold themselves in that environment (RBAC's escalation check); a kip admin of the environment, or a cluster admin, can grant it",
                detail: ["$ " + argv.map(Self.shellQuote).joined(separator: " ")])
            e.isForbidden = true
            return e
        }
        if let refusal = lines.lazy.compactMap(Forbidden.init).first {
            var e = KipError(
                refusal.sentence(places, command: command, floor: commandRole),
                detail: ["$ " + argv.map(Self.shellQuote).joined(separator: " ")] + lines.map { "  " + $0 })
            e.isForbidden = true
            return e
        }
        if err.contains("the object has been modified") {
            var e = KipError(
                "kubectl failed: \(summary)",
                detail: ["$ " + argv.map(Self.shellQuote).joined(separator: " ")] + lines.map { "  " + $0 })
            e.isConflict = true
            return e
        }
        if err.contains("Client.Timeout exceeded") || err.contains("context deadline exceeded")
            || err.contains("net/http: request canceled") || err.contains("i/o timeout")
        {
            let t = requestTimeout.flatMap(Self.seconds).map { "\($0) s" } ?? "its timeout"
            return KipError(
                "cluster \"\(target.name)\" did not answer within \(t): check the connection, or allow longer with --request-timeout",
                detail: ["$ " + argv.map(Self.shellQuote).joined(separator: " ")] + lines.map { "  " + $0 })
        }
        if err.contains("connection refused") || err.contains("Unable to connect to the server") {
            summary = "cannot reach cluster \"\(target.name)\": \(summary)"
        } else {
            summary = "kubectl failed: \(summary)"
        }
        return KipError(
            summary, detail: ["$ " + argv.map(Self.shellQuote).joined(separator: " ")] + lines.map { "  " + $0 })
    }

    /// Server-side apply of every object in one call, as a stream of JSON objects on
    /// stdin (kubectl validates each object's kind against the server's OpenAPI, which
    /// has no `List`); returns the objects as the server stored them, uids included.
    @discardableResult
    public func apply(_ objects: [JSON], fieldManager: String = "kip") throws -> [JSON] {
        if objects.isEmpty { return [] }
        let stream = objects.map { $0.serialized() }.joined(separator: "\n") + "\n"
        let out = try kubectl(
            [
                "apply", "--server-side", "--field-manager=\(fieldManager)", "--force-conflicts", "-o", "json", "-f",
                "-",
            ],
            stdin: Data(stream.utf8))
        return try Self.items(out)
    }

    /// Removes `keys` from a Secret's data, whichever field managers own them (a JSON
    /// patch; each key must be there).
    public func removeKeys(_ keys: [String], ofSecret name: String, namespace: String) throws {
        if keys.isEmpty { return }
        func pointer(_ k: String) -> String {
            k.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
        }
        let ops = JSON.array(keys.map { ["op": "remove", "path": .string("/data/\(pointer($0))")] })
        try kubectl(["patch", "secret", name, "-n", namespace, "--type=json", "-p", ops.serialized()])
    }

    /// Whether the API server allows each SelfSubjectAccessReview, asked in one kubectl
    /// call (one request each); `as` impersonates another user.
    public func accessReviews(_ reviews: [JSON], as user: String? = nil, groups: [String] = []) throws -> [Bool] {
        if reviews.isEmpty { return [] }
        let stream = reviews.map { $0.serialized() }.joined(separator: "\n") + "\n"
        let out = try kubectl(
            ["create", "-o", "json", "-f", "-"] + (user.map { ["--as", $0] } ?? [])
                + (user == nil ? [] : groups.flatMap { ["--as-group", $0] }), stdin: Data(stream.utf8))
        let items: [JSON]
        do { items = try JSON.parseStream(out).flatMap { $0["items"]?.arrayValue ?? [$0] } } catch {
            throw KipError("kubectl printed something that is not JSON: \(error)")
        }
        guard items.count == reviews.count else {
            throw KipError("kubectl answered \(items.count) of \(reviews.count) access reviews")
        }
        return items.map { $0.at("status", "allowed")?.boolValue ?? false }
    }

    /// One `kubectl get` for several kinds: `kinds` comma-joined (`namespaces,projects`).
    public func get(
        _ kinds: [String], namespace: String? = nil, selector: String? = nil, fieldSelector: String? = nil,
        managedFields: Bool = false
    ) throws -> [JSON] {
        var args = ["get", kinds.joined(separator: ","), "-o", "json"]
        // Who wrote what, and when: kubectl leaves it out unless asked.
        if managedFields { args.append("--show-managed-fields") }
        // Never across all namespaces: a cluster-wide list of Secrets is cluster-admin in
        // all but name, and its cost grows with the cluster, not the command.
        if let namespace { args += ["-n", namespace] }
        if let selector { args += ["-l", selector] }
        if let fieldSelector { args += ["--field-selector", fieldSelector] }
        return try Self.items(try kubectl(args))
    }

    /// The last line container `container` of pod `pod` printed before it last exited
    /// (`kubectl logs --previous --tail 1`); nil when there is none or it cannot be read.
    public func lastLogLine(pod: String, container: String, namespace: String) -> String? {
        let out = try? kubectl(["logs", pod, "-c", container, "-n", namespace, "--previous", "--tail", "1"])
        let line = out.flatMap { String(data: $0, encoding: .utf8) }?
            .split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) }
        return line?.isEmpty == false ? line : nil
    }

    /// Named objects of one kind; missing ones are left out rather than failing.
    public func get(_ kind: String, names: [String], namespace: String? = nil) throws -> [JSON] {
        if names.isEmpty { return [] }
        var args = ["get", kind] + names + ["-o", "json", "--ignore-not-found"]
        if let namespace { args += ["-n", namespace] }
        let out = try kubectl(args)
        if out.isEmpty { return [] }
        return try Self.items(out)
    }

    /// Deletes objects named `type/name` (cluster-scoped or in `namespace`) in one call;
    /// absent ones are not an error, and it does not wait: the cluster's garbage collector
    /// finishes the cascade.
    public func delete(refs: [String], namespace: String? = nil) throws {
        if refs.isEmpty { return }
        var args = ["delete"] + refs + ["--ignore-not-found", "--wait=false"]
        if let namespace { args += ["-n", namespace] }
        try kubectl(args)
    }

    static func items(_ out: Data) throws -> [JSON] {
        if out.isEmpty { return [] }
        let doc: JSON
        do { doc = try JSON.parse(out) } catch {
            throw KipError("kubectl printed something that is not JSON: \(error)")
        }
        if let items = doc["items"]?.arrayValue { return items }
        return [doc]
    }

    public static func shellQuote(_ s: String) -> String {
        if !s.isEmpty,
            s.unicodeScalars.allSatisfy({
                CharacterSet.alphanumerics.contains($0) || "-_./=:,@%+".unicodeScalars.contains($0)
            })
        {
            return s
        }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Waits until every named CustomResourceDefinition is Established, reading them
    /// every `interval` (one kubectl call each time), for at most `timeout` seconds. A
    /// new CRD is served only once Established, so a command right after `kip install`
    /// would otherwise fail.
    public func waitEstablished(_ crds: [String], timeout: TimeInterval = 60, interval: TimeInterval = 0.2) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let items = try get("customresourcedefinitions.v1.apiextensions.k8s.io", names: crds)
            let ready = Set(
                items.filter { o in
                    (o.at("status", "conditions")?.arrayValue ?? []).contains {
                        $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True"
                    }
                }.compactMap { $0.at("metadata", "name")?.stringValue })
            let waiting = crds.filter { !ready.contains($0) }
            if waiting.isEmpty { return }
            if Date() >= deadline {
                throw KipError(
                    "the cluster has not established \(waiting.joined(separator: ", ")) after \(Int(timeout)) s: check 'kubectl get crd \(waiting[0]) -o yaml', then run 'kip install' again"
                )
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// Waits until the named objects of `kind` are gone, reading them every `interval`
    /// (one kubectl call each time), calling `gone` once for each as it goes; at most
    /// `timeout` seconds, then an error naming what is still there.
    public func waitGone(
        _ kind: String, _ names: [String], namespace: String? = nil, timeout: TimeInterval = 300,
        interval: TimeInterval = 0.25, gone: (String) -> Void
    ) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var left = names
        while !left.isEmpty {
            let there = Set(
                try get(kind, names: left, namespace: namespace).compactMap { $0.at("metadata", "name")?.stringValue })
            for n in left where !there.contains(n) { gone(n) }
            left = left.filter(there.contains)
            if left.isEmpty { return }
            if Date() >= deadline {
                throw KipError(
                    "\(left.joined(separator: ", ")) still being deleted after \(Int(timeout)) s: see 'kubectl get \(kind) \(left[0]) -o yaml' (finalizers, pods still running)"
                )
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// Runs independent reads at the same time (one kubectl process each): several
    /// processes cost CPU, not round trips. Returns their results in order; the first
    /// error, in order, is thrown.
    public func concurrently(_ reads: [() throws -> [JSON]]) throws -> [[JSON]] {
        if reads.count == 1 { return [try reads[0]()] }
        return try results(reads).map { try $0.get() }
    }

    /// Runs steps at the same time (one thread each: each waits on a process, not a
    /// core), as one round, and returns how each ended, in order.
    public func results(_ steps: [() throws -> [JSON]]) -> [Result<[JSON], Error>] {
        rounds.beginRound()
        if !runner.runsConcurrently {
            let inside = Rounds.insideRound
            Rounds.enterRound()
            defer { if !inside { Rounds.leaveRound() } }
            return steps.map { step in Result { try step() } }
        }
        let results = ResultBox(count: steps.count)
        let group = DispatchGroup()
        for i in steps.indices {
            group.enter()
            Thread.detachNewThread {
                Rounds.enterRound()
                results.set(i, Result { try steps[i]() })
                group.leave()
            }
        }
        group.wait()
        return results.values.map { $0! }
    }

    /// What a command acting in some namespaces needs, read at once and scoped: the
    /// Projects (every one, or the one named: each is small and readable by every kip
    /// user), the named namespaces (the cluster settings' `kipper-system` among them),
    /// and `kinds` inside each namespace of `inside` — all of them, kip's or not, so that
    /// a command sees what it must not take over. Nothing is listed across all namespaces.
    /// `objects` (`TYPE/NAME`, inside the one namespace of `inside`) are read by name: the
    /// types sharing a name in one kubectl call, `--field-selector metadata.name=NAME`, so
    /// one request per type whether the object exists or not (a GET of a missing object
    /// costs kubectl a second request), and nothing else the namespace holds.
    public func scopedRead(
        projects: ProjectRead = .all, namespaces: [String], kinds: [String], inside: [String], objects: [String] = []
    ) throws -> [JSON] {
        let r = try guessedRead(
            projects: projects, namespaces: namespaces, guessed: [], kinds: kinds, inside: inside, objects: objects)
        return r.items
    }

    /// `scopedRead`, where the namespaces of `guessed` are guesses (a namespace the flags
    /// may name, before the Project that says which is read): each is read on its own,
    /// and a 403 on it or on what `inside` reads in it counts as nothing there, so that a
    /// user with rights in their own environments only is never refused for kip's guess.
    /// The refusals come back by namespace, for the caller to raise when the guess was
    /// right after all. Everything in one concurrent round.
    public func guessedRead(
        projects: ProjectRead, namespaces: [String], guessed: [String], kinds: [String], inside: [String],
        objects: [String] = []
    ) throws -> (items: [JSON], refused: [String: KipError]) {
        let refused = RefusalBox()
        let guesses = Set(guessed)
        // The refusal kept for a namespace is its own read's when it has one (`get
        // namespaces` says most plainly what is lacking), whichever thread ends first.
        func tolerant(_ ns: String, first: Bool = false, _ read: @escaping () throws -> [JSON]) -> () throws -> [JSON] {
            guard guesses.contains(ns) else { return read }
            return {
                do { return try read() } catch let e as KipError where e.isForbidden {
                    refused.set(ns, e, first: first)
                    return []
                }
            }
        }
        var reads: [() throws -> [JSON]] = []
        if case .all = projects { reads.append { try self.get([CRDs.project]) } }
        var named = Array(Set(namespaces).subtracting(guesses)).sorted().map { "namespace/\($0)" }
        if case .named(let p) = projects { named.append("\(CRDs.project)/\(p)") }
        if case .names(let ps) = projects { named += ps.map { "\(CRDs.project)/\($0)" } }
        let guessedRefs = guesses.sorted().map { "namespace/\($0)" }
        if !named.isEmpty || !guessedRefs.isEmpty {
            // One call for all; only when a guess is refused, each guess apart (a user
            // whose rights stop at their own environments).
            reads.append {
                do { return try self.get(refs: named + guessedRefs) } catch let e as KipError
                    where e.isForbidden && !guessedRefs.isEmpty
                {
                    let apart = try self.concurrently(
                        [{ try self.get(refs: named) }]
                            + guesses.sorted().map { ns in
                                tolerant(ns, first: true) { try self.get(refs: ["namespace/\(ns)"]) }
                            })
                    return apart.flatMap { $0 }
                }
            }
        }
        if let ns = inside.first {
            var byName: [(name: String, types: [String])] = []
            for ref in objects {
                let parts = ref.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                if let i = byName.firstIndex(where: { $0.name == parts[1] }) {
                    if !byName[i].types.contains(parts[0]) { byName[i].types.append(parts[0]) }
                } else {
                    byName.append((parts[1], [parts[0]]))
                }
            }
            for (name, types) in byName {
                reads.append(
                    tolerant(ns) { try self.get(types, namespace: ns, fieldSelector: "metadata.name=\(name)") })
            }
        }
        if !kinds.isEmpty {
            for ns in Array(Set(inside)).sorted() { reads.append(tolerant(ns) { try self.get(kinds, namespace: ns) }) }
        }
        return (try concurrently(reads).flatMap { $0 }, refused.all)
    }

    public enum ProjectRead: Sendable {
        case all
        case named(String)
        case names([String])
        case none
    }

    /// Objects named `type/name`, of any types, in one call; missing ones left out.
    public func get(refs: [String]) throws -> [JSON] {
        if refs.isEmpty { return [] }
        let out = try kubectl(["get"] + refs + ["-o", "json", "--ignore-not-found"])
        if out.isEmpty { return [] }
        return try Self.items(out)
    }
}

/// Which project and environment each namespace is, as far as the command has read:
/// shared by every driver of one command, so that a refusal names the place.
public final class Places: @unchecked Sendable {
    private let lock = NSLock()
    private var map: [String: (project: String, environment: String)] = [:]

    public init() {}

    public subscript(namespace: String) -> (project: String, environment: String)? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return map[namespace]
        }
        set {
            lock.lock()
            map[namespace] = newValue
            lock.unlock()
        }
    }
}

/// Refusals met by concurrent guessed reads, by namespace.
final class RefusalBox: @unchecked Sendable {
    private let lock = NSLock()
    private var map: [String: KipError] = [:]
    private var preferred = Set<String>()
    func set(_ ns: String, _ e: KipError, first: Bool = false) {
        lock.lock()
        if map[ns] == nil || (first && !preferred.contains(ns)) {
            map[ns] = e
            if first { preferred.insert(ns) }
        }
        lock.unlock()
    }
    var all: [String: KipError] {
        lock.lock()
        defer { lock.unlock() }
        return map
    }
}

/// Results of concurrent reads, one slot each.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<[JSON], Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<[JSON], Error>) {
        lock.lock()
        slots[i] = r
        lock.unlock()
    }
    var values: [Result<[JSON], Error>?] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }

}

/// A 403 from the API server, read from kubectl's stderr (`… is forbidden: User "dev"
/// cannot patch resource "deployments" in API group "apps" in the namespace "shop-prod"`).
struct Forbidden {
    var user: String
    var verb: String
    var resource: String
    var group: String
    var namespace: String?

    init?(_ line: String) {
        guard let f = line.range(of: " is forbidden: User \""), let u = line[f.upperBound...].firstIndex(of: "\"")
        else { return nil }
        user = String(line[f.upperBound..<u])
        let rest = line[line.index(after: u)...]
        guard let c = rest.range(of: " cannot "), let r = rest.range(of: " resource \""),
            let rEnd = rest[r.upperBound...].firstIndex(of: "\""), let g = rest.range(of: " in API group \""),
            let gEnd = rest[g.upperBound...].firstIndex(of: "\"")
        else { return nil }
        verb = String(rest[c.upperBound..<r.lowerBound])
        resource = String(rest[r.upperBound..<rEnd])
        group = String(rest[g.upperBound..<gEnd])
        if let n = rest.range(of: " in the namespace \""), let nEnd = rest[n.upperBound...].firstIndex(of: "\"") {
            namespace = String(rest[n.upperBound..<nEnd])
        }
    }

    /// One line: what the refusal stops, what the user lacks, where, and how to get it
    /// (the least of kip's roles that holds the permission).
    func sentence(_ places: Places, command: String?, floor: String? = nil)
        -> String
    {
        let what = "\"\(verb) \(group.isEmpty ? resource : "\(resource).\(group)")\""
        let stops = command.map { "you cannot run 'kip \($0)'" }
        guard let ns = namespace else {
            return (stops.map { "\($0): " } ?? "")
                + "user \"\(user)\" lacks \(what) at the cluster scope: that takes a cluster administrator (or 'kip install' to have bound kip-reader)"
        }
        let least = floor.flatMap { Member.roles.firstIndex(of: $0) } ?? 0
        let role = Member.roles.dropFirst(least).first {
            KipRoles.allows("kip-\($0)", verb: verb, group: group, resource: resource)
        }
        guard let place = places[ns] else {
            return (stops.map { "\($0) in namespace \(ns): " } ?? "")
                + "user \"\(user)\" lacks \(what) in namespace \(ns), which is no environment of a project kip read: ask whoever administers that namespace"
        }
        let at = "\(place.project)/\(place.environment)"
        let how =
            role.map {
                "a project admin can run 'kip project grant \(user) --role \($0) --environment \(place.environment) --project \(place.project)'"
            } ?? "kip's roles do not grant it: ask a cluster administrator"
        return (stops.map { "\($0) in \(at): " } ?? "")
            + "user \"\(user)\" lacks \(what) in namespace \(ns); \(how)"
    }
}
