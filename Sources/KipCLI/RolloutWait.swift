import Foundation
import KipCore

/// `--wait`: follow a rollout until it is done, fails, or runs out of time.
let rolloutWaitFlag = Flag(
    "wait",
    "Wait until the rollout is done (at most --timeout, default 5m); exit 1 naming what failed and why.")

enum RolloutWait {
    /// What to follow: a Deployment (app, function) or StatefulSet (service), by name.
    struct Target {
        var kind: String
        var name: String
        var owner: WorkloadKind
    }

    static func app(_ name: String) -> Target { Target(kind: "Deployment", name: name, owner: .app) }
    static func service(_ name: String) -> Target { Target(kind: "StatefulSet", name: name, owner: .service) }
    static func function(_ name: String) -> Target { Target(kind: "Deployment", name: name, owner: .function) }
    /// A one-off job: followed until its pod succeeds.
    static func job(_ name: String) -> Target { Target(kind: "Job", name: name, owner: .job) }

    /// How long `--wait` waits: `--timeout` (or `KIP_TIMEOUT`) when given, else 5 minutes.
    static func limit(_ ctx: Context) throws -> Double {
        if ctx.globals.value("timeout") != nil || !(ctx.env["KIP_TIMEOUT"] ?? "").isEmpty {
            return try ctx.commandTimeout()?.seconds ?? .infinity
        }
        return 300
    }

    /// Follows every target in `namespace` with one kubectl read per tick (the workloads
    /// and their pods): a live line on a terminal, a line per change otherwise. Returns
    /// the failures, by name, with their reason; a target still going when time runs out
    /// fails as not finished.
    static func run(
        _ ctx: Context, namespace: String, _ targets: [Target], interval: Double = 1
    ) throws -> [String: String] {
        if targets.isEmpty || ctx.dryRun { return [:] }
        let driver = try ctx.driver()
        let limit = try limit(ctx)
        let start = Date()
        let live = ctx.terminal.stdoutIsTerminal && ctx.env["TERM"] != "dumb"
        let owners = Set(targets.map(\.owner))
        let selector =
            owners.count == 1
            ? "\(targets[0].owner.labelKey) in (\(targets.map(\.name).joined(separator: ",")))"
            : "\(Keys.managedBy)=\(Keys.managedByValue)"
        var pending = targets
        var failures: [String: String] = [:]
        var said: [String: String] = [:]
        while !pending.isEmpty {
            let kinds =
                ["deployments.apps", "replicasets.apps", "statefulsets.apps"]
                + (targets.contains { $0.kind == "Job" } ? ["jobs.batch"] : []) + ["pods"]
            // With them, the controllers' Warnings (Events carry no labels: a second read,
            // at the same time): a StatefulSet's refused pods show only there.
            let both = try driver.concurrently([
                { try driver.get(kinds, namespace: namespace, selector: selector) },
                { try driver.get(["events"], namespace: namespace, fieldSelector: "type=Warning") },
            ])
            let items = both[0]
            let events = both[1].filter { e in
                let at = (e["lastTimestamp"] ?? e["eventTime"] ?? e.at("metadata", "creationTimestamp"))?.stringValue
                return (at.flatMap(Durations.parse) ?? .distantPast) >= start.addingTimeInterval(-2)
            }
            let elapsed = Date().timeIntervalSince(start)
            var still: [Target] = []
            var progress: [String] = []
            for t in pending {
                let w = items.first {
                    $0["kind"]?.stringValue == t.kind && $0.at("metadata", "name")?.stringValue == t.name
                }
                let pods = items.filter {
                    $0["kind"]?.stringValue == "Pod"
                        && $0.at("metadata", "labels", t.owner.labelKey)?.stringValue == t.name
                }
                let replicaSets = items.filter {
                    $0["kind"]?.stringValue == "ReplicaSet"
                        && $0.at("metadata", "labels", t.owner.labelKey)?.stringValue == t.name
                }
                switch Rollout.state(w, pods: pods, replicaSets: replicaSets, events: events) {
                case .done:
                    if live { ctx.stdout.write("\r\u{1B}[K") }
                    ctx.printer.success(
                        "\(t.owner.word) \(t.name) \(t.kind == "Job" ? "ran" : "rolled out") in \(namespace) (\(Int(elapsed)) s)"
                    )
                case .failed(var why):
                    if live { ctx.stdout.write("\r\u{1B}[K") }
                    // A container that ran and exited: its last words say why.
                    if let w, let s = Rollout.stuck(w, pods: pods, replicaSets: replicaSets), s.exited,
                        let line = driver.lastLogLine(pod: s.pod, container: s.container, namespace: namespace)
                    {
                        why += "; last log line: \(Printer.safe(line))"
                    }
                    failures[t.name] = why
                    ctx.printer.failure("\(t.owner.word) \(t.name): rollout failed: \(why)")
                case .progressing(let at):
                    still.append(t)
                    progress.append("\(t.name): \(at)")
                    if !live && said[t.name] != at {
                        said[t.name] = at
                        ctx.printer.line("… \(t.owner.word) \(t.name): \(at)")
                    }
                }
            }
            pending = still
            if pending.isEmpty { break }
            if elapsed >= limit {
                if live { ctx.stdout.write("\r\u{1B}[K") }
                for t in pending {
                    let why = "not finished within \(Int(limit)) s (\(said[t.name] ?? "still rolling out"))"
                    failures[t.name] = why
                    ctx.printer.failure("\(t.owner.word) \(t.name): \(why)")
                }
                break
            }
            if live { ctx.stdout.write("\r\u{1B}[K⠿ " + progress.joined(separator: "; ") + " (\(Int(elapsed)) s)") }
            Thread.sleep(forTimeInterval: interval)
        }
        return failures
    }

    /// The one-line error for failed rollouts.
    static func error(_ failures: [String: String], in namespace: String) -> KipError {
        let names = failures.keys.sorted()
        return KipError(
            "rollout of \(names.joined(separator: ", ")) in \(namespace) failed: \(failures[names[0]] ?? "")"
                + (names.count > 1 ? " (and \(names.count - 1) more)" : ""))
    }
}
