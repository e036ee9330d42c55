import Foundation
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

/// Tables for kubectl's human output.
extension APIServer {
    // MARK: Tables for kubectl's human output

    func render(list items: [JSON], _ r: ResourceInfo, accept: String, includeObject: String?) -> JSON {
        guard accept.contains("as=Table") else {
            return listDoc(items, r)
        }
        return table(items, r, includeObject: includeObject)
    }

    func render(object o: JSON, _ r: ResourceInfo, accept: String, includeObject: String?) -> JSON {
        accept.contains("as=Table") ? table([o], r, includeObject: includeObject) : o
    }

    func table(_ items: [JSON], _ r: ResourceInfo, includeObject: String?) -> JSON {
        var cols: [(String, String, [String])] = [("Name", "name", ["metadata", "name"])]
        if r.kind == "Namespace" { cols.append(("Status", "", ["status", "phase"])) }
        // kube-apiserver's Event columns (core form: events.k8s.io's are stored as it).
        if r.kind == "Event" && r.group.isEmpty {
            cols += [
                ("Type", "", ["type"]), ("Reason", "", ["reason"]), ("Object", "", ["involvedObject", "name"]),
                ("Message", "", ["message"]),
            ]
        }
        if r.fromCRD {
            let crd = objects["apiextensions.k8s.io/customresourcedefinitions"]?["\(r.plural).\(r.group)"]
            let version = crd?.at("spec", "versions")?.arrayValue?.first { $0["name"]?.stringValue == r.version }
            for c in version?["additionalPrinterColumns"]?.arrayValue ?? [] {
                let path = (c["jsonPath"]?.stringValue ?? "").split(separator: ".").map(String.init)
                cols.append((c["name"]?.stringValue ?? "", "", path))
            }
        }
        cols.append(("Age", "", ["metadata", "creationTimestamp"]))
        let defs: JSON = .array(
            cols.map {
                ["name": .string($0.0), "type": "string", "format": .string($0.1), "description": "", "priority": 0]
            })
        let f = ISO8601DateFormatter()
        let rows: [JSON] = items.map { o in
            let cells: [JSON] = cols.map { c in
                if c.0 == "Age" {
                    guard let ts = o.at(c.2)?.stringValue, let d = f.date(from: ts) else { return "<unknown>" }
                    return .string(Self.age(now().timeIntervalSince(d)))
                }
                let v = o.at(c.2)
                if let s = v?.stringValue { return .string(s) }
                if let a = v?.arrayValue {
                    return .string(a.map { $0.stringValue ?? $0.serialized() }.joined(separator: ","))
                }
                return v ?? ""
            }
            var row: JSON = ["cells": .array(cells)]
            if includeObject == "Object" {
                row["object"] = o
            } else {
                row["object"] = [
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"] ?? [:],
                ]
            }
            return row
        }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": ["resourceVersion": .string(String(resourceVersion))],
            "columnDefinitions": defs, "rows": .array(rows),
        ]
    }

    static func age(_ s: TimeInterval) -> String {
        let n = max(0, Int(s))
        if n < 120 { return "\(n)s" }
        if n < 3600 * 3 { return "\(n / 60)m" }
        if n < 86400 * 2 { return "\(n / 3600)h" }
        return "\(n / 86400)d"
    }
}
