import Foundation
import KipCore
import KipTestSupport
import XCTest

/// The real kubectl against kip-sandbox's validation of built-in kinds: the schemas of a
/// real 1.33 server (strict), the rules it checks beyond them, and immutable fields.
final class BuiltinValidationTests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws { c = try E2ECluster(self, options: [], sandboxOnly: true) }

    func apply(_ json: String) -> Run {
        c.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], stdin: json)
    }

    /// Applies and expects a refusal whose stderr contains `message`.
    func refused(_ json: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let r = apply(json)
        XCTAssertEqual(r.code, 1, r.stdout, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(message), r.stderr, file: file, line: line)
    }

    func deployment(
        name: String = "api", labels: String = #"{"app":"api"}"#, selector: String = #"{"app":"api"}"#,
        container: String = #"{"name":"api","image":"r/api:1"}"#, extra: String = ""
    ) -> String {
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"\#(name)","namespace":"default"},"spec":{\#(extra)"selector":{"matchLabels":\#(selector)},"template":{"metadata":{"labels":\#(labels)},"spec":{"containers":[\#(container)]}}}}"#
    }

    func testTheSchemaOfABuiltInKind() {
        XCTAssertEqual(apply(deployment()).code, 0)
        refused(
            deployment(container: #"{"name":"api","image":"r/api:1","contanerPort":80}"#),
            #".spec.template.spec.containers[name="api"].contanerPort: field not declared in schema"#)
        refused(deployment(extra: #""replicas":"two","#), ".spec.replicas: expected numeric (int or float), got string")
        refused(
            deployment(
                container:
                    #"{"name":"api","image":"r/api:1","env":[{"name":"X","value":"1"},{"name":"X","value":"2"}]}"#),
            #".spec.template.spec.containers[name="api"].env: duplicate entries for key [name="X"]"#)
        // Without strict validation an unknown field is dropped, as a real server does.
        let lax = c.kubectl(
            ["apply", "--server-side", "--field-manager=test", "--validate=false", "-f", "-"],
            stdin: deployment(
                name: "lax", labels: #"{"app":"lax"}"#, selector: #"{"app":"lax"}"#, extra: #""bogus":1,"#))
        XCTAssertEqual(lax.code, 0, "\(lax)")
    }

    func testAStaleResourceVersionInAnAppliedObjectIsAConflict() throws {
        XCTAssertEqual(apply(deployment()).code, 0)
        let rv = try XCTUnwrap(
            c.kubectlJSON(["get", "deployment", "api"]).at("metadata", "resourceVersion")?.stringValue)
        XCTAssertEqual(apply(deployment(extra: #""replicas":2,"#)).code, 0)
        let stale = apply(
            deployment(extra: #""replicas":3,"#).replacingOccurrences(
                of: #""namespace":"default"}"#, with: #""namespace":"default","resourceVersion":"\#(rv)"}"#))
        XCTAssertEqual(stale.code, 1)
        XCTAssertTrue(
            stale.stderr.contains(
                #"Operation cannot be fulfilled on deployments.apps "api": the object has been modified; please apply your changes to the latest version and try again"#
            ), stale.stderr)
    }

    func testRulesBeyondTheSchema() {
        refused(
            deployment(labels: #"{"app":"other"}"#),
            "spec.template.metadata.labels: Invalid value: {\"app\":\"other\"}: `selector` does not match template `labels`"
        )
        refused(
            deployment(
                container:
                    #"{"name":"api","image":"r/api:1","resources":{"requests":{"cpu":"2"},"limits":{"cpu":"500m"}}}"#),
            "spec.template.spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 500m"
        )
        let cron = { (name: String, schedule: String) in
            #"{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"\#(name)","namespace":"default"},"spec":{"schedule":"\#(schedule)","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"x"}]}}}}}}"#
        }
        XCTAssertEqual(apply(cron("nightly", "0 3 * * *")).code, 0)
        refused(
            cron(String(repeating: "a", count: 53), "0 3 * * *"),
            "metadata.name: Invalid value: \"\(String(repeating: "a", count: 53))\": must be no more than 52 characters"
        )
        refused(
            cron("sunday", "0 0 * * 7"),
            "spec.schedule: Invalid value: \"0 0 * * 7\": end of range (7) above maximum (6): 7")
        refused(cron("backwards", "0 0 * * 5-1"), "beginning of range (5) beyond end of range (1): 5-1")
        refused(
            #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"empty","namespace":"default"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"0"}}}}"#,
            "spec.resources.requests[storage]: Invalid value: \"0\": must be greater than zero")
        refused(
            #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"1api","namespace":"default"},"spec":{"ports":[{"port":80}]}}"#,
            "metadata.name: Invalid value: \"1api\": a DNS-1035 label must consist of lower case alphanumeric characters"
        )
    }

    func testFieldsThatCannotChange() throws {
        XCTAssertEqual(apply(deployment()).code, 0)
        refused(
            deployment(labels: #"{"app":"api","v":"2"}"#, selector: #"{"app":"api","v":"2"}"#),
            "spec.selector: Invalid value")
        refused(
            deployment(labels: #"{"app":"api","v":"2"}"#, selector: #"{"app":"api","v":"2"}"#), "field is immutable")
        let svc = { (ip: String) in
            #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{\#(ip)"ports":[{"port":80}]}}"#
        }
        XCTAssertEqual(apply(svc("")).code, 0)
        let ip = try c.kubectlJSON(["get", "service", "web"]).at("spec", "clusterIP")?.stringValue
        XCTAssertNotNil(ip, "the server assigns a cluster IP")
        refused(svc(#""clusterIP":"None","#), "spec.clusterIPs[0]: Invalid value")
        let pvc = { (size: String) in
            #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"default"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"\#(size)"}}}}"#
        }
        XCTAssertEqual(apply(pvc("2Gi")).code, 0)
        refused(pvc("1Gi"), "spec.resources.requests.storage: Forbidden: field can not be less than previous value")
        XCTAssertEqual(apply(pvc("3Gi")).code, 0, "growing is allowed")
        let job = { (image: String) in
            #"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once","namespace":"default"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"\#(image)"}]}}}}"#
        }
        XCTAssertEqual(apply(job("x:1")).code, 0)
        XCTAssertEqual(apply(job("x:1")).code, 0, "the same template again is no change")
        refused(job("x:2"), "spec.template: Invalid value")
        let secret = { (v: String) in
            #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"fixed","namespace":"default"},"immutable":true,"data":{"k":"\#(v)"}}"#
        }
        XCTAssertEqual(apply(secret("YQ==")).code, 0)
        refused(secret("Yg=="), "data: Forbidden: field is immutable when `immutable` is set")
        let sts = { (serviceName: String) in
            #"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db","namespace":"default"},"spec":{"serviceName":"\#(serviceName)","selector":{"matchLabels":{"app":"db"}},"template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}"#
        }
        XCTAssertEqual(apply(sts("db")).code, 0)
        refused(sts("other"), "spec: Forbidden: updates to statefulset spec for fields other than")
    }

    /// Server-side apply per field inside list-maps: each manager owns the env vars it
    /// applied, and stopping applying one removes only that one.
    func testTwoManagersEachOwnTheirEnvVar() throws {
        func applyAs(_ manager: String, _ env: String) -> Run {
            c.kubectl(
                ["apply", "--server-side", "--field-manager=\(manager)", "-f", "-"],
                stdin: deployment(container: #"{"name":"api","image":"r/api:1","env":[\#(env)]}"#))
        }
        XCTAssertEqual(applyAs("kip", #"{"name":"A","value":"1"}"#).code, 0)
        XCTAssertEqual(applyAs("ci", #"{"name":"B","value":"2"}"#).code, 0)
        func names() throws -> [String] {
            try
                (c.kubectlJSON(["get", "deployment", "api"]).at("spec", "template", "spec", "containers")?.arrayValue?
                .first?["env"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        XCTAssertEqual(try names().sorted(), ["A", "B"], "both managers' entries, merged by name")
        let managed = try c.kubectlJSON(["get", "deployment", "api", "--show-managed-fields"]).at(
            "metadata", "managedFields")
        XCTAssertTrue(managed?.serialized().contains(#"k:{\"name\":\"B\"}"#) ?? false, managed?.serialized() ?? "")
        // ci stops applying B (it applies C instead): B goes, A stays.
        XCTAssertEqual(applyAs("ci", #"{"name":"C","value":"3"}"#).code, 0)
        XCTAssertEqual(try names().sorted(), ["A", "C"])
        // kip applies A with another value and also C: C is then co-owned, and stays
        // when ci lets go of it.
        XCTAssertEqual(applyAs("kip", #"{"name":"A","value":"1"},{"name":"C","value":"3"}"#).code, 0)
        XCTAssertEqual(applyAs("ci", "").code, 0)
        XCTAssertEqual(try names().sorted(), ["A", "C"])
    }
}
