/// Where a command acts: a project's environment, or the `default` namespace.
public struct Scope: Equatable, Sendable {
    public var project: String?
    public var environment: String?
    public var namespace: String

    public init(project: String?, environment: String?, namespace: String) {
        self.project = project
        self.environment = environment
        self.namespace = namespace
    }
}

/// `--project` / `--environment` resolution (design §5): explicit flags first; then the
/// active project of the current cluster (its environment only when neither flag is
/// given); then the `default` namespace. `--project` takes `name`, `name/env`, or the
/// namespace form `name-env`.
public enum Resolver {
    /// `namespaceForms`: (project, environment) of a namespace named like the flag, from
    /// its labels, when not every Project was read.
    public static func resolve(
        project flag: String?, environment envFlag: String?, active: KipConfig.Active?, projects: [Project],
        namespaceForms: [(String, String)] = []
    )
        throws -> Scope
    {
        func find(_ name: String) -> Project? { projects.first { $0.name == name } }
        func scope(_ p: Project, _ env: String?, source: String) throws -> Scope {
            guard let env else {
                if p.environments.count == 1 {
                    let e = p.environments[0]
                    return Scope(project: p.name, environment: e.name, namespace: e.namespace)
                }
                // A simple project that grew keeps meaning its first environment, the one
                // whose namespace bears the project's name alone: yesterday's scripts
                // still work.
                if let e = p.environment(Naming.defaultEnvironment) {
                    return Scope(project: p.name, environment: e.name, namespace: e.namespace)
                }
                throw KipError(
                    "project \"\(p.name)\" has environments \(p.pipeline.joined(separator: ", ")): pass --environment (or --project \(p.name)/\(p.pipeline[0]))"
                )
            }
            guard let e = p.environment(env) else {
                throw KipError(
                    "project \"\(p.name)\" has no environment \"\(env)\" (\(source)); it has: \(p.pipeline.joined(separator: ", "))"
                )
            }
            return Scope(project: p.name, environment: e.name, namespace: e.namespace)
        }
        func unknown(_ name: String) -> KipError {
            KipError(
                "project \"\(name)\" does not exist"
                    + (projects.isEmpty
                        ? ": create it with 'kip project create \(name)'"
                        : "; projects are \(projects.map(\.name).joined(separator: ", "))"))
        }

        if let flag {
            var name = flag
            var env = envFlag
            if let slash = flag.firstIndex(of: "/") {
                name = String(flag[..<slash])
                let fromFlag = String(flag[flag.index(after: slash)...])
                if let envFlag, envFlag != fromFlag {
                    throw KipError(
                        "--project \(flag) names environment \"\(fromFlag)\" but --environment says \"\(envFlag)\": give one"
                    )
                }
                env = fromFlag
            }
            // The namespace form: the namespace of some project's environment, or
            // `project-env` without the org prefix.
            var candidates: [(Project, Project.Environment)] = []
            if !flag.contains("/") {
                for p in projects where p.name != name {
                    for e in p.environments where e.namespace == name || "\(p.name)-\(e.name)" == name {
                        candidates.append((p, e))
                    }
                }
                // Known from a namespace's labels, when not every Project was read.
                for (p, e) in namespaceForms
                where p != name && !candidates.contains(where: { $0.0.name == p && $0.1.name == e }) {
                    let env = find(p)?.environment(e) ?? Project.Environment(name: e, namespace: name)
                    candidates.append((find(p) ?? Project(name: p, displayName: nil, environments: [env]), env))
                }
            }
            if let p = find(name) {
                // `shop2-test` when project shop2-test exists and shop2 has environment test.
                if let (other, e) = candidates.first {
                    throw KipError(
                        "--project \(name) is ambiguous: project \"\(name)\", or environment \"\(e.name)\" of project \"\(other.name)\"; say which with --project \(name)/ENV or --project \(other.name)/\(e.name)"
                    )
                }
                return try scope(p, env, source: "--project")
            }
            if candidates.count > 1 {
                let list = candidates.map { "\($0.0.name)/\($0.1.name)" }.joined(separator: ", ")
                throw KipError("--project \(name) is ambiguous: it could be \(list); use the name/env form")
            }
            if let (p, e) = candidates.first {
                if let env, env != e.name {
                    throw KipError(
                        "--project \(name) is environment \"\(e.name)\" of project \"\(p.name)\" but --environment says \"\(env)\""
                    )
                }
                return Scope(project: p.name, environment: e.name, namespace: e.namespace)
            }
            throw unknown(name)
        }
        if let active {
            guard let p = find(active.project) else {
                throw KipError(
                    "the active project \"\(active.project)\" no longer exists: run 'kip project use NAME' or 'kip project use --clear'"
                )
            }
            if let envFlag { return try scope(p, envFlag, source: "--environment") }
            return try scope(p, active.environment, source: "active project")
        }
        if let envFlag {
            throw KipError(
                "--environment \(envFlag) needs a project: pass --project, set KIP_PROJECT, or set one with 'kip project use NAME'"
            )
        }
        return Scope(project: nil, environment: nil, namespace: "default")
    }
}

extension Resolver {
    /// What `kip project use GIVEN` makes active: `NAME`, `NAME/ENV` or the namespace
    /// form (`shop-test`, `org-shop-test`); a project with one environment, that one.
    public static func active(_ given: String, observed: Observed) throws -> KipConfig.Active {
        let parts = given.split(separator: "/", maxSplits: 1).map(String.init)
        let project: Project
        var env: String? = parts.count > 1 ? parts[1] : nil
        if let p = observed.project(parts[0]) {
            if let e = env, p.environment(e) == nil {
                throw KipError(
                    "project \"\(p.name)\" has no environment \"\(e)\"; it has: \(p.pipeline.joined(separator: ", "))")
            }
            // The name alone may also be another project's namespace form: say so.
            if env == nil {
                _ = try resolve(
                    project: given, environment: p.pipeline[0], active: nil, projects: observed.projects)
            }
            project = p
        } else {
            // The namespace form (`shop-test`, `org-shop-test`).
            guard
                let s = try? resolve(
                    project: given, environment: nil, active: nil, projects: observed.projects),
                let name = s.project, let p = observed.project(name)
            else { throw ProjectPlanner.unknownProject(parts[0], observed: observed) }
            project = p
            env = s.environment
        }
        if env == nil, project.environments.count == 1 { env = project.environments[0].name }
        return KipConfig.Active(project: project.name, environment: env)
    }
}
