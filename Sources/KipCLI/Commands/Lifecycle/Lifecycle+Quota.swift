import Foundation
import KipCore

extension LifecycleCommands {
    // MARK: quota

    static let quotaSpec = CommandSpec(
        "quota", "Show an environment's quota and what it uses, or give it its own.",
        discussion: """
            Every environment has a ResourceQuota (kip-quota) and a LimitRange (kip-limits): the
            install's quota ('kip install --quota'), with the environment's own keys over it.
            Keys: cpu, memory (requests), pods, volumes, storage, limits.cpu, limits.memory,
            services, secrets, configmaps. 'cpu=' drops a key of its own; --reset drops them all.
            A pod that would go past the quota is not created: its rollout fails with
            'exceeded quota'. Running pods stay when a quota is lowered below what they use.
            """,
        arguments: [
            ArgumentSpec("environment", "PROJECT/ENV, or ENV of the active project."),
            ArgumentSpec(
                "quotas", "KEY=QUANTITY pairs (e.g. cpu=4 memory=8Gi pods=40).", optional: true, variadic: true),
        ],
        options: [.flag("reset", "Drop the environment's own keys: the install's quota again.")], handler: quota)

    static func quota(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let first = inv.arguments[0]
        let parts = first.split(separator: "/", maxSplits: 1).map(String.init)
        let (name, env) = parts.count == 2 ? (parts[0], parts[1]) : (try ctx.projectName(nil), first)
        let pairs = Array(inv.arguments.dropFirst())
        let given = try ctx.usage(inv) { try Quota.parse(pairs) }
        if pairs.isEmpty && !inv.has("reset") { return try showQuota(name, env, ctx) }
        try ctx.run {
            let (project, observed) = try ctx.readProject(name, kinds: ["resourcequotas"]) { p in
                p.environments.filter { $0.name == env }
            }
            return Attempt(
                try QuotaChange.plan(
                    project, env: env, set: given.set, removed: given.removed, reset: inv.has("reset"),
                    observed: observed))
        }
        return 0
    }

    static func showQuota(_ name: String, _ env: String, _ ctx: Context) throws -> Int32 {
        let (project, observed) = try ctx.readProject(name, kinds: ["resourcequotas"]) { p in
            p.environments.filter { $0.name == env }
        }
        guard let e = project.environment(env) else {
            throw KipError(
                "project \"\(name)\" has no environment \"\(env)\"; it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        let live = Quota.live(in: observed.natives[e.namespace] ?? [])
        let hard = live?.at("status", "hard")?.stringMap ?? live?.at("spec", "hard")?.stringMap ?? [:]
        let used = live?.at("status", "used")?.stringMap ?? [:]
        let keys = Quota(hard).text.split(separator: ",").map { String($0.split(separator: "=")[0]) }
        func key(_ alias: String) -> String { Quota.aliases.first { $0.0 == alias }?.1 ?? alias }
        return try ctx.show(
            [
                "project": .string(name), "environment": .string(env), "namespace": .string(e.namespace),
                "own": .object((e.quota ?? [:]).mapValues(JSON.string)), "hard": .object(hard.mapValues(JSON.string)),
                "used": .object(used.mapValues(JSON.string)),
            ],
            empty: live == nil
                ? "\(name)/\(env) has no quota: 'kip project sync \(name)' writes the install's, 'kip project quota \(name)/\(env) cpu=4' its own"
                : nil
        ) { _ in
            ctx.printer.line(
                "Quota of \(name)/\(env) (ResourceQuota \(Quota.quotaName) in \(e.namespace))"
                    + (e.quota.map { ", its own: \(Quota($0).text)" } ?? ", the install's") + ":")
            ctx.printer.table(
                ["RESOURCE", "USED", "HARD"], keys.map { [$0, used[key($0)] ?? "0", hard[key($0)] ?? ""] })
        }
    }
}
