import Foundation
import KipCore
import KipTestSupport
import XCTest

/// The product page's promotion walk, end to end.
final class PromotionE2ETests: XCTestCase {
    var c: E2ECluster!
    var p: String!

    func setUp(_ cluster: E2ECluster) throws {
        c = cluster
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        p = c.name("yourr-name")
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test,acc,prod"]).code, 0)
        // Each environment sized on its own: test one small replica, prod three big ones.
        for (env, replicas, mem) in [("test", "1", "256Mi"), ("acc", "2", "512Mi"), ("prod", "3", "1Gi")] {
            for (app, img) in [("api", "registry.example.com/api:v1.2.2"), ("worker", "registry.example.com/worker:1")]
            {
                let r = c.kip([
                    "app", "deploy", "--name", app, "--image", img, "--port", "3000", "--replicas", replicas,
                    "--memory-limit", mem,
                    "--env", "STAGE=\(env)", "--project", p, "--environment", env, "--wait",
                ])
                XCTAssertEqual(r.code, 0, "\(r)")
            }
        }
        XCTAssertEqual(
            c.kip([
                "app", "deploy", "--name", "api", "--image", "registry.example.com/api:v1.2.3", "--port", "3000",
                "--replicas", "1",
                "--memory-limit", "256Mi", "--env", "STAGE=test", "--project", p, "--environment", "test", "--wait",
            ]).code, 0)
    }

    func app(_ env: String, _ name: String) throws -> JSON {
        try c.kubectlJSON(["get", "apps.kipper.run", name, "-n", "\(p!)-\(env)"])
    }
    func deployment(_ env: String, _ name: String) throws -> JSON {
        try c.kubectlJSON(["get", "deployment", name, "-n", "\(p!)-\(env)"])
    }

    func testPromoteOneAppAlongThePipeline() throws {
        try setUp(E2ECluster(self))
        let r = c.kip(["app", "promote", "api", "--from", "test", "--to", "acc", "--project", p, "--yes", "-v"])
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertEqual(
            r.stdout,
            "Promote test → acc (\(p!))\nApps: api\n  api  acc: registry.example.com/api:v1.2.2 → registry.example.com/api:v1.2.3\n✔ api → acc (registry.example.com/api:v1.2.3)\n"
        )
        XCTAssertEqual(
            E2ECluster.kubectlCalls(r), 6,
            "the Project and settings by name, then both namespaces at once (Apps and Deployments only), one apply and its Event beside it"
        )
        let acc = try deployment("acc", "api")
        XCTAssertEqual(
            acc.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"],
            "registry.example.com/api:v1.2.3")
        XCTAssertEqual(acc.at("spec", "replicas"), 2, "replicas stay per environment")
        XCTAssertEqual(
            acc.at("spec", "template", "spec", "containers")?.arrayValue?.first?.at("resources", "limits", "memory"),
            "512Mi")
        XCTAssertEqual(
            acc.at("spec", "template", "spec", "containers")?.arrayValue?.first?["env"],
            [["name": "STAGE", "value": "acc"]])
        for o in [acc, try app("acc", "api")] {
            XCTAssertEqual(o.at("metadata", "annotations", "kipper.run/promoted-from"), "test")
            XCTAssertEqual(
                o.at("metadata", "annotations", "kipper.run/promoted-image"), "registry.example.com/api:v1.2.3")
            XCTAssertNotNil(
                o.at("metadata", "annotations", "kipper.run/promoted-at")?.stringValue?.range(
                    of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression))
        }
        // --to alone: from the stage before, once acc runs it Available.
        try eventually("acc rolled out") {
            // The counts describe the revision the controller has seen: until then they are
            // the previous one's.
            let d = try deployment("acc", "api")
            return d.at("status", "observedGeneration") == d.at("metadata", "generation")
                && d.at("status", "availableReplicas") == 2 && d.at("status", "updatedReplicas") == 2
                && d.at("status", "replicas") == 2
        }
        let prod = c.kip(["app", "promote", "api", "--to", "prod", "--project", p, "--yes"])
        XCTAssertEqual(
            prod.stdout,
            "Promote acc → prod (\(p!))\nApps: api\n  api  prod: registry.example.com/api:v1.2.2 → registry.example.com/api:v1.2.3\n✔ api → prod (registry.example.com/api:v1.2.3)\n",
            "\(prod)")
        XCTAssertEqual(try deployment("prod", "api").at("spec", "replicas"), 3)
        let history = try JSON.parse(c.kip(["app", "history", "api", "--project", "\(p!)/prod", "-o", "json"]).stdout)
        // The deploy that created it, then the promotion.
        XCTAssertEqual(history.arrayValue?.map { $0["action"]?.stringValue ?? "" }, ["deploy", "promote"])
        XCTAssertEqual(history.arrayValue?.last?["imageBefore"], "registry.example.com/api:v1.2.2")
        XCTAssertEqual(history.arrayValue?.last?["from"], "acc")
        // A redeploy keeps the recorded history.
        XCTAssertEqual(
            c.kip([
                "app", "deploy", "--name", "api", "--image", "registry.example.com/api:v1.2.3", "--port", "3000",
                "--replicas", "3",
                "--project", p, "--environment", "prod",
            ]).code, 0)
        XCTAssertEqual(Promotion.history(try app("prod", "api")).count, 2, "same image: nothing recorded")
        // Rollback restores the image before, recorded as a rollback.
        let rb = c.kip(["app", "rollback", "api", "--project", "\(p!)/prod", "--yes"])
        XCTAssertEqual(
            rb.stdout, "✔ api rolled back to registry.example.com/api:v1.2.2 in \(p!)-prod (undoing revision 2)\n",
            "\(rb)")
        XCTAssertEqual(
            try deployment("prod", "api").at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"],
            "registry.example.com/api:v1.2.2")
        XCTAssertEqual(Promotion.history(try app("prod", "api")).map(\.action), ["deploy", "promote", "rollback"])
    }

    func testPromoteAllAndDryRun() throws {
        try setUp(E2ECluster(self))
        XCTAssertEqual(
            c.kip([
                "app", "deploy", "--name", "worker", "--image", "registry.example.com/worker:2", "--port", "3000",
                "--project", p, "--environment", "test", "--wait",
            ]).code, 0)
        let dry = c.kip(["app", "promote", "--all", "--from", "test", "--to", "acc", "--project", p, "--dry-run"])
        XCTAssertEqual(
            dry.stdout,
            """
            Promote test → acc (\(p!))
            api     acc: registry.example.com/api:v1.2.2 → registry.example.com/api:v1.2.3
            worker  acc: registry.example.com/worker:1 → registry.example.com/worker:2

            """)
        XCTAssertEqual(
            try app("acc", "api").at("spec", "image"), "registry.example.com/api:v1.2.2", "dry run writes nothing")
        let all = c.kip(["app", "promote", "--all", "--from", "test", "--to", "acc", "--project", p, "--yes", "-v"])
        XCTAssertEqual(all.code, 0, "\(all)")
        XCTAssertEqual(
            E2ECluster.kubectlCalls(all), 6,
            "as for one app (the Events told beside the write): reads do not grow with apps")
        XCTAssertTrue(
            all.stdout.hasSuffix(
                "✔ api → acc (registry.example.com/api:v1.2.3)\n✔ worker → acc (registry.example.com/worker:2)\nDone: 2 of 2 promoted\n"
            ), all.stdout)
        let again = c.kip(["app", "promote", "--all", "--to", "acc", "--project", p, "--yes"])
        XCTAssertTrue(
            again.stdout.contains("= api already runs registry.example.com/api:v1.2.3 in acc\n"), again.stdout)
        XCTAssertTrue(again.stdout.hasSuffix("Done: 0 of 2 promoted\n"))
        XCTAssertEqual(again.code, 0)
    }

    func testRefusalsWriteNothing() throws {
        try setUp(E2ECluster(self))
        if c.isReal { throw XCTSkip("counts writes in the sandbox's request log") }
        XCTAssertEqual(
            c.kip([
                "app", "deploy", "--name", "solo", "--image", "r/solo:1", "--port", "80", "--project", p,
                "--environment", "test",
            ]).code, 0)
        let before = c.requests().filter { $0["method"] != "GET" }.count
        let cases: [([String], String)] = [
            (
                ["solo", "--from", "test", "--to", "acc", "--no-create"],
                "Error: app solo does not exist in acc: create it first with 'kip app deploy --name solo --image IMAGE --port PORT --project \(p!) --environment acc'\n"
            ),
            (
                ["ghost", "--from", "test", "--to", "acc"],
                "Error: app ghost does not exist in test: nothing to promote\n"
            ),
            (
                ["api", "--from", "test", "--to", "staging"],
                "Error: project \"\(p!)\" has no environment \"staging\"; its pipeline is test → acc → prod\n"
            ),
            (
                ["api", "--from", "acc", "--to", "acc"],
                "Error: source and target are both acc: promote between two environments\n"
            ),
            (
                ["api", "--from", "test", "--to", "prod"],
                "Error: test → prod skips acc: pass --force to do it anyway, or promote one stage at a time\n"
            ),
            (
                ["api", "--from", "prod", "--to", "acc"],
                "Error: prod → acc goes backwards along test → acc → prod: pass --force to do it anyway\n"
            ),
        ]
        for (args, err) in cases {
            let r = c.kip(["app", "promote"] + args + ["--project", p, "--yes"])
            XCTAssertEqual(r.code, 1, "\(args)")
            XCTAssertEqual(r.stderr, err, "\(args)")
        }
        let noTTY = c.kip(["app", "promote", "api", "--from", "test", "--to", "acc", "--project", p])
        XCTAssertEqual(noTTY.code, 1)
        XCTAssertTrue(
            noTTY.stderr.hasSuffix("Error: Promote to acc: no terminal to ask on; pass --yes to go ahead\n"),
            noTTY.stderr)
        XCTAssertEqual(c.requests().filter { $0["method"] != "GET" }.count, before)
        // --force goes, and says what it is.
        let forced = c.kip([
            "app", "promote", "api", "--from", "test", "--to", "prod", "--force", "--project", p, "--yes",
        ])
        XCTAssertEqual(forced.code, 0)
        XCTAssertEqual(forced.stderr, "⚠ test → prod skips acc (--force)\n")
    }

    func testAFailedWriteDuringAllIsReportedPerApp() throws {
        try setUp(
            E2ECluster(
                self, faults: ["PATCH /apis/kipper.run/v1alpha1/namespaces/yourr-name-acc/apps/worker:500:after-1"]))
        XCTAssertEqual(
            c.kip([
                "app", "deploy", "--name", "worker", "--image", "registry.example.com/worker:2", "--port", "3000",
                "--project", p, "--environment", "test", "--wait",
            ]).code, 0)
        let r = c.kip(["app", "promote", "--all", "--from", "test", "--to", "acc", "--project", p, "--yes"])
        XCTAssertEqual(r.code, 1)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[2], "  api     acc: registry.example.com/api:v1.2.2 → registry.example.com/api:v1.2.3")
        XCTAssertEqual(lines[3], "  worker  acc: registry.example.com/worker:1 → registry.example.com/worker:2")
        XCTAssertEqual(lines[4], "✔ api → acc (registry.example.com/api:v1.2.3)")
        XCTAssertTrue(
            lines[5].hasPrefix("✗ worker: not promoted: kubectl failed: Error from server (InternalError)"), lines[5])
        XCTAssertEqual(lines[6], "Done: 1 of 2 promoted, 1 failed")
        XCTAssertEqual(try app("acc", "worker").at("spec", "image"), "registry.example.com/worker:1")
    }
}
