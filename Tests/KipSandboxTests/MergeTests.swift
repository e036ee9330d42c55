import Foundation
import KipCore
import XCTest

@testable import KipSandbox

final class MergeTests: XCTestCase {
    func apply(_ cur: JSON?, _ m: ManagedFields, _ cfg: JSON, _ mgr: String, force: Bool = false) -> Result<
        (JSON, ManagedFields), ApplyConflicts
    > {
        serverSideApply(current: cur, managed: m, config: cfg, manager: mgr, force: force, apiVersion: "v1", time: "t")
    }

    func testApplyCreatesThenRemovesDroppedFields() throws {
        let (o1, m1) = try apply(
            nil, ManagedFields(), ["metadata": ["name": "a", "labels": ["x": "1", "y": "2"]], "data": ["a": "1"]], "kip"
        ).get()
        XCTAssertEqual(o1.at("metadata", "labels"), ["x": "1", "y": "2"])
        let (o2, _) = try apply(o1, m1, ["metadata": ["name": "a", "labels": ["x": "1"]]], "kip").get()
        XCTAssertEqual(o2.at("metadata", "labels"), ["x": "1"])
        XCTAssertNil(o2["data"], "an object left empty by removal goes too")
    }

    func testListsAreOwnedWhole() throws {
        let (o1, m1) = try apply(nil, ManagedFields(), ["spec": ["ports": [1, 2]]], "kip").get()
        let (o2, _) = try apply(o1, m1, ["spec": ["ports": [3]]], "kip").get()
        XCTAssertEqual(o2.at("spec", "ports"), [3])
    }

    func testConflictUnlessForced() throws {
        let (o1, m1) = try apply(nil, ManagedFields(), ["spec": ["replicas": 1]], "a").get()
        guard case .failure(let c) = apply(o1, m1, ["spec": ["replicas": 3]], "b") else {
            return XCTFail("expected a conflict")
        }
        XCTAssertEqual(c.list.map(\.manager), ["a"])
        XCTAssertEqual(c.list.map(\.path), [["spec", "replicas"]])
        // Same value is shared ownership, not a conflict.
        XCTAssertNoThrow(try apply(o1, m1, ["spec": ["replicas": 1]], "b").get())
        let (o3, m3) = try apply(o1, m1, ["spec": ["replicas": 3]], "b", force: true).get()
        XCTAssertEqual(o3.at("spec", "replicas"), 3)
        XCTAssertEqual(m3.entries["Apply:a"]?.paths ?? [], [])
    }

    func testUpdateTakesOwnershipOfChangedFields() throws {
        let (o1, m1) = try apply(nil, ManagedFields(), ["spec": ["replicas": 1, "image": "x"]], "kip").get()
        var edited = o1
        edited.set(["spec", "replicas"], 5)
        let m2 = recordUpdate(old: o1, new: edited, managed: m1, manager: "kubectl-edit", apiVersion: "v1", time: "t")
        XCTAssertEqual(m2.entries["Update:kubectl-edit"]?.paths, [["spec", "replicas"]])
        XCTAssertEqual(m2.entries["Apply:kip"]?.paths, [["spec", "image"]])
    }

    func testMergePatch() {
        let base: JSON = ["a": ["b": 1, "c": 2], "l": [1, 2]]
        XCTAssertEqual(mergePatch(base, ["a": ["b": nil, "d": 3], "l": [9]]), ["a": ["c": 2, "d": 3], "l": [9]])
    }

    func testServerSideApplyTakesAYAMLBody() throws {
        let api = APIServer()
        let yaml = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: y
              namespace: default
              labels:
                tier: "web"
            data:
              key: "value"
            """
        let req = HTTPRequest(
            method: "PATCH", path: "/api/v1/namespaces/default/configmaps/y", query: ["fieldManager": "t"],
            rawQuery: "fieldManager=t",
            headers: ["content-type": "application/apply-patch+yaml"], body: Data(yaml.utf8))
        let resp = api.handle(req)
        XCTAssertEqual(resp.status, 201)
        let obj = try JSON.parse(resp.body)
        XCTAssertEqual(obj.at("data", "key"), "value")
        XCTAssertEqual(obj.at("metadata", "labels", "tier"), "web")
        XCTAssertEqual(obj.at("metadata", "managedFields")?.arrayValue?.first?["manager"], "t")
        var noManager = req
        noManager.query = [:]
        XCTAssertEqual(api.handle(noManager).status, 400, "apply needs a field manager")
    }

    func testFaultRules() throws {
        var once = try FaultRule(spec: "PATCH /api/v1/namespaces/*:500:once")
        XCTAssertFalse(once.fires(method: "GET", path: "/api/v1/namespaces/a"))
        XCTAssertTrue(once.fires(method: "PATCH", path: "/api/v1/namespaces/a"))
        XCTAssertFalse(once.fires(method: "PATCH", path: "/api/v1/namespaces/a"))
        var every = try FaultRule(spec: "* /apis/*:503:every-2")
        XCTAssertEqual((0..<4).map { _ in every.fires(method: "GET", path: "/apis/x") }, [false, true, false, true])
        var after = try FaultRule(spec: "PATCH *:500:after-1")
        XCTAssertEqual((0..<3).map { _ in after.fires(method: "PATCH", path: "/x") }, [false, true, true])
        XCTAssertThrowsError(try FaultRule(spec: "PATCH /x"))
        XCTAssertThrowsError(try FaultRule(spec: "PATCH /x:abc"))
    }
}
