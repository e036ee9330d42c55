import Foundation
import KipCore
import KipTestSupport
import XCTest

/// kip's roles against the sandbox's RBAC: users whose rights stop at the project's
/// namespaces, granted with `kip project grant`, plus `kip-reader` cluster-wide (as
/// `kip install` binds it to every authenticated user).
final class LeastPrivilegeE2ETests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        if c.isReal { throw XCTSkip("acts as other users by impersonating, from the sandbox's admin kubeconfig") }
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", "shop", "--environments", "test,acc,prod"]).code, 0)
    }

    /// A kubeconfig for the same server, acting as `user` (in `groups`).
    func config(_ user: String, groups: [String] = []) throws -> String {
        try c.impersonating(user, groups: groups)
    }

    func kip(_ cfg: String?, _ args: [String], stdin: String? = nil) -> Run {
        c.kip(args, stdin: stdin, env: cfg.map { ["KUBECONFIG": $0, "KIP_HOME": $0 + ".home"] } ?? [:])
    }

    func firstLine(_ r: Run) -> String { String(r.stderr.split(separator: "\n").first ?? "") }

    /// The issue's walk: deploy → env set → secret set → promote test→acc.
    func walk(_ cfg: String?) {
        for (args, stdin) in [
            (
                ["app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "3000", "--project", "shop/test"],
                nil
            ),
            (["app", "env", "set", "api", "LOG=debug", "--project", "shop/test"], nil),
            (["app", "secret", "set", "api", "TOKEN", "--project", "shop/test"], "t0k"),
            (["app", "deploy", "--name", "api", "--image", "r/api:0", "--port", "3000", "--project", "shop/acc"], nil),
            (
                [
                    "app", "deploy", "--name", "api", "--image", "r/api:2", "--port", "3000", "--project", "shop/test",
                    "--wait",
                ],
                nil
            ),
            (["app", "promote", "api", "--to", "acc", "--project", "shop", "--yes"], nil),
        ] as [([String], String?)] {
            let r = kip(cfg, args, stdin: stdin)
            XCTAssertEqual(r.code, 0, "\(args.joined(separator: " ")): \(r)")
        }
        XCTAssertTrue(kip(cfg, ["app", "list", "--project", "shop/acc"]).stdout.contains("r/api:2"))
    }

    func testADeveloperWalksTheirEnvironmentsAndIsRefusedElsewhere() throws {
        let granted = c.kip("project grant dev --role developer --environment test --environment acc --project shop")
        XCTAssertEqual(granted.stdout, "✔ user dev is developer in shop: test, acc\n", "\(granted)")
        let dev = try config("dev", groups: ["developers"])
        walk(dev)

        // Outside their environments: one line saying what they lack and how to get it.
        let prod = kip(
            dev, ["app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "3000", "--project", "shop/prod"])
        XCTAssertEqual(prod.code, 1)
        XCTAssertEqual(
            firstLine(prod),
            "Error: you cannot run 'kip app deploy' in shop/prod: user \"dev\" lacks \"get namespaces\" in namespace shop-prod; a project admin can run 'kip project grant dev --role developer --environment prod --project shop'"
        )
        let promoteProd = kip(dev, ["app", "promote", "api", "--to", "prod", "--project", "shop", "--yes"])
        XCTAssertEqual(promoteProd.code, 1)
        XCTAssertTrue(
            firstLine(promoteProd).hasPrefix(
                "Error: you cannot run 'kip app promote' in shop/prod: user \"dev\" lacks "),
            promoteProd.stderr)
        let delete = kip(dev, ["project", "delete", "shop", "--yes"])
        XCTAssertEqual(delete.code, 1)
        XCTAssertTrue(firstLine(delete).contains("user \"dev\" lacks "), delete.stderr)
        let install = kip(dev, ["install"])
        XCTAssertEqual(install.code, 1)
        XCTAssertTrue(
            firstLine(install).hasPrefix("Error: you cannot run 'kip install': user \"dev\" lacks "), install.stderr)
        let grant = kip(
            dev, ["project", "grant", "eve", "--role", "viewer", "--environment", "test", "--project", "shop"])
        XCTAssertEqual(grant.code, 1)
        XCTAssertTrue(firstLine(grant).hasSuffix("--role admin --environment test --project shop'"), grant.stderr)
        XCTAssertTrue(try c.names("namespaces").contains("shop-prod"), "nothing was deleted")
        XCTAssertEqual(c.clusterWideLists(), [], "no read across all namespaces")

        // What they may do, as the API server says.
        let access = kip(dev, ["project", "access", "--project", "shop"])
        XCTAssertEqual(
            access.stdout,
            """
            Your access to project shop:
            ENVIRONMENT   ROLE        VIEW   DEPLOY   SECRETS   GRANT
            test          developer   yes    yes      yes       no
            acc           developer   yes    yes      yes       no
            prod          none        no     no       no        no

            """, "\(access)")
    }

    func testTheSameWalkAsTheAdministrator() throws {
        walk(nil)
        XCTAssertEqual(
            c.kip(["app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "3000", "--project", "shop/prod"])
                .code, 0)
        XCTAssertEqual(c.kip(["app", "promote", "api", "--to", "prod", "--project", "shop", "--yes"]).code, 0)
        XCTAssertEqual(c.clusterWideLists(), [], "no read across all namespaces, even for the administrator")
    }

    func testAViewerListsAndShowsButReadsNoSecretValues() throws {
        XCTAssertEqual(
            c.kip("app deploy --name api --image r/api:1 --port 3000 --project shop/test").code, 0)
        XCTAssertEqual(
            c.kip(["app", "secret", "set", "api", "TOKEN", "--project", "shop/test"], stdin: "s3cret").code, 0)
        XCTAssertEqual(c.kip("service add postgres --name db --project shop/test").code, 0)
        XCTAssertEqual(c.kip("project grant --group qa --role viewer --project shop").code, 0)
        let vic = try config("vic", groups: ["qa"])

        XCTAssertTrue(kip(vic, ["app", "list", "--project", "shop/test"]).stdout.contains("api "))
        let show = kip(vic, ["app", "show", "api", "--project", "shop/test"])
        XCTAssertEqual(show.code, 0, "\(show)")
        XCTAssertTrue(
            show.stdout.contains("Secrets:    (not shown: you may not read secrets in shop-test)"), show.stdout)
        let info = kip(vic, ["service", "info", "db", "--project", "shop/test"])
        XCTAssertEqual(info.code, 0, "\(info)")
        XCTAssertTrue(info.stderr.contains("the credentials are not shown"), info.stderr)
        XCTAssertFalse(info.stdout.contains("postgres://"), "no credentials")
        XCTAssertEqual(kip(vic, ["project", "members", "shop"]).code, 0)

        let values = kip(vic, ["app", "secret", "list", "api", "--project", "shop/test"])
        XCTAssertEqual(values.code, 1)
        XCTAssertTrue(firstLine(values).hasSuffix("--role developer --environment test --project shop'"), values.stderr)
        let deploy = kip(
            vic, ["app", "deploy", "--name", "web", "--image", "r/w:1", "--port", "80", "--project", "shop/test"])
        XCTAssertEqual(deploy.code, 1)
        XCTAssertTrue(firstLine(deploy).contains("lacks"), deploy.stderr)
        XCTAssertFalse(try c.names("apps.kipper.run", namespace: "shop-test").contains("web"))
    }

    func testGrantRevokeAndMembersRoundTrip() throws {
        XCTAssertEqual(c.kip("project grant dev --role developer --environment test --project shop").code, 0)
        XCTAssertEqual(c.kip("project grant --group qa --role viewer --project shop").code, 0)
        XCTAssertEqual(
            c.kip("project members shop").stdout,
            """
            MEMBER   KIND    ROLE        ENVIRONMENTS
            qa       Group   viewer      test, acc, prod (all)
            dev      User    developer   test

            """)
        // A new environment gets the project's default bindings, not the per-environment ones.
        XCTAssertEqual(c.kip("project add-env shop staging").code, 0)
        let members = try JSON.parse(c.kip("project members shop -o json").stdout)
        XCTAssertEqual(
            members.arrayValue?.first { $0["name"] == "qa" }?["environments"], ["test", "acc", "prod", "staging"])
        XCTAssertEqual(members.arrayValue?.first { $0["name"] == "dev" }?["environments"], ["test"])
        let binding = try c.kubectlJSON(["get", "rolebinding", "kip-viewer-group-qa", "-n", "shop-staging"])
        XCTAssertEqual(binding.at("metadata", "labels", "kipper.run/project"), "shop")
        XCTAssertEqual(binding.at("metadata", "ownerReferences")?.arrayValue?.first?["kind"], "Project")

        // One role per member and environment: granting another replaces it.
        XCTAssertEqual(c.kip("project grant dev --role admin --environment test --project shop").code, 0)
        XCTAssertEqual(
            try c.names("rolebindings", namespace: "shop-test").filter { $0.contains("-user-dev") },
            ["kip-admin-user-dev"])
        let dev = try config("dev")
        // An admin of test grants there, and only there.
        XCTAssertEqual(
            kip(dev, ["project", "grant", "eve", "--role", "viewer", "--environment", "test", "--project", "shop"])
                .code, 0)
        XCTAssertEqual(
            kip(dev, ["project", "grant", "eve", "--role", "viewer", "--environment", "acc", "--project", "shop"]).code,
            1)

        let revoked = c.kip("project revoke dev --project shop")
        XCTAssertEqual(revoked.stdout, "✔ user dev has no role any more in shop: test\n", "\(revoked)")
        XCTAssertEqual(kip(dev, ["app", "list", "--project", "shop/test"]).code, 1, "no access once revoked")
        let again = c.kip("project revoke dev --project shop")
        XCTAssertEqual(again.code, 1)
        XCTAssertEqual(again.stderr, "Error: user dev has no role in shop: see 'kip project members shop'\n")
        let bad = c.kip("project grant dev --role owner --project shop")
        XCTAssertEqual(bad.code, 2)
    }

    /// Each rule of each role is needed: the role's walk succeeds with the whole role and
    /// is refused, with the one-line message, once any single rule is taken away (a test
    /// per role, so that they run side by side).
    func testEachRuleOfTheViewerRoleIsNeeded() throws { try eachRuleIsNeeded(KipRoles.viewer) }
    func testEachRuleOfTheDeveloperRoleIsNeeded() throws { try eachRuleIsNeeded(KipRoles.developer) }
    func testEachRuleOfTheAdminRoleIsNeeded() throws { try eachRuleIsNeeded(KipRoles.admin) }
    func testEachRuleOfTheReaderRoleIsNeeded() throws { try eachRuleIsNeeded(KipRoles.reader) }

    func eachRuleIsNeeded(_ only: String) throws {
        // Approvals: read by history (and promote), written by admins alone.
        XCTAssertEqual(c.kip("project protect shop/test --require-approval").code, 0)
        XCTAssertEqual(
            c.kip("app deploy --name api --image r/api:1 --port 3000 --autoscale 1:3 --project shop/test").code, 0)
        XCTAssertEqual(c.kip("service add postgres --name db --project shop/test").code, 0)
        XCTAssertEqual(c.kip("volume add data --size 1Gi --project shop/test").code, 0)
        XCTAssertEqual(
            c.kip(["job", "add", "nightly", "--image", "r/j:1", "--schedule", "0 3 * * *", "--project", "shop/test"])
                .code, 0)
        let t = ["--project", "shop/test"]
        let viewerWalk: [[String]] = [
            ["app", "list"] + t, ["app", "show", "api"] + t, ["service", "info", "db"] + t, ["volume", "list"] + t,
            ["job", "list"] + t, ["project", "members", "shop"], ["project", "show", "shop"],
            ["app", "history", "api"] + t, ["project", "quota", "shop/test"], ["project", "drift", "shop", "test"],
        ]
        // What only one command needs comes early: a rule taken away is found without
        // walking the rest.
        let developerWalk: [[String]] = [
            ["app", "deploy", "--name", "web", "--image", "r/w:1", "--port", "80", "--autoscale", "1:2", "--wait"] + t,
            ["app", "exec", "web"] + t + ["--", "true"], ["service", "connect", "db"] + t + ["--", "true"],
            ["project", "quota", "shop/test"], ["app", "secret", "set", "web", "TOKEN"] + t,
            ["service", "add", "redis", "--name", "cache"] + t, ["volume", "add", "files", "--size", "1Gi"] + t,
            ["job", "add", "hourly", "--image", "r/j:1", "--schedule", "0 * * * *"] + t,
            ["project", "members", "shop"], ["app", "logs", "web"] + t, ["app", "history", "web"] + t,
        ]
        let adminWalk =
            developerWalk + [
                ["project", "grant", "eve", "--role", "viewer", "--environment", "test", "--project", "shop"],
                ["app", "approve", "web", "--to", "test", "--image", "r/w:2", "--project", "shop"],
            ]
        let readerWalk: [[String]] = [["project", "list"], ["project", "access", "--project", "shop"]]
        let walks: [(role: String, user: String, walk: [[String]])] = [
            (KipRoles.viewer, "vic", viewerWalk), (KipRoles.developer, "dev", developerWalk),
            (KipRoles.admin, "ada", adminWalk), (KipRoles.reader, "rob", readerWalk),
        ]
        XCTAssertEqual(walks.filter { $0.role == only }.count, 1, "a walk for \(only)")
        for (role, user, _) in walks where role != KipRoles.reader {
            let r = c.kip([
                "project", "grant", user, "--role", String(role.dropFirst(4)), "--environment", "test", "--project",
                "shop",
            ])
            XCTAssertEqual(r.code, 0, "\(r)")
        }
        func setRules(_ role: String, _ rules: [JSON]) {
            let cr: JSON = [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": ["name": .string(role)], "rules": .array(rules),
            ]
            let r = c.kubectl(
                ["apply", "--server-side", "--field-manager=kip", "--force-conflicts", "-f", "-"],
                stdin: cr.serialized())
            XCTAssertEqual(r.code, 0, "\(r)")
        }
        func run(_ cfg: String, _ walk: [[String]]) -> Run? {
            for args in walk {
                let r = kip(cfg, args, stdin: "v")
                if r.code != 0 { return r }
            }
            return nil
        }
        for (role, user, walk) in walks where role == only {
            let cfg = try config(user)
            let rules = KipRoles.rules[role]!
            XCTAssertNil(run(cfg, walk).map { "\(role): \($0)" }, "the whole role suffices")
            for i in rules.indices {
                var fewer = rules
                fewer.remove(at: i)
                setRules(role, fewer)
                // kip-reader also lets every user claim a route host: a developer's new app
                // with a route needs it.
                let devCfg = try config("dev")
                let refused =
                    run(cfg, walk)
                    ?? (role == KipRoles.reader
                        ? run(
                            devCfg, [["app", "deploy", "--name", "claim\(i)", "--image", "r/w:1", "--port", "80"] + t])
                        : nil)
                XCTAssertNotNil(refused, "\(role) without \(rules[i].serialized()): nothing refused")
                if let refused {
                    XCTAssertTrue(
                        firstLine(refused).contains("user \"\(user)\" lacks ")
                            || (role == KipRoles.reader && firstLine(refused).contains("user \"dev\" lacks ")),
                        "\(role) without \(rules[i].serialized()): \(refused)")
                }
                setRules(role, rules)
            }
        }
    }
}
