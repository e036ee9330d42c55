import Foundation
import KipCore

extension ProjectCommands {
    // MARK: env

    static let envSpec = CommandSpec(
        "env", "The project's variables, which every app of every environment gets.",
        discussion: """
            An app gets the project's variables unless it sets its own (its env vars and secrets
            win). They live in the Project and in a ConfigMap kip-project-env per environment:
            whoever may list projects reads them, so keep secrets in 'kip app secret set'.
            A change restarts the apps it reaches, after it is written.
            """,
        subcommands: [
            CommandSpec(
                "set", "Set project variables (KEY=VALUE …, or a .env file).",
                arguments: [
                    ArgumentSpec("project", "Project."),
                    ArgumentSpec("pairs", "KEY=VALUE pairs.", optional: true, variadic: true),
                ],
                options: [.value("from-file", "file", "A .env file of KEY=VALUE lines (the pairs given win).")],
                handler: envSet),
            CommandSpec(
                "unset", "Remove project variables.",
                arguments: [
                    ArgumentSpec("project", "Project."), ArgumentSpec("keys", "Variable names.", variadic: true),
                ], handler: envUnset),
            CommandSpec(
                "list", "List the project's variables.",
                arguments: [ArgumentSpec("project", "Project (default: the active project).", optional: true)],
                handler: envList),
        ])

    static func envSet(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        // The pairs follow the project, as an app's follow the app.
        let pairs = try AppCommands.envPairs(inv, ctx)
        return try changeEnv(inv.arguments[0], set: pairs, unset: [], ctx)
    }

    static func envUnset(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let keys = Array(inv.arguments.dropFirst())
        for k in keys where EnvNames.problem(k) != nil {
            throw UsageError(message: "'\(k)': \(EnvNames.problem(k)!)", command: inv.command)
        }
        return try changeEnv(inv.arguments[0], set: [], unset: keys, ctx)
    }

    static func changeEnv(_ name: String, set: [EnvVar], unset: [String], _ ctx: Context) throws -> Int32 {
        try ctx.run {
            let (project, observed) = try ctx.readProject(name, kinds: [CRDs.app, "deployments.apps"])
            let (updated, changed) = try ProjectEnv.change(project, set: set, unset: unset)
            guard !changed.isEmpty else {
                return Attempt(Plan.unchanged(.info("= variables of project \(name) unchanged")))
            }
            return Attempt(ProjectEnv.plan(updated, changed: changed, observed: observed, at: ctx.clock()))
        }
        return 0
    }

    static func envList(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let project = try ctx.namedProject(inv, given: inv.arguments.first)
        return try ctx.show(
            .array(project.env.map { ["name": .string($0.name), "value": .string($0.value)] }),
            empty: project.env.isEmpty ? "Project \(project.name) has no variables." : nil
        ) { _ in ctx.printer.table(["NAME", "VALUE"], project.env.map { [$0.name, $0.value] }) }
    }
}
