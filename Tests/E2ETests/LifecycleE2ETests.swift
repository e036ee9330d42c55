import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Pipelines that grow and change, protected and short-lived environments, and the
/// day-to-day verbs logs and restart.
final class LifecycleE2ETests: XCTestCase {
    var c: E2ECluster!
    var p: String!

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        p = c.name("myapp")
    }

    func kip(_ line: String) -> Run {
        c.kip(line.replacingOccurrences(of: "PROJ", with: p).split(separator: " ").map(String.init))
    }

    func order() throws -> [String: String] {
        let list = try c.kubectlJSON(["get", "namespaces", "-l", "\(Keys.project)=\(p!)"])["items"]?.arrayValue ?? []
        var out: [String: String] = [:]
        for n in list {
            out[n.at("metadata", "name")?.stringValue ?? ""] = n.at("metadata", "labels", Keys.envOrder)?.stringValue
        }
        return out
    }

    /// The product page's simple project gains a prod (default keeps its namespace),
    /// then a staging slot before prod; a reorder moves them; the namespaces' order
    /// labels follow.
    func testASimpleProjectGrowsAndReorders() throws {
        XCTAssertEqual(kip("project create PROJ").code, 0)
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ --wait").code, 0)
        let prod = kip("project add-env PROJ prod")
        XCTAssertEqual(prod.code, 0, "\(prod)")
        XCTAssertTrue(prod.stdout.contains("Promotion pipeline: default → prod"), prod.stdout)
        XCTAssertEqual(try order(), [p!: "0", "\(p!)-prod": "1"])
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ/default").code, 0)
        let staging = kip("project add-env PROJ staging --before prod")
        XCTAssertEqual(staging.code, 0, "\(staging)")
        XCTAssertTrue(staging.stdout.contains("default → staging → prod"), staging.stdout)
        XCTAssertEqual(try order(), [p!: "0", "\(p!)-staging": "1", "\(p!)-prod": "2"])
        XCTAssertEqual(kip("project add-env PROJ qa --after nowhere").stderr.hasPrefix("Error: project"), true)
        let reorder = kip("project reorder PROJ default,prod,staging")
        XCTAssertEqual(reorder.code, 0, "\(reorder)")
        XCTAssertEqual(try order(), [p!: "0", "\(p!)-prod": "1", "\(p!)-staging": "2"])
        let bad = kip("project reorder PROJ default,prod")
        XCTAssertEqual(bad.code, 1)
        XCTAssertTrue(bad.stderr.contains("it leaves out staging"), bad.stderr)
        // Promotion follows the pipeline: default → prod is one stage now.
        XCTAssertEqual(kip("app promote api --to prod --project PROJ --yes").code, 0)
    }

    /// A protected prod: remove-env --yes refused, naming it works; service delete and
    /// deploy --reset there need it named; 🔒 in the list.
    func testProtectedEnvironmentsNeedToBeNamed() throws {
        XCTAssertEqual(kip("project create PROJ --environments test,prod").code, 0)
        XCTAssertEqual(kip("service add redis --name cache --project PROJ/prod").code, 0)
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ/prod").code, 0)
        let on = kip("project protect PROJ/prod")
        XCTAssertEqual(on.code, 0, "\(on)")
        XCTAssertTrue(kip("project list").stdout.contains("test, prod 🔒"))
        let remove = kip("project remove-env PROJ prod --yes")
        XCTAssertEqual(remove.code, 1)
        XCTAssertEqual(
            remove.stderr,
            "Error: \(p!)/prod is protected: to remove it, pass --confirm-env prod (--yes is not enough)\n")
        let svc = kip("service delete cache --project PROJ/prod --yes")
        XCTAssertEqual(svc.code, 1)
        XCTAssertTrue(svc.stderr.contains("to delete service cache, pass --confirm-env prod"), svc.stderr)
        XCTAssertEqual(kip("app deploy --name api --image r/api:2 --port 3000 --reset --project PROJ/prod").code, 1)
        XCTAssertEqual(kip("project delete PROJ --yes").code, 1)
        XCTAssertTrue(try c.names("namespaces").contains("\(p!)-prod"), "nothing removed")
        XCTAssertEqual(kip("service delete cache --project PROJ/prod --yes --confirm-env prod").code, 0)
        // Lifting protection needs the environment named too.
        XCTAssertEqual(kip("project unprotect PROJ prod").code, 1)
        XCTAssertEqual(kip("project unprotect PROJ prod --confirm-env prod").code, 0)
        XCTAssertEqual(kip("project remove-env PROJ prod --yes").code, 0)
    }

    /// A preview environment with a TTL is removed by `project gc` once its time is up;
    /// a protected one never is; before that, gc removes nothing.
    func testShortLivedEnvironmentsAreCollected() throws {
        XCTAssertEqual(kip("project create PROJ --environments test").code, 0)
        XCTAssertEqual(kip("project add-env PROJ pr-7 --copy-from test --ttl 1s").code, 0)
        XCTAssertEqual(kip("project add-env PROJ pr-8 --ttl 1s").code, 0)
        XCTAssertEqual(kip("project add-env PROJ pr-9 --ttl 48h").code, 0)
        XCTAssertEqual(kip("project protect PROJ/pr-8").code, 0)
        let wide = kip("project list -o wide")
        XCTAssertTrue(wide.stdout.contains("pr-9 in 47h") || wide.stdout.contains("pr-9 in 48h"), wide.stdout)
        Thread.sleep(forTimeInterval: 1.5)
        let dry = kip("project gc --dry-run")
        XCTAssertEqual(dry.code, 0)
        XCTAssertTrue(dry.stderr.contains("Would delete namespace/\(p!)-pr-7"), dry.stderr)
        XCTAssertTrue(try c.names("namespaces").contains("\(p!)-pr-7"), "--dry-run removes nothing")
        let gc = kip("project gc")
        XCTAssertEqual(gc.code, 0, "\(gc)")
        XCTAssertTrue(gc.stdout.contains("✔ removed \(p!)/pr-7 (namespace \(p!)-pr-7; expired"), gc.stdout)
        let project = try c.kubectlJSON(["get", "projects.kipper.run", p])
        XCTAssertEqual(
            project.at("spec", "environments")?.arrayValue?.compactMap { $0["name"]?.stringValue },
            ["test", "pr-8", "pr-9"], "the protected one and the one not due stay")
        XCTAssertEqual(kip("project gc").stderr, "Nothing has expired.\n")
    }

    /// `app restart` rolls the pods (a new generation) and a later deploy keeps the
    /// restart mark; `app logs` prints every pod's lines, prefixed.
    func testRestartAndLogs() throws {
        XCTAssertEqual(kip("project create PROJ --environments test").code, 0)
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ/test").code, 0)
        let ns = "\(p!)-test"
        let g0 = try c.kubectlJSON(["get", "deployment", "api", "-n", ns]).at("metadata", "generation")?.intValue ?? 0
        // Its image exists only in the sandbox: a real cluster's rollout would not finish.
        let r = kip("app restart api --project PROJ/test" + (c.isReal ? "" : " --wait"))
        XCTAssertEqual(r.code, 0, "\(r)")
        let d = try c.kubectlJSON(["get", "deployment", "api", "-n", ns])
        XCTAssertGreaterThan(d.at("metadata", "generation")?.intValue ?? 0, g0)
        let mark = d.at("spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/restartedAt")
        XCTAssertNotNil(mark)
        // Followed to the end here: `kubectl logs -l` fails on a pod the rollout removes
        // between its listing and its read.
        XCTAssertEqual(kip("app set-image api r/api:2 --project PROJ/test" + (c.isReal ? "" : " --wait")).code, 0)
        XCTAssertEqual(
            try c.kubectlJSON(["get", "deployment", "api", "-n", ns]).at(
                "spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/restartedAt"), mark)
        XCTAssertEqual(kip("app restart nope --project PROJ/test").code, 1)
        if !c.isReal {
            let logs = kip("app logs api --project PROJ/test --tail 10")
            XCTAssertEqual(logs.code, 0, "\(logs)")
            XCTAssertTrue(logs.stdout.hasPrefix("[pod/api-"), logs.stdout)
        }
        XCTAssertEqual(kip("app logs api --since soon --project PROJ/test").code, 2)
    }
}
