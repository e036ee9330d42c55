import Foundation
import KipCore
import XCTest

/// The gates a promotion passes, decided from what was read alone: the source runs the
/// image Available and long enough; an approval by someone else, not used before.
final class PromotionGatesTests: XCTestCase {
    let now = Durations.parse("2026-12-04T12:00:00Z")!

    func view(_ ns: String, _ items: [JSON]) -> EnvironmentView {
        let namespace: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]]
        return EnvironmentView(
            Observed(items: [namespace] + items), projectName: "shop", environment: String(ns.dropFirst(5)),
            namespace: ns)
    }

    func app(_ ns: String, _ image: String, history: [HistoryEntry] = [], uid: String = "u1") -> JSON {
        var a = Workloads.cr(
            .app, "api", WorkloadScope(project: "shop", environment: nil, namespace: ns, domain: nil),
            spec: ["image": .string(image), "port": 80])
        a.set(["metadata", "uid"], .string(uid))
        a.set(["status", "history"], .array(history.map(\.json)))
        return a
    }

    func deployment(_ ns: String, _ image: String, available: Int, generation: Int = 1) -> JSON {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "api", "namespace": .string(ns), "generation": .int(generation)],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "api", "image": .string(image)]]]]],
            "status": [
                "observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": .int(available),
            ],
        ]
    }

    let item = Promotion.Item(app: "api", outcome: .promote(before: "r/api:1", after: "r/api:2"))

    func check(_ g: PromotionGates, source: [JSON], target: [JSON] = []) -> PromotionGates.Verdict {
        g.check(
            [item], from: "test", to: "prod", project: "shop", source: view("shop-test", source),
            target: view("shop-prod", target))
    }

    /// One round of `promote`: the images moved and the apps created, a gate's refusal
    /// recorded in the target's history (and told), what is said before the question,
    /// and after a partial write, which apps lack the image.
    func testAPromotionRoundPlansMovesCreationsAndRefusals() throws {
        let project = Project(
            name: "shop", displayName: nil,
            environments: [
                .init(name: "test", namespace: "shop-test"), .init(name: "acc", namespace: "shop-acc"),
                .init(name: "prod", namespace: "shop-prod"),
            ])
        func named(_ o: JSON, _ name: String) -> JSON {
            var o = o
            o.set(["metadata", "name"], .string(name))
            if let c = o.at("spec", "template", "spec", "containers")?.arrayValue?.first {
                var c = c
                c["name"] = .string(name)
                o.set(["spec", "template", "spec", "containers"], [c])
            }
            return o
        }
        let src = view(
            "shop-test",
            [
                app("shop-test", "r/api:2"), deployment("shop-test", "r/api:2", available: 1),
                named(app("shop-test", "r/web:5"), "web"),
                named(deployment("shop-test", "r/web:5", available: 0), "web"),
                named(app("shop-test", "r/new:1"), "new"),
                named(deployment("shop-test", "r/new:1", available: 1), "new"),
            ])
        let dst = view(
            "shop-prod",
            [
                app("shop-prod", "r/api:1", uid: "u-prod"), deployment("shop-prod", "r/api:1", available: 1),
                named(app("shop-prod", "r/web:4", uid: "u-web"), "web"),
                named(deployment("shop-prod", "r/web:4", available: 1), "web"),
            ])
        var gates = PromotionGates(now: now)
        gates.force = false
        let r = try PromotionRound.plan(
            project: project, from: "test", to: "prod", app: nil, source: src, target: dst, gates: gates,
            create: true, actor: "ann", now: now)
        XCTAssertEqual(r.creating, ["new"])
        XCTAssertEqual(r.refused.keys.sorted(), ["web"], "web is not Available in test")
        let owners = Dictionary(
            uniqueKeysWithValues: r.plan.owners.map { ($0.at("metadata", "name")?.stringValue ?? "", $0) })
        XCTAssertEqual(owners["api"]?.at("spec", "image"), "r/api:2")
        XCTAssertEqual(owners["new"]?.at("spec", "image"), "r/new:1")
        XCTAssertEqual(owners["web"]?.at("spec", "image"), "r/web:4", "a refused app keeps its image")
        XCTAssertEqual(
            owners["web"]?.at("status", "history")?.arrayValue?.last?["result"], "refused",
            "and the attempt is in its history")
        XCTAssertEqual(r.plan.changes.map(\.reason).sorted(), ["Promoted", "Promoted", "PromotionRefused"])
        XCTAssertEqual(r.plan.summary?.first, "Promote test → prod (shop)")
        let said = r.notices(force: true)
        XCTAssertEqual(said.first, .warning("test → prod skips acc (--force)"))
        XCTAssertTrue(said.contains(.info("Apps: api, new (new in prod), web")), "\(said)")

        // A partial write: api's Deployment kept the old image.
        let now: [JSON] = [
            app("shop-prod", "r/api:2"), deployment("shop-prod", "r/api:1", available: 1),
            named(app("shop-prod", "r/new:1"), "new"), named(deployment("shop-prod", "r/new:1", available: 0), "new"),
            named(app("shop-prod", "r/web:4"), "web"), named(deployment("shop-prod", "r/web:4", available: 1), "web"),
        ]
        XCTAssertEqual(
            r.notWritten(now: now, error: "boom"), ["api": "boom (run the same promote again to finish)"])

        XCTAssertThrowsError(
            try PromotionRound.plan(
                project: project, from: "test", to: "prod", app: "ghost", source: src, target: dst, gates: gates,
                create: true, actor: "ann", now: self.now)
        ) { XCTAssertEqual(($0 as? KipError)?.message, "app ghost does not exist in test: nothing to promote") }
        XCTAssertThrowsError(
            try PromotionRound.plan(
                project: project, from: "test", to: "prod", app: "new", source: src, target: dst, gates: gates,
                create: false, actor: "ann", now: self.now)
        ) {
            XCTAssertTrue(
                ($0 as? KipError)?.message.hasPrefix("app new does not exist in prod: create it first") == true)
        }
    }

    func testTheSourceMustRunTheImageAvailable() {
        let g = PromotionGates(now: now)
        XCTAssertEqual(check(g, source: [deployment("shop-test", "r/api:2", available: 1)]).refusals, [:])
        XCTAssertEqual(
            check(g, source: [deployment("shop-test", "r/api:2", available: 0)]).refusals["api"],
            "api is not Available in test yet (r/api:2: 1/1 updated, 0 available): wait for its rollout (--wait); pass --force to promote it anyway"
        )
        XCTAssertEqual(
            check(g, source: [deployment("shop-test", "r/api:1", available: 1)]).refusals["api"],
            "test runs r/api:1 for api, not r/api:2 (its App was changed, its Deployment not); pass --force to promote it anyway"
        )
        XCTAssertTrue(check(g, source: []).refusals["api"]?.hasPrefix("api has no Deployment in test") == true)
        var forced = g
        forced.force = true
        XCTAssertEqual(check(forced, source: []).refusals, [:], "--force passes the source's gates")
    }

    func testMinSoakCountsFromTheLastEntryThatRanTheImage() {
        var g = PromotionGates(now: now)
        g.minSoak = 24 * 3600
        g.minSoakText = "24h"
        func entry(_ at: String, result: String = "") -> HistoryEntry {
            HistoryEntry(
                revision: 1, action: "set-image", from: "", imageBefore: "r/api:1", imageAfter: "r/api:2", at: at,
                result: result)
        }
        let running = deployment("shop-test", "r/api:2", available: 1)
        let young = app("shop-test", "r/api:2", history: [entry("2026-12-04T06:00:00Z")])
        XCTAssertEqual(
            check(g, source: [running, young]).refusals["api"],
            "api has run r/api:2 in test for 6h (since 2026-12-04T06:00:00Z), less than --min-soak 24h; pass --force to promote it anyway"
        )
        let old = app("shop-test", "r/api:2", history: [entry("2026-12-02T06:00:00Z")])
        XCTAssertEqual(check(g, source: [running, old]).refusals, [:])
        let failedOnly = app("shop-test", "r/api:2", history: [entry("2026-12-01T06:00:00Z", result: "failed")])
        XCTAssertTrue(
            check(g, source: [running, failedOnly]).refusals["api"]?.contains("does not say since when") == true)
    }

    func testApprovalsByAnotherUserAreUsedOnce() {
        var g = PromotionGates(now: now)
        g.force = true
        g.requireApproval = true
        g.promoter = "alice"
        let scope = WorkloadScope(project: "shop", environment: "prod", namespace: "shop-prod", domain: nil)
        var byBob = PromotionGates.approval(app: "api", image: "r/api:2", scope: scope, by: "bob", at: "t")
        byBob.set(["metadata", "uid"], "a1")
        var byAlice = PromotionGates.approval(app: "api", image: "r/api:2", scope: scope, by: "alice", at: "t")
        byAlice.set(["metadata", "uid"], "a2")

        XCTAssertTrue(check(g, source: []).refusals["api"]?.hasPrefix("prod requires an approval") == true)
        g.approvals = [byAlice]
        XCTAssertTrue(check(g, source: []).refusals["api"]?.contains("approved by alice, who promotes it") == true)
        g.approvals = [byAlice, byBob]
        let v = check(g, source: [])
        XCTAssertEqual(v.refusals, [:])
        XCTAssertEqual(v.approvals["api"]?.at("metadata", "uid"), "a1")

        // The promotion records the approval it used; that approval is then spent.
        let stamped = PromotionGates.stamped(
            [Promotion.recorded(app("shop-prod", "r/api:1"), image: "r/api:2", action: "promote", at: "t")],
            v.approvals)
        XCTAssertEqual(Promotion.history(stamped[0]).last?.approvedBy, "bob")
        let used = check(g, source: [], target: stamped)
        XCTAssertTrue(used.refusals["api"]?.contains("who promotes it") == true, "only alice's own is left")
        XCTAssertEqual(PromotionGates.pending([byBob, byAlice], apps: stamped).count, 1)
    }

    func testAnApprovalOfAnImageUsedBeforeTakesAFreshName() {
        let scope = WorkloadScope(project: "shop", environment: "prod", namespace: "shop-prod", domain: nil)
        let first = PromotionGates.approval(
            app: "api", image: "r/api:2", scope: scope, by: "bob", at: "2026-12-04T12:00:00Z")
        let name = first.at("metadata", "name")?.stringValue ?? ""
        XCTAssertTrue(name.hasPrefix("api-"), name)
        let again = PromotionGates.approval(
            app: "api", image: "r/api:2", scope: scope, by: "bob", at: "2026-12-04T12:00:00Z", taken: [name])
        XCTAssertEqual(again.at("metadata", "name")?.stringValue, name + "-20261204120000")
    }

    func testARefusedAttemptIsRecordedAndRollbackPassesItBy() throws {
        let a = app(
            "shop-prod", "r/api:1",
            history: [
                HistoryEntry(revision: 1, action: "deploy", from: "", imageBefore: "", imageAfter: "r/api:1", at: "t0")
            ])
        let refused = Promotion.attempted(
            a, image: "r/api:2", action: "promote", from: "acc", at: "t1", by: "alice", result: "refused",
            reason: "not approved")
        XCTAssertEqual(refused.at("spec", "image"), "r/api:1", "nothing but the history changes")
        let h = Promotion.history(refused)
        XCTAssertEqual(h.last?.result, "refused")
        XCTAssertEqual(h.last?.reason, "not approved")
        XCTAssertThrowsError(try Promotion.rollbackImage(refused, toRevision: 2))
        XCTAssertThrowsError(try Promotion.rollbackImage(refused, toRevision: nil), "nothing ran before r/api:1")
    }

    func testARollbackIsPlannedRecordedAndTold() throws {
        let a = app(
            "shop-prod", "r/api:2",
            history: [
                HistoryEntry(revision: 1, action: "deploy", from: "", imageBefore: "", imageAfter: "r/api:1", at: "t0"),
                HistoryEntry(
                    revision: 2, action: "promote", from: "acc", imageBefore: "r/api:1", imageAfter: "r/api:2", at: "t1"
                ),
            ])
        let (plan, image) = try Promotion.rollbackPlan(
            "api", view("shop-prod", [a]), toRevision: nil, at: now, by: "ada")
        XCTAssertEqual(image, "r/api:1")
        XCTAssertEqual(plan.owners.first?.at("spec", "image"), "r/api:1")
        XCTAssertEqual(Promotion.history(plan.owners.first!).last?.action, "rollback")
        XCTAssertEqual(plan.changes.first?.note, "kip app rollback by ada: r/api:2 → r/api:1")
        XCTAssertEqual(plan.report, [.success("api rolled back to r/api:1 in shop-prod (undoing revision 2)")])
        XCTAssertThrowsError(
            try Promotion.rollbackPlan("api", view("shop-prod", [a]), toRevision: 2, at: now, by: "ada"),
            "revision 2 is what runs")
    }

    func testAFailedRolloutIsMarkedPutBackOrRemovedAsAsked() throws {
        let dst = view("shop-acc", [app("shop-acc", "r/api:2"), app("shop-acc", "r/api:1")])
        let failures = ["api": "ImagePullBackOff"]
        func plan(rollback: Bool, creating: Set<String> = []) throws -> (Plan, PromotionReport.Rollouts) {
            try PromotionFailures.plan(
                [item], failures: failures,
                .init(from: "test", to: "acc", creating: creating, rollback: rollback, keepFailed: false, at: now),
                dst: dst, by: "ada")
        }
        let (kept, k) = try plan(rollback: false)
        XCTAssertEqual(k, PromotionReport.Rollouts(failed: failures))
        XCTAssertEqual(
            kept.changes.first?.note, "kip app promote by ada: the rollout failed (ImagePullBackOff); left as it is")
        let (back, b) = try plan(rollback: true)
        XCTAssertEqual(b.putBack, ["api"])
        XCTAssertEqual(back.report, [.warning("api: put back to r/api:1 in acc (--rollback-on-failure)")])
        let (gone, g) = try plan(rollback: true, creating: ["api"])
        XCTAssertEqual(g.removed, ["api"])
        XCTAssertFalse(gone.deletes.isEmpty, "an app the promotion created is removed")
    }

    func testApprovalsNeedATargetThatRequiresThem() throws {
        var p = Project(
            name: "shop", displayName: nil, environments: [.init(name: "prod", namespace: "shop-prod")], uid: "u")
        XCTAssertThrowsError(try PromotionGates.approvalTarget(p, "prod")) {
            XCTAssertEqual(
                "\($0)",
                "shop/prod does not require approvals: 'kip project protect shop/prod --require-approval' makes it")
        }
        XCTAssertThrowsError(try PromotionGates.approvalTarget(p, "qa"))
        p.environments[0].requireApproval = true
        XCTAssertEqual(try PromotionGates.approvalTarget(p, "prod").name, "prod")
        let plan = PromotionGates.approvalPlan(
            [("api", "r/api:2")], to: "prod", dst: view("shop-prod", [app("shop-prod", "r/api:1")]), by: "ada",
            at: "2026-12-04T12:00:00Z")
        XCTAssertEqual(plan.owners.first?["kind"], "Approval")
        XCTAssertEqual(plan.owners.first?.at("spec", "image"), "r/api:2")
        XCTAssertEqual(plan.changes.first?.reason, "Approved")
    }
}

/// A change told as an Event: what the events API requires of a new one.
final class ChangeEventTests: XCTestCase {
    func testAnEventCarriesWhatTheEventsAPIRequires() throws {
        let at = try XCTUnwrap(Durations.parse("2026-12-04T12:00:00Z"))
        let e = ChangeEvent.app(
            "Promoted", "Promote", "api", in: "shop-prod", note: String(repeating: "x", count: 2000)
        )
        .manifest(at: at, instance: "")
        XCTAssertEqual(e["apiVersion"], "events.k8s.io/v1")
        XCTAssertEqual(e.at("metadata", "generateName"), "api.")
        XCTAssertEqual(e["eventTime"], "2026-12-04T12:00:00.000000Z")
        XCTAssertEqual(e["reportingController"], "kipper.run/kip")
        XCTAssertEqual(e["reportingInstance"], "kip")
        XCTAssertEqual(e["type"], "Normal")
        XCTAssertEqual(e.at("regarding", "namespace"), "shop-prod")
        XCTAssertEqual(e["note"]?.stringValue?.utf8.count, ChangeEvent.noteLimit, "cut to the API's 1 kB")
        let ns = ChangeEvent.environment("Protected", "Protect", namespace: "shop-prod", note: "n")
            .manifest(at: at, instance: "ada")
        XCTAssertEqual(ns["regarding"], ["apiVersion": "v1", "kind": "Namespace", "name": "shop-prod"])
        XCTAssertEqual(ChangeEvent.action(["app", "env", "set"]), "EnvSet")
        XCTAssertEqual(ChangeEvent.action(["app", "set-image"]), "SetImage")
    }

}
