import Foundation
import KipCore
import KipTestSupport
import XCTest

/// What a node's container runtime does, as kip-sandbox models it (`--crash-image`,
/// `--root-image`, the runtime's own image names, a ReplicaSet per template), and kip
/// coping: `--wait` fails at once naming why, security defaults never break an image.
final class RuntimeE2ETests: XCTestCase {
    var c: E2ECluster!

    func start(podSecurity: String = "baseline") throws {
        c = try E2ECluster(
            self,
            options: E2ECluster.realTime + [
                "--crash-image", "*:crash*", "--root-image", "nginx*", "--fail-image", "*:missing",
                "--deadline-scale", "0.05",
            ], sandboxOnly: true)
        XCTAssertEqual(c.kip(["install", "--domain", "apprunr.com", "--pod-security", podSecurity]).code, 0)
        XCTAssertEqual(c.kip(["project", "create", "shop", "--environments", "test"]).code, 0)
    }

    let scope = ["--project", "shop/test"]

    func container(_ name: String) throws -> JSON? {
        try c.kubectlJSON(["get", "deployment", name, "-n", "shop-test"]).at("spec", "template", "spec", "containers")?
            .arrayValue?.first
    }

    /// A container that starts and exits fails `--wait` at once (not at --timeout),
    /// naming CrashLoopBackOff and the last line it printed; the old pod keeps serving.
    func testACrashLoopFailsTheWaitAtOnceWithItsLastLogLine() throws {
        try start()
        XCTAssertEqual(
            c.kip(["app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "80", "--wait"] + scope).code, 0)
        let bad = c.kip(["app", "set-image", "api", "r/api:crash", "--wait", "--timeout", "10m"] + scope)
        XCTAssertEqual(bad.code, 1, "\(bad)")
        XCTAssertTrue(bad.stderr.contains("is in CrashLoopBackOff"), bad.stderr)
        XCTAssertTrue(
            bad.stderr.contains("last log line: kip-sandbox: r/api:crash exited with status 1"), bad.stderr)
        XCTAssertFalse(bad.stderr.contains("not finished within"), bad.stderr)
        let pods =
            try c.kubectlJSON(["get", "pods", "-n", "shop-test", "-l", "kipper.run/app=api"])["items"]?
            .arrayValue ?? []
        XCTAssertEqual(pods.count, 2, "the old revision's pod keeps serving while the new one crashes")
    }

    /// Images that never start, and CreateContainerConfigError, fail at once too.
    func testAnImageThatDoesNotPullFailsAtOnce() throws {
        try start()
        let bad = c.kip(
            [
                "app", "deploy", "--name", "api", "--image", "r/api:missing", "--port", "80", "--wait", "--timeout",
                "10m",
            ]
                + scope)
        XCTAssertEqual(bad.code, 1, "\(bad)")
        XCTAssertTrue(bad.stderr.contains("is in ImagePullBackOff"), bad.stderr)
    }

    /// A bare Docker Hub name is reported by the runtime as `docker.io/library/…`: the
    /// rollout is still known to be done, and the pods of the current ReplicaSet are
    /// found by pod-template-hash.
    func testABareDockerHubNameRollsOut() throws {
        try start()
        let ok = c.kip(["app", "deploy", "--name", "api", "--image", "redis:7", "--port", "80", "--wait"] + scope)
        XCTAssertEqual(ok.code, 0, "\(ok)")
        XCTAssertTrue(ok.stdout.contains("✔ app api rolled out in shop-test"), ok.stdout)
        let pod = try c.kubectlJSON(["get", "pods", "-n", "shop-test", "-l", "kipper.run/app=api"])["items"]?
            .arrayValue?.first
        XCTAssertEqual(pod?.at("status", "containerStatuses")?.arrayValue?.first?["image"], "docker.io/library/redis:7")
        XCTAssertNotNil(pod?.at("metadata", "labels", "pod-template-hash"))
        let again = c.kip(["app", "set-image", "api", "redis:7.2", "--wait"] + scope)
        XCTAssertEqual(again.code, 0, "\(again)")
    }

    /// Under baseline an image that needs root (official nginx) runs: no hardened set
    /// unless asked; asked, it crashes as it would on a node, and --wait says why.
    func testAnImageThatNeedsRootRunsUnderBaseline() throws {
        try start()
        let ok = c.kip(["app", "deploy", "--name", "web", "--image", "nginx:1.27", "--port", "80", "--wait"] + scope)
        XCTAssertEqual(ok.code, 0, "\(ok)")
        XCTAssertNil(try container("web")?["securityContext"])
        let hard = c.kip(
            [
                "app", "deploy", "--name", "hard", "--image", "nginx:1.27", "--port", "80", "--security-defaults",
                "--wait",
            ]
                + scope)
        XCTAssertEqual(hard.code, 1, "\(hard)")
        XCTAssertTrue(hard.stderr.contains("Operation not permitted"), hard.stderr)
        XCTAssertEqual(try container("hard")?.at("securityContext", "capabilities", "drop"), ["ALL"])
        let user = c.kip(
            ["app", "deploy", "--name", "uid", "--image", "r/u:1", "--port", "80", "--run-as-user", "1000"] + scope)
        XCTAssertEqual(user.code, 0, "\(user)")
        XCTAssertEqual(try container("uid")?.at("securityContext", "runAsUser"), 1000)
    }

    /// An App that does not record its security choice (written by an earlier kip)
    /// keeps the context its Deployment runs with through set-image and re-deploy.
    func testARedeployKeepsTheSecurityContextAnAppRunsWith() throws {
        try start()
        XCTAssertEqual(
            c.kip(
                ["app", "deploy", "--name", "hard", "--image", "r/h:1", "--port", "80", "--security-defaults"] + scope
            )
            .code, 0)
        XCTAssertEqual(c.kip(["app", "deploy", "--name", "soft", "--image", "r/s:1", "--port", "80"] + scope).code, 0)
        for app in ["hard", "soft"] {
            let strip = c.kubectl([
                "patch", "apps.kipper.run", app, "-n", "shop-test", "--type", "json", "-p",
                #"[{"op":"remove","path":"/spec/securityDefaults"}]"#,
            ])
            XCTAssertTrue(strip.code == 0 || app == "soft", "\(strip)")
        }
        XCTAssertEqual(c.kip(["app", "set-image", "hard", "r/h:2"] + scope).code, 0)
        XCTAssertEqual(c.kip(["app", "set-image", "soft", "r/s:2"] + scope).code, 0)
        XCTAssertEqual(try container("hard")?.at("securityContext", "capabilities", "drop"), ["ALL"])
        XCTAssertNil(try container("soft")?["securityContext"])
        XCTAssertEqual(c.kip(["app", "deploy", "--name", "hard", "--image", "r/h:3"] + scope).code, 0)
        XCTAssertEqual(try container("hard")?.at("securityContext", "capabilities", "drop"), ["ALL"])
    }

    /// Under restricted: apps, functions and jobs are written to pass it (no FailedCreate),
    /// an image that needs root is named by the kubelet's refusal, and
    /// --no-security-defaults is refused before anything is written.
    func testRestrictedEnvironmentsAreWrittenToPass() throws {
        try start(podSecurity: "restricted")
        let web = c.kip(["app", "deploy", "--name", "web", "--image", "nginx:1.27", "--port", "80", "--wait"] + scope)
        XCTAssertEqual(web.code, 1, "\(web)")
        XCTAssertTrue(web.stderr.contains("CreateContainerConfigError: container has runAsNonRoot"), web.stderr)
        let fn = c.kip(["function", "deploy", "fn", "--image", "r/fn:1", "--wait"] + scope)
        XCTAssertEqual(fn.code, 0, "\(fn)")
        XCTAssertTrue(fn.stdout.contains("✔ function fn rolled out in shop-test"), fn.stdout)
        let job = c.kip(["job", "add", "once", "--image", "r/job:1", "--wait"] + scope + ["--", "echo", "hi"])
        XCTAssertEqual(job.code, 0, "\(job)")
        XCTAssertTrue(job.stdout.contains("✔ job once ran in shop-test"), job.stdout)
        let before = c.writes()
        let off = c.kip(
            ["app", "deploy", "--name", "x", "--image", "r/x:1", "--port", "80", "--no-security-defaults"] + scope)
        XCTAssertEqual(off.code, 1, "\(off)")
        XCTAssertTrue(off.stderr.contains("drop --no-security-defaults"), off.stderr)
        XCTAssertEqual(c.writes(), before, "nothing written")
    }

    /// A StatefulSet has no ReplicaFailure condition: its refused pods show only as the
    /// controller's FailedCreate Warning, which --wait reads and names.
    func testAStatefulSetWhosePodsAreRefusedFailsTheWait() throws {
        try start()
        XCTAssertEqual(c.kip(["service", "add", "postgres", "--name", "db", "--wait"] + scope).code, 0)
        // Someone adds a field baseline refuses; kip does not own it, so it stays.
        let patch = c.kubectl([
            "patch", "statefulset", "db", "-n", "shop-test", "--type", "json", "-p",
            #"[{"op":"add","path":"/spec/template/spec/hostNetwork","value":true}]"#,
        ])
        XCTAssertEqual(patch.code, 0, "\(patch)")
        let r = c.kip(
            ["service", "add", "postgres", "--name", "db", "--version", "16.4", "--wait", "--timeout", "10m"] + scope)
        XCTAssertEqual(r.code, 1, "\(r)")
        XCTAssertTrue(r.stderr.contains("FailedCreate: Error creating: pods"), r.stderr)
        XCTAssertTrue(r.stderr.contains("violates PodSecurity \"baseline:latest\""), r.stderr)
    }

    /// Whoever holds the cluster's built-in `edit` in a namespace manages kip's objects
    /// there (kip's ClusterRoles aggregate into it); `view` reads them and nothing more.
    func testTheBuiltInNamespaceRolesCoverKipsObjects() throws {
        try start()
        for (user, role) in [("erin", "edit"), ("vera", "view")] {
            let binding: JSON = [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": ["name": .string(user), "namespace": "shop-test"],
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
                "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": .string(user)]],
            ]
            let b = c.kubectl(["apply", "-f", "-"], stdin: binding.serialized())
            XCTAssertEqual(b.code, 0, "\(b)")
        }
        let erin = try c.impersonating("erin")
        let vera = try c.impersonating("vera")
        let deploy = c.kip(
            ["app", "deploy", "--name", "web", "--image", "r/w:1", "--port", "80"] + scope, env: ["KUBECONFIG": erin])
        XCTAssertEqual(deploy.code, 0, "\(deploy)")
        let list = c.kip(["app", "list"] + scope, env: ["KUBECONFIG": vera])
        XCTAssertEqual(list.code, 0, "\(list)")
        XCTAssertTrue(list.stdout.contains("web"), list.stdout)
        let refused = c.kip(["app", "scale", "web", "2"] + scope, env: ["KUBECONFIG": vera])
        XCTAssertEqual(refused.code, 1, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("user \"vera\" lacks"), refused.stderr)
    }

    /// A grant RBAC's escalation check refuses (the granter may write RoleBindings but
    /// does not hold the role's permissions) says why in one line.
    func testAGrantRefusedAsEscalationSaysWhy() throws {
        try start()
        let binder = """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"binder","namespace":"shop-test"},
             "rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["rolebindings"],"verbs":["get","list","create","patch","update"]}]}
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"erin","namespace":"shop-test"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"binder"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"erin"}]}
            """
        XCTAssertEqual(c.kubectl(["apply", "-f", "-"], stdin: binder).code, 0)
        let erin = try c.impersonating("erin")
        let r = c.kip(
            ["project", "grant", "bob", "--role", "developer", "--environment", "test", "--project", "shop"],
            env: ["KUBECONFIG": erin])
        XCTAssertEqual(r.code, 1, "\(r)")
        XCTAssertTrue(
            r.stderr.hasPrefix(
                "Error: RBAC refused the grant: user \"erin\" may grant only permissions they hold themselves"),
            r.stderr)
        XCTAssertLessThanOrEqual(r.stderr.split(separator: "\n").count, 2, r.stderr)
    }

    /// Groups come from the identity provider, which impersonation does not ask:
    /// `project access USER` takes them with --group, and says so without.
    func testAccessOfAUserTakesTheirGroups() throws {
        try start()
        let grant = c.kip([
            "project", "grant", "--group", "ops", "--role", "admin", "--environment", "test", "--project", "shop",
        ])
        XCTAssertEqual(grant.code, 0, "\(grant)")
        let alone = c.kip(["project", "access", "olga", "--project", "shop"])
        XCTAssertEqual(alone.code, 0, "\(alone)")
        XCTAssertTrue(alone.stdout.contains("test          none"), alone.stdout)
        XCTAssertTrue(alone.stderr.contains("add --group for their groups"), alone.stderr)
        let grouped = c.kip(["project", "access", "olga", "--group", "ops", "--project", "shop"])
        XCTAssertEqual(grouped.code, 0, "\(grouped)")
        XCTAssertTrue(grouped.stdout.contains("Access of user \"olga\" in groups ops to project shop:"), grouped.stdout)
        XCTAssertTrue(grouped.stdout.contains("test          admin"), grouped.stdout)
    }

    /// kubectl follows at most --max-log-requests streams: kip asks for room for every pod.
    func testLogsFollowMoreThanTwentyPods() throws {
        try start()
        XCTAssertEqual(
            c.kip(
                ["app", "deploy", "--name", "web", "--image", "r/w:1", "--port", "80", "--replicas", "25", "--wait"]
                    + scope
            )
            .code,
            0)
        let logs = c.kip(["app", "logs", "web", "--follow"] + scope)
        XCTAssertEqual(logs.code, 0, "\(logs)")
        XCTAssertEqual(logs.stdout.split(separator: "\n").count, 25, logs.stdout)
    }
}
