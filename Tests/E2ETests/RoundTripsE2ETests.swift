import Foundation
import KipCore
import KipTestSupport
import XCTest

/// API requests per command, from the sandbox's request log: a count, not a time, so it
/// holds on a loaded machine. What a remote cluster makes each command cost.
final class RoundTripsE2ETests: XCTestCase {
    /// Sequential rounds of kubectl processes (`kip -v` says them on exit): what a remote
    /// cluster's latency multiplies. A new app: read, owner (with its route claim), owned;
    /// promote --all creating apps: project, environments, owners, owned; a project: 3.
    /// On a CI runner (no KIP_HOME cache), who acts is learnt beside the first read.
    func testDeployPromoteAndCreateRunInFewRounds() throws {
        let c = try E2ECluster(self, options: [], sandboxOnly: true)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        func rounds(_ args: String, fresh: String, file: StaticString = #filePath, line: UInt = #line) -> Int? {
            let home = c.home + "/" + fresh
            let r = c.kip(["-v"] + args.split(separator: " ").map(String.init), env: ["KIP_HOME": home])
            XCTAssertEqual(r.code, 0, "\(args): \(r)", file: file, line: line)
            let last = r.stderr.split(separator: "\n").last { $0.hasPrefix("kip: ") }.map(String.init) ?? ""
            let words = last.split(separator: " ")
            XCTAssertTrue(last.hasSuffix(" rounds"), "the -v summary: \(r.stderr)", file: file, line: line)
            return words.count >= 2 ? Int(words[words.count - 2]) : nil
        }
        XCTAssertLessThanOrEqual(rounds("project create shop --environments test,acc", fresh: "a") ?? 99, 3)
        XCTAssertLessThanOrEqual(
            rounds("app deploy --name web --image r/web:1 --port 80 --project shop/test", fresh: "b") ?? 99, 3)
        XCTAssertLessThanOrEqual(
            rounds("app deploy --name api --image r/api:1 --port 80 --project shop/test", fresh: "c") ?? 99, 3)
        XCTAssertLessThanOrEqual(rounds("app promote --all --to acc --project shop --yes", fresh: "d") ?? 99, 4)
        let acc = try c.kubectlJSON(["get", "apps.kipper.run", "-n", "shop-acc"])
        XCTAssertEqual(acc["items"]?.arrayValue?.count, 2, "both apps created in acc")
    }

    func testAppDeployMakesFewRequestsWhateverTheNamespaceHolds() throws {
        let c = try E2ECluster(self, options: [], sandboxOnly: true)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test,acc").code, 0)
        XCTAssertEqual(c.kip("app deploy --name api --image r/api:1 --port 3000 --project shop/test").code, 0)
        // Others in the namespace: what a deploy of api must not pay for.
        for i in 0..<20 {
            XCTAssertEqual(
                c.kip("app deploy --name w\(i) --image r/w:1 --port 80 --project shop/test").code, 0)
        }
        let before = c.requests().count
        let r = c.kip("app deploy --name api --image r/api:2 --port 3000 --project shop/test")
        XCTAssertEqual(r.code, 0, r.description)
        let made = Array(c.requests().dropFirst(before))
        let paths = made.map { "\($0["method"]?.stringValue ?? "") \($0["path"]?.stringValue ?? "")" }
        // The app's own secret is read by name in the same round (a new app lists the keys
        // set before it existed), so a deploy costs no round of its own for it. The Event
        // that tells the change is one kubectl of its own beside the write (its version
        // check and its POST).
        XCTAssertEqual(
            paths.filter { $0.hasSuffix("/events") }, ["POST /apis/events.k8s.io/v1/namespaces/shop-test/events"])
        XCTAssertLessThanOrEqual(made.count, 20, paths.joined(separator: "\n"))
        XCTAssertEqual(
            paths.filter { $0.hasPrefix("PATCH") }.sorted(),
            [
                "PATCH /api/v1/namespaces/shop-test/services/api",
                "PATCH /apis/apps/v1/namespaces/shop-test/deployments/api",
                "PATCH /apis/kipper.run/v1alpha1/namespaces/shop-test/apps/api",
                "PATCH /apis/networking.k8s.io/v1/namespaces/shop-test/ingresses/api",
            ])
        let discovery = paths.filter {
            $0.hasSuffix(" /api") || $0.hasSuffix(" /apis") || $0.hasSuffix(" /api/v1")
                || ($0.contains(" /apis/") && $0.split(separator: "/").count == 3)
                || $0.contains("/openapi/v3/")
        }
        XCTAssertEqual(discovery, [], "a warm cache: no discovery, no OpenAPI document fetched again")
        XCTAssertEqual(c.clusterWideLists(), [])
        // Reads are by name: nothing lists the whole namespace.
        for m in made where m["method"]?.stringValue == "GET" && (m["path"]?.stringValue ?? "").hasSuffix("s") {
            let q = m["query"]?.stringValue ?? ""
            if (m["path"]?.stringValue ?? "").contains("/namespaces/shop-test/") {
                XCTAssertTrue(q.contains("fieldSelector=metadata.name"), "\(m.serialized())")
            }
        }
    }

    func testPromotingFiftyAppsWritesOnlyAppsAndDeployments() throws {
        let c = try E2ECluster(self, options: [], sandboxOnly: true)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test,acc").code, 0)
        func apps(_ env: String, _ image: String) -> String {
            (0..<50).map { i in
                #"{"apiVersion":"kipper.run/v1alpha1","kind":"App","metadata":{"name":"p\#(i)","namespace":"shop-\#(env)","labels":{"app.kubernetes.io/managed-by":"kip","kipper.run/project":"shop","kipper.run/environment":"\#(env)"}},"spec":{"image":"\#(image)","port":80}}"#
            }.joined(separator: "\n")
        }
        XCTAssertEqual(c.kubectl(["apply", "--server-side", "-f", "-"], stdin: apps("test", "r/p:2")).code, 0)
        XCTAssertEqual(c.kubectl(["apply", "--server-side", "-f", "-"], stdin: apps("acc", "r/p:1")).code, 0)
        // The Apps were written without kip, so test has no Deployment to vouch for them.
        XCTAssertEqual(c.kip("app promote --all --from test --to acc --project shop --yes --force").code, 0)
        XCTAssertEqual(c.kubectl(["apply", "--server-side", "-f", "-"], stdin: apps("test", "r/p:3")).code, 0)
        let before = c.requests().count
        let r = c.kip("app promote --all --from test --to acc --project shop --yes --force")
        XCTAssertEqual(r.code, 0, r.description)
        let all = Array(c.requests().dropFirst(before))
        // One Event a promoted app, in one kubectl beside the write.
        let events = all.filter { ($0["path"]?.stringValue ?? "").hasSuffix("/events") }
        XCTAssertEqual(events.count, 50)
        let made = all.filter { !($0["path"]?.stringValue ?? "").hasSuffix("/events") }
        // The services and volumes are read with the apps (one round for all: an app the
        // promotion creates keeps only the bindings and mounts the target has).
        XCTAssertLessThanOrEqual(made.count, 124)
        let patches = made.filter { $0["method"]?.stringValue == "PATCH" }.compactMap { $0["path"]?.stringValue }
        XCTAssertEqual(patches.filter { $0.contains("/apps/p") }.count, 50)
        XCTAssertEqual(patches.filter { $0.contains("/deployments/p") }.count, 50)
        XCTAssertEqual(patches.count, 100, "nothing but the Apps and their Deployments")
    }
}
