import Foundation

/// `kip job add NAME`: a scheduled job (a CronJob) or a one-off Job, whose pod template
/// Kubernetes cannot change once created.
public enum JobAdd {
    public static func plan(_ name: String, _ spec: JobSpec, _ w: EnvironmentView, adopt: Bool) throws -> Plan {
        try w.checkNameFree(name, for: .job)
        let cr = Workloads.cr(.job, name, w.scope, spec: spec.json)
        var plan = try w.plan(.job, name, [cr], adopt: adopt)
        // A Job's pod template cannot change once it is created: what kip would
        // write is compared with the live Job, not with the CR (the rendering may
        // have changed since, with kip).
        if let live = w.native("Job", name),
            let rendered = plan.owned(plan.knownUIDs).first(where: { $0["kind"]?.stringValue == "Job" }),
            let want = rendered.at("spec", "template"), let have = live.at("spec", "template"),
            !want.isSubset(of: have)
        {
            let old = w.cr(.job, name).map { JobSpec(json: $0["spec"] ?? [:]) }
            guard old == spec else {
                throw KipError(
                    "job \(name) is a one-off Job, whose pod template Kubernetes cannot change once created: 'kip job delete \(name)', then add it again"
                )
            }
            // Nothing asked for changed: the Job stays as it was created.
            plan = Plan()
            plan.report = [
                .success(
                    "job \(name) unchanged in \(w.scope.namespace) (its Job keeps the template it was created with)"
                )
            ]
        } else if let old = w.cr(.job, name), JobSpec(json: old["spec"] ?? [:]) == spec {
            plan.report = [.success("job \(name) unchanged in \(w.scope.namespace)")]
        }
        return plan
    }
}
