import Foundation
import KipCore

#if canImport(Glibc)
    import Glibc
#endif

/// One change to the store, as a watch reports it.
struct Change {
    var resourceVersion: Int
    var type: String
    var storageKey: String
    var object: JSON
}

extension APIServer {
    /// Longest a watch waits for a change before it closes (the client watches again).
    static let watchWindow: TimeInterval = 5

    /// A watch: the changes after the given resourceVersion (every current object as
    /// ADDED when none is given) that match the path's resource, namespace and selectors,
    /// one JSON event a line. It waits for a change outside the lock, up to
    /// `timeoutSeconds` or `watchWindow`, and closes after the first batch, as a server
    /// may: clients watch again from the last version they saw.
    func watch(_ req: HTTPRequest, as who: Identity) -> HTTPResponse {
        let segs = req.path.split(separator: "/").map(String.init)
        let gv = segs.first == "api" ? (segs.count > 1 ? segs[1] : "") : (segs.count > 2 ? segs[1] + "/" + segs[2] : "")
        let rest = Array(segs.dropFirst(segs.first == "api" ? 2 : 3))
        let target: Target
        let ls: LabelSelector?
        let fs: FieldSelector?
        do {
            target = try locked { () throws -> Target in
                let t = try resolve(gv: gv, rest: rest)
                let a = Attributes(
                    verb: "watch", group: t.resource.group, resource: t.resource.plural, namespace: t.namespace,
                    name: t.name)
                guard allowed(who, a) else { throw Self.forbidden(who, a) }
                return t
            }
            ls = try req.query["labelSelector"].map { try LabelSelector($0) }
            fs = try req.query["fieldSelector"].map { try FieldSelector($0, kind: target.resource.kind) }
        } catch let e as APIError {
            return HTTPResponse(status: e.code, body: e.status.data)
        } catch {
            return HTTPResponse(status: 400, body: APIError.badRequest("invalid selector").status.data)
        }
        let r = target.resource
        func matches(_ o: JSON) -> Bool {
            if let ns = target.namespace, r.namespaced, o.at("metadata", "namespace")?.stringValue != ns {
                return false
            }
            if let name = target.name, o.at("metadata", "name")?.stringValue != name { return false }
            if let ls, !ls.matches(o.at("metadata", "labels")?.stringMap ?? [:]) { return false }
            if let fs, !fs.matches(o) { return false }
            return true
        }
        func line(_ type: String, _ o: JSON) -> String {
            var obj = o
            obj["apiVersion"] = .string(r.groupVersion)
            return JSON.object(["type": .string(type), "object": obj]).serialized() + "\n"
        }
        let window = min(Double(req.query["timeoutSeconds"] ?? "") ?? Self.watchWindow, Self.watchWindow)
        let deadline = Date().addingTimeInterval(window)
        var since = Int(req.query["resourceVersion"] ?? "") ?? 0
        if since == 0 {
            // No version: the current state as ADDED events, then changes from now on.
            let (body, now) = locked { () -> (String, Int) in
                runDue()
                let items = (objects[r.storageKey] ?? [:]).keys.sorted().compactMap { objects[r.storageKey]?[$0] }
                return (items.filter(matches).map { line("ADDED", withManaged($0)) }.joined(), resourceVersion)
            }
            if !body.isEmpty { return HTTPResponse(status: 200, body: Data(body.utf8)) }
            since = now
        }
        while true {
            let body = locked { () -> String in
                runDue()
                return changes.filter {
                    $0.resourceVersion > since && $0.storageKey == r.storageKey && matches($0.object)
                }
                .map { line($0.type, $0.object) }.joined()
            }
            if !body.isEmpty { return HTTPResponse(status: 200, body: Data(body.utf8)) }
            if Date() >= deadline { break }
            usleep(50_000)
        }
        if req.query["allowWatchBookmarks"] == "true" {
            let rv = locked { resourceVersion }
            let bookmark: JSON = [
                "type": "BOOKMARK",
                "object": [
                    "kind": .string(r.kind), "apiVersion": .string(r.groupVersion),
                    "metadata": ["resourceVersion": .string(String(rv))],
                ],
            ]
            return HTTPResponse(status: 200, body: Data((bookmark.serialized() + "\n").utf8))
        }
        return HTTPResponse(status: 200, body: Data())
    }
}
