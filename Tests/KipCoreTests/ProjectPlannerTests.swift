import KipCore
import KipTestSupport
import XCTest

final class ProjectPlannerTests: XCTestCase {
    static let system: JSON = [
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": [
            "name": "kipper-system", "annotations": ["kipper.run/org": "", "kipper.run/domain": "apprunr.com"],
        ],
    ]
    static let labbcSystem: JSON = [
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": ["name": "kipper-system", "annotations": ["kipper.run/org": "labbc", "kipper.run/domain": ""]],
    ]
    static let regcred: JSON = [
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": ["name": "regcred", "namespace": "default", "uid": "s1", "resourceVersion": "9"],
        "data": [".dockerconfigjson": "e30="],
    ]
    static let opaque: JSON = [
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": ["name": "other", "namespace": "default"],
    ]

    func observed(_ items: [JSON]) -> Observed { Observed(items: items) }

    func testNamespaceNames() {
        XCTAssertEqual(Naming.namespace(org: nil, project: "myapp", environment: "default"), "myapp")
        XCTAssertEqual(Naming.namespace(org: nil, project: "yourr-name", environment: "test"), "yourr-name-test")
        XCTAssertEqual(
            Naming.namespace(org: "labbc", project: "yourr-name", environment: "prod"), "labbc-yourr-name-prod")
        XCTAssertEqual(Naming.namespace(org: "labbc", project: "labbc-shop", environment: "prod"), "labbc-shop-prod")
    }

    func testPipelineChecks() {
        let long = String(repeating: "a", count: 60)
        XCTAssertEqual(
            Naming.checkPipeline(org: nil, project: long, environments: ["test"]),
            "namespace '\(long)-test' would be 65 characters; Kubernetes allows 63: use a shorter project or environment name"
        )
        XCTAssertEqual(
            Naming.checkPipeline(org: nil, project: "p", environments: ["test", "test"]),
            "environment 'test' is listed twice")
        XCTAssertEqual(
            Naming.checkPipeline(org: nil, project: "p", environments: ["Test"]),
            "environment name 'Test' is not a DNS-1123 label: use lower-case letters, digits and '-' (e.g. test, acc, prod)"
        )
        XCTAssertEqual(
            Naming.checkProject(String(repeating: "a", count: 64)),
            "project name '\(String(repeating: "a", count: 64))' is 64 characters; the limit is 63")
        XCTAssertNil(Naming.checkPipeline(org: "labbc", project: "yourr-name", environments: ["test", "acc", "prod"]))
    }

    func testCreateRendersProjectNamespacesPullSecretsAndServiceAccounts() throws {
        let obs = observed([Self.system, Self.regcred, Self.opaque])
        var (p, completing) = try ProjectPlanner.create(
            name: "yourr-name", environments: ["test", "acc", "prod"], displayName: "yourr.name Domain Platform",
            observed: obs)
        XCTAssertFalse(completing)
        assertGolden(p.manifest.serialized(pretty: true) + "\n", "project-yourr-name.json")
        p.uid = "00000000-0000-4000-8000-000000000001"
        let children = p.environments.flatMap { Render.environment(p, $0, uid: p.uid!, pullSecrets: obs.pullSecrets) }
        XCTAssertEqual(
            children.map { $0["kind"]?.stringValue ?? "" },
            Array(
                repeating: ["Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "Secret", "ServiceAccount"],
                count: 3
            ).flatMap { $0 }, "each environment isolated (the default)")
        assertGolden(JSON.array(children).serialized(pretty: true) + "\n", "project-yourr-name-children.json")
    }

    func testSimpleProjectWithOrgPrefix() throws {
        let (p, _) = try ProjectPlanner.create(
            name: "myapp", environments: nil, displayName: nil, observed: observed([Self.labbcSystem]))
        XCTAssertEqual(p.environments, [.init(name: "default", namespace: "labbc-myapp")])
        let ns = Render.namespace(p, p.environments[0], uid: "u")
        assertGolden(ns.serialized(pretty: true) + "\n", "namespace-labbc-myapp.json")
    }

    func testCreateRefusals() {
        let shop: JSON = [
            "apiVersion": "kipper.run/v1alpha1", "kind": "Project", "metadata": ["name": "shop", "uid": "u"],
            "spec": ["environments": [["name": "prod", "namespace": "shop-prod"]]],
        ]
        let shopNs: JSON = [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": ["name": "shop-prod", "labels": ["kipper.run/project": "shop"]],
        ]
        let foreign: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team-test"]]
        let obs = observed([Self.system, shop, shopNs, foreign])
        func refusal(_ name: String, _ envs: [String]?) -> String? {
            do {
                _ = try ProjectPlanner.create(name: name, environments: envs, displayName: nil, observed: obs)
                return nil
            } catch {
                return (error as? KipError)?.message
            }
        }
        XCTAssertEqual(
            refusal("shop", ["prod"]),
            "project \"shop\" already exists (environments: prod): see 'kip project show shop'")
        XCTAssertEqual(
            refusal("shop-prod", nil),
            "namespace \"shop-prod\" is already environment \"prod\" of project \"shop\": project \"shop-prod\" cannot use it; choose another project or environment name"
        )
        XCTAssertEqual(
            refusal("team", ["test"]),
            "namespace \"team-test\" already exists and was not created by kip: kip will not take it over; choose another project or environment name"
        )
        XCTAssertEqual(refusal("x", ["a", "a"]), "environment 'a' is listed twice")
        XCTAssertThrowsError(
            try ProjectPlanner.create(name: "x", environments: nil, displayName: nil, observed: observed([]))
        ) { e in
            XCTAssertEqual((e as? KipError)?.message, "kip is not installed on this cluster: run 'kip install' first")
        }
    }

    func testCreateCompletesAHalfCreatedProject() throws {
        let half: JSON = [
            "apiVersion": "kipper.run/v1alpha1", "kind": "Project", "metadata": ["name": "p", "uid": "u"],
            "spec": [
                "environments": [["name": "test", "namespace": "p-test"], ["name": "prod", "namespace": "p-prod"]]
            ],
        ]
        let ns: JSON = [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": ["name": "p-test", "labels": ["kipper.run/project": "p"]],
        ]
        let (p, completing) = try ProjectPlanner.create(
            name: "p", environments: ["test", "prod"], displayName: nil, observed: observed([Self.system, half, ns]))
        XCTAssertTrue(completing)
        XCTAssertEqual(p.uid, "u")
    }

    func testAddAndRemoveEnvironment() throws {
        let proj = Project(
            name: "p", displayName: nil, environments: [.init(name: "test", namespace: "p-test")], uid: "u")
        let (added, index) = try ProjectPlanner.addEnvironment(proj, env: "prod", observed: observed([Self.system]))
        XCTAssertEqual(added.pipeline, ["test", "prod"])
        XCTAssertEqual(index, 1)
        let (placed, at) = try ProjectPlanner.addEnvironment(
            added, env: "acc", observed: observed([Self.system]), placement: .before("prod"),
            expiresAt: "2027-01-01T00:00:00Z")
        XCTAssertEqual(placed.pipeline, ["test", "acc", "prod"])
        XCTAssertEqual(at, 1)
        XCTAssertEqual(placed.environments[1].expiresAt, "2027-01-01T00:00:00Z")
        XCTAssertEqual(
            placed.manifest.at("spec", "environments")?.arrayValue?[1],
            ["name": "acc", "namespace": "p-acc", "expiresAt": "2027-01-01T00:00:00Z"])
        XCTAssertEqual(try ProjectPlanner.reorder(placed, ["prod", "acc", "test"]).pipeline, ["prod", "acc", "test"])
        XCTAssertThrowsError(try ProjectPlanner.reorder(placed, ["prod", "prod", "test"]))
        // A simple project grows: default keeps the project's namespace.
        let simple = Project(
            name: "p", displayName: nil, environments: [.init(name: "default", namespace: "p")], uid: "u")
        let (grown, _) = try ProjectPlanner.addEnvironment(simple, env: "prod", observed: observed([Self.system]))
        XCTAssertEqual(grown.environments.map(\.namespace), ["p", "p-prod"])
        XCTAssertThrowsError(try ProjectPlanner.addEnvironment(added, env: "prod", observed: observed([Self.system])))
        let (removed, env) = try ProjectPlanner.removeEnvironment(added, env: "test")
        XCTAssertEqual(removed.pipeline, ["prod"])
        XCTAssertEqual(env.namespace, "p-test")
        XCTAssertThrowsError(try ProjectPlanner.removeEnvironment(removed, env: "prod")) { e in
            XCTAssertEqual(
                (e as? KipError)?.message,
                "\"prod\" is the last environment of project \"p\": a project keeps at least one; delete the project instead with 'kip project delete p'"
            )
        }
    }

    func testSyncReportsMissingNamespacesStaleSecretsAndStrays() throws {
        let proj = Project(
            name: "p", displayName: nil,
            environments: [.init(name: "test", namespace: "p-test"), .init(name: "prod", namespace: "p-prod")], uid: "u"
        )
        let test: JSON = [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": [
                "name": "p-test", "labels": ["kipper.run/project": "p", "app.kubernetes.io/managed-by": "kip"],
                "ownerReferences": [["uid": "u"]],
            ],
        ]
        let stray: JSON = [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": [
                "name": "p-old", "labels": ["kipper.run/project": "p", "app.kubernetes.io/managed-by": "kip"],
            ],
        ]
        // A namespace from a manifests export, applied by Argo CD: labelled with the project,
        // but not kip's, so never a stray to prune.
        let exported: JSON = [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": ["name": "p-gitops", "labels": ["kipper.run/project": "p"]],
        ]
        var staleCopy = Self.regcred
        staleCopy.set(["metadata", "namespace"], "p-test")
        staleCopy["data"] = [".dockerconfigjson": "b2xk"]
        let plan = try ProjectPlanner.sync(
            proj, observed: observed([Self.system, Self.regcred, test, stray, exported, staleCopy]))
        XCTAssertEqual(
            plan.changes,
            [
                "repaired labels of namespace p-test",
                "updated pull secret regcred in p-test (its source in default changed)",
                "listed the pull secrets in the default ServiceAccount of p-test",
                "created namespace p-prod (environment prod)",
            ])
        XCTAssertEqual(plan.strays, ["p-old"])
        XCTAssertEqual(plan.apply.count, 12, "with the two environments' isolation policies and quotas")
        // Without --prune a stray is named; with it, deleted and said.
        let kept = plan.plan(project: "p", prune: false)
        XCTAssertEqual(kept.owners.count, 12)
        XCTAssertFalse(kept.deletes.contains { $0.ref == "namespace/p-old" })
        XCTAssertEqual(
            kept.report.last,
            .warning(
                "namespace p-old is labelled with project p but no environment declares it: 'kip project sync p --prune' deletes it"
            ))
        let pruned = plan.plan(project: "p", prune: true)
        XCTAssertTrue(pruned.deletes.contains(Plan.Deletion(ref: "namespace/p-old", namespace: nil)))
        XCTAssertEqual(pruned.report.last, .success("deleting namespace p-old (no environment declares it)"))
        let clean = ProjectPlanner.SyncPlan(apply: [], changes: [], strays: [])
        XCTAssertEqual(
            clean.plan(project: "p", prune: false).report,
            [.success("Project \"p\" matches its definition: nothing to change")])
    }

    /// remove-env, delete and reorder: what each writes and deletes, from what was read.
    func testRemoveDeleteAndReorderPlans() throws {
        let proj = Project(
            name: "p", displayName: nil,
            environments: [.init(name: "test", namespace: "p-test"), .init(name: "prod", namespace: "p-prod")], uid: "u"
        )
        let claim = Plan.Deletion(ref: "\(CRDs.routeClaim)/api-p-test", namespace: nil)
        let (updated, removed) = try ProjectPlanner.removeEnvironment(proj, env: "test")
        let remove = ProjectPlanner.removeEnvPlan(
            updated, removed, namespace: ["metadata": ["name": "p-test"]], released: [claim])
        XCTAssertEqual(remove.deletes, [Plan.Deletion(ref: "namespace/p-test", namespace: nil), claim])
        XCTAssertEqual(Project(remove.owners[0])?.pipeline, ["prod"])
        XCTAssertEqual(remove.knownUIDs[Plan.key(remove.owners[0])], "u", "the Project's uid is its precondition")
        XCTAssertEqual(remove.report.last, .info("Environment: prod"))
        let going: JSON = ["metadata": ["name": "p-test", "deletionTimestamp": "2026-12-04T10:00:00Z"]]
        XCTAssertEqual(
            ProjectPlanner.removeEnvPlan(updated, removed, namespace: going, released: []).deletes, [],
            "a namespace already going is not deleted again (a 409 on a real server)")

        let app: JSON = [
            "apiVersion": .string(Keys.apiVersion), "kind": "App", "metadata": ["name": "api", "namespace": "p-test"],
        ]
        let stray: JSON = [
            "apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "p-old", "labels": [Keys.project: "p"]],
        ]
        XCTAssertEqual(
            ProjectPlanner.removeEnvNotice("p", removed, observed: observed([app])),
            [
                "Environment \"test\" of project \"p\" is namespace p-test: 1 app.", "  app api",
                "Removing it deletes the namespace and everything in it: apps, services and their data, secrets, volumes. This cannot be undone.",
            ])
        let (gone, namespaces, aside) = ProjectPlanner.deletePlan(
            proj, observed: observed([app, stray]), released: [claim])
        XCTAssertEqual(namespaces, ["p-old", "p-prod", "p-test"])
        XCTAssertEqual(gone.deletes.first, Plan.Deletion(ref: "\(CRDs.project)/p", namespace: nil))
        XCTAssertEqual(gone.deletes.last, claim)
        XCTAssertEqual(aside[1], "  test  p-test: 1 app")
        XCTAssertEqual(aside[2], "  prod  p-prod: empty")
        XCTAssertEqual(gone.report.last, .success("Project \"p\" deleted"))

        let same = try ProjectPlanner.reorderPlan(proj, ["test", "prod"], observed: observed([]))
        XCTAssertTrue(same.owners.isEmpty)
        XCTAssertEqual(same.report, [.success("Pipeline of p unchanged: test → prod")])
        let turned = try ProjectPlanner.reorderPlan(proj, ["prod", "test"], observed: observed([]))
        XCTAssertEqual(turned.owners.compactMap { Project($0)?.pipeline }, [["prod", "test"]])
        XCTAssertEqual(turned.report, [.success("Promotion pipeline of p: prod → test")])
    }
}
