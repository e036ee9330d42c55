import Foundation
import KipCore

extension WorkloadCommands {
    // MARK: service dump / restore / copy-data

    static let dataCommands: [CommandSpec] = [
        connectSpec,
        CommandSpec(
            "dump", "Write a database's dump to stdout (pg_dump, mysqldump).",
            discussion: """
                The dump comes from the service's own pod through 'kubectl exec' and goes straight to
                stdout: 'kip service dump db > db.sql'. It replaces the database when restored.
                """,
            arguments: [ArgumentSpec("name", "Service name.")], options: scopeOptions, handler: serviceDump),
        CommandSpec(
            "restore", "Replace a database's data with a dump read from stdin (psql, mysql).",
            discussion: """
                'kip service restore db --yes < db.sql'. stdin holds the dump, so kip cannot ask:
                pass --yes (and --confirm-env ENV in a protected environment).
                """,
            arguments: [ArgumentSpec("name", "Service name.")], options: scopeOptions, handler: serviceRestore),
        CommandSpec(
            "copy-data", "Copy a database's data from one environment into another's.",
            discussion: """
                A dump of the source streams into the target's database (two kubectl processes piped;
                the data is never written to disk). The target's data is replaced: kip asks first
                (--yes in scripts), and a protected target needs --confirm-env ENV.
                """,
            arguments: [ArgumentSpec("name", "Service name.")],
            options: [
                .required("from", "env", "The environment whose data is copied."),
                .required("to", "env", "The environment whose data is replaced."),
                .value("project", "project", "Project (default: the active project)."),
            ], handler: serviceCopyData),
    ]

    static let connectSpec = CommandSpec(
        "connect", "Forward a local port to a service and print how to connect (or run a client).",
        discussion: """
            Runs 'kubectl port-forward' to the service's pod on 127.0.0.1 until Ctrl-C, and prints
            its URL with the password masked (--show-password prints it). With a command after
            --, runs it instead, with DATABASE_URL and the client's own variables set (PGHOST,
            PGPORT, PGUSER, PGPASSWORD, PGDATABASE; MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_PWD;
            REDISCLI_AUTH), and stops the forward when it exits: 'kip service connect db -- psql'.
            The password is passed by environment variable only, never on a command line.
            """,
        arguments: [
            ArgumentSpec("name", "Service name."),
            ArgumentSpec("command", "A client to run against it (e.g. psql).", optional: true, variadic: true),
        ],
        options: [
            .value("port", "port", "The local port (default: any free one)."),
            .value("exec", "command", "A client command line to run against it (by sh), e.g. 'psql -c \\dt'."),
            .flag("show-password", "Print the URL with its password."),
        ] + scopeOptions, handler: serviceConnect)

    /// `connect`'s client (`--exec LINE` or the words after `--`) and local port.
    static func connectOptions(_ inv: Invocation) throws -> (command: [String], port: Int) {
        var command = Array(inv.arguments.dropFirst())
        if let line = inv.value("exec") {
            guard command.isEmpty else {
                throw UsageError(
                    message: "--exec and a command after -- both name the client: give one", command: inv.command)
            }
            command = ["sh", "-c", line]
        }
        let port =
            try inv.value("port").map { v -> Int in
                guard let n = Int(v), (0...65535).contains(n) else {
                    throw UsageError(message: "--port '\(v)' is not a port number (1-65535)", command: inv.command)
                }
                return n
            } ?? 0
        return (command, port)
    }

    /// The credentials of service `name` (decoded), which a viewer may not read.
    static func credentials(_ name: String, in namespace: String, _ ctx: Context) throws -> [String: String] {
        guard case .value(let s) = try ctx.readableSecret(SecretNames.credentials(name), in: namespace) else {
            throw KipError(
                "you may not read the credentials of service \(name) in \(namespace): a developer of it may connect")
        }
        return (s?["data"]?.stringMap ?? [:]).compactMapValues {
            Data(base64Encoded: $0).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    static func serviceConnect(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let (command, local) = try connectOptions(inv)
        let w = try ctx.environment(inv, reading: .objects(["\(WorkloadKind.service.resource)/\(name)"]))
        let type = ServiceSpec(json: try w.require(.service, name)["spec"] ?? [:]).type
        let pod = try ctx.podToExec(
            in: w.scope.namespace, kind: "statefulsets.apps", selector: "\(WorkloadKind.service.labelKey)=\(name)",
            what: "service \(name) in \(w.scope.namespace)")
        return try ctx.session(
            PodStreams.connectSession(
                service: name, namespace: w.scope.namespace, pod: pod, type: type, local: local,
                credentials: try credentials(name, in: w.scope.namespace, ctx), showPassword: inv.has("show-password"),
                client: command))
    }

    /// The engine of service `name` in `w`, and the pod its data lives in.
    static func database(_ name: String, _ w: EnvironmentView, _ ctx: Context) throws -> (type: String, pod: String) {
        let type = ServiceSpec(json: try w.require(.service, name)["spec"] ?? [:]).type
        try PodStreams.checkMovable(type, service: name)
        let pod = try ctx.podToExec(
            in: w.scope.namespace, kind: "statefulsets.apps", selector: "\(WorkloadKind.service.labelKey)=\(name)",
            what: "service \(name) in \(w.scope.namespace)")
        return (type, pod)
    }

    static func serviceDump(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        guard !ctx.terminal.stdoutIsTerminal else {
            throw KipError(
                "a dump is not written to a terminal: redirect it, e.g. 'kip service dump \(name) > \(name).sql'")
        }
        let w = try ctx.environment(inv, reading: .objects(["\(WorkloadKind.service.resource)/\(name)"]))
        let (type, pod) = try database(name, w, ctx)
        // stdout is the dump's alone: nothing else is printed on success.
        return try ctx.session(PodStreams.dumpSession(namespace: w.scope.namespace, pod: pod, type: type))
    }

    static func serviceRestore(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        guard !ctx.terminal.stdinIsTerminal else {
            throw KipError("restore reads a dump on stdin: 'kip service restore \(name) --yes < \(name).sql'")
        }
        let w = try ctx.environment(inv, reading: .objects(["\(WorkloadKind.service.resource)/\(name)"]))
        let (type, pod) = try database(name, w, ctx)
        guard ctx.yes || ctx.confirmedProtected.contains(w.scope.namespace) else {
            throw KipError(
                "restore replaces the data of service \(name) in \(w.scope.namespace): pass --yes to go ahead (stdin holds the dump, so kip cannot ask)"
            )
        }
        return try ctx.session(
            PodStreams.restoreSession(
                service: name, namespace: w.scope.namespace, pod: pod, type: type,
                actor: (try? ctx.actor()) ?? "?"))
    }

    static func serviceCopyData(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let (fromName, toName) = (inv.value("from")!, inv.value("to")!)
        guard fromName != toName else {
            throw UsageError(message: "--from and --to name the same environment '\(fromName)'", command: inv.command)
        }
        let base = try ctx.project(of: inv)
        let project = base.project!
        let (fromEnv, toEnv) = (
            try PodStreams.environment(project, fromName, flag: "from"),
            try PodStreams.environment(project, toName, flag: "to")
        )
        let views = try ctx.environments([fromEnv, toEnv], of: base, kinds: [WorkloadKind.service.resource])
        let (src, dst) = (try database(name, views[0], ctx), try database(name, views[1], ctx))
        try PodStreams.checkSameEngine(name, src.type, in: fromName, dst.type, in: toName)
        let (from, to) = (views[0].scope.namespace, views[1].scope.namespace)
        try confirmReplacing(name, in: toEnv, of: project, from: from, inv, ctx)
        return try ctx.session(
            PodStreams.copySession(
                service: name, type: src.type, from: (from, src.pod), to: (to, dst.pod),
                actor: (try? ctx.actor()) ?? "?"))
    }

    /// Replacing a database's data: a protected environment named, another asked about.
    static func confirmReplacing(
        _ name: String, in env: Project.Environment, of project: Project, from: String, _ inv: Invocation,
        _ ctx: Context
    ) throws {
        try Protection.confirmProtected(
            [env], project: project.name, action: "replace the data of service \(name)", inv, ctx)
        if !env.protected {
            guard try ctx.confirm("Replace the data of service \(name) in \(env.namespace) with a copy of \(from)'s?")
            else { throw KipError("nothing was copied") }
        }
    }
}
