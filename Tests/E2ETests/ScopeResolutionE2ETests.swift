import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Every way of naming where a command acts, used by someone whose rights stop at their
/// own environments, on a cluster installed with an org, from an empty `KIP_HOME` (a CI
/// runner): kip reads the Project first and never mistakes a refusal of its own guess
/// for the user's problem.
final class ScopeResolutionE2ETests: XCTestCase {
    var c: E2ECluster!
    var dev: String!

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        if c.isReal { throw XCTSkip("acts as other users by impersonating, from the sandbox's admin kubeconfig") }
        XCTAssertEqual(c.kip("install --org acme --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", "shop", "--environments", "test,acc,prod"]).code, 0)
        XCTAssertEqual(
            c.kip(["app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "80", "--project", "shop/test"])
                .code, 0)
        XCTAssertEqual(c.kip("project grant dev --role developer --environment test --project shop").code, 0)
        dev = try c.impersonating("dev")
    }

    /// kip as dev, with a fresh, empty KIP_HOME each time unless `home` is given.
    func kip(_ args: [String], env: [String: String] = [:], home: String? = nil) -> Run {
        let h = home ?? c.home + "/empty-\(UUID().uuidString.prefix(8))"
        var e = ["KUBECONFIG": dev!, "KIP_HOME": h]
        for (k, v) in env { e[k] = v }
        return c.kip(args, env: e)
    }

    func testANamespaceScopedDeveloperUsesEveryForm() throws {
        for (args, env) in [
            (["app", "list", "--project", "shop", "--environment", "test"], [:]),
            (["app", "list", "--project", "shop/test"], [:]),
            (["app", "list", "--project", "acme-shop-test"], [:]),
            (["app", "list"], ["KIP_PROJECT": "shop", "KIP_ENVIRONMENT": "test"]),
            (["app", "list", "--environment", "test"], ["KIP_PROJECT": "shop"]),
            (["app", "list", "--environment", "test"], ["KIP_PROJECT": "shop/acc"]),
        ] as [([String], [String: String])] {
            let r = kip(args, env: env)
            XCTAssertEqual(r.code, 0, "\(args.joined(separator: " ")) \(env): \(r)")
            XCTAssertTrue(r.stdout.contains("r/api:1"), "\(args.joined(separator: " ")): \(r)")
        }
        // The active project, set from an empty KIP_HOME, then bare commands.
        let home = c.home + "/ci-runner"
        XCTAssertEqual(kip(["project", "use", "shop/test"], home: home).code, 0)
        let bare = kip(["app", "list"], home: home)
        XCTAssertEqual(bare.code, 0, "\(bare)")
        XCTAssertTrue(bare.stdout.contains("r/api:1"), "\(bare)")
        let write = kip(["app", "env", "set", "api", "A=1"], home: home)
        XCTAssertEqual(write.code, 0, "\(write)")
    }

    func testARefusalNamesTheEnvironmentAndTheGrant() throws {
        let r = kip(["app", "list", "--project", "shop", "--environment", "prod"])
        XCTAssertEqual(r.code, 1, "\(r)")
        let first = String(r.stderr.split(separator: "\n").first ?? "")
        XCTAssertTrue(first.hasPrefix("Error: you cannot run 'kip app list' in shop/prod: user \"dev\" lacks "), first)
        XCTAssertTrue(
            first.hasSuffix("'kip project grant dev --role viewer --environment prod --project shop'"), first)
        XCTAssertFalse(r.stderr.contains("kubectl create rolebinding"), r.stderr)
    }

    func testExportAndDriftReadOnlyTheEnvironmentActedOn() throws {
        let export = kip(["project", "export", "shop", "test"])
        XCTAssertEqual(export.code, 0, "\(export)")
        XCTAssertTrue(export.stdout.contains("r/api:1"), export.stdout)
        let drift = kip(["project", "drift", "shop", "test"])
        XCTAssertEqual(drift.code, 0, "\(drift)")
        // Outside their environments: refused, and an error is exit 2 for a gate.
        XCTAssertEqual(kip(["project", "drift", "shop", "prod"]).code, 2)
    }

    func testAProjectAdminAppliesAFileWithoutOtherRights() throws {
        XCTAssertEqual(c.kip("project grant boss --role admin --project shop").code, 0)
        let boss = try c.impersonating("boss")
        let env = ["KUBECONFIG": boss, "KIP_HOME": c.home + "/boss"]
        let export = c.kip(["project", "export", "shop", "--all"], env: env)
        XCTAssertEqual(export.code, 0, "\(export)")
        let file = c.home + "/shop.yaml"
        try export.stdout.replacingOccurrences(of: "r/api:1", with: "r/api:2").write(
            toFile: file, atomically: true, encoding: .utf8)
        let dry = c.kip(["project", "apply", "-f", file, "--dry-run"], env: env)
        XCTAssertEqual(dry.code, 1, "changes pending: \(dry)")
        XCTAssertTrue(dry.stdout.contains("~ test: app api"), dry.stdout)
        let apply = c.kip(["project", "apply", "-f", file], env: env)
        XCTAssertEqual(apply.code, 0, "\(apply)")
        XCTAssertEqual(c.kip(["project", "apply", "-f", file, "--dry-run"], env: env).code, 0)
        // A file that cannot be read is an error, not "changes pending".
        XCTAssertEqual(c.kip(["project", "apply", "-f", c.home + "/nope.yaml", "--dry-run"], env: env).code, 2)
    }

    func testAGrownSimpleProjectKeepsItsName() throws {
        XCTAssertEqual(c.kip(["project", "create", "myapp"]).code, 0)
        XCTAssertEqual(
            c.kip(["app", "deploy", "--name", "web", "--image", "r/web:1", "--port", "80", "--project", "myapp"]).code,
            0)
        XCTAssertEqual(c.kip(["project", "add-env", "myapp", "prod"]).code, 0)
        let r = c.kip(["app", "set-image", "web", "r/web:2", "--project", "myapp"])
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("acme-myapp"), "\(r)")
        let app = try c.kubectlJSON(["get", "apps.kipper.run", "web", "-n", "acme-myapp"])
        XCTAssertEqual(app.at("spec", "image")?.stringValue, "r/web:2")
    }
}
