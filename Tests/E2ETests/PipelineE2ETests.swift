import Foundation
import KipCore
import KipTestSupport
import XCTest

/// The deploy → verify → promote loop as CI runs it.
final class PipelineE2ETests: XCTestCase {
    var c: E2ECluster!
    var p: String!

    override func setUpWithError() throws {
        c = try E2ECluster(
            self, options: E2ECluster.realTime + ["--fail-image", "r/bad*", "--deadline-scale", "0.005"])
        p = c.name("shop")
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test,acc"]).code, 0)
    }

    func kip(_ line: String) -> Run {
        c.kip(line.replacingOccurrences(of: "PROJ", with: p).split(separator: " ").map(String.init))
    }

    /// CI's loop: deploy, configure, bind, then bump the image: the configuration stays.
    func testRedeployingANewImageKeepsTheConfiguration() throws {
        XCTAssertEqual(kip("service add postgres --name db --project PROJ/test").code, 0)
        XCTAssertEqual(kip("volume add data --size 1Gi --project PROJ/test").code, 0)
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ/test").code, 0)
        XCTAssertEqual(kip("app env set api LOG=debug --project PROJ/test").code, 0)
        XCTAssertEqual(kip("app bind api db --project PROJ/test").code, 0)
        XCTAssertEqual(kip("app deploy --name api --image r/api:2 --volume data:/data --project PROJ/test").code, 0)
        let spec = try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "\(p!)-test"])["spec"] ?? [:]
        XCTAssertEqual(spec["image"], "r/api:2")
        XCTAssertEqual(spec["port"], 3000, "--port is only needed to create")
        XCTAssertEqual(spec["env"], [["name": "LOG", "value": "debug"]])
        XCTAssertEqual(spec["bindings"]?.arrayValue?.first?["service"], "db")
        XCTAssertEqual(spec["volumes"], [["volume": "data", "path": "/data"]])
        XCTAssertEqual(kip("app set-image api r/api:3 --project PROJ/test").code, 0)
        XCTAssertEqual(
            try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "\(p!)-test"]).at("spec", "env"),
            [["name": "LOG", "value": "debug"]])

        let reset = kip("app deploy --name api --image r/api:4 --port 3000 --reset --project PROJ/test")
        XCTAssertEqual(reset.code, 0, "\(reset)")
        XCTAssertEqual(
            reset.stderr, "⚠ --reset drops env LOG, binding db, mount data:/data\n")
        let after = try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "\(p!)-test"])["spec"] ?? [:]
        XCTAssertNil(after["env"])
        let create = kip("app deploy --name web --image r/web:1 --project PROJ/test")
        XCTAssertEqual(create.code, 2)
        XCTAssertTrue(create.stderr.hasPrefix("Error: Missing expected option '--port <port>': app web is new in "))
    }

    /// Every image change is in the app's history, with who made it; a rollback goes to
    /// the image before the latest change, whatever made it, and is recorded as one.
    func testHistoryOfEveryImageChange() throws {
        let ci = ["KIP_ACTOR": "ci-bot"]
        func k(_ line: String) -> Run {
            c.kip(line.replacingOccurrences(of: "PROJ", with: p).split(separator: " ").map(String.init), env: ci)
        }
        XCTAssertEqual(k("app deploy --name api --image r/api:1 --port 3000 --project PROJ/test").code, 0)
        XCTAssertEqual(k("app deploy --name api --image r/api:1 --port 3000 --project PROJ/acc").code, 0)
        XCTAssertEqual(k("app env set api A=1 --project PROJ/test").code, 0, "not an image change")
        XCTAssertEqual(k("app set-image api r/api:2 --project PROJ/test --wait").code, 0)
        XCTAssertEqual(k("app promote api --from test --to acc --project PROJ --yes").code, 0)
        let rollback = k("app rollback api --project PROJ/test --yes")
        XCTAssertEqual(
            rollback.stdout, "✔ api rolled back to r/api:1 in \(p!)-test (undoing revision 2)\n", "\(rollback)")
        let h = try JSON.parse(k("app history api --project PROJ/test -o json").stdout).arrayValue ?? []
        XCTAssertEqual(h.map { $0["action"]?.stringValue ?? "" }, ["deploy", "set-image", "rollback"])
        XCTAssertEqual(h.map { $0["imageAfter"]?.stringValue ?? "" }, ["r/api:1", "r/api:2", "r/api:1"])
        // Who the server authenticated, with KIP_ACTOR beside it as a note.
        let by = Set(h.compactMap { $0["by"]?.stringValue })
        XCTAssertEqual(by.count, 1, "\(by)")
        XCTAssertTrue(by.first?.hasSuffix(" (KIP_ACTOR: ci-bot)") == true, "\(by)")
        let acc = try JSON.parse(k("app history api --project PROJ/acc -o json").stdout).arrayValue ?? []
        XCTAssertEqual(acc.last?["action"], "promote")
        XCTAssertEqual(acc.last?["from"], "test")
        // Only promotion writes the promoted-* annotations.
        let app = try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "\(p!)-test"])
        XCTAssertNil(app.at("metadata", "annotations", "kipper.run/promoted-from"))
    }

    /// What shells and CI lean on: KIP_PROJECT/KIP_ENVIRONMENT, `project use` with no
    /// argument and with `-`, `-o name`, an idempotent create.
    func testContextForShellsAndCI() throws {
        let same = c.kip(["project", "create", p, "--environments", "test,acc", "--if-not-exists"])
        XCTAssertEqual(same.stdout, "= project \(p!) exists (environments: test, acc)\n", "\(same)")
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test", "--if-not-exists"]).code, 1)
        let env = ["KIP_PROJECT": p!, "KIP_ENVIRONMENT": "acc"]
        XCTAssertEqual(
            c.kip(["app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "80"], env: env).code, 0)
        XCTAssertEqual(c.kip(["app", "list", "-o", "name", "--project", "\(p!)/acc"]).stdout, "api\n")
        XCTAssertEqual(
            c.kip(["app", "list", "-o", "name", "--project", "\(p!)/test"], env: env).stdout, "", "flags win")
        XCTAssertTrue(c.kip(["project", "list", "-o", "name"]).stdout.split(separator: "\n").contains(Substring(p)))
        XCTAssertEqual(c.kip(["project", "use", "\(p!)/test"]).code, 0)
        XCTAssertEqual(c.kip(["project", "use", "\(p!)/acc"]).code, 0)
        XCTAssertTrue(c.kip(["project", "use", "-"]).stdout.hasPrefix("✔ Active project: \(p!)/test on cluster "))
        XCTAssertTrue(c.kip(["project", "use"]).stdout.hasPrefix("Active project: \(p!)/test on cluster "))
    }

    /// The pipeline at a glance, after a partial promotion: what each environment runs.
    func testStatusAfterAPartialPromotion() throws {
        if c.isReal { throw XCTSkip("waits for rollouts of images that do not exist") }
        for e in ["test", "acc"] {
            XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 80 --project PROJ/\(e) --wait").code, 0)
        }
        XCTAssertEqual(kip("app deploy --name web --image r/web:1 --port 80 --project PROJ/test --wait").code, 0)
        XCTAssertEqual(kip("app set-image api r/api:2 --project PROJ/test --wait").code, 0)
        let status = kip("project status PROJ")
        XCTAssertEqual(
            status.stdout,
            """
            APP   TEST      ACC       BEHIND
            api   r/api:2   r/api:1   acc behind test
            web   r/web:1   -         -

            """, "\(status)")
        XCTAssertEqual(kip("app promote api --to acc --project PROJ --yes --wait").code, 0)
        let json = try JSON.parse(kip("project status PROJ -o json").stdout)
        XCTAssertEqual(json.arrayValue?.first?["behind"], [])
        XCTAssertEqual(json.arrayValue?.first?["environments"]?.arrayValue?.last?["image"], "r/api:2")
    }

    /// The product page's promotion, followed literally: api exists only in test, and the
    /// first promotion to acc creates it there (route for acc, namespace rewritten).
    func testFirstPromotionCreatesTheAppInTheTarget() throws {
        XCTAssertEqual(
            kip(
                "app deploy --name api --image r/api:1 --port 3000 --env LINK=http://x.PROJ-test.svc --project PROJ/test --wait"
            )
            .code, 0)
        let r = kip("app promote api --from test --to acc --project PROJ --yes")
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertEqual(
            r.stdout,
            "Promote test → acc (\(p!))\nApps: api (new in acc)\n  api  acc: (new) → r/api:1\n✔ api → acc (r/api:1), new in acc\n"
        )
        XCTAssertTrue(r.stderr.contains("⚠ secrets of api are not copied"), r.stderr)
        let app = try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "\(p!)-acc"])
        XCTAssertEqual(app.at("spec", "route", "host"), .string("api-\(p!)-acc.apprunr.com"))
        XCTAssertEqual(app.at("spec", "env"), [["name": "LINK", "value": .string("http://x.\(p!)-acc.svc")]])
        XCTAssertEqual(try c.names("services", namespace: "\(p!)-acc"), ["api"], "written whole, Service and all")
        XCTAssertEqual(try c.names("ingresses", namespace: "\(p!)-acc"), ["api"])
        let refused = kip("app promote api --from acc --to prod --project PROJ --yes --no-create --force")
        XCTAssertEqual(refused.code, 1)
    }

    /// Secret values are bytes, kept exactly: one trailing newline of stdin dropped
    /// (`\n` or `\r\n`), a file byte for byte, an empty value only when asked for.
    func testSecretValuesAreKeptByteForByte() throws {
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 80 --project PROJ/test").code, 0)
        func stored(_ key: String) throws -> Data? {
            let s = try c.kubectlJSON(["get", "secret", "api-secrets", "-n", "\(p!)-test"])
            return s.at("data", key)?.stringValue.flatMap { Data(base64Encoded: $0) }
        }
        let args = ["app", "secret", "set", "api"]
        let scope = ["--project", "\(p!)/test"]
        XCTAssertEqual(c.kip(args + ["CRLF"] + scope, stdin: "abc\r\n").code, 0)
        XCTAssertEqual(try stored("CRLF"), Data("abc".utf8))
        XCTAssertEqual(c.kip(args + ["TWO"] + scope, stdin: "a\n\n").code, 0)
        XCTAssertEqual(try stored("TWO"), Data("a\n".utf8), "only one newline is dropped")
        let bytes = Data([0x00, 0xFF, 0xC3, 0x28, 0x0A, 0x80])
        let file = c.home + "/blob.bin"
        try bytes.write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(c.kip(args + ["BLOB", "--from-file", file] + scope).code, 0)
        XCTAssertEqual(try stored("BLOB"), bytes)
        XCTAssertEqual(try stored("CRLF"), Data("abc".utf8), "other keys untouched")
        XCTAssertEqual(c.kip(args + ["EMPTY"] + scope, stdin: "").code, 1)
        XCTAssertEqual(c.kip(args + ["EMPTY", "--allow-empty"] + scope, stdin: "").code, 0)
        XCTAssertEqual(try stored("EMPTY"), Data())
    }

    /// Day-to-day verbs: scale, env list, unbind, volume mount and unmount.
    func testDayToDayVerbs() throws {
        XCTAssertEqual(kip("service add redis --name cache --project PROJ/test").code, 0)
        XCTAssertEqual(kip("volume add data --size 1Gi --access-mode ReadWriteMany --project PROJ/test").code, 0)
        XCTAssertEqual(
            kip(
                "app deploy --name api --image r/api:1 --port 80 --autoscale 2:4 --env A=1 --bind cache --project PROJ/test"
            )
            .code, 0)
        let scale = kip("app scale api 3 --project PROJ/test")
        XCTAssertEqual(scale.code, 0, "\(scale)")
        XCTAssertTrue(scale.stderr.contains("autoscaling of api is turned off"), scale.stderr)
        XCTAssertEqual(try c.names("horizontalpodautoscalers", namespace: "\(p!)-test"), [])
        XCTAssertEqual(try c.kubectlJSON(["get", "deployment", "api", "-n", "\(p!)-test"]).at("spec", "replicas"), 3)
        XCTAssertEqual(kip("app scale api many --project PROJ/test").code, 2)
        let env = kip("app env list api --project PROJ/test").stdout
        let rows = env.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        XCTAssertEqual(rows.first, "NAME VALUE FROM")
        XCTAssertTrue(rows.contains("A 1 env"), env)
        XCTAssertTrue(rows.contains("REDIS_URL (from cache-credentials) binding cache"), env)
        XCTAssertEqual(kip("app unbind api cache --project PROJ/test").code, 0)
        XCTAssertEqual(kip("app unbind api cache --project PROJ/test").code, 1)
        XCTAssertEqual(kip("volume mount data api:/data --project PROJ/test").code, 0)
        XCTAssertEqual(
            try c.kubectlJSON(["get", "deployment", "api", "-n", "\(p!)-test"]).at(
                "spec", "template", "spec", "containers")?.arrayValue?.first?["volumeMounts"],
            [["name": "data", "mountPath": "/data"]])
        XCTAssertEqual(kip("volume delete data --project PROJ/test --yes").code, 1, "mounted")
        XCTAssertEqual(kip("volume unmount data api --project PROJ/test").code, 0)
        XCTAssertEqual(kip("volume delete data --project PROJ/test --yes").code, 0)
    }

    func testWaitFollowsTheRolloutAndRollbackOnFailurePutsTheImageBack() throws {
        if c.isReal { throw XCTSkip("needs kip-sandbox's --fail-image and containers that need not start") }
        let ok = kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ/test --wait")
        XCTAssertEqual(ok.code, 0, "\(ok)")
        XCTAssertTrue(ok.stdout.contains("✔ app api rolled out in \(p!)-test"), ok.stdout)
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ/acc --wait").code, 0)

        let bad = kip("app set-image api r/bad:2 --project PROJ/test --wait")
        XCTAssertEqual(bad.code, 1)
        XCTAssertTrue(
            bad.stderr.hasPrefix("Error: rollout of api in \(p!)-test failed: pod api-"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("ImagePullBackOff"), bad.stderr)

        // An image that does not run in the source is not promoted, and acc's history
        // says who tried, what and why.
        let gated = kip("app promote api --from test --to acc --project PROJ --yes")
        XCTAssertEqual(gated.code, 1, "\(gated)")
        XCTAssertTrue(
            gated.stderr.hasPrefix("Error: api is not Available in test with r/bad:2: pod api-"), gated.stderr)
        XCTAssertTrue(gated.stderr.contains("ImagePullBackOff"), gated.stderr)
        let refused = try XCTUnwrap(
            Promotion.history(try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "\(p!)-acc"])).last)
        XCTAssertEqual([refused.result, refused.imageAfter, refused.from], ["refused", "r/bad:2", "test"])
        XCTAssertTrue(refused.reason.contains("ImagePullBackOff"), refused.reason)
        XCTAssertFalse(refused.by.isEmpty)

        let promote = kip(
            "app promote api --from test --to acc --project PROJ --yes --wait --rollback-on-failure --force")
        XCTAssertEqual(promote.code, 1, "\(promote)")
        XCTAssertTrue(
            promote.stderr.contains("⚠ api: put back to r/api:1 in acc (--rollback-on-failure)"), promote.stderr)
        // The failed attempt and the put-back, both in acc's history.
        let acc = Promotion.history(try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "\(p!)-acc"]))
        XCTAssertEqual(acc.suffix(2).map(\.action), ["promote", "put-back"])
        XCTAssertEqual(acc.suffix(2).map(\.result), ["failed", ""])
        XCTAssertTrue(acc.suffix(2).first!.reason.contains("ImagePullBackOff"), "\(acc)")
        try eventually("acc runs the old image again") {
            try c.kubectlJSON(["get", "deployment", "api", "-n", "\(p!)-acc"]).at(
                "spec", "template", "spec", "containers")?.arrayValue?.first?["image"] == "r/api:1"
        }
        XCTAssertEqual(
            try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "\(p!)-acc"]).at("spec", "image"), "r/api:1")
        // A good image promotes and rolls out.
        XCTAssertEqual(kip("app set-image api r/api:3 --project PROJ/test --wait").code, 0)
        let good = kip("app promote api --from test --to acc --project PROJ --yes --wait")
        XCTAssertEqual(good.code, 0, "\(good)")
        XCTAssertTrue(good.stdout.contains("✔ app api rolled out in \(p!)-acc"), good.stdout)
    }
}
