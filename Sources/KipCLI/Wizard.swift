import KipCore

/// The copy wizard in the terminal: the product page's five steps with plain line input.
/// It talks on stderr (stdout keeps the results) and edits the plan only through the
/// planner's own operations; end of input at any step cancels.
struct Wizard {
    var plan: CopyPlan
    let ctx: Context

    private func say(_ s: String = "") { ctx.stderr.line(s) }

    private func ask(_ prompt: String) -> String? {
        ctx.stderr.write(prompt)
        return ctx.stdin.readLine()?.trimmingCharacters(in: .whitespaces)
    }

    /// Runs the steps; true when the user confirmed the review.
    func run(_ out: inout CopyPlan) throws -> Bool {
        var p = plan
        say("Step 1/5 — Source & target")
        for line in Self.overview(p) { say("  " + line) }
        guard let go = ask("Continue? [Y/n] "), go.isEmpty || go.lowercased().hasPrefix("y") else { return false }

        say()
        say("Step 2/5 — Routes (Enter keeps the default, '-' drops the route)")
        let routed = p.apps.indices.filter { p.apps[$0].sourceHost != nil }
        if routed.isEmpty { say("  No app has a route.") }
        for i in routed {
            var done = false
            while !done {
                guard let h = ask("  \(p.apps[i].name) [\(p.apps[i].host ?? "no route")]: ") else { return false }
                if h.isEmpty {
                    done = true
                } else if h == "-" {
                    p.apps[i].host = nil
                    done = true
                } else if DNS.isSubdomain(h) {
                    p.apps[i].host = h
                    done = true
                } else {
                    say("  '\(h)' is not a DNS hostname (e.g. app.persohr.eu)")
                }
            }
        }

        say()
        say("Step 3/5 — Env vars")
        var suspectOnly = false
        while true {
            let rows = envRows(p, suspectOnly: suspectOnly)
            if rows.isEmpty {
                say(suspectOnly ? "  No suspect keys." : "  No env vars.")
            } else {
                say(
                    Printer.table(
                        ["#", "APP", "KEY", "VALUE", "NOTE"],
                        rows.map { r in
                            let e = p.apps[r.app].env[r.env]
                            return [String(r.number), p.apps[r.app].name, e.key, e.value, Self.note(e)]
                        }
                    ).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
            guard
                let cmd = ask(
                    "  s = suspect only \(suspectOnly ? "off" : "on"), e N = edit, r N = revert, Enter = next: ")
            else { return false }
            if cmd.isEmpty { break }
            let parts = cmd.split(separator: " ", maxSplits: 1).map(String.init)
            if parts[0] == "s" {
                suspectOnly.toggle()
                continue
            }
            guard parts.count == 2, let n = Int(parts[1]),
                let row = envRows(p, suspectOnly: false).first(where: { $0.number == n })
            else {
                say("  Unknown command '\(cmd)'.")
                continue
            }
            switch parts[0] {
            case "e":
                guard let v = ask("  \(p.apps[row.app].name) \(p.apps[row.app].env[row.env].key) = ") else {
                    return false
                }
                p.apps[row.app].env[row.env].value = v
            case "r":
                p.apps[row.app].env[row.env].value = p.apps[row.app].env[row.env].source
            default:
                say("  Unknown command '\(cmd)'.")
            }
        }

        say()
        say("Step 4/5 — Resources")
        while true {
            say(
                Printer.table(
                    ["APP", "REPLICAS", "MEMORY LIMIT", "CPU LIMIT"],
                    p.apps.map { [$0.name, String($0.replicas), $0.memoryLimit ?? "-", $0.cpuLimit ?? "-"] }
                )
                .split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            guard let cmd = ask("  p = apply prod defaults, e APP = edit, Enter = next: ") else { return false }
            if cmd.isEmpty { break }
            if cmd == "p" {
                CopyPlanner.prodDefaults(&p)
                continue
            }
            let parts = cmd.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] == "e", let i = p.apps.firstIndex(where: { $0.name == parts[1] }) else {
                say("  Unknown command '\(cmd)'.")
                continue
            }
            guard let r = ask("  replicas [\(p.apps[i].replicas)]: ") else { return false }
            if let n = Int(r), n >= 0 {
                p.apps[i].replicas = n
            } else if !r.isEmpty {
                say("  '\(r)' is not a replica count; kept \(p.apps[i].replicas)")
            }
            for (label, path) in [("memory limit", \CopyPlan.App.memoryLimit), ("cpu limit", \CopyPlan.App.cpuLimit)] {
                guard let q = ask("  \(label) [\(p.apps[i][keyPath: path] ?? "-")]: ") else { return false }
                if q == "-" {
                    p.apps[i][keyPath: path] = nil
                } else if !q.isEmpty {
                    if let problem = Quantity.problem(q, flag: label) {
                        say("  \(problem); kept")
                    } else {
                        p.apps[i][keyPath: path] = q
                    }
                }
            }
        }

        say()
        say("Step 5/5 — Review")
        say("  " + p.summary.replacingOccurrences(of: "copied ", with: "will copy "))
        let o = p.overriddenApps
        say(
            "  \(o.count) app\(o.count == 1 ? "" : "s") with overrides"
                + (o.isEmpty ? "" : ": " + o.joined(separator: ", ")))
        for w in p.routeChanges + p.warnings { say("  ⚠ " + w) }
        guard let yes = ask("Create environment \(p.target.name)? [y/N] "), ["y", "yes"].contains(yes.lowercased())
        else { return false }
        out = p
        return true
    }

    private func envRows(_ p: CopyPlan, suspectOnly: Bool) -> [(number: Int, app: Int, env: Int)] {
        var rows: [(Int, Int, Int)] = []
        var n = 0
        for (ai, a) in p.apps.enumerated() {
            for (ei, e) in a.env.enumerated() {
                n += 1
                if !suspectOnly || e.suspect { rows.append((n, ai, ei)) }
            }
        }
        return rows
    }

    static func note(_ e: CopyPlan.EnvVar) -> String {
        var n: [String] = []
        if e.suspect { n.append("suspect") }
        if e.autoUpdated { n.append("auto-updated") }
        if e.value != e.source && !e.autoUpdated { n.append("edited") }
        return n.joined(separator: ", ")
    }

    static func overview(_ p: CopyPlan) -> [String] {
        var l = [
            "Copy \(p.project)/\(p.source.name) (\(p.source.namespace)) into new environment \(p.target.name) (\(p.target.namespace)):"
        ]
        l.append("Apps (\(p.apps.count)): " + p.apps.map(\.name).joined(separator: ", ").ifEmpty("none"))
        l.append(
            "Services (\(p.services.count)): "
                + p.services.map { "\($0.name) (\($0.type) \($0.version), \($0.storage))" }.joined(separator: ", ")
                .ifEmpty("none"))
        if !p.services.isEmpty { l.append("  each gets its own pod, PVC and fresh credentials; the data starts empty") }
        l.append(
            "Volumes (\(p.volumes.count)): "
                + p.volumes.map { "\($0.name) (\($0.size), empty)" }.joined(separator: ", ").ifEmpty("none"))
        if !p.functions.isEmpty {
            l.append(
                "Functions (\(p.functions.count)): "
                    + p.functions.compactMap { $0.at("metadata", "name")?.stringValue }.joined(separator: ", "))
        }
        if !p.jobs.isEmpty {
            l.append(
                "Jobs (\(p.jobs.count)): "
                    + p.jobs.compactMap { $0.at("metadata", "name")?.stringValue }.joined(separator: ", "))
        }
        l.append("Secrets: \(p.secretCount) (duplicated)")
        return l
    }

    /// `--plan` without -o json|yaml: the same data as the wizard, as text on stdout.
    static func printPlan(_ p: CopyPlan, _ ctx: Context) {
        for line in overview(p) { ctx.printer.line(line) }
        ctx.printer.line()
        ctx.printer.line("Routes:")
        let routed = p.apps.filter { $0.sourceHost != nil }
        if routed.isEmpty { ctx.printer.line("  none") }
        for a in routed { ctx.printer.line("  \(a.name): \(a.sourceHost ?? "") → \(a.host ?? "no route")") }
        ctx.printer.line()
        ctx.printer.line("Env vars:")
        let env = p.apps.flatMap { a in a.env.map { [a.name, $0.key, $0.value, note($0)] } }
        if env.isEmpty {
            ctx.printer.line("  none")
        } else {
            ctx.printer.line(
                Printer.table(["APP", "KEY", "VALUE", "NOTE"], env).split(separator: "\n").map { "  " + $0 }.joined(
                    separator: "\n"))
        }
        ctx.printer.line()
        ctx.printer.line("Resources:")
        ctx.printer.line(
            Printer.table(
                ["APP", "REPLICAS", "MEMORY LIMIT", "CPU LIMIT"],
                p.apps.map { [$0.name, String($0.replicas), $0.memoryLimit ?? "-", $0.cpuLimit ?? "-"] }
            )
            .split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        for w in p.warnings { ctx.printer.warning(w) }
    }
}
