import Foundation
import KipCore

extension WorkloadCommands {
    // MARK: job

    static let job = CommandSpec(
        "job", "Jobs: a CronJob with a schedule, a one-off Job without.",
        subcommands: [
            CommandSpec(
                "add", "Add a job.",
                discussion:
                    "The command goes after '--' (e.g. kip job add backup --image x --schedule '0 3 * * *' -- pg_dump …), or as repeated --command values.",
                arguments: [
                    ArgumentSpec("name", "Job name."),
                    ArgumentSpec("command", "Command and arguments.", optional: true, variadic: true),
                ],
                options: [
                    JobOpts.image.spec, JobOpts.schedule.spec, JobOpts.command.spec, JobOpts.env.spec, adoptFlag.spec,
                    Flag(
                        "wait",
                        "Wait until a one-off job's pod succeeds (at most --timeout, default 5m); exit 1 naming what failed."
                    ).spec,
                ] + scopeOptions,
                handler: jobAdd),
            CommandSpec(
                "run", "Run a job now, apart from its schedule (its template and image).",
                arguments: [ArgumentSpec("name", "Job name.")],
                options: [
                    Flag(
                        "wait",
                        "Wait until the run's pod succeeds (at most --timeout, default 5m); exit 1 naming what failed."
                    )
                    .spec
                ] + scopeOptions, handler: jobRun),
            CommandSpec(
                "history", "A job's runs: when each started, how it ended, how long it took.",
                arguments: [ArgumentSpec("name", "Job name.")], options: scopeOptions, handler: jobHistory),
            CommandSpec(
                "list", "List the jobs of an environment.", options: scopeOptions,
                handler: { inv, ctx in try simpleList(inv, ctx, .job) }),
            CommandSpec(
                "delete", "Delete a job.", arguments: [ArgumentSpec("name", "Job name.")], options: scopeOptions,
                handler: { inv, ctx in try confirmedDelete(inv, ctx, .job) }),
        ])

    enum JobOpts {
        static let image = Option<String>.string("image", "image", "Container image.", required: true)
        static let schedule = Option<String>(
            .value("schedule", "cron", "Cron schedule (e.g. '0 3 * * *'); none runs it once.")
        ) { v in
            if let p = Cron.problem(v) {
                throw BadValue(
                    p.replacingOccurrences(of: "--schedule '\(v)': ", with: "").replacingOccurrences(
                        of: "--schedule '\(v)' ", with: ""))
            }
            return v
        }
        static let command = ListOption<String>.strings("command", "arg", "Command argument (repeat for each).")
        static let env = ListOption<EnvVar>.env()
    }

    /// A CronJob's name may have 52 characters: the Jobs it starts add an 11-character suffix.
    static let cronJobNameMax = 52

    static func jobAdd(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        try Check.name(name, .job)
        let spec = JobSpec(
            image: try inv.require(JobOpts.image), schedule: try inv.get(JobOpts.schedule),
            command: try inv.get(JobOpts.command) + inv.arguments.dropFirst(),
            env: Check.unique(try inv.get(JobOpts.env)))
        if spec.image.trimmingCharacters(in: .whitespaces).isEmpty {
            throw UsageError(message: "--image is empty: give one (e.g. postgres:16)", command: inv.command)
        }
        if spec.schedule != nil, name.count > cronJobNameMax {
            throw KipError(
                "job name '\(name)' is \(name.count) characters; a scheduled job's name may have \(cronJobNameMax) (Kubernetes adds a suffix to each run's name)"
            )
        }
        var namespace = ""
        try ctx.run {
            let w = try ctx.environment(inv)
            namespace = w.scope.namespace
            return Attempt(try JobAdd.plan(name, spec, w, adopt: inv.has(adoptFlag)))
        }
        if spec.schedule != nil && inv.has("wait") && !ctx.dryRun {
            ctx.printer.line(
                "job \(name) is scheduled: nothing runs now to wait for ('kubectl create job --from cronjob/\(name)' starts a run)"
            )
            return 0
        }
        return try AppCommands.waitIfAsked(inv, ctx, namespace, [RolloutWait.job(name)])
    }

    /// `kip job run`: a run of the job now, owned by its CR; `--wait` follows it.
    static func jobRun(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        var namespace = ""
        var run = ""
        try ctx.run {
            let w = try ctx.environment(inv, reading: .objects(["\(CRDs.job)/\(name)"]))
            namespace = w.scope.namespace
            let planned = try JobRun.runPlan(
                try w.require(.job, name), at: Promotion.timestamp(ctx.clock()), scope: w.scope, actor: try ctx.actor())
            run = planned.run
            return Attempt(planned.plan)
        }
        return try AppCommands.waitIfAsked(inv, ctx, namespace, [RolloutWait.job(run)])
    }

    /// `kip job history`: the job's runs, newest first.
    static func jobHistory(_ inv: Invocation, _ ctx: Context) throws -> Int32 {
        let name = inv.arguments[0]
        let w = try ctx.environment(inv, reading: .kinds([WorkloadKind.job.resource, "jobs.batch"]))
        _ = try w.require(.job, name)
        let runs = JobRun.history(name, jobs: w.natives.filter { $0["kind"]?.stringValue == "Job" })
        return try ctx.show(
            .array(runs.map(\.json)), empty: runs.isEmpty ? "Job \(name) has not run in \(w.scope.namespace)." : nil
        ) { _ in
            ctx.printer.table(
                ["RUN", "STARTED", "STATUS", "DURATION"],
                runs.map { [$0.run, $0.started, $0.status, $0.seconds.map { Durations.short(Double($0)) } ?? "-"] })
        }
    }
}
