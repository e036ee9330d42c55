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
}
