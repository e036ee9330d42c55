/// A command that hands streams to kubectl instead of writing a plan (`app exec`,
/// `service dump|restore|copy-data|connect`): what kubectl runs, and what is said and
/// told once it ran. Built purely from what the command read; run by the CLI's one
/// session runner, so a handler only builds one.
public struct PodSession: Equatable, Sendable {
    public enum Streams: Equatable, Sendable {
        /// `kubectl ARGS` on kip's own standard streams.
        case attach([String])
        /// `kubectl A | kubectl B`: the first's stdout is the second's stdin, on no disk.
        /// Either one failing is said as kubectl's refusal; there is no status to pass on.
        case pipe([String], into: [String])
        /// `kubectl port-forward ARGS` beside kip, then `client` (on kip's streams, with
        /// the connection's variables) or, with no client, the forward until Ctrl-C.
        case forward([String], Forwarded)
        /// `kubectl ARGS` whose output is kip's, handed on as it comes (`logs --follow`);
        /// its failure is said as kubectl's refusal.
        case follow([String])
    }

    /// What is forwarded and how a client reaches it once the local port is known.
    public struct Forwarded: Equatable, Sendable {
        public var service: String
        public var namespace: String
        public var type: String
        public var credentials: [String: String]
        public var showPassword: Bool
        public var client: [String]

        public init(
            service: String, namespace: String, type: String, credentials: [String: String], showPassword: Bool,
            client: [String]
        ) {
            self.service = service
            self.namespace = namespace
            self.type = type
            self.credentials = credentials
            self.showPassword = showPassword
            self.client = client
        }

        /// The lines printed while the forward runs with no client: where, and the URL.
        public func announcement(port: Int) -> [String] {
            let c = PodStreams.connection(type: type, credentials: credentials, port: port, showPassword: showPassword)
            return [
                "forwarding 127.0.0.1:\(port) to service \(service) (\(type)) in \(namespace): Ctrl-C stops it",
                "  \(c.url)",
            ]
        }

        /// What a forward that ended by itself (kubectl exited) is refused with.
        public func ended(status: Int32) -> String {
            "the port forward to service \(service) ended (kubectl exited \(status))"
        }
    }

    /// What a session whose kubectl fails leads to.
    public enum Failure: Equatable, Sendable {
        /// kubectl's status is kip's (a shell's `exit 3` is kip's 3).
        case status
        /// Exit with this status and say nothing (stdout is the data's alone).
        case exit(Int32)
        /// Refused with this line.
        case error(String)
    }

    public var streams: Streams
    /// When the session replaces data: what `--dry-run` says instead of running it.
    public var dryRun: String?
    public var onFailure: Failure
    /// Said when it succeeded.
    public var done: String?
    /// Told as an Event when it succeeded.
    public var event: ChangeEvent?

    public init(
        _ streams: Streams, dryRun: String? = nil, onFailure: Failure = .status, done: String? = nil,
        event: ChangeEvent? = nil
    ) {
        self.streams = streams
        self.dryRun = dryRun
        self.onFailure = onFailure
        self.done = done
        self.event = event
    }
}

extension PodStreams {
    /// `app logs` / `function logs`: every pod of the workload by its label, each line
    /// prefixed with its pod. kubectl refuses to follow more streams than
    /// `--max-log-requests` (5 unless told): room for every pod the workload may run,
    /// twice over for a rollout's old and new ones.
    public static func logsSession(
        namespace: String, selector: String, pods: Int, tail: Int?, follow: Bool, previous: Bool, since: String?
    ) -> PodSession {
        var args = [
            "logs", "-n", namespace, "-l", selector, "--prefix", "--all-containers", "--max-log-requests",
            String(max(20, pods * 2)), "--tail", tail.map(String.init) ?? "-1",
        ]
        if follow { args.append("--follow") }
        if previous { args.append("--previous") }
        if let since { args += ["--since", since] }
        return PodSession(.follow(args))
    }

    /// `app exec`: the command in the app's container, stdin passed on, a terminal when
    /// kip has one; the command's status is kip's.
    public static func execSession(namespace: String, pod: String, app: String, command: [String], tty: Bool)
        -> PodSession
    {
        PodSession(
            .attach(exec(namespace: namespace, pod: pod, container: app, command: command, stdin: true, tty: tty)))
    }

    /// `service dump`: the database as SQL on stdout, nothing else printed.
    public static func dumpSession(namespace: String, pod: String, type: String) -> PodSession {
        PodSession(
            .attach(
                exec(namespace: namespace, pod: pod, container: type, command: dump(type), stdin: false, tty: false)),
            onFailure: .exit(1))
    }

    /// `service restore`: stdin's dump into the database, told as a DataRestored Event.
    public static func restoreSession(service: String, namespace: String, pod: String, type: String, actor: String)
        -> PodSession
    {
        PodSession(
            .attach(
                exec(namespace: namespace, pod: pod, container: type, command: restore(type), stdin: true, tty: false)),
            dryRun: "would replace the data of service \(service) in \(namespace) (dry run)",
            onFailure: .error("restore into service \(service) in \(namespace) failed"),
            done: "restored service \(service) in \(namespace) from stdin",
            event: .service(
                "DataRestored", "Restore", service, in: namespace,
                note: "kip service restore by \(actor): its data replaced by a dump"))
    }

    /// `service copy-data`: one database's dump piped into the other's restore, told as a
    /// DataCopied Event in the target.
    public static func copySession(
        service: String, type: String, from: (namespace: String, pod: String), to: (namespace: String, pod: String),
        actor: String
    ) -> PodSession {
        PodSession(
            .pipe(
                exec(
                    namespace: from.namespace, pod: from.pod, container: type, command: dump(type), stdin: false,
                    tty: false),
                into: exec(
                    namespace: to.namespace, pod: to.pod, container: type, command: restore(type), stdin: true,
                    tty: false
                )),
            dryRun: "would copy service \(service)'s data from \(from.namespace) into \(to.namespace) (dry run)",
            done: "copied service \(service)'s data from \(from.namespace) into \(to.namespace)",
            event: .service(
                "DataCopied", "CopyData", service, in: to.namespace,
                note: "kip service copy-data by \(actor): its data replaced by \(from.namespace)'s"))
    }

    /// `service connect`: the database's port on 127.0.0.1, for `client` or until Ctrl-C.
    public static func connectSession(
        service: String, namespace: String, pod: String, type: String, local: Int, credentials: [String: String],
        showPassword: Bool, client: [String]
    ) -> PodSession {
        PodSession(
            .forward(
                forward(namespace: namespace, pod: pod, local: local, remote: Workloads.engines[type]?.port ?? 0),
                PodSession.Forwarded(
                    service: service, namespace: namespace, type: type, credentials: credentials,
                    showPassword: showPassword, client: client)))
    }
}
