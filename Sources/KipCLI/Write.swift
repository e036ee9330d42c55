import KipCore

extension Context {
    /// The one way a command writes. `build` reads and plans; under `--dry-run` the plan
    /// is printed (manifests as `-o json|yaml`, Secret values redacted, deletions on
    /// stderr) and nothing is touched; otherwise it is carried out, re-read and
    /// re-planned when someone else wrote in between (409 Conflict), and its report printed.
    @discardableResult
    func write(_ build: () throws -> Plan) throws -> Applied? {
        if dryRun {
            let plan = try build()
            if let summary = plan.summary, output != "json" && output != "yaml" {
                for l in summary { printer.line(l) }
            } else {
                printer.manifests(plan.manifests, format: output)
            }
            for l in plan.deletionLines { stderr.line(l) }
            return nil
        }
        let (plan, applied) = try driver().executeRetrying(build)
        printer.report(plan.report)
        return applied
    }

    @discardableResult
    func write(_ plan: Plan) throws -> Applied? { try write { plan } }
}

extension Printer {
    public func report(_ lines: [Plan.Line]) {
        for l in lines {
            switch l {
            case .success(let s): success(s)
            case .info(let s): line(s)
            case .warning(let s): warning(s)
            }
        }
    }
}
