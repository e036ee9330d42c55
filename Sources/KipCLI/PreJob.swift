import Foundation
import KipCore

/// `--pre-job JOB`: the environment's job run once with the image about to be
/// released (a database migration), followed to its end; when it fails, nothing else is
/// changed and its last log lines say why.
enum PreJob {
    static let option = OptionSpec.value(
        "pre-job", "job", "First run this job of the target once with the new image (migrations); stop if it fails.")

    /// The run to make, from the job as read in `w`; nil when `job` is not given.
    static func plan(_ job: String?, image: String, in w: EnvironmentView, _ ctx: Context) throws -> (
        () throws -> Void
    )? {
        guard let job else { return nil }
        let cr = try w.require(.job, job)
        let name = JobRun.name(job: job, image: image, at: Promotion.timestamp(ctx.clock()))
        let run = try JobRun.manifest(cr, image: image, name: name, scope: w.scope)
        return { try PreJob.run(run, job: job, image: image, namespace: w.scope.namespace, ctx) }
    }

    static func run(_ run: JSON, job: String, image: String, namespace: String, _ ctx: Context) throws {
        let name = run.at("metadata", "name")?.stringValue ?? job
        ctx.printer.line("Running job \(job) with \(image) in \(namespace) first (\(name))…")
        try ctx.driver().apply([run])
        let failures = try RolloutWait.run(ctx, namespace: namespace, [RolloutWait.job(name)])
        guard let why = failures[name] else {
            ctx.printer.success("job \(job) ran with \(image) in \(namespace)")
            return
        }
        // Its pod's last lines (the run's own label picks it).
        let driver = try ctx.driver()
        let pod = (try? driver.get(["pods"], namespace: namespace, selector: "\(WorkloadKind.job.labelKey)=\(name)"))?
            .last?.at("metadata", "name")?.stringValue
        let logs =
            pod.flatMap { try? driver.kubectl(["logs", $0, "-n", namespace, "--tail", "10"]) }.map {
                String(decoding: $0, as: UTF8.self)
            } ?? ""
        let lines = logs.split(separator: "\n").map { "  " + $0 }
        throw KipError(
            "job \(job) failed with \(image) in \(namespace): \(why); nothing else was changed"
                + (lines.isEmpty
                    ? ""
                    : "\nIts last lines (kubectl logs \(pod ?? "") -n \(namespace)):\n" + lines.joined(separator: "\n"))
        )
    }
}
