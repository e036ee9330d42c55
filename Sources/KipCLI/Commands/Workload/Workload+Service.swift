import Foundation
import KipCore

extension WorkloadCommands {
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
        ] + dataCommands)

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
        try ctx.run {
            let (kinds, objects) = ServiceAdd.reads(o)
            let w = try ctx.environment(inv, reading: .mixed(kinds: kinds, objects: objects))
            namespace = w.scope.namespace
            return Attempt(try ServiceAdd.plan(o, w))
        }
        return try AppCommands.waitIfAsked(inv, ctx, namespace, [RolloutWait.service(name)])
    }

    static func serviceList(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv, reading: .kinds([WorkloadKind.service.resource]))
        let items = w.crs(.service)
        return try ctx.showList(
            items, in: w,
            empty: "No services in \(w.scope.namespace). Add one with 'kip service add postgres --name db'."
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
        let fields = serviceFields(cr, name, w, creds: creds, showPassword: inv.has("show-password"))
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

    /// `service info`'s fields, in order: the password masked (in the URL too) unless
    /// `--show-password`.
    static func serviceFields(
        _ cr: JSON, _ name: String, _ w: EnvironmentView, creds: [String: String], showPassword show: Bool
    ) -> [(String, String)] {
        let mask = "********"
        var url = creds["url"] ?? ""
        if !show, let pw = creds["password"], !pw.isEmpty { url = url.replacingOccurrences(of: pw, with: mask) }
        return [
            ("type", cr.at("spec", "type")?.stringValue ?? ""),
            ("version", cr.at("spec", "version")?.stringValue ?? ""),
            ("storage", cr.at("spec", "storage")?.stringValue ?? ""),
            ("host", creds["host"] ?? Workloads.host(name, w.scope)),
            ("port", creds["port"] ?? ""), ("user", creds["user"] ?? ""), ("database", creds["database"] ?? ""),
            ("password", creds["password"] == nil ? "" : (show ? creds["password"]! : mask)), ("url", url),
            ("secret", SecretNames.credentials(name)), ("ready", w.readyText(name)),
        ]
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
}
