import Foundation
import KipCore

/// `kip app …`: apps, their env vars, secrets and bindings.
enum AppCommands {
    static let spec = CommandSpec(
        "app", "Deploy and manage apps in an environment.",
        subcommands: [
            CommandSpec(
                "deploy", "Create or update an app: Deployment, Service, Ingress and autoscaler.",
                discussion: """
                    Re-running updates the app in place; what a re-run leaves out is removed. The route
                    defaults to <app>-<env>.<domain> when the cluster has a wildcard domain.
                    """,
                options: [
                    .required("name", "name", "App name."),
                    .required("image", "image", "Container image (e.g. registry.example.com/api:v1.2.3)."),
                    .required("port", "port", "Port the container listens on."),
                    .value("replicas", "n", "Replica count.", default: "1"),
                    .repeated("env", "key=value", "Environment variable."),
                    .value("cpu-request", "quantity", "CPU request (e.g. 100m)."),
                    .value("cpu-limit", "quantity", "CPU limit (e.g. 500m)."),
                    .value("memory-request", "quantity", "Memory request (e.g. 128Mi)."),
                    .value("memory-limit", "quantity", "Memory limit (e.g. 256Mi)."),
                    .value("autoscale", "min:max[:cpu%]", "Autoscale between min and max replicas at a CPU target (default 80%)."),
                    .value("route", "host", "Public hostname."),
                    .flag("no-route", "No public route."),
                    .repeated("bind", "service[:prefix]", "Bind a service: PREFIX_URL, PREFIX_HOST, … (default prefix DATABASE, REDIS for redis)."),
                    .repeated("volume", "volume:/path", "Mount a volume."),
                ] + scopeOptions, handler: deploy),
            CommandSpec("list", "List the apps of an environment.", options: scopeOptions, handler: list),
            CommandSpec(
                "show", "Show one app.", arguments: [ArgumentSpec("name", "App name.")], options: scopeOptions, handler: show),
            CommandSpec(
                "delete", "Delete an app and everything it owns.", arguments: [ArgumentSpec("name", "App name.")],
                options: scopeOptions, handler: delete),
            CommandSpec(
                "bind", "Give an app a service's connection details as env vars (by reference).",
                arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("service", "Service name.")],
                options: [.value("prefix", "prefix", "Variable prefix (default DATABASE, REDIS for redis).")] + scopeOptions, handler: bind),
            CommandSpec(
                "env", "Set or unset an app's environment variables.",
                subcommands: [
                    CommandSpec(
                        "set", "Set env vars (KEY=VALUE …).",
                        arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("pairs", "KEY=VALUE pairs.", variadic: true)],
                        options: scopeOptions, handler: envSet),
                    CommandSpec(
                        "unset", "Remove env vars (KEY …).",
                        arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("keys", "Variable names.", variadic: true)],
                        options: scopeOptions, handler: envUnset),
                ]),
            CommandSpec(
                "secret", "Manage an app's secrets (values never printed).",
                subcommands: [
                    CommandSpec(
                        "set", "Set a secret; the value comes from stdin or a hidden prompt, never from the command line.",
                        arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("key", "Secret name, exposed as an env var.")],
                        options: scopeOptions, handler: secretSet),
                    CommandSpec(
                        "list", "List an app's secret keys.", arguments: [ArgumentSpec("app", "App name.")], options: scopeOptions,
                        handler: secretList),
                    CommandSpec(
                        "unset", "Remove a secret.", arguments: [ArgumentSpec("app", "App name."), ArgumentSpec("key", "Secret name.")],
                        options: scopeOptions, handler: secretUnset),
                ]),
        ] + PromoteCommands.specs)

    // MARK: deploy

    static func deploy(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.value("name")!
        try Check.name(name, .app)
        let port = try Check.port(inv.value("port"))!
        var spec: JSON = ["image": .string(inv.value("image")!), "port": .int(port)]
        if let r = inv.value("replicas") {
            guard let n = Int(r), n >= 0 else { throw KipError("--replicas '\(r)' must be a whole number, 0 or more") }
            spec["replicas"] = .int(n)
        }
        let env = try Check.env(inv.values("env"))
        if !env.isEmpty { spec["env"] = .array(env) }
        var res: [String: JSON] = [:]
        for (flag, key) in [("cpu-request", "cpuRequest"), ("cpu-limit", "cpuLimit"), ("memory-request", "memoryRequest"), ("memory-limit", "memoryLimit")] {
            if let q = try Check.quantity(inv.value(flag), flag: "--\(flag)") { res[key] = .string(q) }
        }
        if !res.isEmpty { spec["resources"] = .object(res) }
        if let a = inv.value("autoscale") { spec["autoscale"] = try autoscale(a) }
        if inv.has("route") && inv.has("no-route") { throw KipError("--route and --no-route contradict each other: give one") }
        if let host = inv.value("route") {
            guard DNS.isSubdomain(host) else { throw KipError("--route '\(host)' is not a DNS hostname (e.g. api.example.com)") }
        }
        let w = try Workspace(inv, ctx)
        try w.checkNameFree(name, for: .app)
        if let host = inv.value("route") ?? (inv.has("no-route") ? nil : w.scope.defaultHost(name)) {
            spec["route"] = ["host": .string(host)]
        }
        let bindings = try inv.values("bind").map { try binding($0, w) }
        try checkPrefixes(bindings)
        if !bindings.isEmpty { spec["bindings"] = .array(bindings) }
        let volumes = try inv.values("volume").map { v -> JSON in
            let parts = v.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].hasPrefix("/") else { throw KipError("--volume '\(v)' must be VOLUME:/path") }
            guard w.cr(.volume, parts[0]) != nil else {
                throw KipError("volume \"\(parts[0])\" does not exist in \(w.scope.namespace): add it with 'kip volume add \(parts[0]) --size 1Gi'")
            }
            return ["volume": .string(parts[0]), "path": .string(parts[1])]
        }
        if !volumes.isEmpty { spec["volumes"] = .array(volumes) }
        let cr = Workloads.app(name, w.scope, spec: spec, replacing: w.cr(.app, name))
        let r = try w.save([cr])
        w.report(.app, name, r)
        if !ctx.dryRun, let host = spec.at("route", "host")?.stringValue { ctx.printer.line("URL: http://\(host)") }
        return 0
    }

    static func autoscale(_ s: String) throws -> JSON {
        let p = s.split(separator: ":").map { Int($0) }
        guard (2...3).contains(p.count), !p.contains(nil), let min = p[0], let max = p[1], min >= 1, max >= min else {
            throw KipError("--autoscale '\(s)' must be MIN:MAX[:CPU%] with 1 ≤ MIN ≤ MAX (e.g. 2:10:70)")
        }
        var a: JSON = ["min": .int(min), "max": .int(max)]
        if p.count == 3 {
            guard let cpu = p[2], cpu >= 1, cpu <= 100 else { throw KipError("--autoscale '\(s)': the CPU target must be 1-100") }
            a["cpuPercent"] = .int(cpu)
        }
        return a
    }

    static func binding(_ s: String, _ w: Workspace, prefix given: String? = nil) throws -> JSON {
        let parts = s.split(separator: ":", maxSplits: 1).map(String.init)
        let svc = parts[0]
        guard let cr = w.cr(.service, svc) else {
            throw KipError("service \"\(svc)\" does not exist in \(w.scope.namespace): add it with 'kip service add postgres --name \(svc)'")
        }
        let prefix = given ?? (parts.count > 1 ? parts[1] : (cr.at("spec", "type")?.stringValue == "redis" ? "REDIS" : "DATABASE"))
        try Check.envKey(prefix + "_URL")
        return ["service": .string(svc), "prefix": .string(prefix)]
    }

    static func checkPrefixes(_ bindings: [JSON]) throws {
        var seen = Set<String>()
        for b in bindings {
            let p = b["prefix"]?.stringValue ?? ""
            if !seen.insert(p).inserted { throw KipError("two bindings use the prefix \(p): give one a different prefix (--bind db2:ANALYTICS)") }
        }
    }

    // MARK: list / show / delete

    static func list(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try Workspace(inv, ctx, reading: [WorkloadKind.app.resource])
        let apps = w.crs(.app)
        if ctx.output == "json" || ctx.output == "yaml" {
            ctx.printer.document(w.document(apps), format: ctx.output)
            return 0
        }
        if apps.isEmpty {
            ctx.stderr.line("No apps in \(w.scope.namespace). Deploy one with 'kip app deploy --name NAME --image IMAGE --port PORT'.")
            return 0
        }
        let wide = ctx.output == "wide"
        var header = ["NAME", "IMAGE", "REPLICAS", "ROUTE"]
        if wide { header += ["BINDINGS", "PROMOTED FROM"] }
        ctx.printer.table(
            header,
            apps.map { a in
                let s = a["spec"] ?? [:]
                let replicas = s["autoscale"].map { "\($0["min"]?.intValue ?? 1)-\($0["max"]?.intValue ?? 1)" } ?? String(s["replicas"]?.intValue ?? 1)
                var row = [a.at("metadata", "name")?.stringValue ?? "", s["image"]?.stringValue ?? "", replicas, s.at("route", "host")?.stringValue ?? "-"]
                if wide {
                    row.append((s["bindings"]?.arrayValue ?? []).compactMap { $0["service"]?.stringValue }.joined(separator: ",").ifEmpty("-"))
                    row.append(a.at("metadata", "annotations", Keys.promotedFrom)?.stringValue ?? "-")
                }
                return row
            })
        return 0
    }

    static func show(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try Workspace(inv, ctx, reading: [WorkloadKind.app.resource, "secrets"])
        let a = try w.require(.app, inv.arguments[0])
        if ctx.output == "json" || ctx.output == "yaml" {
            ctx.printer.document(w.document([a]).arrayValue![0], format: ctx.output)
            return 0
        }
        let s = a["spec"] ?? [:]
        let name = inv.arguments[0]
        var rows: [(String, String)] = [("App", name), ("Namespace", w.scope.namespace), ("Image", s["image"]?.stringValue ?? "")]
        rows.append(("Port", s["port"].map { String($0.intValue ?? 0) } ?? "-"))
        if let au = s["autoscale"] {
            rows.append(("Replicas", "\(au["min"]?.intValue ?? 1)-\(au["max"]?.intValue ?? 1) (autoscaled at \(au["cpuPercent"]?.intValue ?? 80)% CPU)"))
        } else {
            rows.append(("Replicas", String(s["replicas"]?.intValue ?? 1)))
        }
        rows.append(("Route", s.at("route", "host")?.stringValue.map { "http://\($0)" } ?? "-"))
        let r = s["resources"]?.stringMap ?? [:]
        if !r.isEmpty {
            rows.append(("Resources", ["cpuRequest", "cpuLimit", "memoryRequest", "memoryLimit"].compactMap { k in r[k].map { "\(k)=\($0)" } }.joined(separator: " ")))
        }
        for e in s["env"]?.arrayValue ?? [] { rows.append(("Env", "\(e["name"]?.stringValue ?? "")=\(e["value"]?.stringValue ?? "")")) }
        for b in s["bindings"]?.arrayValue ?? [] {
            rows.append(("Binding", "\(b["service"]?.stringValue ?? "") as \(b["prefix"]?.stringValue ?? "")_URL, _HOST, _PORT, _USER, _PASSWORD, _NAME"))
        }
        for v in s["volumes"]?.arrayValue ?? [] { rows.append(("Volume", "\(v["volume"]?.stringValue ?? "") at \(v["path"]?.stringValue ?? "")")) }
        let keys = (w.secret("\(name)-secrets")?["data"]?.objectValue ?? [:]).keys.sorted()
        if !keys.isEmpty { rows.append(("Secrets", keys.joined(separator: ", "))) }
        if let from = a.at("metadata", "annotations", Keys.promotedFrom)?.stringValue {
            rows.append(("Promoted", "from \(from) at \(a.at("metadata", "annotations", Keys.promotedAt)?.stringValue ?? "?")"))
        }
        for (k, v) in rows { ctx.printer.line((k + ":").padding(toLength: 12, withPad: " ", startingAt: 0) + v) }
        return 0
    }

    static func delete(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try Workspace(inv, ctx)
        let name = inv.arguments[0]
        _ = try w.require(.app, name)
        guard try ctx.dryRun || ctx.confirm("Delete app \(name) in \(w.scope.namespace) (its Deployment, Service, route and secrets)?") else {
            ctx.stderr.line("Not deleted.")
            return 1
        }
        try w.delete(.app, name)
        return 0
    }

    // MARK: changes to an existing app

    /// Re-saves an app with a changed spec.
    static func update(_ inv: Invocation, _ ctx: Context, _ name: String, _ change: (inout JSON, Workspace) throws -> Void) throws -> Int32 {
        let w = try Workspace(inv, ctx)
        let current = try w.require(.app, name)
        var spec = current["spec"] ?? [:]
        try change(&spec, w)
        let cr = Workloads.app(name, w.scope, spec: spec, replacing: current)
        w.report(.app, name, try w.save([cr]))
        return 0
    }

    static func bind(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        try update(inv, ctx, inv.arguments[0]) { spec, w in
            let b = try binding(inv.arguments[1], w, prefix: inv.value("prefix"))
            var list = (spec["bindings"]?.arrayValue ?? []).filter { $0["service"] != b["service"] }
            list.append(b)
            try checkPrefixes(list)
            spec["bindings"] = .array(list)
        }
    }

    static func envSet(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let pairs = try Check.env(Array(inv.arguments.dropFirst()))
        return try update(inv, ctx, inv.arguments[0]) { spec, _ in
            var list = spec["env"]?.arrayValue ?? []
            for p in pairs {
                if let i = list.firstIndex(where: { $0["name"] == p["name"] }) { list[i] = p } else { list.append(p) }
            }
            spec["env"] = .array(list)
        }
    }

    static func envUnset(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let keys = Array(inv.arguments.dropFirst())
        return try update(inv, ctx, inv.arguments[0]) { spec, w in
            let list = spec["env"]?.arrayValue ?? []
            for k in keys where !list.contains(where: { $0["name"]?.stringValue == k }) {
                throw KipError("app \(inv.arguments[0]) in \(w.scope.namespace) has no env var \(k)")
            }
            let kept = list.filter { !keys.contains($0["name"]?.stringValue ?? "") }
            spec["env"] = kept.isEmpty ? nil : .array(kept)
        }
    }

    // MARK: secrets

    /// The user secret `<app>-secrets`, written by its own field manager so that
    /// re-deploying the app never touches its values.
    static func saveSecret(_ w: Workspace, app: String, data: [String: String]) throws {
        var meta: JSON = [
            "name": .string("\(app)-secrets"), "namespace": .string(w.scope.namespace),
            "labels": .object(Workloads.labels(w.scope, .app, app)),
        ]
        if let uid = w.cr(.app, app)?.at("metadata", "uid")?.stringValue {
            meta["ownerReferences"] = [Render.ownerReference(kind: "App", name: app, uid: uid)]
        }
        let secret: JSON = [
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta,
            "data": .object(data.mapValues { .string(Data($0.utf8).base64EncodedString()) }),
        ]
        if w.ctx.dryRun {
            var shown = secret
            shown["data"] = .object(data.mapValues { _ in "<hidden>" })
            w.ctx.printer.manifests([shown], format: w.ctx.output)
            return
        }
        try w.driver.apply([secret], fieldManager: "kip-secrets")
    }

    static func currentSecrets(_ w: Workspace, _ app: String) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in w.secret("\(app)-secrets")?["data"]?.objectValue ?? [:] {
            if let b = v.stringValue, let d = Data(base64Encoded: b) { out[k] = String(decoding: d, as: UTF8.self) }
        }
        return out
    }

    static func secretSet(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (app, key) = (inv.arguments[0], inv.arguments[1])
        try Check.name(app, .app)
        try Check.envKey(key)
        let w = try Workspace(inv, ctx)
        let value = try ctx.readSecret(prompt: "Value for \(key) (input hidden): ")
        var data = currentSecrets(w, app)
        let existed = data[key] != nil
        data[key] = value
        try saveSecret(w, app: app, data: data)
        if !ctx.dryRun {
            ctx.printer.success("secret \(key) \(existed ? "updated" : "set") for app \(app) in \(w.scope.namespace)")
            if w.cr(.app, app) == nil { ctx.printer.line("  app \(app) is not deployed here yet; it picks the secret up when it is") }
        }
        return 0
    }

    static func secretList(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try Workspace(inv, ctx, reading: ["secrets"])
        let keys = currentSecrets(w, inv.arguments[0]).keys.sorted()
        if ctx.output == "json" || ctx.output == "yaml" {
            ctx.printer.document(JSON.strings(keys), format: ctx.output)
        } else if keys.isEmpty {
            ctx.stderr.line("App \(inv.arguments[0]) has no secrets in \(w.scope.namespace).")
        } else {
            ctx.printer.table(["KEY"], keys.map { [$0] })
        }
        return 0
    }

    static func secretUnset(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (app, key) = (inv.arguments[0], inv.arguments[1])
        let w = try Workspace(inv, ctx)
        var data = currentSecrets(w, app)
        guard data.removeValue(forKey: key) != nil else { throw KipError("app \(app) has no secret \(key) in \(w.scope.namespace)") }
        try saveSecret(w, app: app, data: data)
        if !ctx.dryRun { ctx.printer.success("secret \(key) removed from app \(app) in \(w.scope.namespace)") }
        return 0
    }
}

extension String {
    func ifEmpty(_ s: String) -> String { isEmpty ? s : self }
}
