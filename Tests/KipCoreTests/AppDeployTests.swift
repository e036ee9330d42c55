import Foundation
import KipCore
import KipTestSupport
import XCTest

/// `kip app deploy` as an operation, without a cluster: what it reads, and from what it
/// read, the plan and what it says before writing.
final class AppDeployTests: XCTestCase {
    let scope = WorkloadScope(project: "shop", environment: "test", namespace: "shop-test", domain: "apprunr.com")

    func view(_ items: [JSON], podSecurity: String? = nil) -> EnvironmentView {
        var annotations: JSON = ["kipper.run/domain": "apprunr.com"]
        if let podSecurity { annotations[Keys.podSecurityAnnotation] = .string(podSecurity) }
        let settings: JSON = [
            "apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "kipper-system", "annotations": annotations],
        ]
        let ns: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop-test"]]
        return EnvironmentView(
            Observed(items: [settings, ns] + items), projectName: "shop", environment: "test", namespace: "shop-test")
    }

    func options(_ name: String = "api", image: String = "r/api:1", _ change: (inout DeployOptions) -> Void = { _ in })
        -> DeployOptions
    {
        var o = DeployOptions(name: name, image: image)
        change(&o)
        return o
    }

    func app(_ spec: JSON) -> JSON {
        var a = Workloads.cr(.app, "api", scope, spec: spec)
        a.set(["metadata", "uid"], "u-api")
        a.set(["metadata", "resourceVersion"], "7")
        return a
    }

    func testItReadsTheAppItsSecretAndWhatItBindsAndMountsByName() {
        let o = options {
            $0.binds = ["db:PG"]
            $0.mounts = [Mount(volume: "data", path: "/data")]
            $0.autoscale = Autoscale(min: 2, max: 5)
        }
        XCTAssertEqual(
            AppDeploy.reads(o),
            EnvironmentView.appObjects("api")
                + [
                    "secrets/api-secrets", "\(CRDs.service)/db", "\(CRDs.volume)/data",
                    "horizontalpodautoscalers.autoscaling/api",
                ])
    }

    func testANewAppNeedsAPortAndGetsTheEnvironmentsRouteAndAHistory() throws {
        XCTAssertThrowsError(try AppDeploy.plan(options(), view([]), at: "T", by: "ann")) { e in
            XCTAssertEqual(
                e as? UsageProblem, UsageProblem("Missing expected option '--port <port>': app api is new in shop-test")
            )
        }
        let (plan, notices) = try AppDeploy.plan(
            options { $0.port = 3000 }, view([]), at: "2026-12-04T00:00:00Z", by: "ann")
        XCTAssertEqual(notices, [])
        let cr = try XCTUnwrap(plan.owners.first)
        XCTAssertEqual(cr.at("spec", "route", "host"), "api-shop-test.apprunr.com")
        XCTAssertEqual(cr.at("spec", "port"), 3000)
        XCTAssertEqual(Promotion.history(cr).map(\.action), ["deploy"])
        XCTAssertEqual(Promotion.history(cr).first?.by, "ann")
        XCTAssertEqual(Promotion.history(cr).first?.imageAfter, "r/api:1")
        XCTAssertTrue(plan.report.contains(.info("URL: http://api-shop-test.apprunr.com")), "\(plan.report)")
        XCTAssertEqual(plan.claims.count, 1, "a new host is claimed")
    }

    func testSecretsSetBeforeTheAppExistedAreListedInIt() throws {
        let secret: JSON = [
            "apiVersion": "v1", "kind": "Secret",
            "metadata": ["name": "api-secrets", "namespace": "shop-test", "labels": ["kipper.run/app": "api"]],
            "data": ["TOKEN": "eA==", "API_KEY": "eQ=="],
        ]
        let (plan, _) = try AppDeploy.plan(options { $0.port = 80 }, view([secret]), at: "T", by: "ann")
        XCTAssertEqual(AppSpec(json: plan.owners[0]["spec"] ?? [:]).secretEnv, ["API_KEY", "TOKEN"])
    }

    func testARedeployKeepsWhatNoFlagNamesAndResetSaysWhatItDrops() throws {
        let existing = app([
            "image": "r/api:1", "port": 3000, "replicas": 3,
            "env": [["name": "LOG", "value": "debug"]],
        ])
        let (kept, none) = try AppDeploy.plan(options(image: "r/api:2"), view([existing]), at: "T", by: "ann")
        XCTAssertEqual(none, [])
        let spec = AppSpec(json: kept.owners[0]["spec"] ?? [:])
        XCTAssertEqual(spec.image, "r/api:2")
        XCTAssertEqual(spec.replicas, 3)
        XCTAssertEqual(spec.env, [EnvVar(name: "LOG", value: "debug")])
        XCTAssertEqual(kept.owners[0].at("metadata", "resourceVersion"), "7", "written against what was read")
        let (reset, notices) = try AppDeploy.plan(
            options(image: "r/api:2") {
                $0.reset = true
                $0.port = 3000
            }, view([existing]), at: "T", by: "ann")
        XCTAssertEqual(AppSpec(json: reset.owners[0]["spec"] ?? [:]).env, [])
        XCTAssertEqual(notices.count, 1)
        XCTAssertTrue(notices.first.map { "\($0)" }?.contains("--reset drops env LOG") == true, "\(notices)")
    }

    func testBindingsAndMountsMustExistAndPrefixesMustDiffer() throws {
        XCTAssertThrowsError(
            try AppDeploy.plan(
                options {
                    $0.port = 80
                    $0.binds = ["db"]
                }, view([]), at: "T", by: "a")
        ) {
            XCTAssertEqual(
                ($0 as? KipError)?.message,
                "service \"db\" does not exist in shop-test: add it with 'kip service add postgres --name db'")
        }
        XCTAssertThrowsError(
            try AppDeploy.plan(
                options {
                    $0.port = 80
                    $0.mounts = [Mount(volume: "data", path: "/d")]
                }, view([]), at: "T", by: "a")
        ) {
            XCTAssertEqual(
                ($0 as? KipError)?.message,
                "volume \"data\" does not exist in shop-test: add it with 'kip volume add data --size 1Gi'")
        }
        let db = Workloads.cr(.service, "db", scope, spec: ["type": "postgres"])
        let db2 = Workloads.cr(.service, "db2", scope, spec: ["type": "postgres"])
        XCTAssertThrowsError(
            try AppDeploy.plan(
                options {
                    $0.port = 80
                    $0.binds = ["db", "db2"]
                }, view([db, db2]), at: "T", by: "a")
        ) {
            XCTAssertEqual(
                ($0 as? KipError)?.message,
                "two bindings use the prefix DATABASE: give one a different prefix (--bind db2:ANALYTICS)")
        }
        let (plan, _) = try AppDeploy.plan(
            options {
                $0.port = 80
                $0.binds = ["db", "db2:ANALYTICS"]
            }, view([db, db2]), at: "T", by: "a")
        XCTAssertEqual(
            AppSpec(json: plan.owners[0]["spec"] ?? [:]).bindings,
            [Binding(service: "db", prefix: "DATABASE"), Binding(service: "db2", prefix: "ANALYTICS")])
    }

    func testAutoscalingWithoutACPURequestGetsOneAndSaysSo() throws {
        let (plan, _) = try AppDeploy.plan(
            options {
                $0.port = 80
                $0.autoscale = Autoscale(min: 2, max: 4)
            }, view([]), at: "T", by: "a")
        XCTAssertEqual(AppSpec(json: plan.owners[0]["spec"] ?? [:]).resources.cpuRequest, AppSpec.defaultCPURequest)
        XCTAssertTrue(plan.report.contains { "\($0)".contains("autoscaling measures CPU against a request") })
        XCTAssertThrowsError(
            try AppDeploy.plan(
                options {
                    $0.port = 80
                    $0.resources = Resources(cpuRequest: "2", cpuLimit: "1")
                }, view([]), at: "T", by: "a")
        ) {
            XCTAssertEqual(
                $0 as? UsageProblem,
                UsageProblem("--cpu-request 2 is more than --cpu-limit 1: a request may not exceed its limit"))
        }
    }

    func testRestrictedEnvironmentsGetTheSecurityDefaultsAndKeepThem() throws {
        let restricted = view([], podSecurity: "restricted")
        let (plan, _) = try AppDeploy.plan(options { $0.port = 80 }, restricted, at: "T", by: "a")
        let spec = AppSpec(json: plan.owners[0]["spec"] ?? [:])
        XCTAssertEqual(spec.runAsNonRoot, true)
        XCTAssertEqual(spec.securityDefaults, true)
        XCTAssertThrowsError(
            try AppDeploy.plan(
                options {
                    $0.port = 80
                    $0.noSecurityDefaults = true
                }, restricted, at: "T", by: "a")
        ) {
            XCTAssertTrue(($0 as? KipError)?.message.contains("enforces restricted Pod Security") == true, "\($0)")
        }
    }

    /// A change to an existing app: the App with the new spec, its image change in its
    /// history and an Event naming it; a change that makes the spec unrunnable refused.
    func testAChangeToAnAppIsRecordedAndTold() throws {
        let current = app(["image": "r/api:1", "port": 3000])
        var spec = AppSpec(json: current["spec"] ?? [:])
        spec.image = "r/api:2"
        let plan = try AppDeploy.changePlan(
            "api", current: current, spec: spec, view([current]), command: ["app", "set-image"],
            at: "2026-12-04T12:00:00Z", by: "ann")
        XCTAssertEqual(plan.owners.first?.at("spec", "image"), "r/api:2")
        XCTAssertEqual(plan.owners.first?.at("metadata", "resourceVersion"), "7", "the precondition")
        XCTAssertEqual(plan.owners.first?.at("status", "history")?.arrayValue?.last?["imageAfter"], "r/api:2")
        XCTAssertEqual(plan.changes.map(\.reason), ["ImageChanged"])
        XCTAssertEqual(plan.changes.first?.note, "kip app set-image by ann: r/api:1 → r/api:2")

        var scaled = AppSpec(json: current["spec"] ?? [:])
        scaled.volumes = [Mount(volume: "data", path: "/data")]
        scaled.replicas = 3
        XCTAssertThrowsError(
            try AppDeploy.changePlan(
                "api", current: current, spec: scaled, view([current]), command: ["app", "scale"],
                at: "2026-12-04T12:00:00Z", by: "ann")
        ) {
            XCTAssertTrue(($0 as? KipError)?.message.hasPrefix("app api: 3 replicas with volume data mounted") == true)
        }

        let deployed = try AppDeploy.plan(options { $0.port = 3000 }, view([]), at: "2026-12-04T12:00:00Z", by: "ann")
            .plan
        XCTAssertEqual(deployed.changes.map(\.reason), ["Deployed"])
        XCTAssertEqual(deployed.changes.first?.note, "kip app deploy by ann: r/api:1")
    }

    /// An app's own secret: created empty first (a precondition for the values write),
    /// then written with its values by their own manager, before the App whose config
    /// hash rolls its pods; the 1 MiB limit is the API server's.
    func testSecretSetWritesTheSecretFirstAndRollsTheApp() throws {
        let first = try AppSecrets.set(
            "TOKEN", base64: "czNjcmV0", app: "api", view([]), credentials: [:], dryRun: false)
        XCTAssertTrue(first.readAgain, "the first write creates the Secret empty, then reads it again")
        XCTAssertEqual(first.owned([:]).first?.at("metadata", "name"), "api-secrets")
        XCTAssertNil(first.owned([:]).first?["data"])

        let secret: JSON = [
            "apiVersion": "v1", "kind": "Secret",
            "metadata": [
                "name": "api-secrets", "namespace": "shop-test", "resourceVersion": "4",
                "annotations": [Keys.configSalt: "salt"],
            ],
            "data": ["OLD": "eA=="],
        ]
        let w = view([app(["image": "r/api:1", "port": 3000]), secret])
        let plan = try AppSecrets.set("TOKEN", base64: "czNjcmV0", app: "api", w, credentials: [:], dryRun: false)
        XCTAssertTrue(plan.secretsFirst)
        let written = plan.secrets([:])
        XCTAssertEqual(written.first?["data"], ["OLD": "eA==", "TOKEN": "czNjcmV0"])
        XCTAssertEqual(written.first?.at("metadata", "resourceVersion"), "4", "the precondition")
        XCTAssertEqual(plan.owners.first?.at("spec", "secretEnv"), ["OLD", "TOKEN"])
        XCTAssertNotNil(plan.owners.first?.at("metadata", "annotations", Keys.configHash))
        XCTAssertEqual(plan.report.first, .success("secret TOKEN set for app api in shop-test"))

        let unset = try AppSecrets.unset("OLD", app: "api", w, credentials: [:], dryRun: false, attempt: 0)
        XCTAssertEqual(unset.secrets([:]).first?["data"], [:])
        XCTAssertEqual(unset.removedSecretKeys?.keys, ["OLD"])
        XCTAssertThrowsError(try AppSecrets.unset("NOPE", app: "api", w, credentials: [:], dryRun: false, attempt: 0))
        XCTAssertNoThrow(
            try AppSecrets.unset("NOPE", app: "api", w, credentials: [:], dryRun: false, attempt: 1),
            "a retry finds it gone already")

        let big = Data(count: AppSecrets.limit + 1).base64EncodedString()
        XCTAssertThrowsError(try AppSecrets.set("BIG", base64: big, app: "api", w, credentials: [:], dryRun: false))
    }
}

/// `kip service add` as an operation: what an existing database's data allows, and the
/// apps that restart with fresh credentials.
final class ServiceAddTests: XCTestCase {
    let scope = WorkloadScope(project: "shop", environment: "test", namespace: "shop-test", domain: "apprunr.com")

    func view(_ items: [JSON]) -> EnvironmentView {
        let ns: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop-test"]]
        var v = EnvironmentView(
            Observed(items: [ns] + items), projectName: "shop", environment: "test", namespace: "shop-test")
        v.newPassword = { "fresh-password-0123456789" }
        return v
    }

    func options(version: String = "16", storage: String = "1Gi") -> ServiceOptions {
        ServiceOptions(name: "db", spec: ServiceSpec(type: "postgres", version: version, storage: storage))
    }

    func testTypeAndNameAreCheckedBeforeAnythingIsRead() {
        XCTAssertThrowsError(try ServiceAdd.check(type: "oracle", name: "db")) {
            XCTAssertEqual(($0 as? KipError)?.message, "unknown service type 'oracle': use postgres, mysql or redis")
        }
        XCTAssertThrowsError(try ServiceAdd.check(type: "postgres", name: String(repeating: "a", count: 53))) {
            XCTAssertTrue(($0 as? KipError)?.message.contains("is 53 characters") == true)
        }
        XCTAssertNoThrow(try ServiceAdd.check(type: "redis", name: String(repeating: "a", count: 52)))
    }

    func testAnExistingDatabaseKeepsItsDataShape() throws {
        let existing = Workloads.cr(
            .service, "db", scope, spec: ["type": "postgres", "version": "16", "storage": "1Gi"])
        let w = view([existing])
        XCTAssertThrowsError(try ServiceAdd.plan(options(storage: "2Gi"), w)) {
            XCTAssertEqual(
                ($0 as? KipError)?.message,
                "service db has 1Gi of storage; the size of an existing database cannot change here")
        }
        XCTAssertThrowsError(try ServiceAdd.plan(options(version: "15"), w)) {
            XCTAssertTrue(($0 as? KipError)?.message.contains("15 is older and cannot read it") == true, "\($0)")
        }
        XCTAssertThrowsError(try ServiceAdd.plan(options(version: "17"), w)) {
            XCTAssertTrue(($0 as? KipError)?.message.hasSuffix("then pass --allow-major-upgrade") == true, "\($0)")
        }
        var major = options(version: "17")
        major.allowMajorUpgrade = true
        let plan = try ServiceAdd.plan(major, w)
        XCTAssertEqual(plan.owners.first?.at("spec", "version"), "17")
    }

    func testFreshCredentialsRestartTheAppsBoundToTheService() throws {
        var bound = Workloads.cr(
            .app, "api", scope,
            spec: ["image": "r/api:1", "port": 80, "bindings": [["service": "db", "prefix": "DATABASE"]]])
        bound.set(["metadata", "uid"], "u-api")
        let other = Workloads.cr(.app, "web", scope, spec: ["image": "r/web:1", "port": 80])
        let plan = try ServiceAdd.plan(options(), view([bound, other]))
        XCTAssertEqual(plan.owners.compactMap { $0.at("metadata", "name")?.stringValue }, ["db", "api"])
        XCTAssertEqual(plan.owners[1].at("metadata", "annotations", Keys.configHash), "fresh-password-0")
        XCTAssertTrue(
            plan.report.contains(.info("  fresh credentials: restarting the apps bound to it (api)")), "\(plan.report)")
        XCTAssertEqual(ServiceAdd.reads(options()).kinds, [WorkloadKind.app.resource])
    }
}

/// `kip job add` as an operation: a one-off Job's pod template cannot change.
final class JobAddTests: XCTestCase {
    let scope = WorkloadScope(project: "shop", environment: "test", namespace: "shop-test", domain: nil)

    func testAOneOffJobKeepsItsTemplateAndSaysSo() throws {
        let old = JobSpec(image: "r/migrate:1", schedule: nil, command: [], env: [])
        var cr = Workloads.cr(.job, "migrate", scope, spec: old.json)
        cr.set(["metadata", "uid"], "u-job")
        let live = try XCTUnwrap(
            Workloads.render(cr, scope, uid: "u-job", password: { _ in nil }).first { $0["kind"] == "Job" })
        let ns: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop-test"]]
        let w = EnvironmentView(
            Observed(items: [ns, cr, live]), projectName: "shop", environment: "test", namespace: "shop-test")
        let same = try JobAdd.plan("migrate", old, w, adopt: false)
        XCTAssertEqual(same.report, [.success("job migrate unchanged in shop-test")])
        let newer = JobSpec(image: "r/migrate:2", schedule: nil, command: [], env: [])
        XCTAssertThrowsError(try JobAdd.plan("migrate", newer, w, adopt: false)) {
            XCTAssertTrue(
                ($0 as? KipError)?.message.hasPrefix(
                    "job migrate is a one-off Job, whose pod template Kubernetes cannot change")
                    == true, "\($0)")
        }
    }
}

/// `kip volume add` as an operation: what is fixed once a volume exists, and mounts.
final class VolumeAddTests: XCTestCase {
    let scope = WorkloadScope(project: "shop", environment: "test", namespace: "shop-test", domain: nil)

    func view(_ items: [JSON]) -> EnvironmentView {
        let ns: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop-test"]]
        return EnvironmentView(
            Observed(items: [ns] + items), projectName: "shop", environment: "test", namespace: "shop-test")
    }

    func testAnExistingVolumeKeepsItsSizeAndMountsGoIntoApps() throws {
        let data = Workloads.cr(.volume, "data", scope, spec: VolumeSpec(size: "1Gi").json)
        let api = Workloads.cr(.app, "api", scope, spec: ["image": "r/api:1", "port": 80])
        XCTAssertThrowsError(
            try VolumeAdd.plan("data", VolumeSpec(size: "2Gi"), mounts: [], view([data]), adopt: false)
        ) {
            XCTAssertEqual(
                ($0 as? KipError)?.message, "volume data is 1Gi; the size of an existing volume cannot change here")
        }
        XCTAssertThrowsError(
            try VolumeAdd.plan(
                "data", VolumeSpec(size: "1Gi"), mounts: [Mount(volume: "web", path: "/d")], view([data, api]),
                adopt: false))
        let plan = try VolumeAdd.plan(
            "data", VolumeSpec(size: "1Gi"), mounts: [Mount(volume: "api", path: "/data")], view([data, api]),
            adopt: false)
        let app = try XCTUnwrap(plan.owners.first { $0["kind"] == "App" })
        XCTAssertEqual(AppSpec(json: app["spec"] ?? [:]).volumes.map(\.path), ["/data"])
        XCTAssertTrue(plan.report.contains(.info("  mounted into app api")))
    }

}
