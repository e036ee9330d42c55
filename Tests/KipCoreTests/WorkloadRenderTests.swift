import KipCore
import KipTestSupport
import XCTest

/// Every renderer as a golden file (clock and randomness fixed).
final class WorkloadRenderTests: XCTestCase {
    let scope = WorkloadScope(
        project: "yourr-name", environment: "test", namespace: "yourr-name-test", domain: "apprunr.com")
    let uid = "00000000-0000-4000-8000-0000000000aa"

    func golden(_ cr: JSON, _ name: String, secrets: Set<String> = []) {
        golden(cr, name, in: scope, secrets: secrets)
    }

    func golden(_ cr: JSON, _ name: String, in scope: WorkloadScope, secrets: Set<String> = []) {
        let children = Workloads.render(
            cr, scope, uid: uid,
            password: { key in
                if key.hasSuffix(":root") { return "r00t-Passw0rd_not-random-XYZ" }
                return secrets.contains(SecretNames.credentials(key)) ? nil : "s3cr3t-Passw0rd_not-random-XYZ"
            })
        assertGolden(JSON.array([cr] + children).serialized(pretty: true) + "\n", "render/\(name).json")
    }

    func testAppWithRoute() {
        golden(
            Workloads.cr(
                .app, "api", scope,
                spec: [
                    "image": "registry.example.com/api:v1.2.3", "port": 3000, "replicas": 2,
                    "route": ["host": "api-test.apprunr.com"], "env": [["name": "LOG_LEVEL", "value": "debug"]],
                ]), "app-route")
    }

    func testAppWithoutRoute() {
        golden(
            Workloads.cr(.app, "worker", scope, spec: ["image": "registry.example.com/worker:1", "port": 8080]),
            "app-no-route")
    }

    func testAppAutoscaledWithResourcesBindingsAndVolumes() {
        let spec: JSON = [
            "image": "registry.example.com/api:v1.2.3", "port": 3000,
            "autoscale": ["min": 2, "max": 10, "cpuPercent": 70],
            "resources": ["cpuRequest": "100m", "cpuLimit": "500m", "memoryRequest": "128Mi", "memoryLimit": "256Mi"],
            "bindings": [["service": "db", "prefix": "DATABASE"], ["service": "cache", "prefix": "REDIS"]],
            "volumes": [["volume": "uploads", "path": "/data/uploads"]],
        ]
        golden(
            Workloads.cr(.app, "api", scope, spec: spec, annotations: ["kipper.run/promoted-from": "test"]),
            "app-autoscale-bind-volume")
    }

    func testEachServiceType() {
        for type in ["postgres", "mysql", "redis"] {
            golden(
                Workloads.cr(
                    .service, "db", scope,
                    spec: [
                        "type": .string(type), "version": .string(Workloads.engines[type]!.defaultVersion),
                        "storage": "1Gi",
                    ]), "service-\(type)")
        }
    }

    /// What the user set wins over a binding's variable, once each; a secret change is in
    /// the pod template (a hash); a ReadWriteOnce mount makes the rollout Recreate; the
    /// opt-outs and runAsNonRoot.
    func testAppOverridesRollsAndVolumeStrategy() {
        var cr = Workloads.cr(
            .app, "api", scope,
            spec: [
                "image": "registry.example.com/api:v1.2.3", "port": 3000,
                "env": [["name": "DATABASE_HOST", "value": "db.example.com"]], "secretEnv": ["DATABASE_URL", "TOKEN"],
                "bindings": [["service": "db", "prefix": "DATABASE"]],
                "volumes": [
                    ["volume": "uploads", "path": "/data/uploads"],
                    ["volume": "shared", "path": "/shared", "accessMode": "ReadWriteMany"],
                ],
                "runAsNonRoot": true,
            ])
        cr.set(["metadata", "annotations", Keys.configHash], "0123456789abcdef")
        golden(cr, "app-overrides-hash-recreate")
        golden(
            Workloads.cr(
                .app, "legacy", scope,
                spec: [
                    "image": "registry.example.com/legacy:1", "port": 80, "replicas": 3, "securityDefaults": false,
                    "volumes": [["volume": "shared", "path": "/shared", "accessMode": "ReadWriteMany"]],
                ]), "app-no-security-defaults-shared-volume")
    }

    /// The cluster's settings reach what is rendered: ingress class and TLS (a copied
    /// certificate, or cert-manager's), storage classes, the cluster's DNS domain.
    func testClusterSettingsReachRoutesStorageAndHosts() {
        var tls = ClusterSettings(domain: "apprunr.com")
        tls.ingressClass = "nginx"
        tls.tlsSecret = "wildcard-apprunr"
        tls.clusterDomain = "corp.internal"
        let withTLS = WorkloadScope(
            project: "yourr-name", environment: "test", namespace: "yourr-name-test", domain: "apprunr.com",
            cluster: tls)
        let app = Workloads.cr(
            .app, "api", withTLS,
            spec: ["image": "registry.example.com/api:v1.2.3", "port": 3000, "route": ["host": "api-test.apprunr.com"]])
        golden(app, "app-route-tls-secret", in: withTLS)
        var issuer = ClusterSettings(domain: "apprunr.com")
        issuer.clusterIssuer = "letsencrypt"
        let withIssuer = WorkloadScope(
            project: "yourr-name", environment: "test", namespace: "yourr-name-test", domain: "apprunr.com",
            cluster: issuer)
        let ingress = Workloads.render(app, withIssuer, uid: uid, password: { _ in nil }).first {
            $0["kind"]?.stringValue == "Ingress"
        }
        XCTAssertEqual(ingress?.at("metadata", "annotations", Keys.certManagerIssuer)?.stringValue, "letsencrypt")
        XCTAssertEqual(ingress?.at("spec", "tls")?.arrayValue?.first?["secretName"]?.stringValue, "api-tls")
        XCTAssertNil(ingress?.at("spec", "ingressClassName"))
        golden(
            Workloads.cr(
                .service, "db", withTLS, spec: ["type": "postgres", "version": "16", "storageClass": "fast-ssd"]),
            "service-postgres-storage-class-cluster-domain", in: withTLS)
        golden(
            Workloads.cr(
                .volume, "shared", scope, spec: ["size": "5Gi", "accessMode": "ReadWriteMany", "storageClass": "nfs"]),
            "volume-shared-storage-class")
    }

    func testConfigHashChangesWithEveryValueAndHidesThem() {
        let a = Workloads.configHash(salt: "s", secret: ["K": "dg=="], credentials: ["db": ["password": "cA=="]])
        XCTAssertEqual(a.count, 16)
        XCTAssertEqual(
            a, Workloads.configHash(salt: "s", secret: ["K": "dg=="], credentials: ["db": ["password": "cA=="]]))
        XCTAssertNotEqual(
            a, Workloads.configHash(salt: "s", secret: ["K": "dw=="], credentials: ["db": ["password": "cA=="]]))
        XCTAssertNotEqual(
            a, Workloads.configHash(salt: "s", secret: ["K": "dg=="], credentials: ["db": ["password": "cQ=="]]))
        XCTAssertNotEqual(
            a, Workloads.configHash(salt: "t", secret: ["K": "dg=="], credentials: ["db": ["password": "cA=="]]))
        // SHA-256 itself, against the standard's test vectors.
        XCTAssertEqual(
            SHA256.hex(SHA256.digest(Array("abc".utf8))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex(SHA256.digest([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(
            SHA256.hex(SHA256.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testServiceKeepsExistingCredentials() {
        let children = Workloads.render(
            Workloads.cr(.service, "db", scope, spec: ["type": "postgres"]), scope, uid: uid, password: { _ in nil })
        XCTAssertEqual(children.map { $0["kind"]?.stringValue ?? "" }, ["StatefulSet", "Service"])
    }

    func testVolumeFunctionAndJobs() {
        golden(Workloads.cr(.volume, "uploads", scope, spec: ["size": "5Gi"]), "volume")
        golden(
            Workloads.cr(
                .function, "hello", scope,
                spec: ["image": "fn/hello:1", "port": 8080, "env": [["name": "GREETING", "value": "hi"]]]), "function")
        golden(
            Workloads.cr(
                .job, "backup", scope,
                spec: ["image": "postgres:16", "schedule": "0 3 * * *", "command": ["pg_dump", "-f", "/tmp/x"]]),
            "job-cron")
        golden(
            Workloads.cr(
                .job, "migrate", scope, spec: ["image": "registry.example.com/api:v1.2.3", "command": ["./migrate"]]),
            "job-once")
    }

    /// Unique per project and environment; the app's name once when it is the project's.
    func testDefaultHosts() {
        XCTAssertEqual(scope.defaultHost("api"), "api-yourr-name-test.apprunr.com")
        XCTAssertEqual(scope.defaultHost("yourr-name"), "yourr-name-test.apprunr.com")
        var d = scope
        d.environment = "default"
        XCTAssertEqual(d.defaultHost("api"), "api-yourr-name.apprunr.com")
        XCTAssertEqual(d.defaultHost("yourr-name"), "yourr-name.apprunr.com")
        var long = scope
        long.project = String(repeating: "p", count: 40)
        let host = long.defaultHost(String(repeating: "a", count: 30))!
        let label = String(host.split(separator: ".")[0])
        XCTAssertEqual(label.count, 63, host)
        XCTAssertTrue(DNS.isDNS1035Label(label) || DNS.isLabel(label), host)
        d.domain = nil
        XCTAssertNil(d.defaultHost("api"))
    }

    func testStaleChildrenAfterRouteAndAutoscaleGo() {
        let before = Workloads.render(
            Workloads.cr(
                .app, "api", scope,
                spec: [
                    "image": "x", "port": 80, "route": ["host": "h.example.com"], "autoscale": ["min": 1, "max": 3],
                ]), scope, uid: uid, password: { _ in nil })
        let after = Workloads.render(
            Workloads.cr(.app, "api", scope, spec: ["image": "x", "port": 80]), scope, uid: uid, password: { _ in nil })
        XCTAssertEqual(
            Workloads.stale(existing: before, rendered: after, kind: .app, owner: "api").map(Workloads.ref),
            ["ingress.v1.networking.k8s.io/api", "horizontalpodautoscaler.autoscaling/api"])
    }
}

final class QuantityCronTests: XCTestCase {
    func testQuantities() {
        for ok in ["1Gi", "500m", "256Mi", "1.5Gi", "500M", "2", "0.5"] { XCTAssertTrue(Quantity.isValid(ok), ok) }
        for bad in ["1GB", "Gi", "1..5Gi", "-1Gi", "1 Gi", ".5Gi", "1gi"] { XCTAssertFalse(Quantity.isValid(bad), bad) }
        XCTAssertEqual(
            Quantity.problem("1GB", flag: "--storage"), "--storage '1GB' is not a Kubernetes quantity: use 1Gi")
        XCTAssertEqual(
            Quantity.problem("lots", flag: "--size"),
            "--size 'lots' is not a Kubernetes quantity: e.g. 1Gi, 512Mi, 500m")
    }

    func testMemoryScaling() {
        XCTAssertEqual(Quantity.scaleMemory("256Mi", by: 1.5), "384Mi")
        XCTAssertEqual(Quantity.scaleMemory("1Gi", by: 1.5), "1536Mi")
        XCTAssertEqual(Quantity.scaleMemory("1.5Gi", by: 1.5), "2304Mi")
        XCTAssertEqual(Quantity.scaleMemory("500M", by: 1.5), "750M")
        XCTAssertEqual(Quantity.scaleMemory("2Gi", by: 1.5), "3Gi")
    }

    func testCron() {
        for ok in [
            "0 3 * * *", "*/15 * * * *", "0 0 1 jan,jul *", "30 2 * * mon-fri", "@daily", "0 0 ? * 0", "@every 1h",
        ] {
            XCTAssertNil(Cron.problem(ok), ok)
        }
        // As Kubernetes parses them: Sunday is 0 only, ranges ascend, no time zone prefix.
        XCTAssertEqual(
            Cron.problem("0 0 * * 7"), "--schedule '0 0 * * 7': day of week '7' is out of range 0-6 (Sunday is 0)")
        XCTAssertEqual(Cron.fault("0 0 * * 7")?.serverText, "end of range (7) above maximum (6): 7")
        XCTAssertEqual(Cron.problem("0 0 * * 5-1"), "--schedule '0 0 * * 5-1': day of week range '5-1' goes backwards")
        XCTAssertEqual(Cron.fault("0 0 * * 5-1")?.serverText, "beginning of range (5) beyond end of range (1): 5-1")
        XCTAssertEqual(Cron.fault("TZ=UTC 0 0 * * *"), .timezone)
        XCTAssertEqual(Cron.problem("61 * * * *"), "--schedule '61 * * * *': minute '61' is out of range 0-59")
        XCTAssertEqual(
            Cron.problem("* * *"),
            "--schedule '* * *': needs five fields (minute hour day-of-month month day-of-week), e.g. '0 3 * * *'")
        XCTAssertEqual(Cron.problem("*/0 * * * *"), "--schedule '*/0 * * * *': minute field '*/0' has a bad step")
        XCTAssertEqual(Cron.problem("0 0 32 * *"), "--schedule '0 0 32 * *': day of month '32' is out of range 1-31")
    }
}

final class ManifestExportTests: XCTestCase {
    func testExportedObjectsLeaveKipAndNameTheSecretsTheyNeed() {
        let project = Project(
            name: "shop", displayName: nil, environments: [.init(name: "test", namespace: "shop-test")], uid: "u")
        let deployment: JSON = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": [
                "name": "api", "labels": ["app.kubernetes.io/managed-by": "kip", "kipper.run/app": "api"],
                "ownerReferences": [["uid": "x"]],
            ],
            "spec": [
                "template": [
                    "spec": [
                        "imagePullSecrets": [["name": "regcred"]],
                        "containers": [
                            [
                                "name": "api", "envFrom": [["secretRef": ["name": "api-secrets"]]],
                                "env": [
                                    [
                                        "name": "P",
                                        "valueFrom": ["secretKeyRef": ["name": "db-credentials", "key": "p"]],
                                    ]
                                ],
                            ]
                        ],
                        "volumes": [["name": "c", "secret": ["secretName": "certs"]]],
                    ]
                ]
            ],
        ]
        let db: JSON = [
            "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": "db"],
            "spec": ["persistentVolumeClaimRetentionPolicy": ["whenDeleted": "Delete", "whenScaled": "Retain"]],
        ]
        var cluster = ClusterSettings()
        cluster.podSecurity = "restricted"
        let out = ManifestExport.objects(
            project, project.environments[0], rendered: [deployment, db], cluster: cluster)
        XCTAssertEqual(
            out.map { $0["kind"]?.stringValue },
            ["Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "Deployment", "StatefulSet"],
            "the environment's isolation and quota go with it")
        XCTAssertEqual(out[0].at("metadata", "labels", "pod-security.kubernetes.io/enforce"), "restricted")
        XCTAssertEqual(out[0].at("metadata", "labels", "kipper.run/project"), "shop")
        for o in out {
            XCTAssertNil(o.at("metadata", "labels", "app.kubernetes.io/managed-by"))
            XCTAssertNil(o.at("metadata", "ownerReferences"))
        }
        XCTAssertEqual(out[4].at("metadata", "labels", "kipper.run/app"), "api")
        XCTAssertEqual(out[5].at("spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"), "Retain")
        XCTAssertEqual(ManifestExport.missingSecrets(out), ["api-secrets", "certs", "db-credentials", "regcred"])
    }
}
