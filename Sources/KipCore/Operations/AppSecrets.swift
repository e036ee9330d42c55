import Foundation

/// An app's own secret (`<app>-secrets`): its values, how a change is written, and
/// whether it restarts the app's pods. Pure: the values come in base64, as a Secret
/// stores them, and are never decoded to text.
public enum AppSecrets {
    /// The plan that writes the user secret `<app>-secrets` with these values. It is
    /// written by its own field manager, so that re-deploying the app never touches its
    /// values, and with the resourceVersion read as precondition, so that two changes to
    /// one app's secrets at once never lose one.
    /// `data` holds the values base64-encoded, as a Secret stores them: they are never
    /// decoded to text, so any bytes go through unchanged.
    /// When the app exists, its CR records the secret's keys (a key named like a binding's
    /// variable overrides it) and the hash of its configuration; its pods roll when the
    /// hash changes. The secret is written first, so the new pods read the new values.
    /// The most a Secret holds, as the API server counts it (the values, decoded).
    public static let limit = 1_048_576

    public static func plan(
        _ w: EnvironmentView, app: String, data: [String: String], credentials: [String: [String: String]],
        dryRun: Bool
    ) throws -> Plan {
        let total = data.values.reduce(0) { $0 + (Data(base64Encoded: $1)?.count ?? 0) }
        if total > limit {
            throw KipError(
                "the secrets of app \(app) would hold \(total) bytes; a Kubernetes Secret holds at most \(limit) (1 MiB): nothing was changed; keep large files in a volume"
            )
        }
        let existing = w.secret(SecretNames.app(app))
        if existing == nil && !dryRun {
            // Two first writes at once would each replace the other's keys (one field
            // manager, nothing to hold a precondition against): create the Secret empty,
            // under kip's own manager, then read it and write the values against its
            // resourceVersion.
            var empty = Plan()
            let shell: JSON = [
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": [
                    "name": .string(SecretNames.app(app)), "namespace": .string(w.scope.namespace),
                    "labels": .object(Workloads.labels(w.scope, .app, app)),
                    "annotations": [Keys.configSalt: .string(w.newPassword())],
                ],
            ]
            empty.owned = { _ in [shell] }
            empty.readAgain = true
            return empty
        }
        let salt =
            existing?.at("metadata", "annotations", Keys.configSalt)?.stringValue ?? w.newPassword()
        var meta: JSON = [
            "name": .string(SecretNames.app(app)), "namespace": .string(w.scope.namespace),
            "labels": .object(Workloads.labels(w.scope, .app, app)),
            "annotations": [Keys.configSalt: .string(salt)],
        ]
        let current = w.cr(.app, app)
        if let uid = current?.at("metadata", "uid")?.stringValue {
            meta["ownerReferences"] = [Render.ownerReference(kind: "App", name: app, uid: uid)]
        }
        if let rv = existing?.at("metadata", "resourceVersion") { meta["resourceVersion"] = rv }
        let secret: JSON = [
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta,
            "data": .object(data.mapValues { .string($0) }),
        ]
        guard let current else {
            var plan = Plan()
            plan.secrets = { _ in [secret] }
            return plan
        }
        var spec = AppSpec(json: current["spec"] ?? [:])
        spec.secretEnv = data.keys.sorted()
        var cr = Workloads.app(app, w.scope, spec: spec, replacing: current)
        let hash = Workloads.configHash(
            salt: salt, secret: data, credentials: credentials)
        cr.set(["metadata", "annotations", Keys.configHash], .string(hash))
        var plan = try w.plan(.app, app, [cr])
        plan.secrets = { _ in [secret] }
        plan.secretsFirst = true
        return plan
    }

    /// `; rolling out` when the plan changes the pod template of the app's Deployment.
    public static func rollsOut(_ w: EnvironmentView, _ app: String, _ plan: Plan) -> Bool {
        guard let live = w.native("Deployment", app) else { return false }
        let rendered = plan.owned(plan.knownUIDs).first {
            $0["kind"]?.stringValue == "Deployment" && $0.at("metadata", "name")?.stringValue == app
        }
        let hash = [Keys.configHash]
        return rendered?.at(["spec", "template", "metadata", "annotations"] + hash)
            != live.at(["spec", "template", "metadata", "annotations"] + hash)
    }

    /// The app's secret values as stored (base64).
    public static func current(_ w: EnvironmentView, _ app: String) -> [String: String] {
        (w.secret(SecretNames.app(app))?["data"]?.objectValue ?? [:]).compactMapValues { $0.stringValue }
    }

    /// Sets `key` (its value base64) and says so: updated or set, rolling out or not,
    /// overriding a binding's variable, or waiting for the app to be deployed.
    public static func set(
        _ key: String, base64 value: String, app: String, _ w: EnvironmentView,
        credentials: [String: [String: String]], dryRun: Bool
    ) throws -> Plan {
        try set([(key, value)], app: app, w, credentials: credentials, dryRun: dryRun)
    }

    /// Sets each key (its value base64) in one write.
    public static func set(
        _ pairs: [(key: String, base64: String)], app: String, _ w: EnvironmentView,
        credentials: [String: [String: String]], dryRun: Bool
    ) throws -> Plan {
        var data = current(w, app)
        var said: [String] = []
        for (key, value) in pairs {
            said.append("\(key) \(data[key] != nil ? "updated" : "set")")
            data[key] = value
        }
        var plan = try self.plan(w, app: app, data: data, credentials: credentials, dryRun: dryRun)
        let rolling = rollsOut(w, app, plan) ? "; rolling out" : ""
        plan.report = [
            pairs.count == 1
                ? .success("secret \(said[0]) for app \(app) in \(w.scope.namespace)\(rolling)")
                : .success("secrets \(said.joined(separator: ", ")) for app \(app) in \(w.scope.namespace)\(rolling)")
        ]
        if let cr = w.cr(.app, app) {
            let bound = Set(
                AppSpec(json: cr["spec"] ?? [:]).bindings.flatMap { b in
                    Workloads.bindingKeys.map { "\(b.prefix)_\($0.suffix)" }
                })
            for (key, _) in pairs where bound.contains(key) {
                plan.report.append(.info("  it overrides the variable \(key) of the app's binding"))
            }
        } else {
            plan.report.append(.info("  app \(app) is not deployed here yet; it picks the secret up when it is"))
        }
        return plan
    }

    /// Removes `key`; a retry (`attempt` > 0) finds it gone already, the Secret having
    /// gone first. A key another field manager also wrote is removed by name afterwards.
    public static func unset(
        _ key: String, app: String, _ w: EnvironmentView, credentials: [String: [String: String]], dryRun: Bool,
        attempt: Int
    ) throws -> Plan {
        var data = current(w, app)
        guard data.removeValue(forKey: key) != nil || attempt > 0 else {
            throw KipError("app \(app) has no secret \(key) in \(w.scope.namespace)")
        }
        var plan = try self.plan(w, app: app, data: data, credentials: credentials, dryRun: dryRun)
        let rolling = rollsOut(w, app, plan) ? "; rolling out" : ""
        plan.report = [.success("secret \(key) removed from app \(app) in \(w.scope.namespace)\(rolling)")]
        plan.removedSecretKeys = (SecretNames.app(app), w.scope.namespace, [key])
        return plan
    }
}
