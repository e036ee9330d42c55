import KipCore
import XCTest

final class PromotionTests: XCTestCase {
    let project = Project(
        name: "yourr-name", displayName: nil,
        environments: [
            .init(name: "test", namespace: "yourr-name-test"), .init(name: "acc", namespace: "yourr-name-acc"),
            .init(name: "prod", namespace: "yourr-name-prod"),
        ])

    func app(_ name: String, _ image: String?) -> JSON {
        var o: JSON = [
            "apiVersion": "kipper.run/v1alpha1", "kind": "App", "metadata": ["name": .string(name)],
            "spec": ["port": 80],
        ]
        if let image { o.set(["spec", "image"], .string(image)) }
        return o
    }

    func message(_ from: String?, _ to: String, force: Bool = false) -> String? {
        do {
            _ = try Promotion.environments(project, from: from, to: to, force: force)
            return nil
        } catch { return (error as? KipError)?.message }
    }

    func testToAloneInfersThePreviousStage() throws {
        XCTAssertEqual(try Promotion.environments(project, from: nil, to: "prod", force: false).from, "acc")
        XCTAssertEqual(try Promotion.environments(project, from: nil, to: "acc", force: false).from, "test")
        XCTAssertEqual(
            message(nil, "test"),
            "test is the first environment of test → acc → prod: nothing comes before it; pass --from")
    }

    func testBackwardsAndSkippingNeedForce() throws {
        XCTAssertEqual(
            message("prod", "acc"), "prod → acc goes backwards along test → acc → prod: pass --force to do it anyway")
        XCTAssertEqual(
            message("test", "prod"),
            "test → prod skips acc: pass --force to do it anyway, or promote one stage at a time")
        XCTAssertNil(message("test", "prod", force: true))
        XCTAssertNil(message("prod", "test", force: true))
        XCTAssertEqual(message("acc", "acc"), "source and target are both acc: promote between two environments")
        XCTAssertEqual(
            message("dev", "acc"),
            "project \"yourr-name\" has no environment \"dev\"; its pipeline is test → acc → prod")
    }

    func testPlanMarksUnchangedAndMissingApps() {
        let items = Promotion.plan(
            apps: nil,
            source: [app("api", "r/api:2"), app("web", "r/web:1"), app("new", "r/new:1"), app("empty", nil)],
            target: [app("api", "r/api:1"), app("web", "r/web:1"), app("empty", "x")])
        XCTAssertEqual(
            items,
            [
                .init(app: "api", outcome: .promote(before: "r/api:1", after: "r/api:2")),
                .init(app: "empty", outcome: .noImage),
                .init(app: "new", outcome: .missingTarget),
                .init(app: "web", outcome: .unchanged("r/web:1")),
            ])
        XCTAssertEqual(
            Promotion.plan(apps: ["ghost"], source: [], target: []), [.init(app: "ghost", outcome: .missingSource)])
    }

    func testPromotedCopiesOnlyTheImageAndRecordsIt() {
        var target = app("api", "r/api:1")
        target.set(["spec", "replicas"], 3)
        target.set(["spec", "env"], [["name": "A", "value": "prod"]])
        let p = Promotion.promoted(target, image: "r/api:2", from: "acc", at: "2026-01-01T00:00:00Z")
        XCTAssertEqual(p.at("spec", "image"), "r/api:2")
        XCTAssertEqual(p.at("spec", "replicas"), 3)
        XCTAssertEqual(p.at("spec", "env"), target.at("spec", "env"))
        XCTAssertEqual(
            p.at("metadata", "annotations")?.stringMap,
            [
                "kipper.run/promoted-from": "acc", "kipper.run/promoted-at": "2026-01-01T00:00:00Z",
                "kipper.run/promoted-image": "r/api:2",
            ])
        XCTAssertEqual(
            Promotion.history(p),
            [
                .init(
                    revision: 1, action: "promote", from: "acc", imageBefore: "r/api:1", imageAfter: "r/api:2",
                    at: "2026-01-01T00:00:00Z")
            ])
    }

    func testHistoryKeepsTheLastTwentyWithRisingRevisions() {
        var a = app("api", "r/api:0")
        for i in 1...25 { a = Promotion.promoted(a, image: "r/api:\(i)", from: "test", at: "t\(i)") }
        let h = Promotion.history(a)
        XCTAssertEqual(h.count, 20)
        XCTAssertEqual(h.first?.revision, 6)
        XCTAssertEqual(h.last?.revision, 25)
        XCTAssertEqual(h.last?.imageBefore, "r/api:24")
    }

    func testRollbackImage() throws {
        var a = app("api", "r/api:1")
        a = Promotion.promoted(a, image: "r/api:2", from: "test", at: "t1")
        a = Promotion.promoted(a, image: "r/api:3", from: "test", at: "t2")
        XCTAssertEqual(try Promotion.rollbackImage(a, toRevision: nil).image, "r/api:2")
        XCTAssertEqual(try Promotion.rollbackImage(a, toRevision: 1).image, "r/api:2")
        XCTAssertEqual(try Promotion.rollbackImage(a, toRevision: 2).image, "r/api:3")
        XCTAssertThrowsError(try Promotion.rollbackImage(a, toRevision: 9))
        XCTAssertThrowsError(try Promotion.rollbackImage(app("x", "y"), toRevision: nil))
    }

    func testTimestampIsUTCRFC3339() {
        XCTAssertEqual(Promotion.timestamp(Date(timeIntervalSince1970: 1_800_000_000)), "2027-01-15T08:00:00Z")
    }
}
