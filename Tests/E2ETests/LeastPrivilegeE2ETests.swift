import Foundation
import KipCore
import KipTestSupport
import XCTest

/// A developer whose rights stop at their project's namespaces: kip-developer bound in
/// shop-test and shop-acc, kip-reader cluster-wide (as `kip install` binds it).
final class LeastPrivilegeE2ETests: XCTestCase {
    var c: E2ECluster!
    var devConfig: String!

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        if c.isReal { throw XCTSkip("acts as another user by impersonating, from the sandbox's admin kubeconfig") }
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", "shop", "--environments", "test,acc,prod"]).code, 0)
        for ns in ["shop-test", "shop-acc"] {
            let binding =
                #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"dev-kip-developer","namespace":"\#(ns)"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"kip-developer"},"subjects":[{"kind":"User","name":"dev","apiGroup":"rbac.authorization.k8s.io"}]}"#
            XCTAssertEqual(c.kubectl(["apply", "--server-side", "-f", "-"], stdin: binding).code, 0)
        }
        // dev's kubeconfig: the same server, acting as dev.
        let admin = try String(contentsOfFile: c.kubeconfig, encoding: .utf8)
        devConfig = c.kubeconfig + ".dev"
        try admin.replacingOccurrences(of: "user: {}", with: "user: {as: dev, as-groups: [developers]}")
            .write(toFile: devConfig, atomically: true, encoding: .utf8)
    }

    func dev(_ args: [String], stdin: String? = nil) -> Run {
        c.kip(args, stdin: stdin, env: ["KUBECONFIG": devConfig])
    }

    func testADeveloperWalksTheirEnvironmentsAndIsRefusedElsewhere() throws {
        let deploy = dev([
            "app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "3000", "--project", "shop/test",
        ])
        XCTAssertEqual(deploy.code, 0, "\(deploy)")
        XCTAssertEqual(dev(["app", "env", "set", "api", "LOG=debug", "--project", "shop/test"]).code, 0)
        XCTAssertEqual(dev(["app", "secret", "set", "api", "TOKEN", "--project", "shop/test"], stdin: "t0k").code, 0)
        XCTAssertEqual(
            dev(["app", "deploy", "--name", "api", "--image", "r/api:0", "--port", "3000", "--project", "shop/acc"])
                .code, 0)
        XCTAssertEqual(
            dev(["app", "deploy", "--name", "api", "--image", "r/api:2", "--port", "3000", "--project", "shop/test"])
                .code, 0)
        let promote = dev(["app", "promote", "api", "--to", "acc", "--project", "shop", "--yes"])
        XCTAssertEqual(promote.code, 0, "\(promote)")
        XCTAssertEqual(dev(["app", "list", "--project", "shop/acc"]).stdout.contains("r/api:2"), true)

        // Outside their environments: one line saying what they lack and who can give it.
        let prod = dev([
            "app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "3000", "--project", "shop/prod",
        ])
        XCTAssertEqual(prod.code, 1)
        XCTAssertEqual(
            prod.stderr.split(separator: "\n").first.map(String.init),
            "Error: user \"dev\" lacks \"get namespaces\" in namespace shop-prod (shop/prod): a project admin can bind kip-viewer there ('kubectl create rolebinding dev-kip-viewer --clusterrole kip-viewer --user dev -n shop-prod')"
        )
        let promoteProd = dev(["app", "promote", "api", "--to", "prod", "--project", "shop", "--yes"])
        XCTAssertEqual(promoteProd.code, 1)
        XCTAssertTrue(promoteProd.stderr.hasPrefix("Error: user \"dev\" lacks "), promoteProd.stderr)
        let delete = dev(["project", "delete", "shop", "--yes"])
        XCTAssertEqual(delete.code, 1)
        XCTAssertTrue(delete.stderr.hasPrefix("Error: user \"dev\" lacks "), delete.stderr)
        let install = dev(["install"])
        XCTAssertEqual(install.code, 1)
        XCTAssertTrue(install.stderr.hasPrefix("Error: user \"dev\" lacks "), install.stderr)
        XCTAssertTrue(try c.names("namespaces").contains("shop-prod"), "nothing was deleted")
        XCTAssertEqual(c.clusterWideLists(), [], "no read across all namespaces")
    }
}
