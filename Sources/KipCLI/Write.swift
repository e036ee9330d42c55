import Foundation
import KipCore

/// What one attempt of a write works out from what it has just read: the plan, and what
/// to say and ask before the first write. Built afresh on every attempt (a 409 Conflict
/// means someone else wrote in between: the command reads again and plans again), but
/// its notices are printed and its question asked once, before anything is written.
struct Attempt {
    var plan: Plan
    /// Printed once, before the question (warnings, what is about to change).
    var notices: [Plan.Line] = []
    /// Said on stderr just before the question (what a destructive command takes with it);
    /// not under `--dry-run`.
    var aside: [String] = []
    var question: Question?
    /// Run once, after the question and before the first write (a release phase:
    /// `--pre-job`); when it fails, nothing is written.
    var first: (() throws -> Void)?
    /// Changes of kip's own config, made after the cluster's write succeeded (and only
    /// then): never under `--dry-run`, when declined or after a failed write.
    var config: [KipConfig.Change] = []
    /// The command's result document for `-o json|yaml` when it is not the list of what
    /// was written (an approval's images, a preview's apps).
    var result: JSON?

    init(
        _ plan: Plan, notices: [Plan.Line] = [], aside: [String] = [], question: Question? = nil,
        first: (() throws -> Void)? = nil, config: [KipConfig.Change] = [], result: JSON? = nil
    ) {
        self.plan = plan
        self.notices = notices
        self.aside = aside
        self.question = question
        self.first = first
        self.config = config
        self.result = result
    }
}

/// A question asked before a write, once.
struct Question {
    /// Asks; true to go ahead.
    var ask: (Context) throws -> Bool
    /// Said on stderr when the answer is no.
    var declined: String

    /// Yes or no (`--yes` answers it).
    static func yesNo(_ text: String, declined: String = "Nothing changed.") -> Question {
        Question(ask: { try $0.confirm(text) }, declined: declined)
    }

    /// The name typed (`--confirm NAME`, or `--yes`, answers it).
    static func typed(_ expected: String, what: String, flag: String?, declined: String) -> Question {
        Question(ask: { try $0.confirmTyped(expected, what: what, confirmFlag: flag) }, declined: declined)
    }
}

/// How a write ended.
enum Written {
    /// Carried out: the plan of the last attempt and what the server answered.
    case applied(Plan, Applied)
    /// `--dry-run`: printed, nothing touched.
    case dryRun(Plan)
    /// The question was answered no: nothing touched.
    case declined

    var applied: Applied? {
        if case .applied(_, let a) = self { return a }
        return nil
    }
    var plan: Plan? {
        switch self {
        case .applied(let p, _), .dryRun(let p): return p
        case .declined: return nil
        }
    }
    /// The exit code of a command that ends here: 1 when declined.
    var code: Int32 {
        if case .declined = self { return 1 }
        return 0
    }
}

extension Context {
    /// The one way a command writes: read and plan (`attempt`), say and ask once, then
    /// `--dry-run` (the plan printed: manifests as `-o json|yaml`, Secret values
    /// redacted, deletions on stderr) or carry it out, reading and planning again from
    /// the start whenever the server answers 409 Conflict. There is no way to hand it a
    /// plan built outside: every attempt reads what it writes against.
    @discardableResult
    func run(attempts: Int = 10, _ attempt: () throws -> Attempt) throws -> Written {
        try run(attempts: attempts) { (_: Int) in try attempt() }
    }

    /// The same, for a command that planned its first attempt from what it had already
    /// read: `attempt(n)` is told which attempt it is (0 the first).
    ///
    /// A command that writes in steps (a file's project, then each environment; sync,
    /// then each environment's workloads; gc, one project after the other) gives the
    /// steps after the first in `then`, which is asked for them once the first is planned
    /// (under `--dry-run`) or written. Each step is planned after the one before it was
    /// written, and is read and planned again on its own 409. The first step's notices and
    /// question are the command's: said and asked once, before anything is written; a
    /// later step asks nothing. Under `--dry-run` every step is planned against the
    /// cluster as it is and printed as one document.
    @discardableResult
    func run(
        attempts: Int = 10, _ attempt: (Int) throws -> Attempt,
        then: () throws -> [(Int) throws -> Attempt] = { [] }
    ) throws -> Written {
        let a = try attempt(0)
        printer.report(a.notices)
        if dryRun {
            var plans = [a.plan]
            for step in try then() {
                let b = try step(0)
                printer.report(b.notices)
                plans.append(b.plan)
            }
            printDryRun(plans)
            return .dryRun(a.plan)
        }
        for l in a.aside { stderr.line(l) }
        if let q = a.question, !(try q.ask(self)) { return declined(q.declined) }
        try a.first?()
        let written = try execute(a, attempts: attempts, attempt)
        for step in try then() {
            let b = try step(0)
            printer.report(b.notices)
            try execute(b, attempts: attempts, step)
        }
        return written
    }

    /// `--dry-run`: the plans' manifests as one List (`-o json|yaml`, and in text for
    /// plans that write), a plan's summary or, for one that writes nothing, its lines in
    /// text; deletions on stderr.
    private func printDryRun(_ plans: [Plan]) {
        let text = output != "json" && output != "yaml"
        var manifests: [JSON] = []
        var printsManifests = !text
        for p in plans {
            if text, let summary = p.summary {
                for l in summary { printer.line(l) }
            } else if text && p.writesNothing {
                printer.report(p.report)
            } else {
                manifests += p.manifests
                printsManifests = true
            }
        }
        if printsManifests { printer.manifests(manifests, format: output) }
        for p in plans { for l in p.deletionLines { stderr.line(l) } }
    }

    /// One step carried out: written, and on a 409 read, planned and written again; then
    /// its config changes, its lines and its result.
    @discardableResult
    private func execute(_ first: Attempt, attempts: Int, _ attempt: (Int) throws -> Attempt) throws -> Written {
        var a = first
        // A plan that changes only kip's config starts no kubectl.
        var driver: KubectlDriver?
        var last: KipError?
        for n in 0..<attempts {
            if n > 0 { a = try attempt(n) }
            do {
                a.plan.events = try events(a.plan.changes)
                if !a.plan.writesNothing || a.plan.readAgain { driver = try driver ?? self.driver() }
                let applied = try driver?.execute(a.plan) ?? Applied()
                if a.plan.readAgain && n < attempts - 1 { continue }
                if !a.config.isEmpty { try config.update { cfg in for c in a.config { try cfg.apply(c) } } }
                printer.report(a.plan.report)
                if let why = applied.eventProblem { printer.warning("the change is not told as an Event: \(why)") }
                if let r = a.result { result = r } else { record(Self.result(a.plan, applied)) }
                return .applied(a.plan, applied)
            } catch let e as KipError where e.isConflict {
                last = e
                Thread.sleep(forTimeInterval: Double.random(in: 0.02...0.1) * Double(n + 1))
            }
        }
        var e = last ?? KipError("conflict")
        e.message = "others kept changing the same objects (\(attempts) tries): \(e.message); run the command again"
        throw e
    }

    /// A question answered no (at a prompt or in a wizard): said on stderr; nothing is
    /// written and the command exits 1.
    func declined(_ line: String) -> Written {
        stderr.line(line)
        return .declined
    }

    /// The plan's changes as Events: now, reported by who runs kip.
    func events(_ changes: [ChangeEvent]) throws -> [JSON] {
        if changes.isEmpty { return [] }
        let now = clock()
        let who = try actor()
        return changes.map { $0.manifest(at: now, instance: who) }
    }

    /// Tells a change made outside a plan (a database's data replaced) as Events; a
    /// refused Event is a warning, never a failure of what was done.
    func tell(_ changes: [ChangeEvent]) {
        guard !dryRun, let events = try? events(changes), let problem = try? driver().createEvents(events) else {
            return
        }
        printer.warning("the change was made, but its Event was refused: \(problem)")
    }

    /// The command's result document when it is known only after its write (a
    /// promotion's report, which its rollouts complete): it replaces what the write
    /// recorded, for `-o json|yaml` and `--notify`.
    func conclude(_ document: JSON) { result = document }

    /// Adds one write's result to the command's (a command may write more than once).
    func record(_ r: JSON) {
        guard var doc = result else {
            result = r
            return
        }
        for k in ["applied", "deleted", "messages"] {
            doc[k] = .array((doc[k]?.arrayValue ?? []) + (r[k]?.arrayValue ?? []))
        }
        result = doc
    }

    /// What a write did, for `-o json|yaml`: the objects written (kind, name, namespace;
    /// never a Secret's data), the deletions, and the lines it printed.
    static func result(_ plan: Plan, _ applied: Applied) -> JSON {
        [
            "applied": .array(
                applied.objects.map { o in
                    var r: JSON = [
                        "kind": o["kind"] ?? "", "name": o.at("metadata", "name") ?? "",
                    ]
                    if let ns = o.at("metadata", "namespace") { r["namespace"] = ns }
                    return r
                }),
            "deleted": .array(
                plan.deletes.map { d in
                    var r: JSON = ["ref": .string(d.ref)]
                    if let ns = d.namespace { r["namespace"] = .string(ns) }
                    return r
                }),
            "messages": .array(
                plan.report.compactMap { l in
                    switch l {
                    case .success(let s): return ["level": "success", "text": .string(s)]
                    case .info(let s):
                        return ["level": "info", "text": .string(s.trimmingCharacters(in: .whitespaces))]
                    case .warning(let s): return ["level": "warning", "text": .string(s)]
                    case .note: return nil
                    }
                }),
        ]
    }
}

extension Context {
    /// Runs an operation's planning, saying a command-line mistake it finds (a new app
    /// without `--port`) as the parser would: the usage, exit 2.
    func usage<T>(_ inv: Invocation, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let p as UsageProblem {
            throw UsageError(message: p.message, command: inv.command)
        }
    }

    /// Deletes a CR whose data goes with it: the warning, then the name typed (`--confirm
    /// NAME` or `--yes` answers it), then the deletion; exit 1 when declined.
    func deleteHoldingData(
        _ w: EnvironmentView, _ kind: WorkloadKind, _ name: String, warning: [String], confirm: String?
    ) throws -> Int32 {
        try run {
            Attempt(
                try w.deletion(kind, name), aside: warning,
                question: .typed(name, what: "\(kind.word) \"\(name)\"", flag: confirm, declined: "Not deleted."))
        }.code
    }
}

extension Printer {
    public func report(_ lines: [Plan.Line]) {
        for l in lines {
            switch l {
            case .success(let s): success(s)
            case .info(let s): line(s)
            case .warning(let s): warning(s)
            case .note(let s): err.line(Self.safe(s))
            }
        }
    }
}

extension Context {
    /// Asks before writing sizes beyond `Limits` (`--replicas 300` for 3): `--yes`, or
    /// yes at the prompt, goes ahead; no terminal and no `--yes` refuses in one line.
    func confirmUnusual(_ what: [String], of subject: String) throws {
        guard !what.isEmpty, !dryRun else { return }
        let text = "\(subject) would get \(what.joined(separator: ", ")), more than most clusters hold"
        if !yes && !terminal.stdinIsTerminal { throw KipError("\(text): pass --yes if you mean it") }
        guard try confirm("\(text). Go ahead?") else { throw KipError("\(text); nothing changed") }
    }
}
