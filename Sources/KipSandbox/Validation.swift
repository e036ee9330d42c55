import Foundation
import KipCore

/// One field error, formatted as the API server does (`metadata.name: Invalid value: ...`).
struct FieldError {
    var path: String
    var kind: String  // "Invalid value", "Required value", "Unsupported value", "field not declared in schema"
    var value: JSON?
    var detail: String

    var text: String {
        switch kind {
        case "Required value": return "\(path): Required value" + (detail.isEmpty ? "" : ": \(detail)")
        case "unknown field": return "unknown field \"\(path)\""
        default:
            let v = value.map { ": " + ($0.stringValue.map { JSON.quoted($0) } ?? $0.serialized()) } ?? ""
            return "\(path): \(kind)\(v): \(detail)"
        }
    }
}

/// The checks a real API server makes that kip must respect.
enum Validation {
    /// Rules kube-apiserver checks beyond the schema, on the object as it will be stored.
    static func semantic(_ o: JSON, resource r: ResourceInfo) -> [FieldError] {
        var errs: [FieldError] = []
        let name = o.at("metadata", "name")?.stringValue ?? ""
        // ValidateDeploymentStrategy: a defaulted rollingUpdate that no one removes stays
        // when a later write sets Recreate (kubernetes#24198).
        if r.group == "apps", r.kind == "Deployment", o.at("spec", "strategy", "type")?.stringValue == "Recreate",
            let ru = o.at("spec", "strategy", "rollingUpdate"), !ru.isNull
        {
            errs.append(
                FieldError(
                    path: "spec.strategy.rollingUpdate", kind: "Forbidden", value: nil,
                    detail: "may not be specified when strategy `type` is 'Recreate'"))
        }
        switch (r.group, r.kind) {
        case ("events.k8s.io", "Event"): errs += EventForms.validate(o)
        case ("batch", "CronJob"):
            if name.count > 52 {
                errs.append(
                    FieldError(
                        path: "metadata.name", kind: "Invalid value", value: .string(name),
                        detail: "must be no more than 52 characters"))
            }
            if let schedule = o.at("spec", "schedule")?.stringValue, let f = Cron.fault(schedule) {
                errs.append(
                    FieldError(
                        path: "spec.schedule", kind: "Invalid value", value: .string(schedule), detail: f.serverText))
            }
            errs += podTemplate(o.at("spec", "jobTemplate", "spec", "template"), path: "spec.jobTemplate.spec.template")
        case ("apps", "Deployment"), ("apps", "StatefulSet"):
            errs += podTemplate(o.at("spec", "template"), path: "spec.template")
            let selector = o.at("spec", "selector", "matchLabels")?.stringMap ?? [:]
            let labels = o.at("spec", "template", "metadata", "labels")?.stringMap ?? [:]
            if o.at("spec", "selector") == nil {
                errs.append(FieldError(path: "spec.selector", kind: "Required value", value: nil, detail: ""))
            } else if selector.isEmpty || selector.contains(where: { labels[$0.key] != $0.value }) {
                errs.append(
                    FieldError(
                        path: "spec.template.metadata.labels", kind: "Invalid value",
                        value: o.at("spec", "template", "metadata", "labels") ?? [:],
                        detail: "`selector` does not match template `labels`"))
            }
            for (i, t) in (o.at("spec", "volumeClaimTemplates")?.arrayValue ?? []).enumerated() {
                errs += storage(
                    t.at("spec", "resources", "requests", "storage"),
                    path: "spec.volumeClaimTemplates[\(i)].spec.resources.requests[storage]")
            }
        case ("batch", "Job"):
            errs += podTemplate(o.at("spec", "template"), path: "spec.template")
        case ("", "PersistentVolumeClaim"):
            errs += storage(o.at("spec", "resources", "requests", "storage"), path: "spec.resources.requests[storage]")
        default:
            break
        }
        return errs
    }

    static func storage(_ q: JSON?, path: String) -> [FieldError] {
        guard let s = q?.stringValue ?? q.map({ $0.serialized() }), let v = Quantity.value(s), v <= 0 else { return [] }
        return [FieldError(path: path, kind: "Invalid value", value: .string(s), detail: "must be greater than zero")]
    }

    /// Each container's requests may not exceed its limits.
    static func podTemplate(_ t: JSON?, path: String) -> [FieldError] {
        var errs: [FieldError] = []
        for (i, c) in (t?.at("spec", "containers")?.arrayValue ?? []).enumerated() {
            let requests = c.at("resources", "requests")?.objectValue ?? [:]
            let limits = c.at("resources", "limits")?.objectValue ?? [:]
            for (res, req) in requests.sorted(by: { $0.key < $1.key }) {
                guard let lim = limits[res], let rq = req.stringValue ?? Optional(req.serialized()),
                    let lm = lim.stringValue ?? Optional(lim.serialized()),
                    let rv = Quantity.value(rq), let lv = Quantity.value(lm), rv > lv
                else { continue }
                errs.append(
                    FieldError(
                        path: "\(path).spec.containers[\(i)].resources.requests", kind: "Invalid value",
                        value: .string(rq),
                        detail: "must be less than or equal to \(res) limit of \(lm)"))
            }
        }
        return errs
    }

    /// Fields a real server refuses to change once set.
    static func transition(old: JSON, new o: JSON, resource r: ResourceInfo) -> [FieldError] {
        var errs: [FieldError] = []
        func immutable(_ path: [String], _ shown: String) {
            if let before = old.at(path), before != o.at(path) {
                errs.append(
                    FieldError(
                        path: shown, kind: "Invalid value", value: o.at(path) ?? .null, detail: "field is immutable"))
            }
        }
        switch (r.group, r.kind) {
        case ("apps", "Deployment"):
            immutable(["spec", "selector"], "spec.selector")
        case ("apps", "StatefulSet"):
            var a = old["spec"] ?? [:]
            var b = o["spec"] ?? [:]
            for k in [
                "replicas", "template", "updateStrategy", "ordinals", "minReadySeconds",
                "persistentVolumeClaimRetentionPolicy",
            ] {
                a[k] = nil
                b[k] = nil
            }
            if a != b {
                errs.append(
                    FieldError(
                        path: "spec", kind: "Forbidden", value: nil,
                        detail:
                            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
                    ))
            }
        case ("batch", "Job"):
            immutable(["spec", "selector"], "spec.selector")
            immutable(["spec", "template"], "spec.template")
        case ("", "Service"):
            if let before = old.at("spec", "clusterIP"), before != o.at("spec", "clusterIP") {
                errs.append(
                    FieldError(
                        path: "spec.clusterIPs[0]", kind: "Invalid value", value: o.at("spec", "clusterIPs") ?? .null,
                        detail: "may not change once set"))
            }
        case ("", "PersistentVolumeClaim"):
            if let a = old.at("spec", "resources", "requests", "storage")?.stringValue.flatMap(Quantity.value),
                let b = o.at("spec", "resources", "requests", "storage")?.stringValue.flatMap(Quantity.value), b < a
            {
                errs.append(
                    FieldError(
                        path: "spec.resources.requests.storage", kind: "Forbidden", value: nil,
                        detail: "field can not be less than previous value"))
            }
        case ("", "Secret"), ("", "ConfigMap"):
            if old["immutable"] == .bool(true) {
                for f in ["data", "stringData", "binaryData"]
                where old[f] != o[f] && !(f == "stringData" && o[f] == nil) {
                    errs.append(
                        FieldError(
                            path: f, kind: "Forbidden", value: nil, detail: "field is immutable when `immutable` is set"
                        ))
                }
            }
        default:
            break
        }
        return errs
    }

    static func object(_ obj: JSON, resource r: ResourceInfo) -> [FieldError] {
        var errs: [FieldError] = []
        let name = obj.at("metadata", "name")?.stringValue ?? ""
        if name.isEmpty {
            errs.append(
                FieldError(
                    path: "metadata.name", kind: "Required value", value: nil,
                    detail: "name or generateName is required"))
        } else if r.kind == "Namespace" || (r.kind == "Service" && r.group.isEmpty) {
            let ok = r.kind == "Namespace" ? DNS.isLabel(name) : DNS.isDNS1035Label(name)
            if !ok {
                let detail =
                    r.kind == "Namespace"
                    ? DNS.labelMessage(name)
                    : (name.count > 63
                        ? "must be no more than 63 characters"
                        : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
                errs.append(
                    FieldError(path: "metadata.name", kind: "Invalid value", value: .string(name), detail: detail))
            }
        } else if !DNS.isSubdomain(name) {
            errs.append(
                FieldError(
                    path: "metadata.name", kind: "Invalid value", value: .string(name),
                    detail: DNS.subdomainMessage(name)))
        }
        for (k, v) in obj.at("metadata", "labels")?.objectValue ?? [:] {
            if !DNS.isLabelKey(k) {
                errs.append(
                    FieldError(
                        path: "metadata.labels", kind: "Invalid value", value: .string(k),
                        detail:
                            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
                    ))
            }
            guard let s = v.stringValue else {
                errs.append(
                    FieldError(
                        path: "metadata.labels", kind: "Invalid value", value: v, detail: "label values must be strings"
                    ))
                continue
            }
            if !DNS.isLabelValue(s) {
                errs.append(
                    FieldError(
                        path: "metadata.labels", kind: "Invalid value", value: .string(s),
                        detail:
                            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
                    ))
            }
        }
        if r.kind == "Secret" && r.group.isEmpty {
            // ValidateSecret: the data, decoded, holds at most 1 MiB (etcd's object limit).
            let total = (obj["data"]?.objectValue ?? [:]).values.reduce(0) { n, v in
                n + (v.stringValue.flatMap { Data(base64Encoded: $0)?.count } ?? 0)
            }
            if total > 1_048_576 {
                errs.append(
                    FieldError(path: "data", kind: "Too long", value: nil, detail: "must have at most 1048576 bytes"))
            }
            for (k, v) in obj["data"]?.objectValue ?? [:] {
                guard let s = v.stringValue, Data(base64Encoded: s) != nil else {
                    errs.append(
                        FieldError(path: "data[\(k)]", kind: "Invalid value", value: nil, detail: "illegal base64 data")
                    )
                    continue
                }
            }
        }
        for (i, ref) in (obj.at("metadata", "ownerReferences")?.arrayValue ?? []).enumerated() {
            for f in ["apiVersion", "kind", "name", "uid"] where (ref[f]?.stringValue ?? "").isEmpty {
                errs.append(
                    FieldError(
                        path: "metadata.ownerReferences[\(i)].\(f)", kind: "Required value", value: nil, detail: ""))
            }
        }
        return errs
    }

    /// `stringData` is folded into `data` (base64) and dropped, as the API server does.
    static func foldStringData(_ obj: JSON) -> JSON {
        guard let sd = obj["stringData"]?.objectValue else { return obj }
        var o = obj
        var data = o["data"]?.objectValue ?? [:]
        for (k, v) in sd { data[k] = .string(Data((v.stringValue ?? "").utf8).base64EncodedString()) }
        o["data"] = .object(data)
        o["stringData"] = nil
        return o
    }

    /// Validates a custom resource against its CRD's structural schema. Unknown fields
    /// are errors when `strict`, else pruned.
    static func custom(_ obj: JSON, schema: JSON, strict: Bool) -> (JSON, [FieldError]) {
        var errs: [FieldError] = []
        var pruned = obj
        // apiVersion, kind and metadata are always allowed at the top.
        var top = schema
        var props = top["properties"]?.objectValue ?? [:]
        props["apiVersion"] = props["apiVersion"] ?? ["type": "string"]
        props["kind"] = props["kind"] ?? ["type": "string"]
        props["metadata"] = ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
        top["properties"] = .object(props)
        pruned = check(obj, top, path: "", strict: strict, errs: &errs)
        return (pruned, errs)
    }

    private static func typeName(_ v: JSON) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    private static func check(_ v: JSON, _ s: JSON, path: String, strict: Bool, errs: inout [FieldError]) -> JSON {
        let p = path.isEmpty ? "<root>" : path
        if v == .null, s["nullable"]?.boolValue == true { return v }
        if let t = s["type"]?.stringValue {
            let actual = typeName(v)
            let ok =
                actual == t || (t == "number" && actual == "integer")
                || (s["x-kubernetes-int-or-string"]?.boolValue == true && (actual == "integer" || actual == "string"))
            if !ok {
                errs.append(
                    FieldError(
                        path: p, kind: "Invalid value", value: .string(actual),
                        detail: "\(p) in body must be of type \(t): \"\(actual)\""))
                return v
            }
        }
        if let e = s["enum"]?.arrayValue, !e.contains(v) {
            let allowed = e.map { $0.stringValue.map { JSON.quoted($0) } ?? $0.serialized() }.joined(separator: ", ")
            errs.append(
                FieldError(path: p, kind: "Unsupported value", value: v, detail: "supported values: \(allowed)"))
        }
        if let pattern = s["pattern"]?.stringValue, let str = v.stringValue,
            str.range(of: pattern, options: .regularExpression) == nil
        {
            errs.append(
                FieldError(path: p, kind: "Invalid value", value: v, detail: "\(p) in body should match '\(pattern)'"))
        }
        if let min = s["minimum"]?.intValue, let n = v.intValue, n < min {
            errs.append(
                FieldError(
                    path: p, kind: "Invalid value", value: v,
                    detail: "\(p) in body should be greater than or equal to \(min)"))
        }
        if let max = s["maximum"]?.intValue, let n = v.intValue, n > max {
            errs.append(
                FieldError(
                    path: p, kind: "Invalid value", value: v,
                    detail: "\(p) in body should be less than or equal to \(max)"))
        }
        switch v {
        case .object(let o):
            for r in (s["required"]?.arrayValue ?? []).compactMap(\.stringValue) where o[r] == nil {
                errs.append(
                    FieldError(path: path.isEmpty ? r : "\(path).\(r)", kind: "Required value", value: nil, detail: ""))
            }
            let props = s["properties"]?.objectValue
            let additional = s["additionalProperties"]
            let preserve = s["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
            var out: [String: JSON] = [:]
            for (k, c) in o {
                let cp = path.isEmpty ? k : "\(path).\(k)"
                if let ps = props?[k] {
                    out[k] = check(c, ps, path: cp, strict: strict, errs: &errs)
                } else if let a = additional, case .object = a {
                    out[k] = check(c, a, path: cp, strict: strict, errs: &errs)
                } else if preserve || additional == .bool(true) || (props == nil && s["type"] == nil) {
                    out[k] = c
                } else if strict {
                    errs.append(FieldError(path: cp, kind: "unknown field", value: nil, detail: ""))
                }
            }
            return .object(out)
        case .array(let a):
            guard let items = s["items"] else { return v }
            return .array(a.enumerated().map { check($1, items, path: "\(path)[\($0)]", strict: strict, errs: &errs) })
        default:
            return v
        }
    }
}
