import Foundation
import KipCore

extension WorkloadCommands {
    // MARK: function

    static let function = CommandSpec(
        "function", "Small HTTP services (a Deployment and a Service).",
        subcommands: [
            CommandSpec(
                "deploy", "Create or update a function.", arguments: [ArgumentSpec("name", "Function name.")],
                options: [
                    FunctionOpts.image.spec, FunctionOpts.port.spec, FunctionOpts.env.spec, adoptFlag.spec,
                    rolloutWaitFlag.spec,
                ] + scopeOptions,
                handler: functionDeploy),
            CommandSpec(
                "list", "List the functions of an environment.", options: scopeOptions,
                handler: { inv, ctx in try simpleList(inv, ctx, .function) }),
            CommandSpec(
                "logs", "Print the logs of a function's pods (each line prefixed with its pod).",
                arguments: [ArgumentSpec("function", "Function name.")],
                options: [
                    .flag("follow", short: "f", "Keep printing new lines until interrupted."),
                    .value("since", "duration", "Only lines newer than this (e.g. 10m, 1h)."),
                    .flag("previous", "The logs of the containers before their last restart (after a crash)."),
                    .value("tail", "n", "Only the last N lines of each pod (default: all)."),
                ] + scopeOptions, handler: { inv, ctx in try AppCommands.logs(inv, ctx, .function) }),
            CommandSpec(
                "env", "Set or unset a function's environment variables.",
                subcommands: [
                    CommandSpec(
                        "set", "Set env vars (KEY=VALUE …, or a .env file).",
                        arguments: [
                            ArgumentSpec("function", "Function name."),
                            ArgumentSpec("pairs", "KEY=VALUE pairs.", optional: true, variadic: true),
                        ],
                        options: [
                            .value(
                                "from-file", "path",
                                "Also set every KEY=VALUE of this .env file (- for stdin); the pairs given win.")
                        ] + scopeOptions, handler: { inv, ctx in try functionEnv(inv, ctx, set: true) }),
                    CommandSpec(
                        "unset", "Remove env vars (KEY …).",
                        arguments: [
                            ArgumentSpec("function", "Function name."),
                            ArgumentSpec("keys", "Variable names.", variadic: true),
                        ],
                        options: scopeOptions, handler: { inv, ctx in try functionEnv(inv, ctx, set: false) }),
                ]),
            CommandSpec(
                "delete", "Delete a function.", arguments: [ArgumentSpec("name", "Function name.")],
                options: scopeOptions,
                handler: { inv, ctx in try confirmedDelete(inv, ctx, .function) }),
        ])

    enum FunctionOpts {
        static let image = Option<String>.string("image", "image", "Container image.", required: true)
        static let port = Option<Int>.port("Port it listens on.", default: FunctionSpec.defaultPort)
        static let env = ListOption<EnvVar>.env()
    }

    static func functionDeploy(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        try Check.name(name, .function)
        let spec = FunctionSpec(
            image: try inv.require(FunctionOpts.image),
            port: try inv.get(FunctionOpts.port) ?? FunctionSpec.defaultPort,
            env: Check.unique(try inv.get(FunctionOpts.env)))
        var namespace = ""
        try ctx.run {
            let w = try ctx.environment(inv)
            try w.checkNameFree(name, for: .function)
            namespace = w.scope.namespace
            return Attempt(
                try w.plan(
                    .function, name, [Workloads.cr(.function, name, w.scope, spec: spec.json)],
                    adopt: inv.has(adoptFlag)))
        }
        return try AppCommands.waitIfAsked(inv, ctx, namespace, [RolloutWait.function(name)])
    }

    /// `function env set|unset`: the function's env vars, nothing else of it.
    static func functionEnv(_ inv: Invocation, _ ctx: Context, set: Bool) throws -> Int32 {
        let name = inv.arguments[0]
        let args = Array(inv.arguments.dropFirst())
        let pairs = set ? try AppCommands.envPairs(inv, ctx) : []
        try ctx.run {
            let w = try ctx.environment(inv, reading: .objects(["\(CRDs.function)/\(name)"]))
            let current = try w.require(.function, name)
            return Attempt(
                try FunctionEnv.plan(
                    name, current: current, set: set ? pairs : nil, unset: args, w, command: inv.command,
                    actor: try ctx.actor()))
        }
        return 0
    }
}
