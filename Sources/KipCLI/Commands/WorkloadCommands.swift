import Foundation
import KipCore

/// `kip service|volume|function|job …`: the other kinds an environment holds.
enum WorkloadCommands {
    // MARK: service

    static let service = CommandSpec(
        "service", "Databases and caches (postgres, mysql, redis), one per environment.",
        subcommands: [
            CommandSpec(
                "add", "Add a database or cache: StatefulSet, headless Service and fresh credentials.",
                discussion:
                    "The password comes from the system's random source (192 bits) and is stored in the Secret <name>-credentials; it never appears on a command line.",
                arguments: [ArgumentSpec("type", "postgres, mysql or redis.")],
                options: [
                    ServiceOpts.name.spec, ServiceOpts.version.spec, ServiceOpts.storage.spec,
                    ServiceOpts.storageClass.spec, ServiceOpts.allowMajorUpgrade.spec, adoptFlag.spec,
                    rolloutWaitFlag.spec,
                ] + scopeOptions,
                handler: serviceAdd),
            CommandSpec("list", "List the services of an environment.", options: scopeOptions, handler: serviceList),
            CommandSpec(
                "info", "Connection details of a service (password masked).",
                arguments: [ArgumentSpec("name", "Service name.")],
                options: [.flag("show-password", "Print the password and URL unmasked.")] + scopeOptions,
                handler: serviceInfo),
            CommandSpec(
                "delete", "Delete a service and its data.",
                discussion: "Asks to type the service name. Without a terminal, pass --confirm NAME or --yes.",
                arguments: [ArgumentSpec("name", "Service name.")],
                options: [
                    .value("confirm", "name", "Confirm by naming the service (for scripts)."), forceDelete.spec,
                    LifecycleCommands.confirmEnv,
                ]
                    + scopeOptions,
                handler: serviceDelete),
        ])

    enum ServiceOpts {
        static let name = Option<String>.name("name", "name", "Service name.", required: true)
        static let version = Option<String>(
            .value("version", "version", "Engine version (default: postgres 16, mysql 8.4, redis 7).")
        ) { v in
            guard !v.isEmpty, v.allSatisfy({ $0.isLetter || $0.isNumber || ".-_".contains($0) }) else {
                throw BadValue("not an image tag (e.g. 16, 8.4, 7.2)")
            }
            return v
        }
        static let storage = Option<String>.quantity(
            "storage", "Storage size.", valueName: "size", default: ServiceSpec.defaultStorage, positive: true)
        static let storageClass = Option<String>.objectName(
            "storage-class", "class", "StorageClass of its data (default: kip install's, else the cluster's).")
        static let allowMajorUpgrade = Flag(
            "allow-major-upgrade",
            "Change the engine's major version of a service that has data (its data files may not be readable).")
    }

    static func serviceAdd(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let type = inv.arguments[0]
        let name = try inv.require(ServiceOpts.name)
        try ServiceAdd.check(type: type, name: name)
        var o = ServiceOptions(
            name: name,
            spec: ServiceSpec(
                type: type, version: try inv.get(ServiceOpts.version) ?? Workloads.engines[type]!.defaultVersion,
                storage: try inv.get(ServiceOpts.storage) ?? ServiceSpec.defaultStorage,
                storageClass: try inv.get(ServiceOpts.storageClass)))
        o.allowMajorUpgrade = inv.has(ServiceOpts.allowMajorUpgrade)
        o.adopt = inv.has(adoptFlag)
        try ctx.confirmUnusual(Limits.unusual(storage: o.spec.storage), of: "service \(name)")
        var namespace = ""
        try ctx.write {
            let (kinds, objects) = ServiceAdd.reads(o)
            let w = try ctx.environment(inv, reading: .mixed(kinds: kinds, objects: objects))
            namespace = w.scope.namespace
            return try ServiceAdd.plan(o, w)
        }
        return try AppCommands.waitIfAsked(inv, ctx, namespace, [RolloutWait.service(name)])
    }

    static func serviceList(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv, reading: .kinds([WorkloadKind.service.resource]))
        let items = w.crs(.service)
        return try ctx.show(
            w.document(items), names: w.names(items),
            empty: items.isEmpty
                ? "No services in \(w.scope.namespace). Add one with 'kip service add postgres --name db'." : nil
        ) { _ in
            ctx.printer.table(
                ["NAME", "TYPE", "VERSION", "STORAGE", "HOST"],
                items.map { s in
                    let name = s.at("metadata", "name")?.stringValue ?? ""
                    return [
                        name, s.at("spec", "type")?.stringValue ?? "", s.at("spec", "version")?.stringValue ?? "",
                        s.at("spec", "storage")?.stringValue ?? "", Workloads.host(name, w.scope),
                    ]
                })
        }
    }

    static func serviceInfo(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let w = try ctx.environment(inv, reading: .objects(["\(CRDs.service)/\(name)", "statefulsets.apps/\(name)"]))
        let cr = try w.require(.service, name)
        var creds: [String: String] = [:]
        var hidden = false
        switch try ctx.readableSecret(SecretNames.credentials(name), in: w.scope.namespace) {
        case .value(let s):
            for (k, v) in s?["data"]?.objectValue ?? [:] {
                if let b = v.stringValue, let d = Data(base64Encoded: b) {
                    creds[k] = String(decoding: d, as: UTF8.self)
                }
            }
        case .hidden: hidden = true
        }
        let show = inv.has("show-password")
        let mask = "********"
        var url = creds["url"] ?? ""
        if !show, let pw = creds["password"], !pw.isEmpty { url = url.replacingOccurrences(of: pw, with: mask) }
        let fields: [(String, String)] = [
            ("type", cr.at("spec", "type")?.stringValue ?? ""),
            ("version", cr.at("spec", "version")?.stringValue ?? ""),
            ("storage", cr.at("spec", "storage")?.stringValue ?? ""),
            ("host", creds["host"] ?? Workloads.host(name, w.scope)),
            ("port", creds["port"] ?? ""), ("user", creds["user"] ?? ""), ("database", creds["database"] ?? ""),
            ("password", creds["password"] == nil ? "" : (show ? creds["password"]! : mask)), ("url", url),
            ("secret", SecretNames.credentials(name)), ("ready", w.readyText(name)),
        ]
        var doc: JSON = ["name": .string(name), "namespace": .string(w.scope.namespace)]
        for (k, v) in fields { doc[k] = .string(v) }
        // Numbers as numbers.
        if let port = Int(creds["port"] ?? "") { doc["port"] = .int(port) }
        return try ctx.show(doc) { _ in
            if hidden {
                ctx.printer.warning(
                    "the credentials are not shown: you may not read secrets in \(w.scope.namespace) (a developer may)")
            } else if creds.isEmpty {
                ctx.printer.warning(
                    "Secret \(name)-credentials is missing: run 'kip service add \(cr.at("spec", "type")?.stringValue ?? "postgres") --name \(name)' again to regenerate it"
                )
            }
            ctx.printer.line("Service:    \(name) (\(w.scope.namespace))")
            let labels = [
                "url": "URL", "host": "Host", "port": "Port", "user": "User", "database": "Database",
                "password": "Password", "type": "Type", "version": "Version", "storage": "Storage", "secret": "Secret",
                "ready": "Ready",
            ]
            for (k, v) in fields {
                ctx.printer.line(((labels[k] ?? k) + ":").padding(toLength: 12, withPad: " ", startingAt: 0) + v)
            }
        }
    }

    static let forceDelete = Flag("force", "Delete it even though apps are bound to it (they lose their credentials).")

    static func serviceDelete(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv)
        let name = inv.arguments[0]
        _ = try w.require(.service, name)
        let users = w.apps(referencing: name, in: "bindings", key: "service")
        // Bound apps would fail to start without the credentials they read.
        if !users.isEmpty && !inv.has(forceDelete) {
            throw KipError(
                "service \(name) is bound to \(users.joined(separator: ", ")): unbind them first, or pass --force to delete it anyway"
            )
        }
        var warning = [
            "Deleting service \(name) in \(w.scope.namespace) destroys its data and credentials. This cannot be undone."
        ]
        if !users.isEmpty { warning.append("Apps bound to it: \(users.joined(separator: ", ")).") }
        return try ctx.deleteHoldingData(
            w, .service, name, warning: warning, confirm: inv.value("confirm"))
    }

    // MARK: volume

    static let volume = CommandSpec(
        "volume", "Persistent volumes apps can mount.",
        subcommands: [
            CommandSpec(
                "add", "Add a volume (a PersistentVolumeClaim), optionally mounting it into an app.",
                arguments: [ArgumentSpec("name", "Volume name.")],
                options: [
                    VolumeOpts.size.spec, VolumeOpts.accessMode.spec, VolumeOpts.storageClass.spec,
                    VolumeOpts.mount.spec, adoptFlag.spec,
                ] + scopeOptions,
                handler: volumeAdd),
            CommandSpec("list", "List the volumes of an environment.", options: scopeOptions, handler: volumeList),
            CommandSpec(
                "mount", "Mount a volume into an app at a path.",
                arguments: [ArgumentSpec("name", "Volume name."), ArgumentSpec("target", "APP:/path.")],
                options: scopeOptions, handler: volumeMount),
            CommandSpec(
                "unmount", "Take a volume out of an app (the data stays).",
                arguments: [ArgumentSpec("name", "Volume name."), ArgumentSpec("app", "App name.")],
                options: scopeOptions, handler: volumeUnmount),
            CommandSpec(
                "delete", "Delete a volume and its data.", arguments: [ArgumentSpec("name", "Volume name.")],
                options: [
                    .value("confirm", "name", "Confirm by naming the volume (for scripts)."),
                    LifecycleCommands.confirmEnv,
                ] + scopeOptions,
                handler: volumeDelete),
        ])

    enum VolumeOpts {
        static let size: Option<String> = {
            var o = Option<String>.quantity("size", "Size (e.g. 1Gi).", valueName: "size", positive: true)
            var spec = o.spec
            spec.required = true
            o = Option(spec, parse: o.parse)
            return o
        }()
        static let mount = ListOption<Mount>.mount("mount", "app:/path", "Mount it into an app at a path.")
        static let accessMode = Option<String>(
            .value(
                "access-mode", "mode",
                "ReadWriteOnce (default: one node, one replica) or ReadWriteMany (every replica; needs a storage class that offers it)."
            )
        ) { v in
            guard VolumeSpec.accessModes.contains(v) else { throw BadValue("use ReadWriteOnce or ReadWriteMany") }
            return v
        }
        static let storageClass = Option<String>.objectName(
            "storage-class", "class", "StorageClass (default: kip install's, else the cluster's).")
    }

    static func volumeAdd(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        try Check.name(name, .volume)
        let size = try inv.require(VolumeOpts.size)
        let mounts = try inv.get(VolumeOpts.mount)
        let mode = try inv.get(VolumeOpts.accessMode)
        let storageClass = try inv.get(VolumeOpts.storageClass)
        try ctx.confirmUnusual(Limits.unusual(storage: size), of: "volume \(name)")
        try ctx.write {
            let w = try ctx.environment(inv)
            var spec = VolumeSpec(size: size, accessMode: mode, storageClass: storageClass)
            if let old = w.cr(.volume, name).map({ VolumeSpec(json: $0["spec"] ?? [:]) }) {
                if old.size != size {
                    throw KipError("volume \(name) is \(old.size); the size of an existing volume cannot change here")
                }
                // A claim's access mode and class are fixed when it is made.
                if let mode, mode != (old.accessMode ?? VolumeSpec.readWriteOnce) {
                    throw KipError(
                        "volume \(name) is \(old.accessMode ?? VolumeSpec.readWriteOnce); the access mode of an existing volume cannot change"
                    )
                }
                if let storageClass, storageClass != old.storageClass {
                    throw KipError(
                        "volume \(name) is in storage class \(old.storageClass ?? "(the cluster's default)"); it cannot move to \(storageClass)"
                    )
                }
                spec = old
            } else if spec.storageClass == nil {
                spec.storageClass = w.scope.cluster.storageClass
            }
            var crs = [Workloads.cr(.volume, name, w.scope, spec: spec.json)]
            for m in mounts {
                // A mount reads `app:/path`: the name part is the app.
                let app = try w.require(.app, m.volume)
                var appSpec = AppSpec(json: app["spec"] ?? [:])
                appSpec.volumes =
                    appSpec.volumes.filter { $0.volume != name && $0.path != m.path }
                    + [Mount(volume: name, path: m.path, accessMode: spec.mountMode)]
                if let p = appSpec.problem { throw KipError("app \(m.volume): \(p)") }
                crs.append(Workloads.app(m.volume, w.scope, spec: appSpec, replacing: app))
            }
            var plan = try w.plan(.volume, name, crs, adopt: inv.has(adoptFlag))
            plan.report += mounts.map { .info("  mounted into app \($0.volume)") }
            return plan
        }
        return 0
    }

    static func volumeMount(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let volume = inv.arguments[0]
        let parts = inv.arguments[1].split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("/") else {
            throw UsageError(
                message: "The value '\(inv.arguments[1])' is invalid for '<target>': give APP:/path (e.g. api:/data)",
                command: inv.command)
        }
        return try AppCommands.update(inv, ctx, parts[0], reading: ["\(CRDs.volume)/\(volume)"]) { spec, w in
            guard let v = w.cr(.volume, volume) else {
                throw KipError(
                    "volume \"\(volume)\" does not exist in \(w.scope.namespace): add it with 'kip volume add \(volume) --size 1Gi'"
                )
            }
            if let other = spec.volumes.first(where: { $0.path == parts[1] && $0.volume != volume }) {
                throw KipError(
                    "app \(parts[0]) already mounts volume \(other.volume) at \(parts[1]): choose another path")
            }
            spec.volumes =
                spec.volumes.filter { $0.volume != volume }
                + [Mount(volume: volume, path: parts[1], accessMode: VolumeSpec(json: v["spec"] ?? [:]).mountMode)]
        }
    }

    static func volumeUnmount(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let volume = inv.arguments[0]
        return try AppCommands.update(inv, ctx, inv.arguments[1]) { spec, w in
            guard spec.volumes.contains(where: { $0.volume == volume }) else {
                throw KipError("app \(inv.arguments[1]) in \(w.scope.namespace) does not mount volume \(volume)")
            }
            spec.volumes.removeAll { $0.volume == volume }
        }
    }

    static func volumeList(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(
            inv, reading: .kinds([WorkloadKind.volume.resource, WorkloadKind.app.resource, "persistentvolumeclaims"]))
        let items = w.crs(.volume)
        return try ctx.show(
            w.document(items), names: w.names(items),
            empty: items.isEmpty
                ? "No volumes in \(w.scope.namespace). Add one with 'kip volume add NAME --size 1Gi'." : nil
        ) { _ in
            ctx.printer.table(
                ["NAME", "SIZE", "STATUS", "MOUNTED BY"],
                items.map { v in
                    let name = v.at("metadata", "name")?.stringValue ?? ""
                    let by = w.crs(.app).compactMap { a -> String? in
                        guard
                            let m = (a.at("spec", "volumes")?.arrayValue ?? []).first(where: {
                                $0["volume"]?.stringValue == name
                            })
                        else { return nil }
                        return "\(a.at("metadata", "name")?.stringValue ?? ""):\(m["path"]?.stringValue ?? "")"
                    }
                    // The claim's phase: Pending until a volume binds it (no default StorageClass…).
                    let phase = w.native("PersistentVolumeClaim", name).map {
                        $0.at("status", "phase")?.stringValue ?? "Pending"
                    }
                    return [
                        name, v.at("spec", "size")?.stringValue ?? "", phase ?? "missing",
                        by.joined(separator: ",").ifEmpty("-"),
                    ]
                })
        }
    }

    static func volumeDelete(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv)
        let name = inv.arguments[0]
        _ = try w.require(.volume, name)
        let users = w.apps(referencing: name, in: "volumes", key: "volume")
        if !users.isEmpty {
            throw KipError(
                "volume \(name) is mounted by \(users.joined(separator: ", ")): unmount it first ('kip volume unmount \(name) APP')"
            )
        }
        return try ctx.deleteHoldingData(
            w,
            .volume, name,
            warning: ["Deleting volume \(name) in \(w.scope.namespace) destroys its data. This cannot be undone."],
            confirm: inv.value("confirm"))
    }

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

    // MARK: job

    static let job = CommandSpec(
        "job", "Jobs: a CronJob with a schedule, a one-off Job without.",
        subcommands: [
            CommandSpec(
                "add", "Add a job.",
                discussion:
                    "The command goes after '--' (e.g. kip job add backup --image x --schedule '0 3 * * *' -- pg_dump …), or as repeated --command values.",
                arguments: [
                    ArgumentSpec("name", "Job name."),
                    ArgumentSpec("command", "Command and arguments.", optional: true, variadic: true),
                ],
                options: [
                    JobOpts.image.spec, JobOpts.schedule.spec, JobOpts.command.spec, JobOpts.env.spec, adoptFlag.spec,
                    Flag(
                        "wait",
                        "Wait until a one-off job's pod succeeds (at most --timeout, default 5m); exit 1 naming what failed."
                    ).spec,
                ] + scopeOptions,
                handler: jobAdd),
            CommandSpec(
                "list", "List the jobs of an environment.", options: scopeOptions,
                handler: { inv, ctx in try simpleList(inv, ctx, .job) }),
            CommandSpec(
                "delete", "Delete a job.", arguments: [ArgumentSpec("name", "Job name.")], options: scopeOptions,
                handler: { inv, ctx in try confirmedDelete(inv, ctx, .job) }),
        ])

    enum JobOpts {
        static let image = Option<String>.string("image", "image", "Container image.", required: true)
        static let schedule = Option<String>(
            .value("schedule", "cron", "Cron schedule (e.g. '0 3 * * *'); none runs it once.")
        ) { v in
            if let p = Cron.problem(v) {
                throw BadValue(
                    p.replacingOccurrences(of: "--schedule '\(v)': ", with: "").replacingOccurrences(
                        of: "--schedule '\(v)' ", with: ""))
            }
            return v
        }
        static let command = ListOption<String>.strings("command", "arg", "Command argument (repeat for each).")
        static let env = ListOption<EnvVar>.env()
    }

    /// A CronJob's name may have 52 characters: the Jobs it starts add an 11-character suffix.
    static let cronJobNameMax = 52

    static func jobAdd(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        try Check.name(name, .job)
        let spec = JobSpec(
            image: try inv.require(JobOpts.image), schedule: try inv.get(JobOpts.schedule),
            command: try inv.get(JobOpts.command) + inv.arguments.dropFirst(),
            env: Check.unique(try inv.get(JobOpts.env)))
        if spec.image.trimmingCharacters(in: .whitespaces).isEmpty {
            throw UsageError(message: "--image is empty: give one (e.g. postgres:16)", command: inv.command)
        }
        if spec.schedule != nil, name.count > cronJobNameMax {
            throw KipError(
                "job name '\(name)' is \(name.count) characters; a scheduled job's name may have \(cronJobNameMax) (Kubernetes adds a suffix to each run's name)"
            )
        }
        var namespace = ""
        try ctx.write {
            let w = try ctx.environment(inv)
            try w.checkNameFree(name, for: .job)
            namespace = w.scope.namespace
            let cr = Workloads.cr(.job, name, w.scope, spec: spec.json)
            var plan = try w.plan(.job, name, [cr], adopt: inv.has(adoptFlag))
            // A Job's pod template cannot change once it is created: what kip would
            // write is compared with the live Job, not with the CR (the rendering may
            // have changed since, with kip).
            if let live = w.native("Job", name),
                let rendered = plan.owned(plan.knownUIDs).first(where: { $0["kind"]?.stringValue == "Job" }),
                let want = rendered.at("spec", "template"), let have = live.at("spec", "template"),
                !want.isSubset(of: have)
            {
                let old = w.cr(.job, name).map { JobSpec(json: $0["spec"] ?? [:]) }
                guard old == spec else {
                    throw KipError(
                        "job \(name) is a one-off Job, whose pod template Kubernetes cannot change once created: 'kip job delete \(name)', then add it again"
                    )
                }
                // Nothing asked for changed: the Job stays as it was created.
                plan = Plan()
                plan.report = [
                    .success(
                        "job \(name) unchanged in \(w.scope.namespace) (its Job keeps the template it was created with)"
                    )
                ]
            } else if let old = w.cr(.job, name), JobSpec(json: old["spec"] ?? [:]) == spec {
                plan.report = [.success("job \(name) unchanged in \(w.scope.namespace)")]
            }
            return plan
        }
        if spec.schedule != nil && inv.has("wait") && !ctx.dryRun {
            ctx.printer.line(
                "job \(name) is scheduled: nothing runs now to wait for ('kubectl create job --from cronjob/\(name)' starts a run)"
            )
            return 0
        }
        return try AppCommands.waitIfAsked(inv, ctx, namespace, [RolloutWait.job(name)])
    }

    // MARK: shared

    static func simpleList(_ inv: Invocation, _ ctx: Context, _ kind: WorkloadKind) throws -> Int32 {
        // Jobs show how their last run went; functions what they run.
        let w = try ctx.environment(
            inv,
            reading: .kinds([kind.resource] + (kind == .job ? ["cronjobs.batch", "jobs.batch"] : ["deployments.apps"])))
        let items = w.crs(kind)
        return try ctx.show(
            w.document(items), names: w.names(items),
            empty: items.isEmpty ? "No \(kind.plural) in \(w.scope.namespace)." : nil
        ) { _ in
            let extra = kind == .job ? ["SCHEDULE", "LAST RUN"] : ["PORT", "READY"]
            ctx.printer.table(
                ["NAME", "IMAGE"] + extra,
                items.map { o in
                    let s = o["spec"] ?? [:]
                    let n = o.at("metadata", "name")?.stringValue ?? ""
                    let x =
                        kind == .job
                        ? [s["schedule"]?.stringValue ?? "(once)", w.lastRun(n)]
                        : [String(s["port"]?.intValue ?? 8080), w.readyText(n)]
                    return [n, s["image"]?.stringValue ?? ""] + x
                })
        }
    }

    static func confirmedDelete(_ inv: Invocation, _ ctx: Context, _ kind: WorkloadKind) throws -> Int32 {
        let w = try ctx.environment(inv)
        let name = inv.arguments[0]
        return try ctx.run {
            Attempt(
                try w.deletion(kind, name),
                question: .yesNo("Delete \(kind.word) \(name) in \(w.scope.namespace)?", declined: "Not deleted."))
        }.code
    }
}
