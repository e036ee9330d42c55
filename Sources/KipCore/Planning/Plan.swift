import Foundation

/// What one mutating command will do, computed without I/O and then either printed
/// (`--dry-run`) or carried out by `KubectlDriver.execute`. Every write kip makes goes
/// through a Plan.
///
/// The steps, in order:
/// 1. `owners`: objects applied first (CRs, a Project, the Namespaces they need).
///    Their uids, from the server's answer, fill the owner references of step 2.
///    When every owner already exists (`knownUIDs` has it) steps 1 and 2 are one apply.
/// 2. `owned(uids)`: the objects rendered from the owners.
/// 3. `secrets(uids)`: user secrets, applied with their own field manager so that
///    re-rendering an app never touches their values.
/// 4. `deletes`: objects no longer rendered, after everything else is written.
public struct Plan {
    public enum Line: Equatable, Sendable {
        case success(String)
        case info(String)
        case warning(String)
        /// Said on stderr, plain, and left out of the result document: that there was
        /// nothing to do, or how to read what was printed.
        case note(String)
    }

    public struct Deletion: Equatable, Sendable {
        /// `kind.group/name` as kubectl takes it.
        public var ref: String
        /// nil for a cluster-scoped object.
        public var namespace: String?
        public init(ref: String, namespace: String?) {
            self.ref = ref
            self.namespace = namespace
        }
    }

    public static let fieldManager = "kip"
    public static let secretsFieldManager = "kip-secrets"
    /// Owns a Deployment's replica count once autoscaling took over from kip's own count.
    public static let handoverFieldManager = "kip-handover"
    /// Owns the restart annotation of a Deployment's pod template (`kip app restart`).
    public static let restartFieldManager = "kip-restart"

    public var owners: [JSON] = []
    /// Uids of owners read from the cluster, by `Plan.key`.
    public var knownUIDs: [String: String] = [:]
    public var owned: ([String: String]) -> [JSON] = { _ in [] }
    public var secrets: ([String: String]) -> [JSON] = { _ in [] }
    public var deletes: [Deletion] = []
    /// What to print once the plan is carried out.
    public var report: [Line] = []
    /// What `--dry-run` prints instead of the manifests when no `-o json|yaml` is asked
    /// for, where a command has a readable summary (promotion's image changes).
    public var summary: [String]?
    /// Added to an error from step 2 on, when the owners are already written: how to
    /// finish (re-running the same command always does).
    public var resumeHint: String?
    /// The owners as they were before this plan, for putting them back when the API
    /// server refuses what they own (invalid, immutable, forbidden): a CR then never
    /// claims a state its children do not have. An owner the plan creates is deleted
    /// instead. What `restoreWord` says it did (`app api is as it was`).
    public var restore: [JSON] = []
    /// A first step only: once carried out, read and plan again (an object that must
    /// exist before a change to it can carry a resourceVersion precondition).
    public var readAgain = false
    /// Step 3 goes first: the app's new secret values are in place before the change to
    /// its pod template that makes its pods restart and read them.
    public var secretsFirst = false
    /// Applied before everything else, by `partialManager` (not kip's): some fields of
    /// objects that exist, owned apart from what kip renders so that kip's later writes
    /// keep them — a Deployment's replicas when autoscaling takes over
    /// (`handoverFieldManager`), a restart mark (`restartFieldManager`).
    public var partial: [JSON] = []
    public var partialManager = Plan.handoverFieldManager
    /// Applied after everything else by `restartFieldManager`: restart marks of
    /// Deployments whose pods must read what this plan wrote (a ConfigMap they load).
    public var restarts: [JSON] = []
    /// Route hosts claimed before anything else is written (`RouteClaims`): created, never
    /// applied, so that a claim once made is never changed.
    public var claims: [JSON] = []
    /// Merge patches sent before the applies (`ref`, namespace, patch): fields of live
    /// objects that no field manager owns and that must go (a defaulted `rollingUpdate`).
    public var patches: [(ref: String, namespace: String?, patch: JSON)] = []
    /// Keys that must be gone from a Secret once its values are applied: a key another
    /// field manager also wrote (kubectl apply, an older copy) outlives kip's apply
    /// without it, and is then removed by name.
    public var removedSecretKeys: (secret: String, namespace: String, keys: [String])?
    /// The changes this plan makes, told as Events in their namespaces (`ChangeEvent`).
    public var changes: [ChangeEvent] = []
    /// Those Events rendered (time, unique names, who reports them): created beside the
    /// plan's main write, best effort.
    public var events: [JSON] = []

    public init() {}

    /// `Kind/name`: how owners are told apart within one plan.
    public static func key(_ o: JSON) -> String {
        "\(o["kind"]?.stringValue ?? "")/\(o.at("metadata", "name")?.stringValue ?? "")"
    }

    /// A rolling restart of Deployment `name`: a new pod template annotation
    /// (`kubectl.kubernetes.io/restartedAt`, what `kubectl rollout restart` writes), for
    /// `restartFieldManager` to own so that kip's next write of the Deployment keeps it.
    public static func restartMark(_ name: String, namespace: String, at: Date) -> JSON {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": [
                "template": [
                    "metadata": ["annotations": ["kubectl.kubernetes.io/restartedAt": .string(Promotion.timestamp(at))]]
                ]
            ],
        ]
    }

    /// True when every owner already exists, so one apply writes the owners and what
    /// they own together.
    /// True when carrying the plan out sends nothing to the cluster (it says something,
    /// or changes only kip's config).
    public var writesNothing: Bool {
        owners.isEmpty && deletes.isEmpty && patches.isEmpty && partial.isEmpty && restarts.isEmpty
            && claims.isEmpty && restore.isEmpty && changes.isEmpty && removedSecretKeys == nil
            && owned(knownUIDs).isEmpty && secrets(knownUIDs).isEmpty
    }

    public var ownersKnown: Bool { owners.allSatisfy { knownUIDs[Self.key($0)] != nil } }

    /// Every object the plan applies, in order, for printing: owners not yet created
    /// get the placeholder uid `<uid of Kind/name>`, and every Secret value and
    /// credential reads `<redacted>`.
    public var manifests: [JSON] {
        var uids = knownUIDs
        for o in owners where uids[Self.key(o)] == nil { uids[Self.key(o)] = "<uid of \(Self.key(o))>" }
        let ordered =
            claims + partial
            + (secretsFirst ? secrets(uids) + owners + owned(uids) : owners + owned(uids) + secrets(uids)) + restarts
        return ordered.map(Self.redacted)
    }

    public static let redactedValue = "<redacted>"

    /// A Secret with every value replaced; any other object as it is.
    public static func redacted(_ o: JSON) -> JSON {
        guard o["kind"]?.stringValue == "Secret" else { return o }
        var s = o
        for field in ["data", "stringData"] {
            if let d = s[field]?.objectValue { s[field] = .object(d.mapValues { _ in .string(redactedValue) }) }
        }
        if s.at("metadata", "annotations", Keys.configSalt) != nil {
            s.set(["metadata", "annotations", Keys.configSalt], .string(redactedValue))
        }
        return s
    }

    /// The plan's deletions in words, for `--dry-run`.
    public var deletionLines: [String] {
        deletes.map { d in "Would delete \(d.ref)" + (d.namespace.map { " in \($0)" } ?? "") + "." }
    }
}

/// What carrying out a plan wrote, as the server answered.
public struct Applied: Sendable {
    public var objects: [JSON] = []
    /// Why the plan's Events could not be written, when they could not (never fails it).
    public var eventProblem: String?
    /// Owners that did not exist before (by `Plan.key`).
    public var created: Set<String> = []
    public var uids: [String: String] = [:]

    public init() {}
}

extension KubectlDriver {
    /// Carries out a plan (see `Plan` for the steps). An owner the server returns no uid
    /// for is an error: no placeholder uid ever reaches the cluster.
    @discardableResult
    public func execute(_ plan: Plan) throws -> Applied {
        var result = Applied()
        var uids = plan.knownUIDs
        result.created = Set(plan.owners.map(Plan.key).filter { uids[$0] == nil })
        // New owners with routes: the claims are made in the same round as the owners'
        // write (one round trip less); a host taken by another app undoes that write.
        let claimAlongside =
            !plan.claims.isEmpty && !plan.ownersKnown && plan.patches.isEmpty && plan.partial.isEmpty
            && !plan.secretsFirst
        if !plan.claims.isEmpty && !claimAlongside { try claim(plan.claims) }
        for p in plan.patches { try mergePatch(p.ref, namespace: p.namespace, p.patch) }
        if !plan.partial.isEmpty {
            result.objects += try apply(plan.partial, fieldManager: plan.partialManager)
        }
        if plan.secretsFirst {
            result.objects += try apply(plan.secrets(uids), fieldManager: Plan.secretsFieldManager)
        }
        if plan.ownersKnown {
            let known = uids
            let (written, problem) = try alongside(plan.events) {
                try self.restoring(plan, created: []) { try self.apply(plan.owners + plan.owned(known)) }
            }
            result.objects += written
            result.eventProblem = problem
        } else {
            let written = try claimAlongside ? claimWhileApplying(plan, created: result.created) : apply(plan.owners)
            for o in written {
                if let uid = o.at("metadata", "uid")?.stringValue { uids[Plan.key(o)] = uid }
            }
            for o in plan.owners where uids[Plan.key(o)] == nil {
                throw KipError(
                    "the API server returned no uid for \(Plan.key(o)); nothing it owns was written: run the same command again"
                )
            }
            result.objects += written
            let (known, created) = (uids, result.created)
            let (owned, problem) = try alongside(plan.events) {
                try self.restoring(plan, created: created) {
                    try self.resuming(plan) { try self.apply(plan.owned(known)) }
                }
            }
            result.objects += owned
            result.eventProblem = problem
        }
        result.uids = uids
        if !plan.secretsFirst {
            result.objects += try resuming(plan) {
                try apply(plan.secrets(uids), fieldManager: Plan.secretsFieldManager)
            }
        }
        if let r = plan.removedSecretKeys {
            let written = result.objects.first {
                $0["kind"]?.stringValue == "Secret" && $0.at("metadata", "name")?.stringValue == r.secret
            }
            let left = r.keys.filter { written?.at("data", $0) != nil }
            try resuming(plan) { try removeKeys(left, ofSecret: r.secret, namespace: r.namespace) }
        }
        if !plan.restarts.isEmpty {
            result.objects += try resuming(plan) { try apply(plan.restarts, fieldManager: Plan.restartFieldManager) }
        }
        let byNamespace = Dictionary(grouping: plan.deletes, by: { $0.namespace ?? "" })
        for ns in byNamespace.keys.sorted() {
            try resuming(plan) { try delete(refs: byNamespace[ns]!.map(\.ref), namespace: ns.isEmpty ? nil : ns) }
        }
        return result
    }

    /// Creates Events for a change made by other means than a plan (a database's data
    /// replaced through exec); what went wrong, never thrown.
    public func createEvents(_ events: [JSON]) -> String? {
        if events.isEmpty { return nil }
        let stream = events.map { $0.serialized() }.joined(separator: "\n") + "\n"
        do {
            try kubectl(["create", "-f", "-", "-o", "name"], stdin: Data(stream.utf8))
            return nil
        } catch {
            return (error as? KipError)?.message ?? "\(error)"
        }
    }

    /// Runs `write` and creates `events` at the same time (no round of their own); an
    /// Event the server refuses is said, never a failed write.
    private func alongside(_ events: [JSON], _ write: @escaping () throws -> [JSON]) throws -> ([JSON], String?) {
        if events.isEmpty { return (try write(), nil) }
        let both = results([
            write,
            {
                let stream = events.map { $0.serialized() }.joined(separator: "\n") + "\n"
                try self.kubectl(["create", "-f", "-", "-o", "name"], stdin: Data(stream.utf8))
                return []
            },
        ])
        var problem: String?
        if case .failure(let e) = both[1] { problem = (e as? KipError)?.message ?? "\(e)" }
        return (try both[0].get(), problem)
    }

    /// Creates the plan's route claims and applies its owners at the same time. When a
    /// claim is refused (another app holds the host), the owners are put back as they
    /// were and those this plan created deleted, and the refusal says so.
    private func claimWhileApplying(_ plan: Plan, created: Set<String>) throws -> [JSON] {
        let both = results([
            {
                try self.claim(plan.claims)
                return []
            },
            { try self.apply(plan.owners) },
        ])
        let (claimed, written) = (both[0], both[1])
        if case .failure(let e as KipError) = claimed, case .success = written {
            throw undo(plan, created: created, e)
        }
        _ = try claimed.get()
        return try written.get()
    }

    /// Puts the plan's owners back as they were and deletes those it created, after `e`
    /// stopped it; returns `e` saying what was undone.
    private func undo(_ plan: Plan, created: Set<String>, _ e: KipError) -> KipError {
        var e = e
        let back = plan.restore.filter { !created.contains(Plan.key($0)) }
        let gone = plan.owners.filter { created.contains(Plan.key($0)) }
        if back.isEmpty && gone.isEmpty { return e }
        do {
            if !back.isEmpty { try apply(back) }
            let refs = Dictionary(grouping: gone, by: { $0.at("metadata", "namespace")?.stringValue ?? "" })
            for (ns, os) in refs {
                try delete(refs: os.map(Workloads.ref), namespace: ns.isEmpty ? nil : ns)
            }
            func name(_ o: JSON) -> String {
                "\((o["kind"]?.stringValue ?? "").lowercased()) \(o.at("metadata", "name")?.stringValue ?? "")"
            }
            let said = back.map { "\(name($0)) put back as it was" } + gone.map { "\(name($0)) not created" }
            e.message += "; nothing was changed (\(said.joined(separator: ", ")))"
        } catch let r as KipError {
            e.message += "; putting it back failed too: \(r.message)"
        } catch {
            e.message += "; putting it back failed too: \(error)"
        }
        return e
    }

    /// Runs `body`; when the server refuses an object for good (not a timeout or a 5xx,
    /// which running the command again finishes), puts the owners back as they were and
    /// deletes those this plan created, and says so.
    private func restoring<T>(_ plan: Plan, created: Set<String>, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as KipError where Self.isRefusal(e) {
            throw undo(plan, created: created, e)
        }
    }

    /// `kubectl patch --type merge`.
    func mergePatch(_ ref: String, namespace: String?, _ patch: JSON) throws {
        var args = ["patch", ref, "--type", "merge", "-p", patch.serialized(), "-o", "name"]
        if let namespace { args += ["-n", namespace] }
        try kubectl(args)
    }

    /// Creates route claims; one that exists already is fine when it is the same holder's
    /// (a second kip, or a re-run), and refused naming the holder when it is not.
    func claim(_ claims: [JSON]) throws {
        let stream = claims.map { $0.serialized() }.joined(separator: "\n") + "\n"
        do { try kubectl(["create", "-f", "-", "-o", "name"], stdin: Data(stream.utf8)) } catch let e as KipError
            where e.message.contains("AlreadyExists") || e.message.contains("already exists")
        {
            let names = claims.compactMap { $0.at("metadata", "name")?.stringValue }
            let now = try get(CRDs.routeClaim, names: names)
            let wanted = claims.compactMap { c -> (host: String, holder: RouteClaims.Holder)? in
                guard let h = c.at("metadata", "name")?.stringValue, let who = RouteClaims.holder(c) else { return nil }
                return (h, who)
            }
            // Refused naming the holder when another app has one of these hosts.
            let missing = try RouteClaims.check(wanted, existing: now)
            if !missing.isEmpty { throw e }
        }
    }

    /// A refusal that the same request would meet again: invalid, immutable, forbidden.
    static func isRefusal(_ e: KipError) -> Bool {
        e.isForbidden || e.message.contains(" is invalid") || e.message.contains("field is immutable")
    }

    private func resuming<T>(_ plan: Plan, _ body: () throws -> T) throws -> T {
        do { return try body() } catch var e as KipError {
            // A refusal of what was asked for is not finished by asking again.
            if e.message.contains(" is invalid") {
                e.message += "; correct the values and run the command again"
            } else if let hint = plan.resumeHint {
                e.message += "; \(hint)"
            }
            throw e
        }
    }
}
