import Foundation
import KipCore

/// `kip project reorder | protect | unprotect | gc`: pipelines that change, environments
/// that must not go by accident, and short-lived ones that go on schedule.
enum LifecycleCommands {
    static let confirmEnv = OptionSpec.list(
        "confirm-env", "env", "Name the protected environment this acts on (--yes is not enough there).")

    static var specs: [CommandSpec] {
        [
            CommandSpec(
                "reorder", "Put a project's environments in a new pipeline order.",
                discussion: "Name every environment once. Promotion follows the new order; nothing is moved or copied.",
                arguments: [
                    ArgumentSpec("project", "Project (default: the active project).", optional: true),
                    ArgumentSpec("order", "Every environment, in the new order (e.g. test,acc,staging,prod)."),
                ], handler: reorder),
            CommandSpec(
                "protect", "Protect an environment: destructive commands there need it named.",
                discussion: """
                    In a protected environment these refuse --yes: they ask to type the environment's
                    name on a terminal, or take --confirm-env ENV in scripts: \(Protection.summary).
                    'kip project gc' never removes it. Marked 🔒 in list and show.
                    """,
                arguments: [
                    ArgumentSpec("project", "PROJECT/ENV, or PROJECT (default: the active one)."),
                    ArgumentSpec("env", "Environment (or give PROJECT/ENV).", optional: true),
                ],
                options: [
                    .flag(
                        "require-approval",
                        "Promotions into it also need an approval by another admin of it ('kip app approve').")
                ],
                handler: { inv, ctx in try protect(inv, ctx, true) }),
            CommandSpec(
                "unprotect", "Lift an environment's protection (and its approvals requirement).",
                arguments: [
                    ArgumentSpec("project", "PROJECT/ENV, or PROJECT (default: the active one)."),
                    ArgumentSpec("env", "Environment (or give PROJECT/ENV).", optional: true),
                ], handler: { inv, ctx in try protect(inv, ctx, false) }),
            CommandSpec(
                "sleep", "Scale an environment's apps, functions and databases to 0, keeping their counts.",
                discussion: """
                    For the night: every Deployment and StatefulSet kip made there goes to 0 replicas,
                    its count kept on it; 'kip project wake' brings each back. Data stays. Deploying
                    an app while its environment sleeps wakes that app.
                    """,
                arguments: [
                    ArgumentSpec("project", "PROJECT/ENV, or PROJECT (default: the active one)."),
                    ArgumentSpec("env", "Environment (or give PROJECT/ENV).", optional: true),
                ], handler: { inv, ctx in try sleep(inv, ctx, true) }),
            CommandSpec(
                "wake", "Bring a sleeping environment back: each workload at the count it had.",
                arguments: [
                    ArgumentSpec("project", "PROJECT/ENV, or PROJECT (default: the active one)."),
                    ArgumentSpec("env", "Environment (or give PROJECT/ENV).", optional: true),
                ], handler: { inv, ctx in try sleep(inv, ctx, false) }),
            CommandSpec(
                "gc", "Remove short-lived environments (add-env --ttl) whose time is up.",
                discussion: """
                    kip runs nothing in the cluster, so nothing removes an expired environment by
                    itself: run this from a CI schedule (e.g. hourly). Protected environments are
                    never removed; --dry-run lists what would go. --keep-only (with a project) also
                    removes every preview environment it does not name: CI passes the open pull
                    requests' previews. --sleep-after 8h also puts to sleep ('kip project sleep') the
                    environments nobody changed for that long, judged by the times the API server
                    stamps on every write of kip's objects and their workloads; protected ones never.
                    """,
                arguments: [ArgumentSpec("name", "Only this project (default: every project).", optional: true)],
                options: [
                    .list(
                        "keep-only", "envs",
                        "Keep only these preview environments of the project (comma-separated); remove its other previews."
                    ),
                    .value(
                        "sleep-after", "duration",
                        "Also put to sleep the environments nobody changed for this long (e.g. 8h, 2d)."),
                ],
                handler: gc),
            quotaSpec,
        ]
    }

    /// `PROJECT/ENV`, `PROJECT ENV`, or `ENV` of the active project.
    static func target(_ inv: Invocation, _ ctx: Context) throws -> (String, String) {
        let a = inv.arguments
        if a.count == 2 { return (a[0], a[1]) }
        let parts = a[0].split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 2 { return (parts[0], parts[1]) }
        return (try ctx.projectName(nil), a[0])
    }

    static func reorder(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (name, list) =
            inv.arguments.count == 2
            ? (inv.arguments[0], inv.arguments[1])
            : (try ctx.projectName(nil), inv.arguments[0])
        let order = list.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        try ctx.run {
            let (project, observed) = try ctx.readProject(name, kinds: [])
            return Attempt(try ProjectPlanner.reorderPlan(project, order, observed: observed))
        }
        return 0
    }

    static func protect(_ inv: Invocation, _ ctx: Context, _ on: Bool) throws -> Int32 {
        let (name, env) = try target(inv, ctx)
        try ctx.run {
            let (project, _) = try ctx.readProject(name, kinds: []) { _ in [] }
            // Lifting protection needs the environment named, as a destructive command does.
            if !on {
                try Protection.check([project.environments[try Protect.index(project, env)]], project: name, inv, ctx)
            }
            return Attempt(
                try Protect.plan(
                    project, env: env, on: on, requireApproval: inv.has("require-approval"), actor: ctx.actor))
        }
        return 0
    }

    /// `sleep` (`down`) or `wake`: the environment's workloads at 0, or back at their
    /// counts, written by the sleep field manager; told as an Event.
    static func sleep(_ inv: Invocation, _ ctx: Context, _ down: Bool) throws -> Int32 {
        let (name, env) = try target(inv, ctx)
        let scoped = Invocation(
            command: inv.command, options: inv.options.merging(["project": ["\(name)/\(env)"]]) { $1 }, arguments: [])
        try ctx.run {
            let w = try ctx.environment(scoped, reading: .kinds(["deployments.apps", "statefulsets.apps"]))
            return Attempt(
                Sleep.plan(
                    project: name, env: env, namespace: w.scope.namespace, down: down, natives: w.natives,
                    actor: try ctx.actor()))
        }
        return 0
    }

    /// Removes the expired, unprotected environments of every project (or of one): for
    /// each project one write of its Project and the deletion of those namespaces.
    static func gc(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let now = ctx.clock()
        let sleepAfter = try inv.duration("sleep-after", examples: "8h, 2d or 1h30m")
        let keep = inv.options["keep-only"].map { Set($0.flatMap { $0.split(separator: ",").map(String.init) }) }
        if keep != nil && inv.arguments.isEmpty {
            throw UsageError(
                message: "--keep-only names previews of one project: give the project", command: inv.command)
        }
        let projects = try gcProjects(inv.arguments.first, ctx)
        // Planned from each Project as listed, read again when someone else changed it
        // in between (its resourceVersion is the write's precondition).
        var steps: [(Int) throws -> Attempt] = projects.filter {
            !ProjectPlanner.expired($0, at: now, keepingOnly: keep).isEmpty
        }.map { listed in
            { n in
                let project = n == 0 ? listed : try ctx.project(named: listed.name) ?? listed
                return Attempt(ProjectPlanner.gcPlan(project, at: now, keepingOnly: keep).plan)
            }
        }
        if let sleepAfter {
            // What has idled is judged before anything is written, the expired left out.
            for listed in projects {
                let gone = Set(ProjectPlanner.expired(listed, at: now, keepingOnly: keep).map(\.name))
                if let step = try sleepIdle(listed, except: gone, after: sleepAfter, now: now, ctx) {
                    steps.append(step)
                }
            }
        }
        guard let first = steps.first else {
            // Said as any write that finds nothing to do: an empty result for -o json.
            return try ctx.run {
                Attempt(Plan.nothing(sleepAfter == nil ? "Nothing has expired." : "Nothing has expired or idled."))
            }.code
        }
        return try ctx.run(first, then: { Array(steps.dropFirst()) }).code
    }

    /// Every project, or the one named.
    static func gcProjects(_ only: String?, _ ctx: Context) throws -> [Project] {
        let all = try ctx.everyProject().projects.sorted { $0.name < $1.name }
        guard let only else { return all }
        let named = all.filter { $0.name == only }
        if named.isEmpty { throw ProjectPlanner.unknownProject(only, observed: try ctx.everyProject()) }
        return named
    }

    /// `gc --sleep-after`: the project's environments nobody changed for `after`, asleep
    /// in one write; nil when none has idled.
    static func sleepIdle(
        _ project: Project, except gone: Set<String>, after: TimeInterval, now: Date, _ ctx: Context
    ) throws -> ((Int) throws -> Attempt)? {
        let envs = project.environments.filter { !gone.contains($0.name) && !$0.protected }
        if envs.isEmpty { return nil }
        let observed = try ctx.lastWrites(in: envs.map(\.namespace))
        let idle = Sleep.idle(project, observed: observed, now: now, after: after).filter {
            !gone.contains($0.env.name)
        }
        if idle.isEmpty { return nil }
        return { _ in
            Attempt(Sleep.idlePlan(project, idle: idle, observed: observed, now: now, actor: try ctx.actor()))
        }
    }
}
