import KipCore

/// One Event, two APIs: kube-apiserver stores `events.k8s.io/v1` Events as the core
/// Events they convert to (so `kubectl get events` lists both), and validates a new one
/// as the events API requires (pkg/apis/core/validation/events.go).
enum EventForms {
    /// events.k8s.io field → core field.
    static let renamed: [(new: String, core: String)] = [
        ("regarding", "involvedObject"), ("note", "message"), ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"), ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"), ("deprecatedCount", "count"),
    ]

    static func core(_ o: JSON) -> JSON {
        var out = o
        for (n, c) in renamed {
            out[c] = o[n]
            out[n] = nil
        }
        out["apiVersion"] = "v1"
        return out
    }

    static func new(_ o: JSON) -> JSON {
        var out = o
        for (n, c) in renamed {
            out[n] = o[c]
            out[c] = nil
        }
        return out
    }

    static let limits = ["reportingInstance": 128, "action": 128, "reason": 128, "note": 1024]

    static func validate(_ o: JSON) -> [FieldError] {
        var errs: [FieldError] = []
        for f in ["eventTime", "reportingController", "reportingInstance", "action", "reason"]
        where (o[f]?.stringValue ?? "").isEmpty {
            errs.append(FieldError(path: f, kind: "Required value", value: nil, detail: ""))
        }
        for (f, limit) in limits.sorted(by: { $0.key < $1.key }) {
            if let v = o[f]?.stringValue, v.utf8.count > limit {
                errs.append(
                    FieldError(
                        path: f, kind: "Too long", value: nil,
                        detail: "may not be more than \(limit) bytes"))
            }
        }
        if let t = o["type"]?.stringValue, t != "Normal" && t != "Warning" {
            errs.append(
                FieldError(
                    path: "type", kind: "Unsupported value", value: .string(t),
                    detail: "supported values: \"Normal\", \"Warning\""))
        }
        let ns = o.at("metadata", "namespace")?.stringValue
        if let r = o.at("regarding", "namespace")?.stringValue, !r.isEmpty, r != ns {
            errs.append(
                FieldError(
                    path: "regarding.namespace", kind: "Invalid value", value: .string(r),
                    detail: "does not match event.namespace"))
        }
        return errs
    }
}
