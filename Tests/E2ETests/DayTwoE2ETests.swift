import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Day-two verbs: configuration from .env files, jobs run now and their history, one
/// environment of a file applied as another.
final class DayTwoE2ETests: XCTestCase {
    var c: E2ECluster!
    var dir: String!

    override func setUpWithError() throws {
        c = try E2ECluster(self, options: E2ECluster.realTime + ["--fail-image", "r/bad*"])
        dir = NSTemporaryDirectory() + "kip-daytwo-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test,acc,prod").code, 0)
        XCTAssertEqual(c.kip("app deploy --name api --image r/api:1 --port 80 --project shop/test").code, 0)
    }

    func file(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testEnvAndSecretsFromDotEnvFiles() throws {
        let env = try file(
            ".env", "# the app's settings\nexport LOG=debug\nURL=\"http://x\\ny\"\nMODE=fast # inline\nA=0\n")
        let set = c.kip(["app", "env", "set", "api", "--from-file", env, "A=1", "--project", "shop/test"])
        XCTAssertEqual(set.code, 0, "\(set)")
        let app = try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "shop-test"])
        XCTAssertEqual(
            app.at("spec", "env"),
            [
                ["name": "LOG", "value": "debug"], ["name": "URL", "value": "http://x\ny"],
                ["name": "MODE", "value": "fast"], ["name": "A", "value": "1"],
            ], "the file's, then the pairs given (which win)")
        let secrets = try file("secrets.env", "TOKEN=t0k3n\nPASSWORD='p w#1'\n")
        let s = c.kip(["app", "secret", "set", "api", "--from-env-file", secrets, "--project", "shop/test"])
        XCTAssertEqual(s.code, 0, "\(s)")
        XCTAssertTrue(s.stdout.hasPrefix("✔ secrets TOKEN set, PASSWORD set for app api in shop-test"), s.stdout)
        XCTAssertFalse(s.stdout.contains("t0k3n") || s.stderr.contains("t0k3n"), "values are never printed")
        let stored = try c.kubectlJSON(["get", "secret", "api-secrets", "-n", "shop-test"])
        XCTAssertEqual(
            stored.at("data", "PASSWORD")?.stringValue.flatMap { Data(base64Encoded: $0) }, Data("p w#1".utf8))

        let bad = try file("bad.env", "NOPE\n")
        let refused = c.kip(["app", "env", "set", "api", "--from-file", bad, "--project", "shop/test"])
        XCTAssertEqual(refused.code, 1)
        XCTAssertEqual(refused.stderr, "Error: \(bad) line 1: expected KEY=VALUE\n")
        XCTAssertEqual(
            c.kip(["app", "secret", "set", "api", "TOKEN", "--from-env-file", secrets, "--project", "shop/test"]).code,
            2)
        XCTAssertEqual(c.kip(["app", "env", "set", "api", "--project", "shop/test"]).code, 2)
    }

    func testJobRunNowAndItsHistory() throws {
        XCTAssertEqual(
            c.kip(["job", "add", "nightly", "--image", "r/job:1", "--schedule", "0 3 * * *", "--project", "shop/test"])
                .code, 0)
        let none = c.kip("job history nightly --project shop/test")
        XCTAssertEqual(none.code, 0)
        XCTAssertTrue(none.stderr.contains("Job nightly has not run in shop-test."), "\(none)")
        let run = c.kip("job run nightly --project shop/test --wait")
        XCTAssertEqual(run.code, 0, "\(run)")
        XCTAssertTrue(run.stdout.hasPrefix("✔ job nightly started in shop-test (run nightly-run-"), run.stdout)
        let history = try JSON.parse(Data(c.kip("job history nightly --project shop/test -o json").stdout.utf8))
        XCTAssertEqual(history.arrayValue?.count, 1)
        XCTAssertEqual(history.arrayValue?.first?["status"], "succeeded")
        XCTAssertTrue(c.kip("job history nightly --project shop/test").stdout.contains("succeeded"))

        XCTAssertEqual(
            c.kip(["job", "add", "broken", "--image", "r/bad:1", "--schedule", "0 3 * * *", "--project", "shop/test"])
                .code, 0)
        let failed = c.kip("job run broken --project shop/test --wait")
        XCTAssertEqual(failed.code, 1, "\(failed)")
        XCTAssertTrue(failed.stderr.contains("ImagePullBackOff"), failed.stderr)
        XCTAssertEqual(c.kip("job run ghost --project shop/test").code, 1)
    }

    func testOneEnvironmentOfAFileAppliedAsAnother() throws {
        let export = c.kip("project export shop test")
        XCTAssertEqual(export.code, 0, "\(export)")
        let path = try file("shop.yaml", export.stdout)
        let noEnv = c.kip(["project", "apply", "-f", path, "--as", "acc", "--yes"])
        XCTAssertEqual(noEnv.code, 2, "\(noEnv)")
        let r = c.kip(["project", "apply", "-f", path, "--environment", "test", "--as", "acc", "--yes"])
        XCTAssertEqual(r.code, 0, "\(r)")
        let acc = try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "shop-acc"])
        XCTAssertEqual(acc.at("spec", "image"), "r/api:1")
        XCTAssertEqual(acc.at("spec", "route", "host"), "api-shop-acc.apprunr.com", "acc's own default route")
        XCTAssertEqual(
            try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "shop-test"]).at("spec", "route", "host"),
            "api-shop-test.apprunr.com", "test untouched")
    }
}
