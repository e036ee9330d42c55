import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Promotions a team can trust: the source vouches for the image (Available, soaked),
/// approvals into the environments that require them, and every attempt on record.
final class PromotionGatesE2ETests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws {
        c = try E2ECluster(
            self, options: E2ECluster.realTime + ["--fail-image", "r/bad*", "--deadline-scale", "0.005"])
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", "shop", "--environments", "test,acc,prod"]).code, 0)
        XCTAssertEqual(c.kip("app deploy --name api --image r/api:1 --port 80 --project shop/test --wait").code, 0)
    }

    func history(_ env: String, _ app: String = "api") throws -> [HistoryEntry] {
        Promotion.history(try c.kubectlJSON(["get", "apps.kipper.run", app, "-n", "shop-\(env)"]))
    }

    /// `--min-soak`: the source's history says since when it runs the image.
    func testMinSoakCountsFromTheSourcesHistory() throws {
        let early = c.kip("app promote api --to acc --project shop --yes --min-soak 1h")
        XCTAssertEqual(early.code, 1, "\(early)")
        XCTAssertTrue(
            early.stderr.hasPrefix("Error: api has run r/api:1 in test for ")
                && early.stderr.contains("less than --min-soak 1h; pass --force to promote it anyway"),
            early.stderr)
        XCTAssertEqual(c.kubectl(["get", "apps.kipper.run", "api", "-n", "shop-acc"]).code, 1, "nothing created")
        Thread.sleep(forTimeInterval: 2.2)
        let soaked = c.kip("app promote api --to acc --project shop --yes --min-soak 2s")
        XCTAssertEqual(soaked.code, 0, "\(soaked)")
        let bad = c.kip("app promote api --to acc --project shop --yes --min-soak soon")
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.stderr.contains("'--min-soak <duration>'"), bad.stderr)
    }

    /// prod requires approvals: not by the promoter, used once, on record.
    func testApprovalsAreNeededGivenByAnotherAdminAndUsedOnce() throws {
        XCTAssertEqual(c.kip("app promote api --to acc --project shop --yes --wait").code, 0)
        let protect = c.kip("project protect shop/prod --require-approval")
        XCTAssertEqual(protect.code, 0, "\(protect)")
        XCTAssertTrue(protect.stdout.contains("promotions into shop/prod need an approval"), protect.stdout)
        let unapproved = c.kip("app promote api --to prod --project shop --yes")
        XCTAssertEqual(unapproved.code, 1)
        XCTAssertEqual(
            unapproved.stderr,
            "Error: prod requires an approval: api with r/api:1 is not approved; an admin of prod approves it with 'kip app approve api --to prod --image r/api:1 --project shop'\n"
        )
        // The promoter's own approval does not count.
        XCTAssertEqual(c.kip("app approve api --to prod --project shop").code, 0)
        let own = c.kip("app promote api --to prod --project shop --yes")
        XCTAssertEqual(own.code, 1)
        XCTAssertTrue(own.stderr.contains("who promotes it: another admin of prod must approve it"), own.stderr)
        // Another admin of prod approves; an admin of test alone may not.
        XCTAssertEqual(c.kip("project grant ada --role admin --environment prod --project shop").code, 0)
        XCTAssertEqual(c.kip("project grant dev --role admin --environment test --project shop").code, 0)
        let dev = try c.impersonating("dev")
        let denied = c.kip(
            "app approve api --to prod --image r/api:1 --project shop".split(separator: " ").map(String.init),
            env: ["KUBECONFIG": dev, "KIP_HOME": dev + ".home"])
        XCTAssertNotEqual(denied.code, 0)
        XCTAssertTrue(denied.stderr.contains("prod"), denied.stderr)
        let ada = try c.impersonating("ada")
        let approved = c.kip(
            "app approve api --to prod --image r/api:1 --project shop".split(separator: " ").map(String.init),
            env: ["KUBECONFIG": ada, "KIP_HOME": ada + ".home"])
        XCTAssertEqual(approved.code, 0, "\(approved)")
        XCTAssertTrue(approved.stdout.contains("approved api with r/api:1 for prod (by ada)"), approved.stdout)
        let promoted = c.kip("app promote api --to prod --project shop --yes")
        XCTAssertEqual(promoted.code, 0, "\(promoted)")
        XCTAssertEqual(try history("prod").last?.approvedBy, "ada")
        let shown = c.kip("app history api --project shop/prod")
        XCTAssertTrue(shown.stdout.contains("APPROVED BY"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("ada"), shown.stdout)

        // Used once: the next image needs its own approval, which history shows pending.
        XCTAssertEqual(c.kip("app set-image api r/api:2 --project shop/test --wait").code, 0)
        XCTAssertEqual(c.kip("app promote api --to acc --project shop --yes --wait").code, 0)
        XCTAssertEqual(c.kip("app promote api --to prod --project shop --yes").code, 1)
        XCTAssertEqual(
            c.kip(
                "app approve api --to prod --project shop".split(separator: " ").map(String.init),
                env: ["KUBECONFIG": ada, "KIP_HOME": ada + ".home"]
            ).code, 1, "ada has no rights in acc, the source: --image names the image")
        XCTAssertEqual(
            c.kip(
                "app approve api --to prod --image r/api:2 --project shop".split(separator: " ").map(String.init),
                env: ["KUBECONFIG": ada, "KIP_HOME": ada + ".home"]
            ).code, 0)
        let pending = c.kip("app history api --project shop/prod")
        XCTAssertTrue(pending.stdout.contains("pending approval: r/api:2 by ada at "), pending.stdout)
        let status = c.kip("project status shop")
        XCTAssertTrue(status.stdout.contains("pending approval: api → prod with r/api:2 (by ada)"), status.stdout)
        XCTAssertEqual(c.kip("app promote api --to prod --project shop --yes --wait").code, 0)
        XCTAssertFalse(c.kip("app history api --project shop/prod").stdout.contains("pending approval"))
        let used = c.kip("project status shop")
        XCTAssertTrue(used.stdout.contains("r/api:2 (approved by ada)"), used.stdout)
        XCTAssertFalse(used.stdout.contains("pending approval"), used.stdout)
        // Going back to an approved image is a promotion too.
        XCTAssertEqual(c.kip("app rollback api --project shop/prod --yes").code, 0)
        XCTAssertEqual(c.kip("app promote api --to prod --project shop --yes").code, 1, "r/api:2's approval was used")
    }

    /// `promote --all --wait --rollback-on-failure`: the counts say what happened, the apps
    /// the promotion created and that failed are removed (or kept with --keep-failed),
    /// and each failure is in the target's history.
    func testRollbackOnFailureRemovesCreatedAppsAndCountsEverything() throws {
        XCTAssertEqual(c.kip("app deploy --name api --image r/api:1 --port 80 --project shop/acc --wait").code, 0)
        XCTAssertEqual(c.kip("app deploy --name web --image r/web:1 --port 80 --project shop/acc --wait").code, 0)
        XCTAssertEqual(c.kip("app set-image api r/api:2 --project shop/test --wait").code, 0)
        XCTAssertEqual(c.kip("app deploy --name web --image r/bad-web:2 --port 80 --project shop/test").code, 0)
        XCTAssertEqual(c.kip("app deploy --name new --image r/bad-new:1 --port 80 --project shop/test").code, 0)
        // Without --force the source's failing rollouts refuse web and new; api goes.
        let gated = c.kip("app promote --all --to acc --project shop --yes -o json")
        XCTAssertEqual(gated.code, 1, "\(gated)")
        let g = try JSON.parse(Data(gated.stdout.utf8))
        XCTAssertEqual([g["promoted"], g["failed"]], [1, 2])
        XCTAssertEqual(try history("acc", "web").last?.result, "refused")
        XCTAssertEqual(try history("acc", "web").last?.imageAfter, "r/bad-web:2")

        let r = c.kip("app promote --all --to acc --project shop --yes --force --wait --rollback-on-failure -o json")
        XCTAssertEqual(r.code, 1, "\(r)")
        let doc = try JSON.parse(Data(r.stdout.utf8))
        XCTAssertEqual([doc["promoted"], doc["failed"], doc["putBack"], doc["removed"]], [0, 2, 1, 1], "\(doc)")
        XCTAssertTrue(r.stderr.contains("⚠ new: removed from acc, where this promotion created it"), r.stderr)
        XCTAssertEqual(c.kubectl(["get", "apps.kipper.run", "new", "-n", "shop-acc"]).code, 1, "removed")
        let web = try history("acc", "web")
        XCTAssertEqual(web.suffix(2).map(\.action), ["promote", "put-back"])
        XCTAssertEqual(web.suffix(2).first?.result, "failed")
        XCTAssertEqual(
            try c.kubectlJSON(["get", "apps.kipper.run", "web", "-n", "shop-acc"]).at("spec", "image"), "r/web:1")

        let kept = c.kip(
            "app promote new --to acc --project shop --yes --force --wait --rollback-on-failure --keep-failed")
        XCTAssertEqual(kept.code, 1)
        XCTAssertTrue(kept.stderr.contains("⚠ new: kept in acc"), kept.stderr)
        XCTAssertEqual(try history("acc", "new").last?.result, "failed")
    }

    /// `--pre-job`: the target's job runs once with the new image before anything else
    /// changes; when it fails, nothing else does, and the reason is said.
    func testAPreJobRunsFirstAndStopsTheReleaseWhenItFails() throws {
        XCTAssertEqual(c.kip("app promote api --to acc --project shop --yes --wait").code, 0)
        XCTAssertEqual(c.kip(["job", "add", "migrate", "--image", "r/api:1", "--project", "shop/acc"]).code, 0)
        XCTAssertEqual(c.kip("app set-image api r/api:2 --project shop/test --wait").code, 0)
        let ok = c.kip("app promote api --to acc --project shop --yes --pre-job migrate")
        XCTAssertEqual(ok.code, 0, "\(ok)")
        XCTAssertTrue(ok.stdout.contains("✔ job migrate ran with r/api:2 in shop-acc"), ok.stdout)
        let runs = try c.kubectlJSON(["get", "jobs.batch", "-n", "shop-acc", "-l", "kipper.run/job!=migrate"])
        XCTAssertEqual(
            runs["items"]?.arrayValue?.compactMap {
                $0.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"]?.stringValue
            }, ["r/api:2"])

        let bad = c.kip("app set-image api r/bad-migration:3 --project shop/acc --pre-job migrate")
        XCTAssertEqual(bad.code, 1, "\(bad)")
        XCTAssertTrue(
            bad.stderr.hasPrefix("Error: job migrate failed with r/bad-migration:3 in shop-acc: pod "), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("nothing else was changed"), bad.stderr)
        XCTAssertEqual(
            try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "shop-acc"]).at("spec", "image"), "r/api:2")
        let all = c.kip("app promote --all --to acc --project shop --yes --pre-job migrate")
        XCTAssertEqual(all.code, 2, "one app's image: \(all)")
    }
}
