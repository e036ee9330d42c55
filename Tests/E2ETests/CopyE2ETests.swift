import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Copying an environment and comparing two, end to end.
final class CopyE2ETests: XCTestCase {
    var c: E2ECluster!
    var p: String!
    var ns: (String) -> String { { "\(self.p!)-\($0)" } }

    func setUp(_ cluster: E2ECluster) throws {
        c = cluster
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        p = c.name("shop")
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test"]).code, 0)
        let t = ["--project", "\(p!)/test"]
        for args in [
            ["service", "add", "postgres", "--name", "db", "--storage", "1Gi"],
            ["volume", "add", "uploads", "--size", "2Gi", "--access-mode", "ReadWriteMany"],
            [
                "app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "3000", "--memory-limit", "1Gi",
                "--bind", "db", "--volume", "uploads:/data",
                "--env", "SPRING_DATASOURCE_URL=jdbc:postgresql://db.\(ns("test")).svc:5432/db", "--env",
                "STRIPE_KEY=sk_test_1", "--env", "HOMEPAGE=https://\(ns("test"))ing.example",
            ],
            ["app", "deploy", "--name", "web", "--image", "r/web:1", "--port", "80", "--no-route"],
            ["job", "add", "nightly", "--image", "r/api:1", "--schedule", "0 1 * * *"],
        ] {
            let r = c.kip(args + t)
            XCTAssertEqual(r.code, 0, "\(args) \(r)")
        }
        XCTAssertEqual(c.kip(["app", "secret", "set", "api", "API_TOKEN"] + t, stdin: "tok").code, 0)
    }

    func testCopyAsIsThenDiff() throws {
        try setUp(E2ECluster(self))
        let r = c.kip(["project", "add-env", p, "prod", "--copy-from", "test", "-v"])
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertEqual(
            E2ECluster.kubectlCalls(r), 7,
            "three scoped reads at once, the route claims, the CRs, what they own, the user secrets (their own field manager)"
        )
        XCTAssertEqual(
            r.stdout,
            """
            Adding environment "prod" of project "\(p!)", copied from test...
            ✔ \(ns("prod"))
            Promotion pipeline: test → prod
            ✔ copied 2 apps, 1 service (fresh credentials, empty data), 1 volume (empty), 1 job, 1 secret

            """)
        XCTAssertTrue(
            r.stderr.contains("⚠ route of app api: api-\(p!)-test.apprunr.com → api-\(p!)-prod.apprunr.com\n"), r.stderr
        )
        let prod = ns("prod")
        XCTAssertEqual(try c.names("apps.kipper.run", namespace: prod), ["api", "web"])
        XCTAssertEqual(try c.names("deployments", namespace: prod), ["api", "web"])
        XCTAssertEqual(try c.names("statefulsets", namespace: prod), ["db"])
        XCTAssertEqual(try c.names("persistentvolumeclaims", namespace: prod), ["uploads"])
        XCTAssertEqual(try c.names("cronjobs", namespace: prod), ["nightly"])
        let api = try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", prod])
        XCTAssertEqual(api.at("spec", "route", "host")?.stringValue, "api-\(p!)-prod.apprunr.com")
        let env = api.at("spec", "env")!.arrayValue!.map { "\($0["name"]!.stringValue!)=\($0["value"]!.stringValue!)" }
        XCTAssertEqual(
            env,
            [
                "SPRING_DATASOURCE_URL=jdbc:postgresql://db.\(prod).svc:5432/db", "STRIPE_KEY=sk_test_1",
                "HOMEPAGE=https://\(ns("test"))ing.example",
            ])
        let testPw = try c.kubectlJSON(["get", "secret", "db-credentials", "-n", ns("test")]).at("data", "password")
        let prodPw = try c.kubectlJSON(["get", "secret", "db-credentials", "-n", prod]).at("data", "password")
        XCTAssertNotNil(prodPw)
        XCTAssertNotEqual(testPw, prodPw, "fresh credentials")
        XCTAssertEqual(try c.kubectlJSON(["get", "secret", "api-secrets", "-n", prod]).at("data", "API_TOKEN"), "dG9r")
        let same = c.kip(["project", "diff", p, "test", "prod"])
        XCTAssertEqual(same.code, 0, "\(same)")
        XCTAssertEqual(same.stdout, "✔ test and prod are identical\n")
        XCTAssertEqual(
            c.kip([
                "app", "deploy", "--name", "web", "--image", "r/web:2", "--port", "80", "--no-route", "--replicas", "2",
                "--project", "\(p!)/prod",
            ]).code, 0)
        XCTAssertEqual(
            c.kip(["app", "secret", "set", "api", "API_TOKEN", "--project", "\(p!)/prod"], stdin: "other").code, 0)
        let diff = c.kip(["project", "diff", p, "test", "prod"])
        XCTAssertEqual(diff.code, 1)
        XCTAssertEqual(
            diff.stdout,
            "app api: secret API_TOKEN differs\napp web: image: r/web:1 → r/web:2\napp web: replicas: 1 → 2\n")
        XCTAssertFalse(diff.stdout.contains("other"))
        let json = try JSON.parse(c.kip(["project", "diff", p, "test", "prod", "-o", "json"]).stdout)
        XCTAssertEqual(json["identical"], false)
        XCTAssertEqual(json["differences"]?.arrayValue?.count, 3)
    }

    func testCopyFromAnEditedPlanFile() throws {
        try setUp(E2ECluster(self))
        let planRun = c.kip(["project", "add-env", p, "prod", "--copy-from", "test", "--plan", "-o", "yaml"])
        XCTAssertEqual(planRun.code, 0, "\(planRun)")
        XCTAssertFalse(try c.names("namespaces").contains(ns("prod")), "--plan writes nothing")
        var yaml = planRun.stdout
        yaml = yaml.replacingOccurrences(of: "host: \"api-\(p!)-prod.apprunr.com\"", with: "host: \"app.persohr.eu\"")
        yaml = yaml.replacingOccurrences(of: "value: \"sk_test_1\"", with: "value: \"sk_live_1\"")
        let file = c.home + "/plan.yaml"
        try FileManager.default.createDirectory(atPath: c.home, withIntermediateDirectories: true)
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let r = c.kip(["project", "add-env", p, "prod", "--copy-from", "test", "--overrides", file, "--prod-defaults"])
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("  overrides on 2 app(s): api, web\n"), r.stdout)
        let api = try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", ns("prod")])
        XCTAssertEqual(api.at("spec", "route", "host"), "app.persohr.eu")
        XCTAssertEqual(api.at("spec", "replicas"), 2)
        XCTAssertEqual(api.at("spec", "resources", "memoryLimit"), "1536Mi")
        XCTAssertTrue(api.at("spec", "env")!.arrayValue!.contains(["name": "STRIPE_KEY", "value": "sk_live_1"]))
        // Unknown apps in the file are errors, and nothing is written.
        let wrongTarget = c.kip(["project", "add-env", p, "acc", "--copy-from", "test", "--overrides", file])
        XCTAssertEqual(wrongTarget.stderr, "Error: overrides: the plan is for environment prod, not acc\n")
        try yaml.replacingOccurrences(of: "name: \"web\"", with: "name: \"webz\"").replacingOccurrences(
            of: "target: \"prod\"", with: "target: \"acc\""
        )
        .write(toFile: file, atomically: true, encoding: .utf8)
        let bad = c.kip(["project", "add-env", p, "acc", "--copy-from", "test", "--overrides", file])
        XCTAssertEqual(bad.code, 1)
        XCTAssertEqual(bad.stderr, "Error: overrides: unknown app 'webz'; the source has: api, web\n")
        XCTAssertFalse(try c.names("namespaces").contains(ns("acc")))
    }

    func testWizardThroughAPseudoTerminal() throws {
        try setUp(E2ECluster(self))
        let noTTY = c.kip(["project", "add-env", p, "prod", "--copy-from", "test", "--customize"])
        XCTAssertEqual(
            noTTY.stderr,
            "Error: the wizard needs a terminal: in scripts use '--plan -o yaml > plan.yaml' and '--overrides plan.yaml'\n"
        )
        let keys = [
            "",  // 1: continue
            "shop.persohr.eu",  // 2: custom route for api
            "s", "s",  // 3: suspect only on, off
            "r 1",  // revert the auto-updated SPRING_DATASOURCE_URL
            "e 2", "sk_live_1",  // edit STRIPE_KEY
            "",  // next
            "p",  // 4: prod defaults
            "e web", "3", "", "",  // web: 3 replicas, keep limits
            "",  // next
            "y",  // 5: create
        ]
        let r = try c.kipInTerminal(
            ["project", "add-env", p, "prod", "--copy-from", "test", "--customize"], input: keys,
            waitFor: "Continue? [Y/n] ")
        XCTAssertEqual(r.code, 0, r.stdout)
        for step in [
            "Step 1/5 — Source & target", "Step 2/5 — Routes", "Step 3/5 — Env vars", "Step 4/5 — Resources",
            "Step 5/5 — Review",
        ] {
            XCTAssertTrue(r.stdout.contains(step), "missing \(step)")
        }
        XCTAssertTrue(r.stdout.contains("Services (1): db (postgres 16, 1Gi)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("suspect, auto-updated"), r.stdout)
        XCTAssertTrue(r.stdout.contains("2 apps with overrides: api, web"), r.stdout)
        let api = try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", ns("prod")])
        XCTAssertEqual(api.at("spec", "route", "host"), "shop.persohr.eu")
        XCTAssertEqual(api.at("spec", "replicas"), 2)
        XCTAssertEqual(api.at("spec", "resources", "memoryLimit"), "1536Mi")
        let env = api.at("spec", "env")!.arrayValue!
        XCTAssertTrue(
            env.contains([
                "name": "SPRING_DATASOURCE_URL", "value": .string("jdbc:postgresql://db.\(ns("test")).svc:5432/db"),
            ]), "reverted")
        XCTAssertTrue(env.contains(["name": "STRIPE_KEY", "value": "sk_live_1"]))
        XCTAssertEqual(
            try c.kubectlJSON(["get", "apps.kipper.run", "web", "-n", ns("prod")]).at("spec", "replicas"), 3)
    }

    func testInterruptedCopyIsCompletedByARerunAndForeignObjectsAreRefused() throws {
        try setUp(E2ECluster(self, faults: ["PATCH /apis/apps/v1/namespaces/shop-prod/statefulsets/db:500:once"]))
        let first = c.kip(["project", "add-env", p, "prod", "--copy-from", "test"])
        XCTAssertEqual(first.code, 1)
        XCTAssertTrue(first.stderr.contains("run the same command again to finish the copy"), first.stderr)
        XCTAssertEqual(try c.names("statefulsets", namespace: ns("prod")), [])
        let again = c.kip(["project", "add-env", p, "prod", "--copy-from", "test"])
        XCTAssertEqual(again.code, 0, "\(again)")
        XCTAssertTrue(again.stdout.hasPrefix("Completing environment \"prod\""), again.stdout)
        XCTAssertEqual(try c.names("statefulsets", namespace: ns("prod")), ["db"])
        XCTAssertEqual(try c.names("apps.kipper.run", namespace: ns("prod")), ["api", "web"], "never duplicated")
        XCTAssertEqual(c.kip(["project", "diff", p, "test", "prod"]).code, 0)
        // Something that did not come from this copy: the copy is refused.
        XCTAssertEqual(
            c.kip(["app", "deploy", "--name", "extra", "--image", "x", "--port", "80", "--project", "\(p!)/prod"]).code,
            0)
        let refused = c.kip(["project", "add-env", p, "prod", "--copy-from", "test"])
        XCTAssertEqual(refused.code, 1)
        XCTAssertEqual(
            refused.stderr,
            "Error: environment prod already holds app extra that did not come from copying test: copy into a new environment\n"
        )
    }
}
