import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Isolated environments: each admits traffic from itself and the ingress controller's
/// namespace only (a NetworkPolicy owned by the Project), unless installed without.
final class IsolationE2ETests: XCTestCase {
    func testEachEnvironmentAdmitsOnlyItselfAndTheIngressController() throws {
        let c = try E2ECluster(self)
        let install = c.kip("install --domain apprunr.com")
        XCTAssertEqual(install.code, 0, "\(install)")
        XCTAssertTrue(
            install.stdout.contains(
                "isolation: each environment admits traffic from itself and namespace ingress-nginx only"),
            install.stdout)
        XCTAssertEqual(c.kip("project create shop --environments test,acc").code, 0)
        func from(_ ns: String) throws -> JSON? {
            try c.kubectlJSON(["get", "networkpolicy", "kip-isolation", "-n", ns]).at("spec", "ingress")
        }
        let expected: JSON = [
            [
                "from": [
                    ["podSelector": [:]],
                    ["namespaceSelector": ["matchLabels": ["kubernetes.io/metadata.name": "ingress-nginx"]]],
                ]
            ]
        ]
        XCTAssertEqual(try from("shop-test"), expected)
        XCTAssertEqual(try from("shop-acc"), expected)
        let policy = try c.kubectlJSON(["get", "networkpolicy", "kip-isolation", "-n", "shop-test"])
        XCTAssertEqual(policy.at("spec", "policyTypes"), ["Ingress"])
        XCTAssertEqual(
            policy.at("metadata", "ownerReferences")?.arrayValue?.first?["kind"], "Project", "owned by the Project")

        // A copy is isolated too; another ingress controller is admitted after a sync.
        XCTAssertEqual(c.kip("app deploy --name api --image r/api:1 --port 80 --project shop/test").code, 0)
        XCTAssertEqual(c.kip("project add-env shop pr-1 --preview --copy-from test").code, 0)
        XCTAssertNotNil(try from("shop-pr-1"))
        XCTAssertEqual(c.kip("install --ingress-namespace traefik").code, 0)
        XCTAssertEqual(c.kip("project sync shop").code, 0)
        XCTAssertEqual(
            try from("shop-acc")?.arrayValue?.first?.at("from")?.arrayValue?.last?.at(
                "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"), "traefik")
        XCTAssertEqual(c.kip("install --ingress-namespace not_a_name").code, 1)

        // Without isolation (a network plugin that enforces no policy): none.
        let off = c.kip("install --no-isolation")
        XCTAssertEqual(off.code, 0, "\(off)")
        XCTAssertTrue(off.stdout.contains("isolation: off"), off.stdout)
        XCTAssertEqual(c.kip("project create other").code, 0)
        XCTAssertEqual(c.kubectl(["get", "networkpolicy", "-n", "other", "-o", "name"]).stdout, "")
        XCTAssertEqual(c.kip("install --no-isolation --isolation on").code, 2)
    }
}
