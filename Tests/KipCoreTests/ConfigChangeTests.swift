import Foundation
import KipCore
import XCTest

/// The changes commands make to kip's own config, as pure steps of their plans.
final class ConfigChangeTests: XCTestCase {
    func config() -> KipConfig {
        var c = KipConfig()
        c.clusters["a"] = .init(context: "kind-a", kubeconfig: nil)
        c.clusters["b"] = .init(context: "kind-b", kubeconfig: "/k/b")
        c.currentCluster = "a"
        c.active["a"] = .init(project: "shop", environment: "test")
        c.active["b"] = .init(project: "web", environment: nil)
        return c
    }

    func testActivatingKeepsTheOneBeforeForUseDash() throws {
        var c = config()
        try c.apply(.activate(cluster: "a", .init(project: "shop", environment: "prod")))
        XCTAssertEqual(c.active["a"], .init(project: "shop", environment: "prod"))
        XCTAssertEqual(c.previous?["a"], .init(project: "shop", environment: "test"))
        // The same project again is not an earlier one.
        try c.apply(.activate(cluster: "a", .init(project: "shop", environment: "prod")))
        XCTAssertEqual(c.previous?["a"], .init(project: "shop", environment: "test"))
        try c.apply(.clearActive(cluster: "a"))
        XCTAssertNil(c.active["a"])
    }

    func testDeletingAProjectOrEnvironmentForgetsOnlyThatOne() throws {
        var c = config()
        try c.apply(.forgetEnvironment(cluster: "a", project: "shop", environment: "prod"))
        XCTAssertEqual(c.active["a"], .init(project: "shop", environment: "test"), "another environment stays")
        try c.apply(.forgetEnvironment(cluster: "a", project: "shop", environment: "test"))
        XCTAssertEqual(c.active["a"], .init(project: "shop", environment: nil), "the project stays active")
        try c.apply(.forgetProject(cluster: "a", project: "other"))
        XCTAssertNotNil(c.active["a"])
        try c.apply(.forgetProject(cluster: "a", project: "shop"))
        XCTAssertNil(c.active["a"])
        XCTAssertEqual(c.active["b"], .init(project: "web", environment: nil), "other clusters are untouched")
    }

    func testSettingsAreCachedForAKnownClusterOnly() throws {
        var c = config()
        try c.apply(.settings(cluster: "a", org: "acme", domain: "apps.acme.dev"))
        XCTAssertEqual(c.clusters["a"]?.org, "acme")
        XCTAssertEqual(c.clusters["a"]?.domain, "apps.acme.dev")
        try c.apply(.settings(cluster: "z", org: "acme", domain: nil))
        XCTAssertNil(c.clusters["z"], "reading a cluster never adds it")
    }

    func testAddingAClusterRefusesAnotherContextUnderTheSameName() throws {
        var c = config()
        try c.apply(.addCluster(name: "c", .init(context: "kind-c", kubeconfig: nil), makeCurrent: false))
        XCTAssertEqual(c.currentCluster, "a", "not current unless asked or none is")
        try c.apply(.addCluster(name: "c", .init(context: "kind-c", kubeconfig: nil), makeCurrent: true))
        XCTAssertEqual(c.currentCluster, "c", "adding the same again is allowed and may make it current")
        let before = c
        XCTAssertThrowsError(
            try c.apply(.addCluster(name: "c", .init(context: "kind-x", kubeconfig: nil), makeCurrent: false))
        ) {
            XCTAssertEqual(
                ($0 as? KipError)?.message,
                "cluster 'c' already exists with context 'kind-c': remove it first with 'kip cluster remove c'")
        }
        XCTAssertEqual(c, before)
        var empty = KipConfig()
        try empty.apply(.addCluster(name: "first", .init(context: "k", kubeconfig: nil), makeCurrent: false))
        XCTAssertEqual(empty.currentCluster, "first", "the first cluster is current")
    }

    func testUsingAndRemovingNeedAKnownCluster() throws {
        var c = config()
        try c.apply(.useCluster("b"))
        XCTAssertEqual(c.currentCluster, "b")
        try c.apply(.removeCluster("b"))
        XCTAssertNil(c.clusters["b"])
        XCTAssertNil(c.active["b"])
        XCTAssertNil(c.currentCluster)
        XCTAssertThrowsError(try c.apply(.useCluster("nope"))) {
            XCTAssertEqual(($0 as? KipError)?.message, "unknown cluster 'nope': known clusters are a")
        }
        var none = KipConfig()
        XCTAssertThrowsError(try none.apply(.removeCluster("x"))) {
            XCTAssertEqual(
                ($0 as? KipError)?.message, "unknown cluster 'x': add it with 'kip cluster add x --context CONTEXT'")
        }
    }

    func testAPlanThatOnlySaysSomethingWritesNothing() {
        XCTAssertTrue(Plan.nothing("Nothing has expired.").writesNothing)
        XCTAssertTrue(Plan.local(.success("done"), would: "Would.").writesNothing)
        XCTAssertEqual(Plan.local(.success("done"), would: "Would.").summary, ["Would."])
        var p = Plan()
        p.deletes = [.init(ref: "namespace/x", namespace: nil)]
        XCTAssertFalse(p.writesNothing)
        var q = Plan()
        q.owned = { _ in [["kind": "ConfigMap"]] }
        XCTAssertFalse(q.writesNothing, "what owners own is written too")
        var r = Plan()
        r.changes = [ChangeEvent(reason: "Deployed", action: "Deploy", name: "a", namespace: "n", note: "m")]
        XCTAssertFalse(r.writesNothing, "an Event is a write")
    }
}
