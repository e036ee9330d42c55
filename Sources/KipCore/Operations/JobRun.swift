import Foundation

/// A run of a job now, apart from its schedule: the release phase before a change
/// (`--pre-job`, with the image being released). A batch Job made from the Job CR's
/// template, owned by the CR, labelled as its own run so that `--wait` follows it alone.
public enum JobRun {
    /// The run's name: the job's, `-pre-` and a hash of the image and time (a label).
    public static func name(job: String, image: String, at: String) -> String {
        let hash = SHA256.hex(SHA256.digest(Array((image + "@" + at).utf8))).prefix(6)
        return WorkloadScope.label("\(job)-pre-\(hash)")
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
