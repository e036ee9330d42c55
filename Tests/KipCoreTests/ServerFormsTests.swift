import Foundation
import KipCore
import XCTest

/// What the API server writes back, and kip's rules about it, without a cluster.
final class ServerFormsTests: XCTestCase {
    func testCanonicalQuantitiesAsTheServerWritesThem() {
        let cases: [(String, String)] = [
            ("0.5", "500m"), ("1000m", "1"), ("100m", "100m"), ("1024Mi", "1Gi"), ("1536Mi", "1536Mi"),
            ("1.5Gi", "1536Mi"), ("2000Mi", "2000Mi"), ("1000M", "1G"), ("0.5Ki", "512"), ("0", "0"), ("1", "1"),
        ]
        for (given, want) in cases { XCTAssertEqual(Quantity.canonical(given), want, given) }
        XCTAssertNil(Quantity.canonical("1GB"))
    }

    func testDriftComparesQuantitiesByValue() {
        let rendered: JSON = [
            "kind": "Deployment", "metadata": ["name": "web"],
            "spec": ["resources": ["requests": ["cpu": "0.5"], "limits": ["memory": "1024Mi"]], "env": ["0.5"]],
        ]
        var live = rendered
        live.set(["spec", "resources", "requests", "cpu"], "500m")
        live.set(["spec", "resources", "limits", "memory"], "1Gi")
        XCTAssertEqual(Drift.compare(rendered: [rendered], live: [live]), [])
        live.set(["spec", "resources", "limits", "memory"], "2Gi")
        XCTAssertEqual(Drift.compare(rendered: [rendered], live: [live]).map(\.path), ["spec.resources.limits.memory"])
        // Only quantities: another field that reads like one is compared as written.
        var env = rendered
        env.set(["spec", "env"], ["500m"])
        XCTAssertEqual(Drift.compare(rendered: [rendered], live: [env]).count, 1)
    }

    func testAStrategySwitchClearsOnlyADefaultedRollingUpdate() {
        let recreate: JSON = ["kind": "Deployment", "spec": ["strategy": ["type": "Recreate"]]]
        let defaulted: JSON = ["spec": ["strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%"]]]]
        XCTAssertEqual(
            Workloads.strategyPatch(rendered: recreate, live: defaulted),
            ["spec": ["strategy": ["type": "Recreate", "rollingUpdate": .null]]])
        XCTAssertNil(Workloads.strategyPatch(rendered: recreate, live: ["spec": ["strategy": ["type": "Recreate"]]]))
        XCTAssertNil(Workloads.strategyPatch(rendered: recreate, live: nil), "a new Deployment")
        let rolling: JSON = ["kind": "Deployment", "spec": ["strategy": ["type": "RollingUpdate"]]]
        XCTAssertNil(Workloads.strategyPatch(rendered: rolling, live: defaulted))
    }

    func testRouteClaimsNameTheHolder() throws {
        let mine = RouteClaims.Holder(project: "b", environment: "prod", app: "api")
        let theirs = RouteClaims.Holder(project: "a", environment: "prod", app: "api")
        let existing = [RouteClaims.claim("api.example.com", theirs)]
        XCTAssertThrowsError(try RouteClaims.check([("api.example.com", mine)], existing: existing)) { e in
            XCTAssertTrue(
                (e as? KipError)?.message.hasPrefix("host api.example.com is taken by app api of a/prod") == true)
        }
        XCTAssertEqual(try RouteClaims.check([("api.example.com", theirs)], existing: existing), [], "its own")
        XCTAssertEqual(try RouteClaims.check([("new.example.com", mine)], existing: existing).count, 1)
        let scope = WorkloadScope(project: "b", environment: "prod", namespace: "b-prod", domain: "example.com")
        let app: JSON = ["kind": "App", "metadata": ["name": "api"], "spec": ["route": ["host": "x.example.com"]]]
        XCTAssertEqual(RouteClaims.wanted([app], scope: scope, before: { _ in nil }).map(\.host), ["x.example.com"])
        XCTAssertEqual(RouteClaims.wanted([app], scope: scope, before: { _ in app }).count, 0, "unchanged host")
    }

    func testVersionsCompareNumberByNumber() {
        XCTAssertTrue(ServiceSpec.isOlder("15", than: "16"))
        XCTAssertTrue(ServiceSpec.isOlder("8.0", than: "8.4"))
        XCTAssertFalse(ServiceSpec.isOlder("17", than: "16"))
        XCTAssertFalse(ServiceSpec.isOlder("16", than: "16"))
        XCTAssertFalse(ServiceSpec.isOlder("latest", than: "16"))
    }
}
