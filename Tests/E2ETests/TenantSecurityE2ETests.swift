import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Users of a shared cluster trying to reach past their grants, with the real kubectl
/// against kip-sandbox's RBAC: each attack is refused or has no effect, and kip says so.
final class TenantSecurityE2ETests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        if c.isReal { throw XCTSkip("acts as other users by impersonating, from the sandbox's admin kubeconfig") }
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", "shop", "--environments", "test,prod"]).code, 0)
    }

    /// A kubeconfig acting as `user`.
    func config(_ user: String) throws -> String { try c.impersonating(user) }

    func kip(as user: String, _ args: [String], stdin: String? = nil) throws -> Run {
        let cfg = try config(user)
        return c.kip(args, stdin: stdin, env: ["KUBECONFIG": cfg, "KIP_HOME": cfg + ".home"])
    }

    func kubectl(as user: String, _ args: [String], stdin: String? = nil) throws -> Run {
        c.run(["kubectl", "--kubeconfig", try config(user)] + args, stdin: stdin)
    }

    func subjects(_ ns: String) throws -> [String] {
        let list = try c.kubectlJSON(["get", "rolebindings", "-n", ns])
        return (list["items"]?.arrayValue ?? []).flatMap { b in
            (b["subjects"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }.sorted()
    }

    /// H1: an admin of test plants "project default" bindings; environments added or
    /// copied later do not get them.
    func testAnEnvironmentAdminCannotPlantDefaultMembers() throws {
        XCTAssertEqual(c.kip("project grant alice --role admin --environment test --project shop").code, 0)
        let label = try kubectl(
            as: "alice",
            ["label", "rolebinding", "kip-admin-user-alice", "kipper.run/grant=all", "--overwrite", "-n", "shop-test"])
        XCTAssertEqual(label.code, 0, "\(label)")
        let planted = """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"kip-admin-user-mallory","namespace":"shop-test","labels":{"app.kubernetes.io/managed-by":"kip","kipper.run/grant":"all"}},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"kip-admin"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"mallory"}]}
            """
        XCTAssertEqual(try kubectl(as: "alice", ["apply", "-f", "-"], stdin: planted).code, 0)
        XCTAssertEqual(c.kip("project grant carol --role viewer --project shop").code, 0)
        XCTAssertEqual(c.kip("project add-env shop staging").code, 0)
        XCTAssertEqual(c.kip(["project", "add-env", "shop", "prod2", "--copy-from", "test", "--yes"]).code, 0)
        XCTAssertEqual(try subjects("shop-staging"), ["carol"], "only the Project's default members")
        XCTAssertEqual(try subjects("shop-prod2"), ["carol"])
        // A project-wide grant is the Project's: an environment admin cannot make one.
        let wide = try kip(as: "alice", ["project", "grant", "mallory", "--role", "admin", "--project", "shop"])
        XCTAssertEqual(wide.code, 1, "\(wide)")
    }

    /// M1: revoke finds every binding to a kip role and every subject in it.
    func testRevokeLeavesNoAccessBehind() throws {
        XCTAssertEqual(c.kip("project grant alice --role admin --project shop").code, 0)
        XCTAssertEqual(c.kip("project grant carol --role viewer --project shop").code, 0)
        let foreign = """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"ci-deployer","namespace":"shop-test"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"kip-admin"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"alice"}]}
            """
        XCTAssertEqual(try kubectl(as: "alice", ["apply", "-f", "-"], stdin: foreign).code, 0)
        let add = try kubectl(
            as: "alice",
            [
                "patch", "rolebinding", "kip-viewer-user-carol", "-n", "shop-prod", "--type", "json", "-p",
                #"[{"op":"add","path":"/subjects/-","value":{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"alice"}}]"#,
            ])
        XCTAssertEqual(add.code, 0, "\(add)")
        let members = c.kip("project members shop")
        XCTAssertTrue(members.stdout.contains("alice"), members.stdout)
        let r = c.kip("project revoke alice --project shop")
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertTrue(
            r.stdout.contains("also taken out of RoleBindings kip did not write: ci-deployer in test"), r.stdout)
        XCTAssertFalse(try subjects("shop-test").contains("alice"))
        XCTAssertFalse(try subjects("shop-prod").contains("alice"))
        XCTAssertTrue(try subjects("shop-prod").contains("carol"), "carol keeps her role")
        XCTAssertFalse(c.kip("project members shop").stdout.contains("alice"))
    }

    /// M2: who made an image change is the user the server authenticated; KIP_ACTOR is a
    /// note beside it, never instead of it.
    func testTheHistoryNamesTheAuthenticatedUser() throws {
        XCTAssertEqual(c.kip("project grant bob --role developer --environment test --project shop").code, 0)
        let cfg = try config("bob")
        let env = ["KUBECONFIG": cfg, "KIP_HOME": cfg + ".home", "KIP_ACTOR": "ceo@corp"]
        let r = c.kip(
            ["app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "80", "--project", "shop/test"], env: env
        )
        XCTAssertEqual(r.code, 0, "\(r)")
        let h = try JSON.parse(c.kip(["app", "history", "api", "--project", "shop/test", "-o", "json"]).stdout)
        XCTAssertEqual(h.arrayValue?.last?["by"], "bob (KIP_ACTOR: ceo@corp)")
        // Asked once, then cached for this kubeconfig user.
        XCTAssertTrue(FileManager.default.fileExists(atPath: cfg + ".home/identities.json"))
    }

    /// L6: system subjects are refused unless asked for.
    func testSystemSubjectsNeedToBeAskedFor() throws {
        let r = c.kip(["project", "grant", "--group", "system:authenticated", "--role", "viewer", "--project", "shop"])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.stderr.contains("--allow-system-subject"), r.stderr)
        XCTAssertFalse(try subjects("shop-test").contains("system:authenticated"))
        XCTAssertEqual(
            c.kip([
                "project", "grant", "--group", "system:authenticated", "--role", "viewer", "--project", "shop",
                "--allow-system-subject",
            ]).code, 0)
    }

    /// Item 2: protection is judged by the state before the command, for every command
    /// that destroys data or stops serving.
    func testProtectionHoldsForEveryDestructiveCommand() throws {
        let p = ["--project", "shop/prod"]
        for line in [
            ["app", "deploy", "--name", "web", "--image", "r/web:1", "--port", "80"],
            ["function", "deploy", "fn", "--image", "r/fn:1"], ["job", "add", "once", "--image", "r/job:1"],
            ["volume", "add", "data", "--size", "1Gi", "--mount", "web:/data"],
        ] {
            XCTAssertEqual(c.kip(line + p).code, 0, line.joined(separator: " "))
        }
        XCTAssertEqual(c.kip(["app", "secret", "set", "web", "K"] + p, stdin: "v").code, 0)
        XCTAssertEqual(c.kip("project protect shop/prod").code, 0)
        for line in [
            ["app", "delete", "web"], ["app", "scale", "web", "0"], ["app", "secret", "unset", "web", "K"],
            ["function", "delete", "fn"], ["job", "delete", "once"], ["volume", "unmount", "data", "web"],
        ] {
            let r = c.kip(line + p + ["--yes"])
            XCTAssertEqual(r.code, 1, "\(line.joined(separator: " ")): \(r)")
            XCTAssertTrue(r.stderr.contains("shop/prod is protected"), "\(line.joined(separator: " ")): \(r.stderr)")
        }
        XCTAssertEqual(try c.names("apps.kipper.run", namespace: "shop-prod"), ["web"])
        // Named, it goes through.
        XCTAssertEqual(c.kip(["app", "scale", "web", "0", "--confirm-env", "prod", "--yes"] + p).code, 0)
        // Lifting protection needs it named too, and so does a file that lacks it.
        XCTAssertEqual(c.kip("project unprotect shop/prod").code, 1)
        let export = c.kip("project export shop --all")
        let file = c.home + "/old.yaml"
        try export.stdout.replacingOccurrences(of: "    protected: true\n", with: "").write(
            toFile: file, atomically: true, encoding: .utf8)
        let apply = c.kip(["project", "apply", "-f", file, "--prune", "--yes"])
        XCTAssertEqual(apply.code, 1, "\(apply)")
        XCTAssertTrue(apply.stderr.contains("shop/prod is protected"), apply.stderr)
        XCTAssertEqual(
            try c.kubectlJSON(["get", "projects.kipper.run", "shop"]).at("spec", "environments")?.arrayValue?.last?[
                "protected"], true)
        XCTAssertEqual(c.kip("project unprotect shop/prod --confirm-env prod").code, 0)
    }

    /// H3: default hosts carry the project; a host another project holds is refused.
    func testRouteHostsAreUniqueAcrossProjects() throws {
        XCTAssertEqual(c.kip(["project", "create", "other", "--environments", "test,prod"]).code, 0)
        for p in ["shop", "other"] {
            let r = c.kip([
                "app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "80", "--project", "\(p)/prod",
            ])
            XCTAssertEqual(r.code, 0, "\(r)")
            XCTAssertTrue(r.stdout.contains("URL: http://api-\(p)-prod.apprunr.com"), r.stdout)
        }
        XCTAssertEqual(c.kip("project grant mallory --role developer --project other").code, 0)
        let steal = try kip(
            as: "mallory",
            [
                "app", "deploy", "--name", "web", "--image", "evil/web:1", "--port", "80", "--route",
                "api-shop-prod.apprunr.com", "--project", "other/test",
            ])
        XCTAssertEqual(steal.code, 1, "\(steal)")
        XCTAssertTrue(
            steal.stderr.contains("host api-shop-prod.apprunr.com is taken by app api of shop/prod"), steal.stderr)
        // The claim is made beside the App's write: the App it created is deleted again.
        XCTAssertTrue(steal.stderr.contains("nothing was changed (app web not created)"), steal.stderr)
        XCTAssertEqual(try c.names("apps.kipper.run", namespace: "other-test"), [], "nothing written")
        // A claim cannot be taken over by hand either.
        let patch = try kubectl(
            as: "mallory",
            [
                "patch", "routeclaims.kipper.run", "api-shop-prod.apprunr.com", "--type", "merge", "-p",
                #"{"spec":{"project":"other"}}"#,
            ])
        XCTAssertNotEqual(patch.code, 0)
        // Deleting the project frees its hosts.
        XCTAssertEqual(c.kip("project delete shop --yes").code, 0)
        XCTAssertEqual(try c.names("routeclaims.kipper.run").filter { $0.contains("shop") }, [])
    }

    /// L3: a re-install keeps who may use kip.
    func testReinstallKeepsTheReaders() throws {
        XCTAssertEqual(c.kip("install --readers kip-users").code, 0)
        let again = c.kip("install --domain b.example")
        XCTAssertEqual(again.code, 0, "\(again)")
        let binding = try c.kubectlJSON(["get", "clusterrolebinding", "kip-reader"])
        XCTAssertEqual(binding["subjects"]?.arrayValue?.first?["name"], "kip-users")
    }

    /// L1 and L2: hostile strings and files.
    func testHostileStringsAndFiles() throws {
        let evil = "r/api:5\u{1B}]0;pwned\u{07}\u{1B}[31mRED"
        XCTAssertEqual(
            c.kubectl(
                [
                    "apply", "-f", "-",
                ],
                stdin: """
                    {"apiVersion":"kipper.run/v1alpha1","kind":"App","metadata":{"name":"api","namespace":"shop-test"},"spec":{"image":"\(evil.replacingOccurrences(of: "\u{1B}", with: "\\u001b").replacingOccurrences(of: "\u{07}", with: "\\u0007"))","port":80}}
                    """
            ).code, 0)
        let list = c.kip("app list --project shop/test")
        XCTAssertFalse(list.stdout.contains("\u{1B}"), list.stdout)
        XCTAssertTrue(list.stdout.contains("r/api:5\\x1B]0;pwned\\x07"), list.stdout)

        let deep = c.home + "/deep.yaml"
        try
            ("apiVersion: kipper.run/v1alpha1\nkind: ProjectExport\nproject: x\nenvironments:\n"
            + String(repeating: "- ", count: 5000) + "a: 1\n").write(toFile: deep, atomically: true, encoding: .utf8)
        let r = c.kip(["project", "apply", "-f", deep, "--dry-run"])
        XCTAssertEqual(r.code, 2, "\(r)")
        XCTAssertTrue(r.stderr.contains("nested more than 64 levels deep"), r.stderr)
        let two = c.home + "/two.yaml"
        let export = c.kip("project export shop --all").stdout
        try (export + "---\n" + export).write(toFile: two, atomically: true, encoding: .utf8)
        let multi = c.kip(["project", "apply", "-f", two, "--dry-run"])
        XCTAssertEqual(multi.code, 2)
        XCTAssertTrue(multi.stderr.contains("a second YAML document"), multi.stderr)
        let dir = c.kip(["project", "apply", "-f", c.home, "--dry-run"])
        XCTAssertTrue(dir.stderr.contains("is a directory"), dir.stderr)
    }

    /// L4: a KIP_HOME someone else can write is not trusted.
    func testALooseKipHomeIsRefused() throws {
        let loose = c.home + "/loose"
        try FileManager.default.createDirectory(atPath: loose, withIntermediateDirectories: true)
        chmod(loose, 0o777)
        let r = c.kip(["project", "list"], env: ["KIP_HOME": loose])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.stderr.contains("is writable by others"), r.stderr)
        XCTAssertTrue(r.stderr.contains("chmod go-w"), r.stderr)
    }
}
