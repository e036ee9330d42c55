import Foundation

/// A run of a job now, apart from its schedule: the release phase before a change
/// (`--pre-job`, with the image being released). A batch Job made from the Job CR's
/// template, owned by the CR, labelled as its own run so that `--wait` follows it alone.
public enum JobRun {
    /// The run's name: the job's, `-pre-` (a release phase) or `-run-` (`job run`) and a
    /// hash of the image and time (a label).
    public static func name(job: String, image: String, at: String, purpose: String = "pre") -> String {
        let hash = SHA256.hex(SHA256.digest(Array((image + "@" + at).utf8))).prefix(6)
        return WorkloadScope.label("\(job)-\(purpose)-\(hash)")
    }

    /// One run of a job, as `job history` lists it.
    public struct Entry: Equatable {
        public var run: String
        public var started: String
        public var status: String
        public var seconds: Int?

        public var json: JSON {
            var o: JSON = ["run": .string(run), "started": .string(started), "status": .string(status)]
            if let seconds { o["durationSeconds"] = .int(seconds) }
            return o
        }
    }

    /// The runs of job `name` among the batch Jobs read: those its CronJob started, the
    /// one-off Job it renders, and those `job run` and `--pre-job` made (owned by the CR);
    /// newest first.
    public static func history(_ name: String, jobs: [JSON]) -> [Entry] {
        let mine = jobs.filter { j in
            (j.at("metadata", "ownerReferences")?.arrayValue ?? []).contains {
                $0["name"]?.stringValue == name
                    && ($0["kind"]?.stringValue == "CronJob"
                        || ($0["kind"]?.stringValue == "Job" && $0["apiVersion"]?.stringValue == Keys.apiVersion))
            }
        }
        let f = ISO8601DateFormatter()
        return mine.map { j in
            let started =
                j.at("status", "startTime")?.stringValue ?? j.at("metadata", "creationTimestamp")?.stringValue ?? ""
            let conditions = j.at("status", "conditions")?.arrayValue ?? []
            let status: String
            if (j.at("status", "succeeded")?.intValue ?? 0) > 0
                || conditions.contains(where: { $0["type"] == "Complete" && $0["status"] == "True" })
            {
                status = "succeeded"
            } else if (j.at("status", "failed")?.intValue ?? 0) > 0
                || conditions.contains(where: { $0["type"] == "Failed" && $0["status"] == "True" })
            {
                status = "failed"
            } else {
                status = "running"
            }
            var seconds: Int?
            if let a = f.date(from: started), let done = j.at("status", "completionTime")?.stringValue.flatMap(f.date) {
                seconds = Int(done.timeIntervalSince(a))
            }
            return Entry(
                run: j.at("metadata", "name")?.stringValue ?? "", started: started, status: status, seconds: seconds)
        }.sorted { ($0.started, $0.run) > ($1.started, $1.run) }
    }

    /// `kip job run`: a run of `job` (its CR as read) now, with the image it has, named
    /// for `at`; owned by the CR, told as a Started Event.
    public static func runPlan(_ job: JSON, at: String, scope: WorkloadScope, actor: String) throws -> (
        plan: Plan, run: String
    ) {
        let name = job.at("metadata", "name")?.stringValue ?? ""
        let image = job.at("spec", "image")?.stringValue ?? ""
        let run = Self.name(job: name, image: image, at: at, purpose: "run")
        let manifest = try manifest(job, image: image, name: run, scope: scope)
        var plan = Plan()
        plan.owned = { _ in [manifest] }
        plan.report = [.success("job \(name) started in \(scope.namespace) (run \(run))")]
        plan.changes = [
            ChangeEvent(
                reason: "Started", action: "Run", kind: "Job", name: name, namespace: scope.namespace,
                note: "kip job run by \(actor): \(run) with \(image)")
        ]
        return (plan, run)
    }

    /// The batch Job that runs `job` (a Job CR read from the cluster) with `image`.
    /// A scheduled job's template runs once just the same.
    public static func manifest(_ job: JSON, image: String, name: String, scope: WorkloadScope) throws -> JSON {
        guard let cr = job.at("metadata", "name")?.stringValue, let uid = job.at("metadata", "uid")?.stringValue else {
            throw KipError("the job read has no name or uid: read it again")
        }
        var spec = JobSpec(json: job["spec"] ?? [:])
        spec.image = image
        spec.schedule = nil
        var run = Workloads.job(cr, spec, scope, uid: uid)
        run.set(["metadata", "name"], .string(name))
        run.set(["metadata", "labels", WorkloadKind.job.labelKey], .string(name))
        run.set(["spec", "template", "metadata", "labels", WorkloadKind.job.labelKey], .string(name))
        // One try: a failed migration is said, not repeated.
        run.set(["spec", "backoffLimit"], 0)
        run.set(["spec", "template", "spec", "restartPolicy"], "Never")
        return run
    }
}
