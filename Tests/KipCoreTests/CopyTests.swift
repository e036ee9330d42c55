import KipCore
import KipTestSupport
import XCTest

final class CopyTests: XCTestCase {
    let project = Project(
        name: "shop", displayName: nil, environments: [.init(name: "test", namespace: "shop-test")], uid: "p1")
    let source = Project.Environment(name: "test", namespace: "shop-test")
    let target = Project.Environment(name: "prod", namespace: "shop-prod")

    func observed(domain: String? = "apprunr.com") -> Observed {
        let scope = WorkloadScope(
            project: "shop", environment: "test", namespace: "shop-test", domain: domain)
        var app = Workloads.cr(
            .app, "api", scope,
            spec: [
                "image": "r/api:1", "port": 3000, "replicas": 1, "route": ["host": "api-shop-test.apprunr.com"],
                "resources": ["memoryLimit": "256Mi", "cpuLimit": "500m"],
                "bindings": [["service": "db", "prefix": "DATABASE"]],
                "env": [
                    ["name": "SPRING_DATASOURCE_URL", "value": "jdbc:postgresql://db.shop-test.svc:5432/db"],
                    ["name": "HOMEPAGE", "value": "https://shop-testing.example"],
                    ["name": "LOG_LEVEL", "value": "info"],
                ],
            ], annotations: ["kipper.run/promoted-from": "dev"])
        app.set(["status", "history"], [["revision": 1, "action": "promote"]])
        app.set(["metadata", "uid"], "u-api")
        let items: [JSON] = [
            [
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": [
                    "name": "kipper-system", "annotations": ["kipper.run/domain": domain.map { .string($0) } ?? ""],
                ],
            ],
            app,
            Workloads.cr(.app, "worker", scope, spec: ["image": "r/worker:1"]),
            Workloads.cr(.service, "db", scope, spec: ["type": "postgres", "version": "16", "storage": "1Gi"]),
            Workloads.cr(.volume, "uploads", scope, spec: ["size": "2Gi"]),
            Workloads.cr(
                .function, "hook", scope,
                spec: ["image": "fn:1", "env": [["name": "TARGET", "value": "db.shop-test.svc"]]]),
            Workloads.cr(.job, "nightly", scope, spec: ["image": "r/api:1", "schedule": "0 1 * * *"]),
            [
                "apiVersion": "v1", "kind": "Secret",
                "metadata": ["name": "api-secrets", "namespace": "shop-test", "labels": ["kipper.run/app": "api"]],
                "data": ["API_TOKEN": "dG9r", "STRIPE_SECRET": "c2s="],
            ],
            [
                "apiVersion": "v1", "kind": "Secret",
                "metadata": [
                    "name": "db-credentials", "namespace": "shop-test", "labels": ["kipper.run/service": "db"],
                ], "data": ["password": "eA=="],
            ],
        ]
        return Observed(items: items)
    }

    func testPlanCopiesEveryKindAndRegeneratesWhatItMust() throws {
        let plan = CopyPlanner.plan(project: project, source: source, target: target, observed: observed())
        XCTAssertEqual(plan.apps.map(\.name), ["api", "worker"])
        XCTAssertEqual(
            plan.services.map { "\($0.name) \($0.type) \($0.version) \($0.storage)" }, ["db postgres 16 1Gi"])
        XCTAssertEqual(plan.volumes, [.init(name: "uploads", size: "2Gi")])
        XCTAssertEqual(plan.functions.count, 1)
        XCTAssertEqual(plan.jobs.count, 1)
        XCTAssertEqual(plan.secrets.keys.sorted(), ["api"], "user secrets only; service credentials are regenerated")
        XCTAssertEqual(
            plan.summary,
            "copied 2 apps, 1 service (fresh credentials, empty data), 1 volume (empty), 1 function, 1 job, 2 secrets")
        XCTAssertEqual(plan.warnings, ["function hook env TARGET: shop-test rewritten to shop-prod"])
        XCTAssertEqual(plan.routeChanges, ["route of app api: api-shop-test.apprunr.com → api-shop-prod.apprunr.com"])
        let scope = WorkloadScope(
            project: "shop", environment: "prod", namespace: "shop-prod", domain: "apprunr.com")
        let crs = CopyPlanner.crs(plan, scope: scope)
        let api = crs.first { $0.at("metadata", "name") == "api" }!
        XCTAssertEqual(
            api.at("metadata", "annotations")?.stringMap, ["kipper.run/copied-from": "shop/test"],
            "promotion annotations are not copied")
        XCTAssertNil(api["status"], "nor the history")
        XCTAssertEqual(
            api.at("spec", "bindings"), [["service": "db", "prefix": "DATABASE"]], "bindings rewire by short name")
        XCTAssertEqual(api.at("metadata", "namespace"), "shop-prod")
        // Fresh credentials: the target has no credentials Secret, so the Service renders one.
        let db = crs.first { $0["kind"] == "Service" }!
        let kids = Workloads.render(db, scope, uid: "u", password: { _ in "fresh" })
        XCTAssertTrue(kids.contains { $0.at("metadata", "name") == "db-credentials" })
        assertGolden(CopyPlanner.document(plan).serialized(pretty: true) + "\n", "copy-plan.json")
    }

    func testRoutesWithoutAWildcardDomainAreDroppedWithAWarning() {
        let plan = CopyPlanner.plan(project: project, source: source, target: target, observed: observed(domain: nil))
        XCTAssertNil(plan.apps[0].host)
        XCTAssertTrue(
            plan.warnings.contains(
                "app api had route api-shop-test.apprunr.com; the cluster has no wildcard domain, so the copy has no route (set one in the plan or with 'kip app deploy --route')"
            ))
    }

    func testSuspectPatternCaseByCase() {
        let suspect = [
            "STRIPE_KEY", "stripe_secret", "SENTRY_DSN", "DATABASE_URL", "PAYMENT_CALLBACK", "OAUTH_CALLBACK_PATH",
            "AWS_KEY", "MY_SECRET_THING",
            "LIVE_MODE", "TEST_USER", "PROD_HOST", "STAGING_FLAG", "API_KEY", "GITHUB_TOKEN", "api_key",
        ]
        let plain = ["LOG_LEVEL", "PORT", "URL_PREFIX", "KEYBOARD", "HOME", "DATABASE_URLS", "MONKEY"]
        for k in suspect { XCTAssertTrue(Suspect.isSuspect(k), k) }
        for k in plain { XCTAssertFalse(Suspect.isSuspect(k), k) }
    }

    func testNamespaceRewriteMatchesWholeTokensOnly() {
        let r = { (v: String) in NamespaceRewrite.rewrite(v, from: "shop-test", to: "shop-prod") }
        XCTAssertEqual(r("jdbc:postgresql://db.shop-test.svc:5432/db"), "jdbc:postgresql://db.shop-prod.svc:5432/db")
        XCTAssertEqual(r("shop-test"), "shop-prod")
        XCTAssertEqual(r("https://shop-testing.example"), "https://shop-testing.example")
        XCTAssertEqual(r("myshop-test.svc"), "myshop-test.svc")
        XCTAssertEqual(r("a=shop-test,b=shop-test"), "a=shop-prod,b=shop-prod")
        XCTAssertEqual(r("shop-test-2"), "shop-test-2")
        XCTAssertEqual(r("SHOP-TEST"), "SHOP-TEST")
        XCTAssertEqual(
            NamespaceRewrite.rewrite("http://localhost:8080 local", from: "local", to: "prod"),
            "http://localhost:8080 prod")
        let plan = CopyPlanner.plan(project: project, source: source, target: target, observed: observed())
        let env = plan.apps[0].env
        XCTAssertEqual(env.map(\.autoUpdated), [true, false, false])
        XCTAssertEqual(env.map(\.suspect), [true, false, false])
    }

    func testProdDefaults() {
        var plan = CopyPlanner.plan(project: project, source: source, target: target, observed: observed())
        plan.apps[0].replicas = 3
        let memories: [(String?, String?)] = [
            ("256Mi", "384Mi"), ("1Gi", "1536Mi"), ("1.5Gi", "2304Mi"), ("500M", "750M"), (nil, nil),
        ]
        for (before, after) in memories {
            var p = plan
            p.apps[1].memoryLimit = before
            CopyPlanner.prodDefaults(&p)
            XCTAssertEqual(p.apps[1].memoryLimit, after, before ?? "missing")
            XCTAssertEqual(p.apps[1].replicas, 2)
            XCTAssertEqual(p.apps[0].replicas, 3, "at least 2: more stays")
        }
        XCTAssertEqual(plan.overriddenApps, ["api"])
    }

    /// An app on a ReadWriteOnce volume keeps one replica (the plan says why); an
    /// autoscaled app's count is its autoscaler's minimum, which prod defaults raise; a
    /// plan that would put two replicas on the volume, or a limit under its request, is a
    /// problem named before anything is written.
    func testProdDefaultsRespectVolumesAndAutoscalers() throws {
        var plan = CopyPlanner.plan(project: project, source: source, target: target, observed: observed())
        plan.apps[0].spec["volumes"] = [["volume": "uploads", "path": "/data"]]
        plan.apps[1].spec["autoscale"] = ["min": 1, "max": 4]
        CopyPlanner.prodDefaults(&plan)
        XCTAssertEqual(plan.apps[0].replicas, 1)
        XCTAssertTrue(
            plan.warnings.contains("app api keeps 1 replica(s): it mounts ReadWriteOnce volume uploads"),
            "\(plan.warnings)")
        XCTAssertEqual(plan.apps[1].replicas, 2)
        let scope = WorkloadScope(project: "shop", environment: "prod", namespace: "shop-prod", domain: nil)
        let worker = CopyPlanner.crs(plan, scope: scope).first { $0.at("metadata", "name")?.stringValue == "worker" }
        XCTAssertEqual(worker?.at("spec", "autoscale"), ["min": 2, "max": 4])
        XCTAssertNil(worker?.at("spec", "replicas"))
        XCTAssertNil(CopyPlanner.problem(plan))
        plan.apps[0].replicas = 2
        XCTAssertEqual(
            CopyPlanner.problem(plan),
            "app api: 2 replicas with volume uploads mounted: a ReadWriteOnce volume attaches to one node, so only one replica can run; use one replica, or a volume added with --access-mode ReadWriteMany"
        )
        plan.apps[0].replicas = 1
        plan.apps[0].spec["resources"] = ["memoryRequest": "512Mi"]
        plan.apps[0].memoryLimit = "256Mi"
        XCTAssertEqual(
            CopyPlanner.problem(plan),
            "app api: memory limit 256Mi is below its request 512Mi: a request may not exceed its limit")
    }

    func testOverridesApplyAndValidate() throws {
        var plan = CopyPlanner.plan(project: project, source: source, target: target, observed: observed())
        var doc = CopyPlanner.document(plan)
        var apps = doc["apps"]!.arrayValue!
        apps[0].set(["route", "host"], "app.persohr.eu")
        apps[0].set(["replicas"], 3)
        var env = apps[0]["env"]!.arrayValue!
        env[0]["value"] = env[0]["source"]  // revert the auto-update
        env[2]["value"] = "debug"
        apps[0]["env"] = .array(env)
        doc["apps"] = .array(apps)
        try CopyPlanner.applyOverrides(doc, to: &plan)
        XCTAssertEqual(plan.apps[0].host, "app.persohr.eu")
        XCTAssertEqual(plan.apps[0].replicas, 3)
        XCTAssertEqual(
            plan.apps[0].env.map(\.value),
            ["jdbc:postgresql://db.shop-test.svc:5432/db", "https://shop-testing.example", "debug"])
        XCTAssertEqual(
            try MiniYAML.parse(YAML.emit(CopyPlanner.document(plan))), CopyPlanner.document(plan),
            "the YAML --plan prints reads back")

        func refusal(_ edit: (inout JSON) -> Void) -> String? {
            var d = CopyPlanner.document(plan)
            edit(&d)
            var p = plan
            do {
                try CopyPlanner.applyOverrides(d, to: &p)
                return nil
            } catch { return (error as? KipError)?.message }
        }
        XCTAssertEqual(
            refusal { $0["apps"] = [["name": "ghost"]] }, "overrides: unknown app 'ghost'; the source has: api, worker")
        XCTAssertEqual(
            refusal { $0["apps"] = [["name": "api", "replica": 2]] }, "overrides: unknown key 'replica' in app api")
        XCTAssertEqual(
            refusal { $0["apps"] = [["name": "api", "env": [["key": "NOPE", "value": "x"]]]] },
            "overrides: app api has no env var 'NOPE' in the source")
        XCTAssertEqual(
            refusal { $0["apps"] = [["name": "api", "resources": ["memoryLimit": "1GB"]]] },
            "overrides: memoryLimit of app api '1GB' is not a Kubernetes quantity: use 1Gi")
        XCTAssertEqual(refusal { $0["target"] = "acc" }, "overrides: the plan is for environment acc, not prod")
        XCTAssertEqual(refusal { $0["extra"] = 1 }, "overrides: unknown key 'extra'")
    }

    func testDiffNormalisesNamespacesAndDefaultRoutes() {
        var o = observed()
        let prodScope = WorkloadScope(
            project: "shop", environment: "prod", namespace: "shop-prod", domain: "apprunr.com")
        let plan = CopyPlanner.plan(project: project, source: source, target: target, observed: o)
        for cr in CopyPlanner.crs(plan, scope: prodScope) { o.workloads["shop-prod", default: []].append(cr) }
        o.secrets["shop-prod"] = CopyPlanner.secrets(plan, scope: prodScope, appUIDs: [:])
        XCTAssertEqual(EnvironmentDiff.compare(source, target, observed: o).entries, [], "a copy as-is is identical")
        o.workloads["shop-prod"]![0].set(["spec", "image"], "r/api:2")
        let d = EnvironmentDiff.compare(source, target, observed: o)
        XCTAssertEqual(d.lines, ["app api: image: r/api:1 → r/api:2"])
    }
}

final class EnvironmentFileTests: XCTestCase {
    /// An export holds secret key names, never values, nor namespaces or uids; it parses
    /// back into the same environment.
    func testExportHasNoSecretValuesAndParsesBack() throws {
        let project = Project(
            name: "shop", displayName: nil, environments: [.init(name: "test", namespace: "shop-test")], uid: "p1")
        let scope = WorkloadScope(project: "shop", environment: "test", namespace: "shop-test", domain: "apprunr.com")
        var app = Workloads.cr(
            .app, "api", scope,
            spec: [
                "image": "r/api:1", "port": 3000, "route": ["host": "api-shop-test.apprunr.com"],
                "secretEnv": ["TOKEN"],
                "env": [["name": "URL", "value": "http://db.shop-test.svc"]],
            ])
        app.set(["metadata", "uid"], "u-api")
        let observed = Observed(items: [
            [
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": ["name": "kipper-system", "annotations": ["kipper.run/domain": "apprunr.com"]],
            ],
            app,
            [
                "apiVersion": "v1", "kind": "Secret",
                "metadata": ["name": "api-secrets", "namespace": "shop-test", "labels": ["kipper.run/app": "api"]],
                "data": ["TOKEN": "c2VjcmV0LXZhbHVl"],
            ],
        ])
        let doc = EnvironmentFile.export(project, project.environments, observed: observed)
        let text = doc.serialized()
        XCTAssertFalse(text.contains("c2VjcmV0LXZhbHVl"))
        XCTAssertFalse(text.contains("shop-test"))
        XCTAssertFalse(text.contains("u-api"))
        XCTAssertEqual(doc.at("environments")?.arrayValue?.first?["apps"]?.arrayValue?.first?["secrets"], ["TOKEN"])
        let parsed = try EnvironmentFile.parse(doc)
        XCTAssertEqual(parsed.environments.first?.secrets["api"], ["TOKEN"])
        let spec = EnvironmentFile.concrete(
            .app, "api", parsed.environments[0].workloads[.app]!["api"]!, secrets: ["TOKEN"], scope)
        XCTAssertEqual(WorkloadKind.app.resolvedSpec(spec), WorkloadKind.app.resolvedSpec(app["spec"]!))

        // Applied back: the environment as it is holds what the file says, so nothing is
        // written; the file as a new project creates it and its namespace.
        let w = EnvironmentView(
            observed, project: project, projectName: "shop", environment: "test", namespace: "shop-test")
        let same = try EnvironmentFile.environmentPlan(parsed.environments[0], w, prune: true, changes: [])
        XCTAssertTrue(same.owners.isEmpty, "\(same.owners)")
        XCTAssertTrue(same.deletes.isEmpty)
        var renamed = parsed
        renamed.project = "shop2"
        let grown = try EnvironmentFile.grow(renamed, existing: nil, observed: observed)
        let created = EnvironmentFile.projectPlan(grown, observed: observed)
        XCTAssertEqual(created.report, [.success("project shop2 created (test)")])
        XCTAssertEqual(created.owners.first?["kind"], "Project")
        XCTAssertTrue(
            created.owned(["Project/shop2": "u-2"]).contains {
                $0["kind"]?.stringValue == "Namespace" && $0.at("metadata", "name")?.stringValue == "shop2-test"
            }, "its namespace, owned by the Project")
    }
}

/// `function env set|unset`: the variables changed, nothing else; an unknown name refused.
final class FunctionEnvTests: XCTestCase {
    func testFunctionVariablesAreSetAndUnsetAndTold() throws {
        let scope = WorkloadScope(project: "shop", environment: "test", namespace: "shop-test", domain: nil)
        var fn = Workloads.cr(
            .function, "resize", scope, spec: ["image": "r/fn:1", "env": [["name": "A", "value": "1"]]])
        fn.set(["metadata", "uid"], "u-fn")
        fn.set(["metadata", "resourceVersion"], "5")
        let w = EnvironmentView(
            Observed(items: [["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop-test"]], fn]),
            projectName: "shop", environment: "test", namespace: "shop-test")
        let set = try FunctionEnv.plan(
            "resize", current: fn, set: [EnvVar(name: "B", value: "2"), EnvVar(name: "A", value: "3")], unset: [], w,
            command: ["function", "env", "set"], actor: "ann")
        XCTAssertEqual(
            set.owners.first?.at("spec", "env"), [["name": "A", "value": "3"], ["name": "B", "value": "2"]])
        XCTAssertEqual(set.owners.first?.at("spec", "image"), "r/fn:1")
        XCTAssertEqual(set.owners.first?.at("metadata", "resourceVersion"), "5", "the precondition")
        XCTAssertEqual(set.changes.first?.note, "kip function env set by ann")
        let unset = try FunctionEnv.plan(
            "resize", current: fn, set: nil, unset: ["A"], w, command: ["function", "env", "unset"], actor: "ann")
        XCTAssertEqual(unset.owners.first?.at("spec", "env")?.arrayValue ?? [], [])
        XCTAssertThrowsError(
            try FunctionEnv.plan(
                "resize", current: fn, set: nil, unset: ["Z"], w, command: ["function", "env", "unset"], actor: "ann")
        ) { XCTAssertEqual(($0 as? KipError)?.message, "function resize in shop-test has no env var Z") }
    }
}

/// A copy carries every kind an environment holds: a kind added to kip and forgotten by
/// the copy fails here (the switch makes the compiler ask for the new kind's spec).
final class CopyCoversEveryKindTests: XCTestCase {
    func testEveryKindIsCopied() {
        let scope = WorkloadScope(project: "shop", environment: "test", namespace: "shop-test", domain: nil)
        func spec(_ k: WorkloadKind) -> JSON {
            switch k {
            case .app: return ["image": "r/api:1", "port": 80]
            case .service: return ["type": "postgres", "version": "16", "storage": "1Gi"]
            case .volume: return ["size": "1Gi"]
            case .function: return ["image": "r/fn:1"]
            case .job: return ["image": "r/job:1"]
            }
        }
        let ns: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop-test"]]
        let observed = Observed(
            items: [ns] + WorkloadKind.allCases.map { Workloads.cr($0, "x\($0.word)", scope, spec: spec($0)) })
        let project = Project(
            name: "shop", displayName: nil, environments: [.init(name: "test", namespace: "shop-test")])
        let target = Project.Environment(name: "prod", namespace: "shop-prod")
        let plan = CopyPlanner.plan(
            project: project, source: .init(name: "test", namespace: "shop-test"), target: target, observed: observed)
        let copied = CopyPlanner.crs(
            plan, scope: WorkloadScope(project: "shop", environment: "prod", namespace: "shop-prod", domain: nil))
        XCTAssertEqual(
            Set(copied.compactMap { $0["kind"]?.stringValue }), Set(WorkloadKind.allCases.map(\.rawValue)),
            "every kind reaches the copy")
    }
}
