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
        if output == "json" || output == "yaml" { printer.document(Self.result(plan, applied), format: output) }
        return applied
    }

    /// What a write did, for `-o json|yaml`: the objects written (kind, name, namespace;
    /// never a Secret's data), the deletions, and the lines it printed.
    static func result(_ plan: Plan, _ applied: Applied) -> JSON {
        [
            "applied": .array(
                applied.objects.map { o in
                    var r: JSON = [
                        "kind": o["kind"] ?? "", "name": o.at("metadata", "name") ?? "",
                    ]
                    if let ns = o.at("metadata", "namespace") { r["namespace"] = ns }
                    return r
                }),
            "deleted": .array(
                plan.deletes.map { d in
                    var r: JSON = ["ref": .string(d.ref)]
                    if let ns = d.namespace { r["namespace"] = .string(ns) }
                    return r
                }),
            "messages": .array(
                plan.report.map { l in
                    switch l {
                    case .success(let s): return ["level": "success", "text": .string(s)]
                    case .info(let s):
                        return ["level": "info", "text": .string(s.trimmingCharacters(in: .whitespaces))]
                    case .warning(let s): return ["level": "warning", "text": .string(s)]
                    }
                }),
        ]
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
