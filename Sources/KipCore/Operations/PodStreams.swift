/// Getting into a running workload and moving a database's data through kubectl's exec
/// streams (`app exec`, `service dump`, `service restore`, `service copy-data`): which pod
/// answers, what runs in it, and the kubectl lines (pure).
public enum PodStreams {
    /// The pod an exec goes to: a ready pod of the current revision, else a running one
    /// of it; a refusal saying why there is none.
    public static func pod(of w: JSON, pods: [JSON], replicaSets: [JSON], what: String) throws -> String {
        let current = Rollout.current(w, pods: pods, replicaSets: replicaSets) ?? []
        func running(_ p: JSON) -> Bool { p.at("status", "phase")?.stringValue == "Running" }
        let byName = current.sorted {
            ($0.at("metadata", "name")?.stringValue ?? "") < ($1.at("metadata", "name")?.stringValue ?? "")
        }
        if let p = byName.first(where: { running($0) && Rollout.isReady($0) }) ?? byName.first(where: running),
            let name = p.at("metadata", "name")?.stringValue
        {
            return name
        }
        if let s = Rollout.stuck(w, pods: pods, replicaSets: replicaSets) {
            throw KipError("\(what) has no running pod: pod \(s.pod) is in \(s.reason)")
        }
        if (w.at("spec", "replicas")?.intValue ?? 1) == 0 {
            throw KipError("\(what) runs no pods (it is scaled to 0 or asleep)")
        }
        throw KipError("\(what) has no running pod of its current revision yet: try again when its rollout is done")
    }

    /// `kubectl exec` into container `container` of `pod`: `-i` to pass stdin on, `-t`
    /// for a terminal. The command follows `--`, so none of its words is read as a flag.
    public static func exec(
        namespace: String, pod: String, container: String, command: [String], stdin: Bool, tty: Bool
    ) -> [String] {
        var args = ["exec", "-n", namespace, pod, "-c", container]
        if stdin { args.append("-i") }
        if tty { args.append("-t") }
        return args + ["--"] + command
    }

    /// The database engines whose data kip moves, and why not the others.
    public static func checkMovable(_ type: String, service: String) throws {
        guard type == "postgres" || type == "mysql" else {
            throw KipError(
                "service \(service) is \(type): kip moves the data of postgres and mysql services; redis loads a dump only when it starts, so kip does not replace a running cache's data"
            )
        }
    }

    /// Environment `name` of `project`, for a `--from`/`--to` flag.
    public static func environment(_ project: Project, _ name: String, flag: String) throws -> Project.Environment {
        guard let e = project.environment(name) else {
            throw KipError(
                "project \(project.name) has no environment \"\(name)\" (--\(flag)); it has: \(project.pipeline.joined(separator: ", "))"
            )
        }
        return e
    }

    /// A dump restores only into the same engine.
    public static func checkSameEngine(_ service: String, _ a: String, in from: String, _ b: String, in to: String)
        throws
    {
        guard a == b else {
            throw KipError(
                "service \(service) is \(a) in \(from) and \(b) in \(to): a dump of one does not restore into the other"
            )
        }
    }

    /// What prints a whole database as SQL that replaces it when read back: pg_dump with
    /// `--clean --if-exists`, mysqldump (whose dump drops each table first). Credentials
    /// come from the container's own environment (the variables the credentials Secret
    /// gives it): never on kip's or kubectl's command line.
    public static func dump(_ type: String) -> [String] {
        switch type {
        case "postgres":
            return [
                "sh", "-c",
                "exec pg_dump --clean --if-exists --no-owner --no-privileges --username \"$POSTGRES_USER\" \"$POSTGRES_DB\"",
            ]
        default:
            return [
                "sh", "-c",
                "MYSQL_PWD=\"$MYSQL_PASSWORD\" exec mysqldump --single-transaction --no-tablespaces --routines --user \"$MYSQL_USER\" \"$MYSQL_DATABASE\"",
            ]
        }
    }

    /// What reads such a dump on stdin into the service's database, stopping at the
    /// first error.
    public static func restore(_ type: String) -> [String] {
        switch type {
        case "postgres":
            return [
                "sh", "-c",
                "exec psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 --username \"$POSTGRES_USER\" --dbname \"$POSTGRES_DB\"",
            ]
        default:
            return ["sh", "-c", "MYSQL_PWD=\"$MYSQL_PASSWORD\" exec mysql --user \"$MYSQL_USER\" \"$MYSQL_DATABASE\""]
        }
    }

    // MARK: connect

    /// `kubectl port-forward` of `pod`'s `remote` port to `local` (0: any free one) on the
    /// loopback address only.
    public static func forward(namespace: String, pod: String, local: Int, remote: Int) -> [String] {
        ["port-forward", "-n", namespace, "pod/\(pod)", "\(local):\(remote)", "--address", "127.0.0.1"]
    }

    /// The local port of kubectl's `Forwarding from 127.0.0.1:41234 -> 5432`.
    public static func forwardedPort(_ line: String) -> Int? {
        guard line.hasPrefix("Forwarding from 127.0.0.1:") else { return nil }
        let rest = line.dropFirst("Forwarding from 127.0.0.1:".count)
        return Int(rest.prefix { $0.isNumber })
    }

    /// How a client reaches a forwarded service: its URL (the password masked unless
    /// `showPassword`), and the variables its own client reads (`psql` PG*, `mysql`
    /// MYSQL_*, `redis-cli` REDISCLI_AUTH) plus `DATABASE_URL`, for `--exec`.
    public static func connection(
        type: String, credentials c: [String: String], port: Int, showPassword: Bool
    ) -> (url: String, environment: [String: String]) {
        let user = c["user"] ?? ""
        let password = c["password"] ?? ""
        let database = c["database"] ?? ""
        let scheme = Workloads.engines[type]?.scheme ?? type
        func url(_ pw: String) -> String {
            type == "redis"
                ? "redis://:\(pw)@127.0.0.1:\(port)/0" : "\(scheme)://\(user):\(pw)@127.0.0.1:\(port)/\(database)"
        }
        var env = ["DATABASE_URL": url(password)]
        switch type {
        case "postgres":
            env.merge([
                "PGHOST": "127.0.0.1", "PGPORT": String(port), "PGUSER": user, "PGPASSWORD": password,
                "PGDATABASE": database,
            ]) { $1 }
        case "mysql":
            env.merge(["MYSQL_HOST": "127.0.0.1", "MYSQL_TCP_PORT": String(port), "MYSQL_PWD": password]) { $1 }
        default:
            env.merge(["REDISCLI_AUTH": password, "REDIS_URL": url(password)]) { $1 }
        }
        return (url(showPassword ? password : "****"), env)
    }
}
