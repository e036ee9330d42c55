import Foundation
import KipCore

extension WorkloadCommands {
    // MARK: service dump / restore / copy-data

    static let dataCommands: [CommandSpec] = [
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
        let status = try ctx.attached(
            PodStreams.exec(
                namespace: w.scope.namespace, pod: pod, container: type, command: PodStreams.dump(type), stdin: false,
                tty: false))
        // stdout is the dump's alone: nothing else is printed on success.
        return status == 0 ? 0 : 1
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
        if ctx.dryRun {
            ctx.printer.success("would replace the data of service \(name) in \(w.scope.namespace) (dry run)")
            return 0
        }
        let status = try ctx.attached(
            PodStreams.exec(
                namespace: w.scope.namespace, pod: pod, container: type, command: PodStreams.restore(type), stdin: true,
                tty: false))
        guard status == 0 else { throw KipError("restore into service \(name) in \(w.scope.namespace) failed") }
        ctx.printer.success("restored service \(name) in \(w.scope.namespace) from stdin")
        return 0
    }

    static func serviceCopyData(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let (fromName, toName) = (inv.value("from")!, inv.value("to")!)
        guard fromName != toName else {
            throw UsageError(message: "--from and --to name the same environment '\(fromName)'", command: inv.command)
        }
        let base = try ctx.project(of: inv)
        let project = base.project!
        func env(_ n: String, _ flag: String) throws -> Project.Environment {
            guard let e = project.environment(n) else {
                throw KipError(
                    "project \(project.name) has no environment \"\(n)\" (--\(flag)); it has: \(project.environments.map(\.name).joined(separator: ", "))"
                )
            }
            return e
        }
        let (fromEnv, toEnv) = (try env(fromName, "from"), try env(toName, "to"))
        let views = try ctx.environments([fromEnv, toEnv], of: base, kinds: [WorkloadKind.service.resource])
        let (src, dst) = (try database(name, views[0], ctx), try database(name, views[1], ctx))
        guard src.type == dst.type else {
            throw KipError(
                "service \(name) is \(src.type) in \(fromName) and \(dst.type) in \(toName): a dump of one does not restore into the other"
            )
        }
        let (from, to) = (views[0].scope.namespace, views[1].scope.namespace)
        try LifecycleCommands.confirmProtected(
            [toEnv], project: project.name, action: "replace the data of service \(name)", inv, ctx)
        if !toEnv.protected {
            guard try ctx.confirm("Replace the data of service \(name) in \(to) with a copy of \(from)'s?")
            else { throw KipError("nothing was copied") }
        }
        if ctx.dryRun {
            ctx.printer.success("would copy service \(name)'s data from \(from) into \(to) (dry run)")
            return 0
        }
        try ctx.piped(
            PodStreams.exec(
                namespace: from, pod: src.pod, container: src.type, command: PodStreams.dump(src.type), stdin: false,
                tty: false),
            into: PodStreams.exec(
                namespace: to, pod: dst.pod, container: dst.type, command: PodStreams.restore(dst.type), stdin: true,
                tty: false))
        ctx.printer.success("copied service \(name)'s data from \(from) into \(to)")
        return 0
    }
}
