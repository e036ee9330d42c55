import KipCore

/// One served resource of one group-version, as discovery describes it.
struct ResourceInfo {
    var group: String
    var version: String
    var plural: String
    var singular: String
    var kind: String
    var namespaced: Bool
    var verbs: [String]
    var shortNames: [String]
    var categories: [String]
    /// `openAPIV3Schema` of a custom resource's version; nil for built-in kinds.
    var schema: JSON?
    var fromCRD: Bool

    var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The built-in kind's schema (with its list keys); nil for custom resources.
    var builtinSchema: JSON? { fromCRD ? nil : Schemas.builtin.root(apiVersion: groupVersion, kind: kind) }
    /// Objects are stored per group and resource, whatever version they were written in;
    /// events.k8s.io's Events are the core Events, in their form (`EventForms`).
    var storageKey: String { isNewEvents ? "/events" : "\(group)/\(plural)" }
    var isNewEvents: Bool { group == "events.k8s.io" && plural == "events" }

    var discoveryJSON: JSON {
        var o: JSON = [
            "name": .string(plural), "singularName": .string(singular), "namespaced": .bool(namespaced),
            "kind": .string(kind), "verbs": JSON.strings(verbs),
        ]
        if !shortNames.isEmpty { o["shortNames"] = JSON.strings(shortNames) }
        if !categories.isEmpty { o["categories"] = JSON.strings(categories) }
        return o
    }
}

/// Discovery: the built-in group-versions of a real cluster plus whatever CRDs add.
struct Registry {
    /// groupVersion -> resources in discovery order (subresources included, as `a/b`).
    private(set) var groupVersions: [(gv: String, resources: [ResourceInfo])] = []
    private(set) var subresources: [String: [JSON]] = [:]
    /// Bumped whenever a CRD changes what is served, so OpenAPI hashes change.
    private(set) var generation = 1

    init() {
        let doc = try! JSON.parse(builtinDiscoveryJSON)
        for list in doc.arrayValue ?? [] {
            let gv = list["groupVersion"]?.stringValue ?? ""
            let parts = gv.split(separator: "/").map(String.init)
            let group = parts.count == 2 ? parts[0] : ""
            let version = parts.last ?? ""
            var rs: [ResourceInfo] = []
            var subs: [JSON] = []
            for r in list["resources"]?.arrayValue ?? [] {
                let name = r["name"]?.stringValue ?? ""
                if name.contains("/") {
                    subs.append(r)
                    continue
                }
                rs.append(
                    ResourceInfo(
                        group: group, version: version, plural: name,
                        singular: r["singularName"]?.stringValue ?? "", kind: r["kind"]?.stringValue ?? "",
                        namespaced: r["namespaced"]?.boolValue ?? false,
                        verbs: (r["verbs"]?.arrayValue ?? []).compactMap(\.stringValue),
                        shortNames: (r["shortNames"]?.arrayValue ?? []).compactMap(\.stringValue),
                        categories: (r["categories"]?.arrayValue ?? []).compactMap(\.stringValue),
                        schema: nil, fromCRD: false))
            }
            groupVersions.append((gv, rs))
            subresources[gv] = subs
        }
    }

    func resource(groupVersion gv: String, plural: String) -> ResourceInfo? {
        groupVersions.first { $0.gv == gv }?.resources.first { $0.plural == plural }
    }

    func resources(groupVersion gv: String) -> [ResourceInfo]? { groupVersions.first { $0.gv == gv }?.resources }

    var allResources: [ResourceInfo] { groupVersions.flatMap(\.resources) }

    var groups: [String] {
        var seen: [String] = []
        for (gv, _) in groupVersions where gv.contains("/") {
            let g = String(gv.split(separator: "/")[0])
            if !seen.contains(g) { seen.append(g) }
        }
        return seen
    }

    func versions(ofGroup g: String) -> [String] {
        groupVersions.filter { $0.gv.hasPrefix(g + "/") }.map { String($0.gv.split(separator: "/")[1]) }
    }

    /// Adds (or replaces) the resources a CRD serves.
    mutating func register(crd: JSON) -> [ResourceInfo] {
        let spec = crd["spec"] ?? .object([:])
        let group = spec["group"]?.stringValue ?? ""
        let names = spec["names"] ?? .object([:])
        let plural = names["plural"]?.stringValue ?? ""
        unregister(group: group, plural: plural)
        var added: [ResourceInfo] = []
        for v in spec["versions"]?.arrayValue ?? [] where v["served"]?.boolValue ?? true {
            let version = v["name"]?.stringValue ?? ""
            let info = ResourceInfo(
                group: group, version: version, plural: plural,
                singular: names["singular"]?.stringValue ?? (names["kind"]?.stringValue ?? "").lowercased(),
                kind: names["kind"]?.stringValue ?? "",
                namespaced: spec["scope"]?.stringValue != "Cluster",
                verbs: ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
                shortNames: (names["shortNames"]?.arrayValue ?? []).compactMap(\.stringValue),
                categories: (names["categories"]?.arrayValue ?? []).compactMap(\.stringValue),
                schema: v.at("schema", "openAPIV3Schema"), fromCRD: true)
            let gv = info.groupVersion
            if let i = groupVersions.firstIndex(where: { $0.gv == gv }) {
                groupVersions[i].resources.append(info)
            } else {
                groupVersions.append((gv, [info]))
            }
            added.append(info)
        }
        generation += 1
        return added
    }

    mutating func unregister(group: String, plural: String) {
        for i in groupVersions.indices {
            groupVersions[i].resources.removeAll { $0.fromCRD && $0.group == group && $0.plural == plural }
        }
        groupVersions.removeAll { $0.resources.isEmpty && !(subresources[$0.gv]?.isEmpty == false) }
        generation += 1
    }
}
