import Foundation
import KipCore
import KipTestSupport
import XCTest

/// The commands that only look, decided from one read without a cluster.
final class QueriesTests: XCTestCase {
    let shop = Project(
        name: "shop", displayName: nil,
        environments: [
            .init(name: "test", namespace: "shop-test"), .init(name: "acc", namespace: "shop-acc"),
            .init(name: "prod", namespace: "shop-prod"),
        ])

    func app(_ ns: String, _ env: String, image: String) -> JSON {
        Workloads.cr(
            .app, "api", WorkloadScope(project: "shop", environment: env, namespace: ns, domain: nil),
            spec: ["image": .string(image), "port": 80])
    }

    func deployment(_ ns: String, image: String) -> JSON {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "api", "namespace": .string(ns), "generation": 1],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "api", "image": .string(image)]]]]],
            "status": [
                "observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                "availableReplicas": 1,
            ],
        ]
    }

    func testStatusSaysWhatRunsWhereAndWhichEnvironmentIsBehind() {
        let observed = Observed(items: [
            app("shop-test", "test", image: "r/api:2"), deployment("shop-test", image: "r/api:2"),
            app("shop-acc", "acc", image: "r/api:1"), deployment("shop-acc", image: "r/api:1"),
        ])
        let status = ProjectStatus(shop, observed: observed, hidden: ["shop-prod"])
        XCTAssertEqual(status.rows.map(\.app), ["api"])
        XCTAssertEqual(status.rows[0].cells.map(\.state), ["ready", "ready", "not visible"])
        XCTAssertEqual(status.rows[0].behind, ["acc behind test"])
        XCTAssertEqual(status.table.header, ["APP", "TEST", "ACC", "PROD", "BEHIND"])
        XCTAssertEqual(status.table.rows, [["api", "r/api:2", "r/api:1", "(not visible)", "acc behind test"]])
        XCTAssertEqual(status.document.arrayValue?.first?["behind"], ["acc behind test"])
    }

    func testAccessNamesTheRoleTheAnswersAmountTo() {
        let reviews = AccessCheck.reviews(shop)
        XCTAssertEqual(reviews.count, 12, "four checks in each of three environments")
        XCTAssertEqual(reviews[0].at("spec", "resourceAttributes", "namespace"), "shop-test")
        let allowed = [true, true, true, false] + [true, false, false, false] + [false, false, false, false]
        let check = AccessCheck(shop, allowed: allowed)
        XCTAssertEqual(check.rows.map { $0[1] }, ["developer", "viewer", "none"])
        XCTAssertEqual(check.document[0]["deploy"], true)
    }

    func testProjectUseTakesANameAnEnvironmentOrTheNamespaceForm() throws {
        let observed = Observed(items: [shop.manifest])
        XCTAssertEqual(
            try Resolver.active("shop/acc", observed: observed), KipConfig.Active(project: "shop", environment: "acc"))
        XCTAssertEqual(
            try Resolver.active("shop", observed: observed), KipConfig.Active(project: "shop", environment: nil))
        XCTAssertEqual(
            try Resolver.active("shop-prod", observed: observed), KipConfig.Active(project: "shop", environment: "prod")
        )
        XCTAssertThrowsError(try Resolver.active("shop/qa", observed: observed)) {
            XCTAssertEqual(
                ($0 as? KipError)?.message, "project \"shop\" has no environment \"qa\"; it has: test, acc, prod")
        }
    }
}

/// What promote says once written, and what gc removes.
final class PromotionReportAndGcTests: XCTestCase {
    func testEachAppGetsOneLineAndTheCountsMatch() {
        let items: [Promotion.Item] = [
            .init(app: "api", outcome: .promote(before: "r/api:1", after: "r/api:2")),
            .init(app: "web", outcome: .create(image: "r/web:1")),
            .init(app: "job", outcome: .unchanged("r/job:1")),
            .init(app: "old", outcome: .missingSource),
        ]
        let r = PromotionReport(items, failed: ["web": "forbidden"], to: "acc") { "app \($0.app) is not in test" }
        XCTAssertEqual(
            r.said,
            [
                .done("api → acc (r/api:2)"), .failed("web: not created: forbidden"),
                .same("= job already runs r/job:1 in acc"), .failed("app old is not in test"),
            ])
        XCTAssertEqual(r.promoted, 1)
        XCTAssertEqual(r.problems, 2)
        let doc = r.document(
            project: "shop", from: "test", to: "acc", items,
            rollouts: .init(failed: ["api": "CrashLoopBackOff"], putBack: ["api"]))
        // A rollout that failed is not a promotion: counted as failed and put back.
        XCTAssertEqual(doc["promoted"], 0)
        XCTAssertEqual(doc["failed"], 3)
        XCTAssertEqual(doc["putBack"], 1)
        XCTAssertEqual(doc["removed"], 0)
        XCTAssertEqual(doc["apps"]?.arrayValue?.first?["putBack"], true)
        XCTAssertEqual(
            r.done(of: 4, .init(failed: ["api": "CrashLoopBackOff"], putBack: ["api"])),
            "Done: 0 of 4 promoted, 3 failed, 1 put back")
        XCTAssertEqual(
            doc["apps"]?.arrayValue?.map { $0["outcome"] }, ["rollout-failed", "failed", "unchanged", "refused"])
        XCTAssertEqual(doc["apps"]?.arrayValue?.first?["imageBefore"], "r/api:1")
    }

    func testGcRemovesExpiredEnvironmentsButNeverProtectedOnes() throws {
        let now = try XCTUnwrap(Durations.parse("2026-12-04T12:00:00Z"))
        let p = Project(
            name: "shop", displayName: nil,
            environments: [
                .init(name: "test", namespace: "shop-test"),
                .init(name: "pr-1", namespace: "shop-pr-1", expiresAt: "2026-12-04T11:00:00Z"),
                .init(name: "pr-2", namespace: "shop-pr-2", protected: true, expiresAt: "2026-12-04T11:00:00Z"),
                .init(name: "pr-3", namespace: "shop-pr-3", expiresAt: "2026-12-05T11:00:00Z"),
            ], uid: "u")
        XCTAssertEqual(ProjectPlanner.expired(p, at: now).map(\.name), ["pr-1"])
        let (plan, removed) = ProjectPlanner.gcPlan(p, at: now)
        XCTAssertEqual(removed, 1)
        XCTAssertEqual(plan.deletes.map(\.ref), ["namespace/shop-pr-1"])
        XCTAssertEqual(
            plan.owners.first?.at("spec", "environments")?.arrayValue?.compactMap { $0["name"]?.stringValue },
            ["test", "pr-2", "pr-3"])
        XCTAssertEqual(plan.report, [.success("removed shop/pr-1 (namespace shop-pr-1; expired 60m ago)")])
    }
}

/// Preview environments: outside the pipeline's order.
final class PreviewTests: XCTestCase {
    let shop = Project(
        name: "shop", displayName: nil,
        environments: [
            .init(name: "test", namespace: "shop-test"), .init(name: "acc", namespace: "shop-acc"),
            .init(name: "prod", namespace: "shop-prod"),
            .init(name: "pr-7", namespace: "shop-pr-7", preview: true),
        ])

    /// `preview up|down` touch previews only; a later push moves the end; the summary
    /// gives each app's URL (https when the cluster serves TLS).
    func testPreviewPlansAndSummary() throws {
        XCTAssertThrowsError(
            try Preview.checkIsPreview(shop.environment("prod")!, project: "shop", removing: true)
        ) {
            XCTAssertEqual(
                ($0 as? KipError)?.message,
                "shop/prod is a stage of the pipeline, not a preview: remove it with 'kip project remove-env shop prod'"
            )
        }
        XCTAssertNoThrow(try Preview.checkIsPreview(shop.environment("pr-7")!, project: "shop", removing: false))
        let plan = try Preview.extendPlan(shop, env: "pr-7", to: "2026-12-07T12:00:00Z")
        XCTAssertEqual(plan.owners.count, 1)
        XCTAssertEqual(Project(plan.owners[0])?.environment("pr-7")?.expiresAt, "2026-12-07T12:00:00Z")
        XCTAssertEqual(plan.report, [.success("shop/pr-7 now ends at 2026-12-07T12:00:00Z")])
        XCTAssertThrowsError(try Preview.extendPlan(shop, env: "pr-8", to: "2026-12-07T12:00:00Z"))

        var scope = WorkloadScope(project: "shop", environment: "pr-7", namespace: "shop-pr-7", domain: nil)
        let apps: [JSON] = [
            ["metadata": ["name": "api"], "spec": ["image": "r/api:pr-7", "route": ["host": "api-pr-7.example.com"]]],
            ["metadata": ["name": "worker"], "spec": ["image": "r/worker:1"]],
        ]
        var (doc, lines) = Preview.summary(
            project: "shop", env: "pr-7", apps: apps, scope: scope, expiresAt: nil, created: true)
        XCTAssertEqual(doc.at("apps")?.arrayValue?.first?["url"], "http://api-pr-7.example.com")
        XCTAssertEqual(doc["created"], true)
        XCTAssertEqual(
            lines,
            ["Preview shop/pr-7 (namespace shop-pr-7)", "  api  http://api-pr-7.example.com", "  worker  (no route)"])
        scope.cluster.clusterIssuer = "letsencrypt"
        (doc, lines) = Preview.summary(
            project: "shop", env: "pr-7", apps: apps, scope: scope, expiresAt: "2026-12-07T12:00:00Z", created: false)
        XCTAssertEqual(doc["expiresAt"], "2026-12-07T12:00:00Z")
        XCTAssertEqual(lines.first, "Preview shop/pr-7 (namespace shop-pr-7), ends 2026-12-07T12:00:00Z")
        XCTAssertEqual(lines[1], "  api  https://api-pr-7.example.com")
    }

    func testAPreviewIsNoStageAndSurvivesTheProjectsManifest() {
        XCTAssertEqual(shop.stages, ["test", "acc", "prod"])
        XCTAssertEqual(Project(shop.manifest)?.environment("pr-7")?.preview, true)
        XCTAssertEqual(Project(shop.manifest)?.environment("prod")?.preview, false)
    }

    func testPromotionIntoAPreviewNamesItsSourceAndSkipsNothing() throws {
        XCTAssertThrowsError(try Promotion.environments(shop, from: nil, to: "pr-7", force: false)) {
            XCTAssertEqual(
                ($0 as? KipError)?.message,
                "pr-7 is a preview environment, outside the pipeline: say where its images come from with --from (e.g. --from test)"
            )
        }
        XCTAssertTrue(try Promotion.environments(shop, from: "test", to: "pr-7", force: false) == ("test", "pr-7"))
        // A preview after prod does not make prod's source pr-7, nor acc → prod a skip.
        XCTAssertTrue(try Promotion.environments(shop, from: nil, to: "prod", force: false) == ("acc", "prod"))
        XCTAssertThrowsError(try Promotion.environments(shop, from: "pr-7", to: "prod", force: false)) {
            XCTAssertTrue(
                ($0 as? KipError)?.message.hasPrefix("pr-7 is a preview environment: promote into prod") == true)
        }
        XCTAssertTrue(try Promotion.environments(shop, from: "pr-7", to: "prod", force: true) == ("pr-7", "prod"))
    }

    func testGcKeepsOnlyTheNamedPreviews() throws {
        let now = try XCTUnwrap(Durations.parse("2026-12-04T12:00:00Z"))
        var p = shop
        p.environments.append(.init(name: "pr-8", namespace: "shop-pr-8", preview: true))
        XCTAssertEqual(ProjectPlanner.expired(p, at: now).map(\.name), [], "nothing expired")
        XCTAssertEqual(ProjectPlanner.expired(p, at: now, keepingOnly: ["pr-8"]).map(\.name), ["pr-7"])
        let (plan, removed) = ProjectPlanner.gcPlan(p, at: now, keepingOnly: ["pr-8"])
        XCTAssertEqual(removed, 1)
        XCTAssertEqual(plan.report, [.success("removed shop/pr-7 (namespace shop-pr-7; a preview not kept)")])
    }
}
