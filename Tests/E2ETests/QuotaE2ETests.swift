import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Each environment's quota: a ResourceQuota and a LimitRange owned by the Project, the
/// install's by default and an environment's own over it, enforced by the server when
/// pods are created.
final class QuotaE2ETests: XCTestCase {
    func testAQuotaIsEnforcedShownAndChangedOnlyByWhoeverChangesTheProject() throws {
        let c = try E2ECluster(self, options: E2ECluster.realTime + ["--deadline-scale", "0.005"], sandboxOnly: true)
        let install = c.kip(["install", "--domain", "apprunr.com", "--quota", "cpu=1,memory=2Gi,pods=4"])
        XCTAssertEqual(install.code, 0, "\(install)")
        XCTAssertTrue(install.stdout.contains("quota of each environment: cpu=1,memory=2Gi,pods=4"), install.stdout)
        XCTAssertEqual(c.kip("project create shop --environments test,acc").code, 0)
        let quota = try c.kubectlJSON(["get", "resourcequota", "kip-quota", "-n", "shop-test"])
        XCTAssertEqual(quota.at("spec", "hard"), ["requests.cpu": "1", "requests.memory": "2Gi", "pods": "4"])
        XCTAssertEqual(quota.at("metadata", "ownerReferences")?.arrayValue?.first?["kind"], "Project")
        let limits = try c.kubectlJSON(["get", "limitrange", "kip-limits", "-n", "shop-test"])
        XCTAssertEqual(
            limits.at("spec", "limits"),
            [["type": "Container", "defaultRequest": ["cpu": "100m", "memory": "128Mi"]]],
            "containers that ask for nothing get requests, which the quota needs to count them")

        // Three pods fit; the fourth and fifth do not: the rollout fails with the server's reason.
        XCTAssertEqual(
            c.kip("app deploy --name web --image r/web:1 --port 80 --replicas 3 --project shop/test --wait").code, 0)
        let full = c.kip("app deploy --name api --image r/api:1 --port 80 --replicas 2 --project shop/test --wait")
        XCTAssertEqual(full.code, 1, "\(full)")
        XCTAssertTrue(
            full.stderr.contains("exceeded quota: kip-quota, requested: pods=1, used: pods=4, limited: pods=4"),
            full.stderr)
        let shown = c.kip("project quota shop/test")
        XCTAssertEqual(shown.code, 0, "\(shown)")
        XCTAssertEqual(
            shown.stdout,
            """
            Quota of shop/test (ResourceQuota kip-quota in shop-test), the install's:
            RESOURCE   USED    HARD
            cpu        400m    1
            memory     512Mi   2Gi
            pods       4       4

            """)
        XCTAssertTrue(
            c.kip("project show shop").stdout.contains("quota of test: cpu 400m/1, memory 512Mi/2Gi, pods 4/4"))

        // Its own quota, over the install's; the refused pod is created once there is room.
        let raised = c.kip("project quota shop/test pods=10")
        XCTAssertEqual(
            raised.stdout, "✔ quota of shop/test: cpu=1,memory=2Gi,pods=10 (its own: pods=10)\n", "\(raised)")
        try eventually("api's second pod once the quota has room") {
            (try c.kubectlJSON(["get", "deployment", "api", "-n", "shop-test"]).at("status", "readyReplicas")?.intValue
                ?? 0) == 2
        }
        XCTAssertEqual(
            try c.kubectlJSON(["get", "resourcequota", "kip-quota", "-n", "shop-acc"]).at("spec", "hard", "pods"), "4",
            "acc keeps the install's")
        let project = try c.kubectlJSON(["get", "projects.kipper.run", "shop"])
        XCTAssertEqual(project.at("spec", "environments")?.arrayValue?.first?["quota"], ["pods": "10"])
        XCTAssertEqual(c.kip("project add-env shop pr-1 --quota cpu=500m,pods=2").code, 0)
        XCTAssertEqual(
            try c.kubectlJSON(["get", "resourcequota", "kip-quota", "-n", "shop-pr-1"]).at("spec", "hard"),
            ["requests.cpu": "500m", "requests.memory": "2Gi", "pods": "2"])
        XCTAssertTrue(
            c.kip("project diff shop test pr-1").stdout.contains(
                "environment settings: quota: pods=10 → cpu=500m,pods=2"))
        let bad = c.kip("project quota shop/test gpus=1")
        XCTAssertEqual(bad.code, 2, "\(bad)")
        XCTAssertTrue(bad.stderr.hasPrefix("Error: 'gpus' is no quota kip sets: use cpu, memory"), bad.stderr)

        // Drift says when the quota was changed by hand, sync puts it back.
        XCTAssertEqual(
            c.kubectl([
                "patch", "resourcequota", "kip-quota", "-n", "shop-acc", "--type", "merge", "-p",
                #"{"spec":{"hard":{"pods":"99"}}}"#,
            ]).code, 0)
        XCTAssertEqual(
            c.kip("project drift shop acc").stdout,
            "acc: resourcequota kip-quota: spec.hard.pods: 4 (kip) → 99 (live)\n")
        XCTAssertEqual(c.kip("project sync shop").code, 0)
        XCTAssertEqual(c.kip("project drift shop acc").code, 0)

        // A developer reads the quota, but neither widens it with kip nor edits it by hand.
        XCTAssertEqual(c.kip("project grant dev --role developer --environment test --project shop").code, 0)
        let dev = try c.impersonating("dev")
        let env = ["KUBECONFIG": dev, "KIP_HOME": dev + ".home"]
        XCTAssertEqual(c.kip(["project", "quota", "shop/test"], env: env).code, 0)
        let widen = c.kip(["project", "quota", "shop/test", "pods=100"], env: env)
        XCTAssertNotEqual(widen.code, 0)
        XCTAssertTrue(widen.stderr.contains("forbidden") || widen.stderr.contains("cannot"), widen.stderr)
        let byHand = c.run(
            [
                "kubectl", "--kubeconfig", dev, "patch", "resourcequota", "kip-quota", "-n", "shop-test", "--type",
                "merge",
                "-p", #"{"spec":{"hard":{"pods":"100"}}}"#,
            ])
        XCTAssertNotEqual(byHand.code, 0)
        XCTAssertTrue(byHand.stderr.contains("cannot patch resource \"resourcequotas\""), byHand.stderr)
    }

    func testAFileCarriesAnEnvironmentsQuotaAndApplyAsKeepsTheTargets() throws {
        let c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test,prod").code, 0)
        XCTAssertEqual(c.kip("project quota shop/test cpu=2").code, 0)
        XCTAssertEqual(c.kip("project quota shop/prod cpu=6,pods=80").code, 0)
        let exported = c.kip("project export shop test")
        XCTAssertTrue(exported.stdout.contains("quota: \"cpu=2\""), exported.stdout)
        let dir = NSTemporaryDirectory() + "kip-quota-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/shop.yaml"
        try exported.stdout.replacingOccurrences(of: "cpu=2", with: "cpu=3").write(
            toFile: path, atomically: true, encoding: .utf8)
        let asProd = c.kip(["project", "apply", "-f", path, "--environment", "test", "--as", "prod"])
        XCTAssertEqual(asProd.code, 0, "\(asProd)")
        XCTAssertEqual(
            try c.kubectlJSON(["get", "resourcequota", "kip-quota", "-n", "shop-prod"]).at(
                "spec", "hard", "requests.cpu"),
            "6", "another environment's file does not change prod's quota")
        let applied = c.kip(["project", "apply", "-f", path])
        XCTAssertEqual(applied.code, 0, "\(applied)")
        XCTAssertEqual(
            try c.kubectlJSON(["get", "resourcequota", "kip-quota", "-n", "shop-test"]).at(
                "spec", "hard", "requests.cpu"),
            "3")
    }
}
