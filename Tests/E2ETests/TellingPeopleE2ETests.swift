import Foundation
import KipCore
import KipTestSupport
import XCTest

/// A pull request's preview from CI (`preview up|down`), each change told as a Kubernetes
/// Event, and the result POSTed to a hook (`--notify`).
final class TellingPeopleE2ETests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test,acc,prod").code, 0)
        XCTAssertEqual(c.kip("app deploy --name api --image r/api:1 --port 80 --project shop/test --wait").code, 0)
    }

    func testPreviewUpIsOneLinePerPushAndDownRemovesIt() throws {
        let first = c.kip("project preview up shop/pr-42 --copy-from test --image api=r/api:pr42 --ttl 72h -o json")
        XCTAssertEqual(first.code, 0, "\(first)")
        let doc = try JSON.parse(Data(first.stdout.utf8))
        XCTAssertEqual(doc["created"], true)
        XCTAssertEqual(doc["namespace"], "shop-pr-42")
        XCTAssertEqual(
            doc["apps"], [["name": "api", "image": "r/api:pr42", "url": "http://api-shop-pr-42.apprunr.com"]])
        let firstEnd = try XCTUnwrap(doc["expiresAt"]?.stringValue)
        XCTAssertTrue(c.kip("project list").stdout.contains("pr-42 (preview)"))

        // The next push: same line, new image, a fresh TTL; nothing is copied again.
        let again = c.kip("project preview up shop pr-42 --copy-from test --image api=r/api:pr42b --ttl 1h")
        XCTAssertEqual(again.code, 0, "\(again)")
        XCTAssertTrue(again.stdout.contains("  api  http://api-shop-pr-42.apprunr.com"), again.stdout)
        let project = try c.kubectlJSON(["get", "projects.kipper.run", "shop"])
        let env = project.at("spec", "environments")?.arrayValue?.first { $0["name"] == "pr-42" }
        XCTAssertNotEqual(env?["expiresAt"]?.stringValue, firstEnd)
        XCTAssertEqual(
            try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "shop-pr-42"]).at("spec", "image"), "r/api:pr42b")

        // An app the preview does not have is refused before anything is written: the
        // end stays as it was, and a new preview is not made.
        let endNow = env?["expiresAt"]?.stringValue
        let unknown = c.kip("project preview up shop/pr-42 --copy-from test --image nope=r/x:1 --ttl 5h")
        XCTAssertEqual(unknown.code, 1, "\(unknown)")
        XCTAssertTrue(unknown.stderr.contains("app \"nope\" does not exist in shop-pr-42"), unknown.stderr)
        let after = try c.kubectlJSON(["get", "projects.kipper.run", "shop"]).at("spec", "environments")?.arrayValue
        XCTAssertEqual(after?.first { $0["name"] == "pr-42" }?["expiresAt"]?.stringValue, endNow)
        let unknownNew = c.kip("project preview up shop/pr-43 --copy-from test --image nope=r/x:1")
        XCTAssertEqual(unknownNew.code, 1, "\(unknownNew)")
        XCTAssertTrue(unknownNew.stderr.contains("app \"nope\" is not in test"), unknownNew.stderr)
        XCTAssertFalse(c.kip("project list").stdout.contains("pr-43"), "no preview made")

        let stage = c.kip("project preview up shop/acc --copy-from test")
        XCTAssertEqual(stage.code, 1)
        XCTAssertTrue(stage.stderr.contains("shop/acc is a stage of the pipeline, not a preview"), stage.stderr)
        let badImage = c.kip("project preview up shop/pr-42 --copy-from test --image api")
        XCTAssertEqual(badImage.code, 2)
        XCTAssertTrue(badImage.stderr.contains("give APP=IMAGE"), badImage.stderr)

        let down = c.kip("project preview down shop/pr-42 --wait")
        XCTAssertEqual(down.code, 0, "\(down)")
        XCTAssertFalse(try c.names("namespaces").contains("shop-pr-42"))
        let twice = c.kip("project preview down shop/pr-42")
        XCTAssertEqual(twice.code, 0)
        XCTAssertEqual(twice.stderr, "shop/pr-42 is not there: nothing to remove.\n")
        XCTAssertEqual(c.kip("project preview down shop/acc").code, 1, "a stage is not a preview")
    }

    func testEachChangeIsAKubernetesEvent() throws {
        XCTAssertEqual(c.kip("app set-image api r/api:2 --project shop/test --wait").code, 0)
        XCTAssertEqual(c.kip("app promote api --to acc --project shop --yes --wait").code, 0)
        XCTAssertEqual(c.kip("app rollback api --project shop/test --yes").code, 0)
        XCTAssertEqual(c.kip("project protect shop/prod").code, 0)
        func reasons(_ ns: String) throws -> [String] {
            let list = try c.kubectlJSON(["get", "events", "-n", ns])
            return (list["items"]?.arrayValue ?? []).filter {
                $0["reportingComponent"]?.stringValue == "kipper.run/kip"
            }.compactMap { $0["reason"]?.stringValue }.sorted()
        }
        XCTAssertEqual(try reasons("shop-test"), ["Deployed", "ImageChanged", "RolledBack"])
        XCTAssertEqual(try reasons("shop-acc"), ["Promoted"])
        XCTAssertEqual(try reasons("shop-prod"), ["Protected"])
        // The same Events through the events API, with what changed and who changed it.
        let events = try c.kubectlJSON(["get", "events.v1.events.k8s.io", "-n", "shop-acc"])
        let promoted = try XCTUnwrap(events["items"]?.arrayValue?.first { $0["reason"] == "Promoted" })
        XCTAssertEqual(promoted.at("regarding", "kind"), "App")
        XCTAssertEqual(promoted.at("regarding", "name"), "api")
        XCTAssertTrue(
            promoted["note"]?.stringValue?.hasPrefix("kip app promote by ") == true
                && promoted["note"]?.stringValue?.hasSuffix(": r/api:2 from test") == true, "\(promoted)")
    }

    func testNotifyPostsTheResultAndNeverFailsTheCommand() throws {
        let hook = try Hook(self)
        defer { hook.stop() }
        XCTAssertEqual(c.kip("app set-image api r/api:2 --project shop/test --wait").code, 0)
        let r = c.kip([
            "app", "promote", "api", "--to", "acc", "--project", "shop", "--yes", "--notify",
            "http://ci:s3cret@127.0.0.1:\(hook.port)/hook?token=abc",
        ])
        XCTAssertEqual(r.code, 0, "\(r)")
        let got = try hook.bodies()
        XCTAssertEqual(got.count, 1)
        XCTAssertEqual(got.first?["command"], "kip app promote")
        XCTAssertEqual(got.first?["promoted"], 1)
        XCTAssertEqual(got.first?["to"], "acc")
        // Not for a command that is not a promotion, rollback, gc or failed wait.
        XCTAssertEqual(
            c.kip(["app", "list", "--project", "shop/test"], env: ["KIP_NOTIFY_URL": "http://127.0.0.1:\(hook.port)/"])
                .code, 0)
        XCTAssertEqual(try hook.bodies().count, 1)
        // A hook that does not answer: a warning without the credentials, exit 0.
        let down = c.kip(
            ["app", "rollback", "api", "--project", "shop/test", "--yes"],
            env: ["KIP_NOTIFY_URL": "http://ci:s3cret@127.0.0.1:1/hook?token=abc"])
        XCTAssertEqual(down.code, 0, "\(down)")
        XCTAssertTrue(down.stderr.contains("⚠ notification to http://127.0.0.1:1/hook failed: "), down.stderr)
        XCTAssertFalse(down.stderr.contains("s3cret") || down.stderr.contains("token"), down.stderr)
    }
}

/// A web hook for the tests: a Python HTTP server that answers 200 and keeps each POSTed
/// body, one JSON document a line.
final class Hook {
    let process = Process()
    let port: Int
    let file: String

    init(_ test: XCTestCase) throws {
        let dir = NSTemporaryDirectory() + "kip-hook-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        file = dir + "/bodies.jsonl"
        let portFile = dir + "/port"
        let script = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                    with open(sys.argv[1], 'ab') as f: f.write(body.replace(b'\\n', b' ') + b'\\n')
                    self.send_response(200); self.end_headers()
                def log_message(self, *a): pass
            s = http.server.HTTPServer(('127.0.0.1', 0), H)
            open(sys.argv[2], 'w').write(str(s.server_address[1]))
            s.serve_forever()
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, file, portFile]
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(text) {
                port = p
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw XCTSkip("python3 could not start the test hook")
    }

    func bodies() throws -> [JSON] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSON.parse(Data($0.utf8)) }
    }

    func stop() { process.terminate() }
}
