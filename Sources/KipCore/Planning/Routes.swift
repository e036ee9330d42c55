/// Public hostnames, one holder each, across every project of the cluster. A host is
/// claimed by a cluster-scoped `RouteClaim` named by the host, created once (every kip
/// user may create one, nobody but a cluster administrator may change or delete one): the
/// first app to claim a host keeps it, and kip refuses to route another app to it, in any
/// project, before anything is written.
public enum RouteClaims {
    public struct Holder: Equatable, Sendable, CustomStringConvertible {
        public var project: String
        public var environment: String
        public var app: String
        public init(project: String, environment: String, app: String) {
            self.project = project
            self.environment = environment
            self.app = app
        }
        public var description: String { "app \(app) of \(project)/\(environment)" }
    }

    public static func claim(_ host: String, _ h: Holder) -> JSON {
        [
            "apiVersion": .string(Keys.apiVersion), "kind": "RouteClaim",
            "metadata": [
                "name": .string(host),
                "labels": .object(Render.labels(project: h.project, environment: h.environment)),
            ],
            "spec": ["project": .string(h.project), "environment": .string(h.environment), "app": .string(h.app)],
        ]
    }

    public static func holder(_ o: JSON) -> Holder? {
        guard let p = o.at("spec", "project")?.stringValue, let e = o.at("spec", "environment")?.stringValue,
            let a = o.at("spec", "app")?.stringValue
        else { return nil }
        return Holder(project: p, environment: e, app: a)
    }

    /// The hosts these App CRs route to that their app did not route to before
    /// (`before(name)`): the ones to claim.
    public static func wanted(_ crs: [JSON], scope: WorkloadScope, before: (String) -> JSON?) -> [(
        host: String, holder: Holder
    )] {
        guard let project = scope.project, let env = scope.environment else { return [] }
        return crs.compactMap { c in
            guard c["kind"]?.stringValue == WorkloadKind.app.rawValue, let name = c.at("metadata", "name")?.stringValue,
                let host = c.at("spec", "route", "host")?.stringValue,
                before(name)?.at("spec", "route", "host")?.stringValue != host
            else { return nil }
            return (host, Holder(project: project, environment: env, app: name))
        }
    }

    /// The claims to create for `wanted`, given the claims that exist: a host another app
    /// holds is refused, naming the holder.
    public static func check(_ wanted: [(host: String, holder: Holder)], existing: [JSON]) throws -> [JSON] {
        var out: [JSON] = []
        for w in wanted {
            if let o = existing.first(where: { $0.at("metadata", "name")?.stringValue == w.host }) {
                guard let h = holder(o), h == w.holder else {
                    throw KipError(
                        "host \(w.host) is taken by \(holder(o)?.description ?? "someone else"): choose another with --route, or ask a cluster administrator to release it ('kubectl delete \(CRDs.routeClaim) \(w.host)')"
                    )
                }
                continue
            }
            out.append(claim(w.host, w.holder))
        }
        return out
    }
}
