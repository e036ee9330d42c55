import Foundation
import KipCore
import KipTestSupport
import XCTest

/// A write that fails half-way (the server answers 500 once, at the write named) and the
/// same command run again: it finishes, and every CR agrees with what it owns.
final class FaultRerunE2ETests: XCTestCase {
    func testEveryWriteInterruptedThenFinishedByARerun() throws {
        let c = try E2ECluster(
            self,
            faults: [
                "PATCH /api/v1/namespaces/fr-b:500:once",  // project create: the second namespace
                "PATCH /api/v1/namespaces/fr-c:500:once",  // add-env
                "PATCH /apis/apps/v1/namespaces/fr-a/deployments/api:500:once",  // app deploy
                "PATCH /apis/apps/v1/namespaces/fr-a/statefulsets/db:500:once",  // service add
                "PATCH /apis/apps/v1/namespaces/fr-d/deployments/api:500:once",  // copy
                "PATCH /apis/apps/v1/namespaces/fr-b/deployments/web:500:once",  // promote
            ], sandboxOnly: true)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)

        func twice(_ line: String, _ check: () throws -> Void) throws {
            let first = c.kip(line)
            XCTAssertEqual(first.code, 1, "\(line) should meet the fault: \(first)")
            XCTAssertTrue(first.stderr.contains("injected fault"), first.stderr)
            let again = c.kip(line)
            XCTAssertEqual(again.code, 0, "\(line) again: \(again)")
            try check()
        }
        func image(_ kind: String, _ name: String, _ ns: String) throws -> String? {
            let o = try c.kubectlJSON(["get", kind, name, "-n", ns])
            return kind.hasPrefix("apps.kipper")
                ? o.at("spec", "image")?.stringValue
                : o.at("spec", "template", "spec", "containers")?.arrayValue?.first?["image"]?.stringValue
        }

        try twice("project create fr --environments a,b") {
            XCTAssertTrue(try c.names("namespaces").contains("fr-b"))
        }
        try twice("project add-env fr c") {
            XCTAssertTrue(try c.names("namespaces").contains("fr-c"))
        }
        try twice("app deploy --name api --image r/api:1 --port 3000 --project fr/a") {
            XCTAssertEqual(try image("deployment", "api", "fr-a"), "r/api:1")
            XCTAssertEqual(try c.names("services", namespace: "fr-a"), ["api"])
        }
        try twice("service add postgres --name db --project fr/a") {
            XCTAssertEqual(try c.names("statefulsets", namespace: "fr-a"), ["db"])
            XCTAssertEqual(
                try c.names("secrets", namespace: "fr-a").filter { $0 == "db-credentials" }, ["db-credentials"])
        }
        try twice("project add-env fr d --copy-from a") {
            XCTAssertEqual(try image("deployment", "api", "fr-d"), "r/api:1")
            XCTAssertEqual(try c.names("statefulsets", namespace: "fr-d"), ["db"])
        }
        // Promotion: the target App exists, its Deployment write fails once.
        XCTAssertEqual(c.kip("app deploy --name web --image r/web:2 --port 80 --project fr/a --wait").code, 0)
        XCTAssertEqual(
            c.kubectl(
                ["apply", "--server-side", "-f", "-"],
                stdin:
                    #"{"apiVersion":"kipper.run/v1alpha1","kind":"App","metadata":{"name":"web","namespace":"fr-b","labels":{"app.kubernetes.io/managed-by":"kip","kipper.run/project":"fr","kipper.run/environment":"b"}},"spec":{"image":"r/web:1","port":80}}"#
            ).code, 0)
        let first = c.kip("app promote web --from a --to b --project fr --yes")
        XCTAssertEqual(first.code, 1, "\(first)")
        XCTAssertEqual(try image("apps.kipper.run", "web", "fr-b"), "r/web:2", "the App was written")
        XCTAssertTrue(
            c.kip("app list --project fr/b").stdout.contains("r/web:2 (no Deployment)"),
            "app list says what runs")
        let again = c.kip("app promote web --from a --to b --project fr --yes")
        XCTAssertEqual(again.code, 0, "\(again)")
        XCTAssertTrue(again.stdout.contains("✔ web → b (r/web:2): finished"), again.stdout)
        XCTAssertEqual(try image("deployment", "web", "fr-b"), "r/web:2", "the App and its Deployment agree")
        let third = c.kip("app promote web --from a --to b --project fr --yes")
        XCTAssertTrue(third.stdout.contains("= web already runs r/web:2 in b"), third.stdout)
    }
}
