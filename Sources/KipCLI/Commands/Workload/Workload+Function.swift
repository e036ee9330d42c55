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
        try ctx.write {
            let w = try ctx.environment(inv)
            try w.checkNameFree(name, for: .function)
            namespace = w.scope.namespace
            return try w.plan(
                .function, name, [Workloads.cr(.function, name, w.scope, spec: spec.json)], adopt: inv.has(adoptFlag))
        }
        return try AppCommands.waitIfAsked(inv, ctx, namespace, [RolloutWait.function(name)])
    }
}
