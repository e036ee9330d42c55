import Foundation
import KipCore

extension AppCommands {
    // MARK: secrets

    static func secretSet(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let app = inv.arguments[0]
        try Check.name(app, .app)
        if let file = inv.value("from-env-file") {
            if inv.arguments.count > 1 || inv.value("from-file") != nil {
                throw UsageError(
                    message: "--from-env-file names the keys: give no KEY and no --from-file", command: inv.command)
            }
            return try secretSetMany(app, try ctx.inputDotEnv(file, flag: "--from-env-file"), inv, ctx)
        }
        guard inv.arguments.count > 1 else {
            throw UsageError(
                message: "Missing expected argument '<key>' (or --from-env-file FILE)", command: inv.command)
        }
        let key = inv.arguments[1]
        try Check.envKey(key)
        var value: Data?
        if let path = inv.value("from-file") {
            let d = try ctx.input(path, flag: "--from-file", limit: AppSecrets.limit)
            if d.isEmpty && !inv.has("allow-empty") {
                throw KipError("--from-file \(path) is empty: pass --allow-empty to set an empty value")
            }
            value = d
        }
        try ctx.run {
            let w = try ctx.environment(
                inv, reading: .objects(EnvironmentView.appObjects(app, more: ["secrets/\(SecretNames.app(app))"])))
            if value == nil {
                value = try ctx.readSecret(
                    prompt: "Value for \(key) (input hidden): ", allowEmpty: inv.has("allow-empty"))
            }
            return Attempt(
                try AppSecrets.set(
                    key, base64: value?.base64EncodedString() ?? "", app: app, w,
                    credentials: try ctx.credentials(of: w.cr(.app, app), in: w), dryRun: ctx.dryRun))
        }
        return 0
    }

    /// Every KEY=VALUE of a .env file as the app's secrets, in one write; the values are
    /// never printed, only the keys.
    static func secretSetMany(
        _ app: String, _ pairs: [(key: String, value: String)], _ inv: Invocation, _ ctx: Context
    ) throws -> Int32 {
        if pairs.isEmpty { throw KipError("\(inv.value("from-env-file") ?? ""): no KEY=VALUE in it") }
        try ctx.run {
            let w = try ctx.environment(
                inv, reading: .objects(EnvironmentView.appObjects(app, more: ["secrets/\(SecretNames.app(app))"])))
            return Attempt(
                try AppSecrets.set(
                    pairs.map { ($0.key, Data($0.value.utf8).base64EncodedString()) }, app: app, w,
                    credentials: try ctx.credentials(of: w.cr(.app, app), in: w), dryRun: ctx.dryRun))
        }
        return 0
    }

    static func secretList(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let w = try ctx.environment(inv, reading: .objects(["secrets/\(SecretNames.app(inv.arguments[0]))"]))
        let keys = AppSecrets.current(w, inv.arguments[0]).keys.sorted()
        return try ctx.show(
            JSON.strings(keys),
            empty: keys.isEmpty ? "App \(inv.arguments[0]) has no secrets in \(w.scope.namespace)." : nil
        ) { _ in ctx.printer.table(["KEY"], keys.map { [$0] }) }
    }

    static func secretUnset(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let (app, key) = (inv.arguments[0], inv.arguments[1])
        try ctx.run { n in
            let w = try ctx.environment(
                inv, reading: .objects(EnvironmentView.appObjects(app, more: ["secrets/\(SecretNames.app(app))"])))
            return Attempt(
                try AppSecrets.unset(
                    key, app: app, w, credentials: try ctx.credentials(of: w.cr(.app, app), in: w), dryRun: ctx.dryRun,
                    attempt: n))
        }
        return 0
    }
}
