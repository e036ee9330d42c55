/// `kip project preview up|down` (pure): a preview environment is made by a copy and
/// updated by image changes; what is its own is its end (`--ttl`) and the summary CI reads.
public enum Preview {
    /// Refused: `preview up|down` touches previews only.
    public static func checkIsPreview(_ e: Project.Environment, project: String, removing: Bool) throws {
        guard !e.preview else { return }
        throw KipError(
            removing
                ? "\(project)/\(e.name) is a stage of the pipeline, not a preview: remove it with 'kip project remove-env \(project) \(e.name)'"
                : "\(project)/\(e.name) is a stage of the pipeline, not a preview: 'preview up' makes and updates previews only"
        )
    }

    /// A later push with `--ttl`: the preview ends at `expiresAt`, one write of the Project.
    public static func extendPlan(_ project: Project, env: String, to expiresAt: String) throws -> Plan {
        var updated = project
        guard let i = updated.environments.firstIndex(where: { $0.name == env }) else {
            throw KipError(
                "project \"\(project.name)\" has no environment \"\(env)\" any more: run the same command again")
        }
        updated.environments[i].expiresAt = expiresAt
        var plan = Plan()
        plan.owners = [updated.manifest]
        plan.knownUIDs[Plan.key(updated.manifest)] = project.uid
        plan.report = [.success("\(project.name)/\(env) now ends at \(expiresAt)")]
        return plan
    }

    /// What `preview up` prints (and `-o json` gives a script): each app with the URL it
    /// answers at, and when the preview ends.
    public static func summary(
        project: String, env: String, apps: [JSON], scope: WorkloadScope, expiresAt: String?, created: Bool
    ) -> (document: JSON, lines: [String]) {
        let scheme = scope.cluster.tls ? "https://" : "http://"
        let listed: [JSON] = apps.map { a in
            var o: JSON = ["name": a.at("metadata", "name") ?? "", "image": a.at("spec", "image") ?? ""]
            if let host = a.at("spec", "route", "host")?.stringValue { o["url"] = .string(scheme + host) }
            return o
        }
        var doc: JSON = [
            "project": .string(project), "environment": .string(env), "namespace": .string(scope.namespace),
            "created": .bool(created), "apps": .array(listed),
        ]
        if let expiresAt { doc["expiresAt"] = .string(expiresAt) }
        let lines =
            ["Preview \(project)/\(env) (namespace \(scope.namespace))" + (expiresAt.map { ", ends \($0)" } ?? "")]
            + listed.map { "  \($0["name"]?.stringValue ?? "")  \($0["url"]?.stringValue ?? "(no route)")" }
        return (doc, lines)
    }
}
