import Foundation

/// What `kip service add TYPE --name NAME` was asked, typed.
public struct ServiceOptions: Sendable {
    public var name: String
    public var spec: ServiceSpec
    public var allowMajorUpgrade = false
    public var adopt = false

    public init(name: String, spec: ServiceSpec) {
        self.name = name
        self.spec = spec
    }
}

/// `kip service add` as an operation: a database added, or changed within what its data
/// allows (the same type, size and storage class; a newer version, a new major one only
/// when asked). Pure: the Runner reads `reads` and calls `plan` on every attempt.
public enum ServiceAdd {
    /// Services render a StatefulSet whose pods carry the label
    /// `controller-revision-hash: <name>-<hash>`; labels hold 63 characters.
    public static let nameMax = 52

    /// The type and name as given, refused before anything is read.
    public static func check(type: String, name: String) throws {
        guard Workloads.engines[type] != nil else {
            throw KipError("unknown service type '\(type)': use postgres, mysql or redis")
        }
        if name.count > nameMax {
            throw KipError(
                "service name '\(name)' is \(name.count) characters; a service's name may have \(nameMax) (its pods' revision label holds 63)"
            )
        }
    }

    /// By name, its CR, what it renders and its credentials (kept when they exist); and
    /// the environment's Apps, which restart with fresh credentials when they bind it.
    public static func reads(_ o: ServiceOptions) -> (kinds: [String], objects: [String]) {
        (
            [WorkloadKind.app.resource],
            [
                "\(CRDs.service)/\(o.name)", "statefulsets.apps/\(o.name)", "services/\(o.name)",
                "secrets/\(SecretNames.credentials(o.name))",
            ]
        )
    }

    public static func plan(_ o: ServiceOptions, _ w: EnvironmentView) throws -> Plan {
        let name = o.name
        try w.checkNameFree(name, for: .service)
        var spec = o.spec
        if let existing = w.cr(.service, name).map({ ServiceSpec(json: $0["spec"] ?? [:]).resolved }) {
            try checkChange(o, from: existing, in: w.scope.namespace)
            spec.storageClass = existing.storageClass
        } else if spec.storageClass == nil {
            spec.storageClass = w.scope.cluster.storageClass
        }
        var crs = [Workloads.cr(.service, name, w.scope, spec: spec.json)]
        var rolled: [String] = []
        if w.secret(SecretNames.credentials(name)) == nil {
            // Fresh credentials: apps still bound to a service of this name restart with
            // them (their pods read credentials only when they start).
            for a in w.crs(.app) {
                let s = AppSpec(json: a["spec"] ?? [:])
                guard let n = a.at("metadata", "name")?.stringValue, s.bindings.contains(where: { $0.service == name })
                else { continue }
                // A fresh mark, not a hash: the new password is generated with the plan,
                // and differs from every earlier one anyway.
                var cr = Workloads.app(n, w.scope, spec: s, replacing: a)
                cr.set(["metadata", "annotations", Keys.configHash], .string(String(w.newPassword().prefix(16))))
                crs.append(cr)
                rolled.append(n)
            }
        }
        var plan = try w.plan(.service, name, crs, adopt: o.adopt)
        if !rolled.isEmpty {
            plan.report.append(
                .info("  fresh credentials: restarting the apps bound to it (\(rolled.joined(separator: ", ")))"))
        }
        plan.report.append(
            .info(
                "  credentials in Secret \(SecretNames.credentials(name)); 'kip app bind APP \(name)' gives an app its URL"
            ))
        return plan
    }

    /// What an existing database's data allows: the same type, size and storage class; no
    /// older version; another major version only when asked.
    static func checkChange(_ o: ServiceOptions, from existing: ServiceSpec, in ns: String) throws {
        let (name, type, spec) = (o.name, o.spec.type, o.spec)
        if existing.type != type {
            throw KipError("service \(name) in \(ns) is a \(existing.type): delete it first to change its type")
        }
        if let s = existing.storage, s != spec.storage {
            throw KipError("service \(name) has \(s) of storage; the size of an existing database cannot change here")
        }
        // Its data volume was made with its class, which cannot change.
        if let given = spec.storageClass, given != existing.storageClass {
            throw KipError(
                "service \(name) keeps its data in storage class \(existing.storageClass ?? "(the cluster's default)"); it cannot move to \(given)"
            )
        }
        // An older server cannot read a newer one's data files (postgres 15 and 16's):
        // refused whatever the flags.
        if let old = existing.version, let new = spec.version, ServiceSpec.isOlder(new, than: old) {
            throw KipError(
                "service \(name) runs \(type) \(old) and has data: \(type) \(new) is older and cannot read it; a downgrade takes a dump and a restore into a new service"
            )
        }
        if let old = existing.version, let new = spec.version,
            ServiceSpec.major(old) != ServiceSpec.major(new), !o.allowMajorUpgrade
        {
            throw KipError(
                "service \(name) runs \(type) \(old) and has data: \(type) \(new) is another major version, whose server may not read those data files (\(type == "postgres" ? "postgres needs pg_upgrade or a dump and restore" : "check the upgrade notes of \(type)")); back up first, then pass --allow-major-upgrade"
            )
        }
    }
}
