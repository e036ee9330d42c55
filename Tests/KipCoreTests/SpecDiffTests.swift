import KipCore
import XCTest

/// Every field of every spec is encoded, decoded and compared by `project diff`: a field
/// added to a spec and left out of its encoding, or out of diff, fails here.
final class SpecDiffTests: XCTestCase {
    let test = Project.Environment(name: "test", namespace: "shop-test")
    let prod = Project.Environment(name: "prod", namespace: "shop-prod")

    /// A spec of each kind with every field set.
    let full: [(WorkloadKind, Any, JSON)] = {
        var app = AppSpec(image: "r/api:1", port: 3000)
        app.replicas = 2
        app.env = [EnvVar(name: "A", value: "1")]
        app.resources = Resources(cpuRequest: "100m", cpuLimit: "1", memoryRequest: "64Mi", memoryLimit: "128Mi")
        app.autoscale = Autoscale(min: 2, max: 5, cpuPercent: 70)
        app.route = "api.example.com"
        app.bindings = [Binding(service: "db", prefix: "DATABASE")]
        app.volumes = [Mount(volume: "files", path: "/data", accessMode: "ReadWriteMany")]
        app.secretEnv = ["TOKEN"]
        app.runAsNonRoot = true
        app.securityDefaults = false
        app.runAsUser = 1000
        let service = ServiceSpec(type: "postgres", version: "16", storage: "2Gi", storageClass: "fast")
        let volume = VolumeSpec(size: "3Gi", accessMode: "ReadWriteMany", storageClass: "nfs")
        let function = FunctionSpec(image: "fn:1", port: 8081, env: [EnvVar(name: "B", value: "2")])
        let job = JobSpec(image: "j:1", schedule: "0 3 * * *", command: ["run"], env: [EnvVar(name: "C", value: "3")])
        return [
            (.app, app, app.json), (.service, service, service.json), (.volume, volume, volume.json),
            (.function, function, function.json), (.job, job, job.json),
        ]
    }()

    func testEveryFieldIsEncodedAndSurvivesARoundTrip() {
        for (kind, value, json) in full {
            let fields = Mirror(reflecting: value).children.compactMap(\.label).sorted()
            XCTAssertEqual(
                fields, (json.objectValue ?? [:]).keys.sorted(),
                "\(kind): every field of the spec is in its CR encoding")
            XCTAssertEqual(
                kind.resolvedSpec(json), kind.resolvedSpec(kind.resolvedSpec(json)), "\(kind): resolving is stable")
        }
        XCTAssertEqual(AppSpec(json: full[0].2), full[0].1 as? AppSpec)
        XCTAssertEqual(ServiceSpec(json: full[1].2), full[1].1 as? ServiceSpec)
        XCTAssertEqual(VolumeSpec(json: full[2].2), full[2].1 as? VolumeSpec)
        XCTAssertEqual(JobSpec(json: full[4].2), full[4].1 as? JobSpec)
    }

    /// Changes one top-level field of an encoded spec.
    func changed(_ v: JSON) -> JSON {
        switch v {
        case .string(let s): return .string(s == "postgres" ? "mysql" : s + "x")
        case .int(let i): return .int(i + 1)
        case .bool(let b): return .bool(!b)
        case .array(let a): return .array(a + a.map(changed))
        case .object(let o): return .object(o.mapValues(changed))
        default: return v
        }
    }

    func testDiffReportsAChangeToAnyField() {
        for (kind, _, json) in full {
            XCTAssertEqual(EnvironmentDiff.specs(kind, "x", json, json, test, prod), [], "\(kind): identical specs")
            // The keys of an app's secret are compared with the secrets themselves.
            for (key, value) in json.objectValue ?? [:] where key != "secretEnv" {
                var other = json
                other[key] = changed(value)
                let entries = EnvironmentDiff.specs(kind, "x", json, other, test, prod)
                XCTAssertFalse(entries.isEmpty, "\(kind).\(key) changed, yet diff found nothing")
            }
        }
    }

    func testDiffDocumentKeepsNumbersAsNumbers() {
        let entries = EnvironmentDiff.specs(
            .app, "api", ["image": "x", "replicas": 1], ["image": "x", "replicas": 3], test, prod)
        let doc = EnvironmentDiff(left: "test", right: "prod", entries: entries).document
        XCTAssertEqual(doc["differences"]?.arrayValue?.first?["left"], 1)
        XCTAssertEqual(doc["differences"]?.arrayValue?.first?["right"], 3)
    }

    func testDefaultsAndNamespacesAreNotDifferences() {
        XCTAssertEqual(
            EnvironmentDiff.specs(.app, "api", ["image": "x"], ["image": "x", "replicas": 1], test, prod), [])
        XCTAssertEqual(
            EnvironmentDiff.specs(.function, "f", ["image": "x"], ["image": "x", "port": 8080], test, prod), [])
        let l: JSON = [
            "image": "x", "env": [["name": "U", "value": "http://db.shop-test.svc"]],
            "route": ["host": "api-test.example.com"],
        ]
        let r: JSON = [
            "image": "x", "env": [["name": "U", "value": "http://db.shop-prod.svc"]],
            "route": ["host": "api-prod.example.com"],
        ]
        XCTAssertEqual(EnvironmentDiff.specs(.app, "api", l, r, test, prod), [])
        XCTAssertEqual(
            EnvironmentDiff.specs(.app, "api", ["image": "x", "port": 80], ["image": "x", "port": 81], test, prod).map(
                \.field), ["port"])
    }
}
