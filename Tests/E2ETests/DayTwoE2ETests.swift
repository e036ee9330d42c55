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

    /// `project sleep|wake`: every workload at 0 with its count kept, then back.
    func testAnEnvironmentSleepsAndWakes() throws {
        XCTAssertEqual(
            c.kip("app deploy --name worker --image r/w:1 --port 80 --replicas 2 --project shop/test").code, 0)
        XCTAssertEqual(c.kip("service add postgres --name db --project shop/test").code, 0)
        func replicas(_ kind: String, _ name: String) throws -> JSON? {
            try c.kubectlJSON(["get", kind, name, "-n", "shop-test"]).at("spec", "replicas")
        }
        let sleep = c.kip("project sleep shop/test")
        XCTAssertEqual(sleep.code, 0, "\(sleep)")
        XCTAssertTrue(
            sleep.stdout.hasPrefix("✔ shop/test asleep: 3 workload(s) at 0 (api 1, db 1, worker 2)"), sleep.stdout)
        XCTAssertEqual(try replicas("deployment", "worker"), 0)
        XCTAssertEqual(try replicas("statefulset", "db"), 0)
        XCTAssertTrue(c.kip("project status shop").stdout.contains("r/w:1 (asleep)"))
        XCTAssertTrue(c.kip("project sleep shop/test").stdout.contains("sleeps already"))
        let wake = c.kip("project wake shop/test")
        XCTAssertEqual(wake.code, 0, "\(wake)")
        XCTAssertEqual(wake.stdout, "✔ shop/test awake: api 1, db 1, worker 2\n")
        XCTAssertEqual(try replicas("deployment", "worker"), 2)
        XCTAssertEqual(try replicas("statefulset", "db"), 1)
        XCTAssertNil(
            try c.kubectlJSON(["get", "deployment", "worker", "-n", "shop-test"]).at(
                "metadata", "annotations", Sleep.annotation), "the count kept goes")
        // A protected environment sleeps only when named.
        XCTAssertEqual(c.kip("project protect shop/prod").code, 0)
        let prod = c.kip("project sleep shop/prod --yes")
        XCTAssertEqual(prod.code, 1, "\(prod)")
        XCTAssertEqual(c.kip("project sleep shop/prod --confirm-env prod").code, 0)
    }

    /// A function's env vars and logs, as an app's.
    func testFunctionEnvAndLogs() throws {
        XCTAssertEqual(c.kip("function deploy fn --image r/fn:1 --project shop/test --wait").code, 0)
        let set = c.kip("function env set fn A=1 B=2 --project shop/test")
        XCTAssertEqual(set.code, 0, "\(set)")
        func env() throws -> JSON? {
            try c.kubectlJSON(["get", "functions.kipper.run", "fn", "-n", "shop-test"]).at("spec", "env")
        }
        XCTAssertEqual(try env(), [["name": "A", "value": "1"], ["name": "B", "value": "2"]])
        let d = try c.kubectlJSON(["get", "deployment", "fn", "-n", "shop-test"])
        XCTAssertEqual(
            d.at("spec", "template", "spec", "containers")?.arrayValue?.first?["env"]?.arrayValue?.count, 2,
            "rendered into its Deployment")
        XCTAssertEqual(c.kip("function env unset fn A --project shop/test").code, 0)
        XCTAssertEqual(try env(), [["name": "B", "value": "2"]])
        XCTAssertEqual(c.kip("function env unset fn Z --project shop/test").code, 1)
        try eventually("the function's pod runs") {
            let logs = c.kip("function logs fn --project shop/test --tail 10")
            return logs.code == 0 && logs.stdout.contains("[pod/fn-")
        }
        XCTAssertEqual(c.kip("function logs ghost --project shop/test").code, 1)
    }

    func testProjectVariablesReachEveryAppUnlessItSetsItsOwn() throws {
        XCTAssertEqual(
            c.kip("app deploy --name web --image r/web:1 --port 80 --env LOG=debug --project shop/acc").code, 0)
        let set = c.kip("project env set shop LOG=info REGION=eu")
        XCTAssertEqual(set.code, 0, "\(set)")
        XCTAssertEqual(
            set.stdout,
            "✔ variables of project shop: LOG, REGION (changed: LOG, REGION)\n  2 app(s) in 3 environment(s) restarting to read them\n"
        )
        for ns in ["shop-test", "shop-acc", "shop-prod"] {
            XCTAssertEqual(
                try c.kubectlJSON(["get", "configmap", "kip-project-env", "-n", ns]).at("data"),
                ["LOG": "info", "REGION": "eu"])
        }
        let restarted = try c.kubectlJSON(["get", "deployment", "api", "-n", "shop-test"])
        XCTAssertNotNil(
            restarted.at("spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/restartedAt"))
        try eventually("api's pods read the project's variables") {
            c.kip(["app", "exec", "api", "--project", "shop/test", "--", "sh", "-c", "echo $LOG $REGION"]).stdout
                == "info eu\n"
        }
        XCTAssertEqual(
            c.kip(["app", "exec", "web", "--project", "shop/acc", "--", "sh", "-c", "echo $LOG $REGION"]).stdout,
            "debug eu\n", "an app's own variable wins")
        let listed = c.kip("app env list web --project shop/acc")
        XCTAssertEqual(listed.stdout, "NAME     VALUE   FROM\nLOG      debug   env\nREGION   eu      project\n")
        XCTAssertEqual(c.kip("project env set shop REGION=eu").stdout, "= variables of project shop unchanged\n")
        XCTAssertEqual(
            c.kip("project env unset shop NOPE").stderr,
            "Error: project shop has no variable NOPE; it has: LOG, REGION\n")
        XCTAssertEqual(
            c.kip("project env list shop -o json").stdout.filter { !$0.isWhitespace },
            #"[{"name":"LOG","value":"info"},{"name":"REGION","value":"eu"}]"#)
        XCTAssertEqual(c.kip("project env unset shop LOG REGION").code, 0)
        XCTAssertEqual(
            c.kubectl(["get", "configmap", "kip-project-env", "-n", "shop-test"]).code, 1, "gone with the last variable"
        )
    }

    func testGcPutsToSleepTheEnvironmentsNobodyChanged() throws {
        XCTAssertEqual(c.kip("app deploy --name api --image r/api:1 --port 80 --project shop/acc").code, 0)
        XCTAssertEqual(c.kip("app deploy --name api --image r/api:1 --port 80 --project shop/prod").code, 0)
        XCTAssertEqual(c.kip("project protect shop/prod").code, 0)
        XCTAssertEqual(c.kip("project gc shop --sleep-after 3s").stderr, "Nothing has expired or idled.\n")
        Thread.sleep(forTimeInterval: 3.5)
        XCTAssertEqual(c.kip("app env set api MODE=busy --project shop/acc").code, 0)
        let gc = c.kip("project gc shop --sleep-after 3s")
        XCTAssertEqual(gc.code, 0, "\(gc)")
        XCTAssertTrue(
            gc.stdout.hasPrefix("✔ shop/test asleep: nobody changed it for "),
            "acc was just changed, prod is protected: \(gc.stdout)")
        XCTAssertFalse(gc.stdout.contains("shop/acc") || gc.stdout.contains("shop/prod"), gc.stdout)
        XCTAssertEqual(try c.kubectlJSON(["get", "deployment", "api", "-n", "shop-test"]).at("spec", "replicas"), 0)
        XCTAssertEqual(try c.kubectlJSON(["get", "deployment", "api", "-n", "shop-acc"]).at("spec", "replicas"), 1)
        XCTAssertTrue(c.kip("project status shop").stdout.contains("(asleep)"))
        XCTAssertEqual(
            c.kip("project gc shop --sleep-after 3s").stderr, "Nothing has expired or idled.\n",
            "a sleeping environment is not put to sleep again")
        XCTAssertEqual(c.kip("project gc shop --sleep-after soon").code, 2)
    }
}
