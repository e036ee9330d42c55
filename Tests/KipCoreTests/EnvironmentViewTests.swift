import Foundation
import KipCore
import KipTestSupport
import XCTest

/// What a write decides from one read of its environment, without a cluster: the plan a
/// CR makes (created or updated, what it renders, what it no longer renders, the route it
/// claims, the password a new service gets), and the refusals every kind shares.
final class EnvironmentViewTests: XCTestCase {
    let scope = WorkloadScope(project: "shop", environment: "test", namespace: "shop-test", domain: "apprunr.com")

    func view(_ items: [JSON]) -> EnvironmentView {
        let settings: JSON = [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": ["name": "kipper-system", "annotations": ["kipper.run/domain": "apprunr.com"]],
        ]
        let ns: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop-test"]]
        var v = EnvironmentView(
            Observed(items: [settings, ns] + items), projectName: "shop", environment: "test", namespace: "shop-test")
        var n = 0
        v.newPassword = {
            n += 1
            return "pw\(n)"
        }
        return v
    }

    func app(_ name: String, _ spec: JSON, rv: String? = nil, uid: String? = nil) -> JSON {
        var a = Workloads.cr(.app, name, scope, spec: spec)
        if let rv { a.set(["metadata", "resourceVersion"], .string(rv)) }
        if let uid { a.set(["metadata", "uid"], .string(uid)) }
        return a
    }

    func names(_ objects: [JSON]) -> [String] {
        objects.map { "\($0["kind"]?.stringValue ?? "") \($0.at("metadata", "name")?.stringValue ?? "")" }
    }

    func testANewAppIsCreatedWithItsChildrenAndClaimsItsRoute() throws {
        let w = view([])
        let cr = app("api", ["image": "r/api:1", "port": 3000, "route": ["host": "api-shop-test.apprunr.com"]])
        let plan = try w.plan(.app, "api", [cr])
        XCTAssertEqual(names(plan.owners), ["App api"])
        XCTAssertFalse(plan.ownersKnown, "a new CR: its uid comes from the server")
        XCTAssertEqual(names(plan.claims), ["RouteClaim api-shop-test.apprunr.com"])
        XCTAssertEqual(plan.claims.first?.at("spec", "app"), "api")
        XCTAssertEqual(
            Set(names(plan.owned(["App/api": "u-1"]))), ["Deployment api", "Service api", "Ingress api"])
        XCTAssertEqual(
            plan.owned(["App/api": "u-1"]).first?.at("metadata", "ownerReferences")?.arrayValue?.first?["uid"], "u-1")
        XCTAssertEqual(plan.deletes.count, 0)
        XCTAssertEqual(
            plan.report.first, .success("app api created in shop-test"), "\(plan.report)")
        assertGolden(JSON.array(plan.manifests).serialized(pretty: true) + "\n", "view-new-app-plan.json")
    }

    func testAnUpdateCarriesWhatWasReadAndDeletesWhatIsNoLongerRendered() throws {
        let before = app(
            "api", ["image": "r/api:1", "port": 3000, "route": ["host": "api-shop-test.apprunr.com"]], rv: "41",
            uid: "u-api")
        let ingress: JSON = [
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": [
                "name": "api", "namespace": "shop-test",
                "labels": ["kipper.run/app": "api", "app.kubernetes.io/managed-by": "kip"],
            ],
        ]
        let w = view([before, ingress])
        let now = app("api", ["image": "r/api:2", "port": 3000])
        let plan = try w.plan(.app, "api", [now])
        XCTAssertEqual(
            plan.owners.first?.at("metadata", "resourceVersion"), "41",
            "the write holds the resourceVersion read: someone else's change in between is a 409, never lost")
        XCTAssertTrue(plan.ownersKnown)
        XCTAssertEqual(plan.claims, [], "no new host")
        XCTAssertEqual(plan.deletes.map(\.ref), ["ingress.v1.networking.k8s.io/api"])
        XCTAssertEqual(plan.report.first, .success("app api updated in shop-test"))
        XCTAssertTrue(plan.report.contains(.info("  deleted Ingress api (no longer asked for)")), "\(plan.report)")
        XCTAssertEqual(plan.restore.first?.at("spec", "image"), "r/api:1", "what a refusal puts back")
    }

    func testAppsFunctionsAndServicesShareOneNameSpace() throws {
        let w = view([Workloads.cr(.service, "db", scope, spec: ["type": "postgres", "version": "16"])])
        XCTAssertThrowsError(try w.checkNameFree("db", for: .app)) { e in
            XCTAssertEqual(
                (e as? KipError)?.message,
                "service \"db\" already exists in shop-test: an app, function and service cannot share a name")
        }
        XCTAssertNoThrow(try w.checkNameFree("db", for: .job), "jobs render no Service: their names are their own")
    }

    func testAHandMadeObjectIsNeverTakenOverUnlessAsked() throws {
        let mine: JSON = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "api", "namespace": "shop-test"],
            "spec": ["selector": ["matchLabels": ["run": "api"]]],
        ]
        let w = view([mine])
        let cr = app("api", ["image": "r/api:1", "port": 3000])
        XCTAssertThrowsError(try w.plan(.app, "api", [cr])) { e in
            XCTAssertEqual(
                (e as? KipError)?.message,
                "Deployment api already exists in shop-test and was not created by kip for this app: kip will not take it over; delete or rename it, choose another name, or pass --adopt to take it over"
            )
        }
        XCTAssertThrowsError(try w.plan(.app, "api", [cr], adopt: true)) { e in
            XCTAssertTrue(
                (e as? KipError)?.message.hasPrefix("Deployment api in shop-test selects run=api, not what kip renders")
                    == true, "\(e)")
        }
    }

    func testANameWhoseOldObjectsAreStillBeingDeletedWaits() throws {
        let left: JSON = [
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": [
                "name": "db", "namespace": "shop-test",
                "labels": ["kipper.run/service": "db", "app.kubernetes.io/managed-by": "kip"],
            ],
        ]
        let w = view([left])
        XCTAssertThrowsError(
            try w.plan(.service, "db", [Workloads.cr(.service, "db", scope, spec: ["type": "postgres"])])
        ) { e in
            XCTAssertEqual(
                (e as? KipError)?.message,
                "service db in shop-test is still being deleted (its StatefulSet db is still there); try again in a moment"
            )
        }
    }

    func testANewServiceGetsFreshCredentialsAndAnExistingOneKeepsThem() throws {
        let svc = Workloads.cr(.service, "db", scope, spec: ["type": "postgres", "version": "16", "storage": "1Gi"])
        let fresh = try view([]).plan([svc])
        let secret = fresh.owned(["Service/db": "u"]).first { $0["kind"] == "Secret" }
        XCTAssertNotNil(secret, "a new service renders its credentials")
        let values = (secret?["data"]?.objectValue ?? [:]).values.compactMap(\.stringValue)
            .compactMap { Data(base64Encoded: $0).map { String(decoding: $0, as: UTF8.self) } }.joined(separator: " ")
        XCTAssertTrue(values.contains("pw1"), "the generated password: \(values)")
        let kept: JSON = [
            "apiVersion": "v1", "kind": "Secret",
            "metadata": [
                "name": "db-credentials", "namespace": "shop-test",
                "labels": ["kipper.run/service": "db", "app.kubernetes.io/managed-by": "kip"],
            ],
        ]
        let again = try view([kept]).plan([svc])
        let rendered = again.owned(["Service/db": "u"]).first { $0["kind"] == "Secret" }
        XCTAssertNil(rendered, "existing credentials are never regenerated")
    }

    func testDeletingAnAppTakesItsUserSecretByName() throws {
        let w = view([app("api", ["image": "r/api:1", "port": 3000])])
        let plan = try w.deletion(.app, "api")
        XCTAssertEqual(
            plan.deletes.map(\.ref),
            ["apps.v1alpha1.kipper.run/api", "secrets/api-secrets"].map {
                $0.replacingOccurrences(of: "apps.v1alpha1.kipper.run", with: WorkloadKind.app.resource)
            })
        XCTAssertThrowsError(try w.deletion(.app, "web")) { e in
            XCTAssertEqual((e as? KipError)?.message, "app \"web\" does not exist in shop-test; apps there: api")
        }
    }

    func testAnEnvironmentWhoseNamespaceIsMissingSaysHowToMendIt() throws {
        let w = view([])
        XCTAssertThrowsError(try w.at(Project.Environment(name: "prod", namespace: "shop-prod"))) { e in
            XCTAssertEqual(
                (e as? KipError)?.message, "namespace shop-prod of project shop is missing: run 'kip project sync shop'"
            )
        }
        XCTAssertEqual(try w.at(Project.Environment(name: "test", namespace: "shop-test")).scope.environment, "test")
    }
}
