import Foundation
import KipCore
import KipTestSupport
import XCTest

/// The real kubectl against kip-sandbox: what kip relies on behaves as on a real API server.
final class KubectlAgainstSandboxTests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws { c = try E2ECluster(self, sandboxOnly: true) }

    func apply(_ json: String, _ extra: [String] = []) -> Run {
        c.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"] + extra, stdin: json)
    }

    func testApplyGetListDeleteBuiltInKinds() throws {
        XCTAssertEqual(
            apply(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#).stdout,
            "namespace/shop serverside-applied\n")
        XCTAssertEqual(
            apply(
                #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"shop","labels":{"tier":"web"}},"data":{"k":"v"}}"#
            ).code, 0)
        XCTAssertEqual(
            apply(
                #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"shop"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"name":"api","image":"x"}]}}}}"#
            ).code, 0)
        let cm = try c.kubectlJSON(["get", "configmap", "a", "-n", "shop"])
        XCTAssertEqual(cm.at("data", "k"), "v")
        XCTAssertEqual(cm["kind"], "ConfigMap")
        XCTAssertNotNil(cm.at("metadata", "uid")?.stringValue)
        XCTAssertEqual(cm.at("metadata", "namespace"), "shop")
        let both = try c.kubectlJSON(["get", "configmaps,deployments", "-n", "shop"])
        XCTAssertEqual(
            both["items"]?.arrayValue?.compactMap { $0["kind"]?.stringValue }.sorted(), ["ConfigMap", "Deployment"])
        XCTAssertEqual(try c.names("serviceaccounts", namespace: "shop"), ["default"])
        XCTAssertEqual(c.kubectl(["delete", "configmap", "a", "-n", "shop"]).stdout, "configmap \"a\" deleted\n")
        let missing = c.kubectl(["get", "configmap", "a", "-n", "shop"])
        XCTAssertEqual(missing.code, 1)
        XCTAssertEqual(missing.stderr, "Error from server (NotFound): configmaps \"a\" not found\n")
    }

    func testMetadataAsARealServerSetsIt() throws {
        _ = apply(
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"default"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"name":"api","image":"x"}]}}}}"#
        )
        let one = try c.kubectlJSON(["get", "deployment", "api"])
        _ = apply(
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"default","labels":{"a":"b"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"name":"api","image":"x"}]}}}}"#
        )
        let two = try c.kubectlJSON(["get", "deployment", "api"])
        _ = apply(
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"default","labels":{"a":"b"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"name":"api","image":"x"}]}}}}"#
        )
        let three = try c.kubectlJSON(["get", "deployment", "api"])
        XCTAssertEqual(one.at("metadata", "generation"), 1)
        XCTAssertEqual(two.at("metadata", "generation"), 1, "a label change is not a spec change")
        XCTAssertEqual(three.at("metadata", "generation"), 2)
        let rvs = [one, two, three].compactMap { Int($0.at("metadata", "resourceVersion")?.stringValue ?? "") }
        XCTAssertEqual(rvs.count, 3)
        XCTAssertEqual(rvs, rvs.sorted())
        XCTAssertEqual(Set(rvs).count, 3)
        XCTAssertEqual(one.at("metadata", "uid"), three.at("metadata", "uid"))
        XCTAssertNotNil(one.at("metadata", "creationTimestamp")?.stringValue)
    }

    func testServerSideApplyRemovesFieldsTheManagerNoLongerApplies() throws {
        _ = apply(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default","labels":{"x":"1","y":"2"}},"data":{"a":"1","b":"2"}}"#
        )
        // Another manager adds its own key; it must survive the first manager's removal.
        XCTAssertEqual(
            c.kubectl(
                ["apply", "--server-side", "--field-manager=other", "-f", "-"],
                stdin:
                    #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default"},"data":{"c":"3"}}"#
            ).code, 0)
        _ = apply(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default","labels":{"x":"1"}},"data":{"a":"1"}}"#
        )
        let cm = try c.kubectlJSON(["get", "configmap", "a"])
        XCTAssertEqual(cm["data"], ["a": "1", "c": "3"])
        XCTAssertEqual(cm.at("metadata", "labels"), ["x": "1"])
    }

    func testPatchesAndUpdatesWithResourceVersionConflicts() throws {
        _ = apply(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default"},"data":{"k":"1","gone":"x"}}"#
        )
        XCTAssertEqual(
            c.kubectl(["patch", "configmap", "a", "--type", "merge", "-p", #"{"data":{"gone":null,"new":"2"}}"#]).code,
            0)
        XCTAssertEqual(try c.kubectlJSON(["get", "configmap", "a"])["data"], ["k": "1", "new": "2"])
        XCTAssertEqual(
            c.kubectl(["patch", "configmap", "a", "-p", #"{"metadata":{"labels":{"l":"v"}}}"#]).code, 0,
            "strategic merge patch")
        XCTAssertEqual(try c.kubectlJSON(["get", "configmap", "a"]).at("metadata", "labels"), ["l": "v"])
        var current = try c.kubectlJSON(["get", "configmap", "a"])
        current.set(["data", "k"], "3")
        XCTAssertEqual(c.kubectl(["replace", "-f", "-"], stdin: current.serialized()).code, 0)
        current.set(["data", "k"], "4")  // still the old resourceVersion
        let stale = c.kubectl(["replace", "-f", "-"], stdin: current.serialized())
        XCTAssertEqual(stale.code, 1)
        XCTAssertTrue(
            stale.stderr.contains("Operation cannot be fulfilled on configmaps \"a\": the object has been modified"),
            stale.stderr)
        XCTAssertEqual(try c.kubectlJSON(["get", "configmap", "a"]).at("data", "k"), "3")
    }

    func testConflictsBetweenManagersAndForce() throws {
        _ = apply(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default"},"data":{"k":"1"}}"#)
        let other =
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default"},"data":{"k":"2"}}"#
        let r = c.kubectl(["apply", "--server-side", "--field-manager=other", "-f", "-"], stdin: other)
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.stderr.contains("conflict with \"test\": .data.k"), r.stderr)
        XCTAssertEqual(
            c.kubectl(
                ["apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-"], stdin: other
            ).code, 0)
        XCTAssertEqual(try c.kubectlJSON(["get", "configmap", "a"]).at("data", "k"), "2")
        // The first manager lost the field: its next apply without it leaves it alone.
        _ = apply(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default","labels":{"l":"1"}}}"#)
        XCTAssertEqual(try c.kubectlJSON(["get", "configmap", "a"]).at("data", "k"), "2")
    }

    func testLabelSelectors() throws {
        for (n, tier) in [("a", "web"), ("b", "db"), ("c", "cache")] {
            _ = apply(
                #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(n)","namespace":"default","labels":{"tier":"\#(tier)"}}}"#
            )
        }
        _ = apply(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","namespace":"default"}}"#)
        func sel(_ s: String) throws -> [String] {
            (try c.kubectlJSON(["get", "configmaps", "-l", s])["items"]?.arrayValue ?? []).compactMap {
                $0.at("metadata", "name")?.stringValue
            }.sorted()
        }
        XCTAssertEqual(try sel("tier=web"), ["a"])
        XCTAssertEqual(try sel("tier==db"), ["b"])
        XCTAssertEqual(try sel("tier!=web"), ["b", "c", "d"])
        XCTAssertEqual(try sel("tier in (web,db)"), ["a", "b"])
        XCTAssertEqual(try sel("tier notin (web,db)"), ["c", "d"])
        XCTAssertEqual(try sel("tier"), ["a", "b", "c"])
        XCTAssertEqual(try sel("!tier"), ["d"])
        let all = try c.kubectlJSON(["get", "configmaps", "-A", "--field-selector", "metadata.name=a"])
        XCTAssertEqual(all["items"]?.arrayValue?.count, 1)
    }

    /// A new CRD is served once Established, as on a real cluster.
    func establish() {
        XCTAssertEqual(
            c.kubectl(["wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s"]).code, 0)
    }

    static let crd = #"""
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
         "spec":{"group":"example.com","scope":"Cluster","names":{"plural":"widgets","singular":"widget","kind":"Widget","shortNames":["wd"]},
         "versions":[{"name":"v1","served":true,"storage":true,
           "schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","required":["size"],
             "properties":{"size":{"type":"string","enum":["S","M"]},"count":{"type":"integer"},"extra":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}}}]}}
        """#

    func testCRDThenItsResourceWithSchemaValidation() throws {
        XCTAssertEqual(apply(Self.crd).code, 0)
        establish()
        XCTAssertEqual(
            apply(
                #"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":"S","extra":{"any":1}}}"#
            ).stdout, "widget.example.com/w1 serverside-applied\n")
        XCTAssertEqual(try c.names("wd"), ["w1"])
        let unknown = apply(
            #"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w2"},"spec":{"size":"S","colour":"red"}}"#
        )
        XCTAssertEqual(unknown.code, 1)
        XCTAssertTrue(unknown.stderr.contains(".spec.colour: field not declared in schema"), unknown.stderr)
        let badEnum = apply(
            #"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w3"},"spec":{"size":"L"}}"#)
        XCTAssertTrue(
            badEnum.stderr.contains("spec.size: Unsupported value: \"L\": supported values: \"S\", \"M\""),
            badEnum.stderr)
        let badType = apply(
            #"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w4"},"spec":{"size":"S","count":"two"}}"#
        )
        XCTAssertTrue(badType.stderr.contains("spec.count"), badType.stderr)
        let missing = apply(#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w5"},"spec":{}}"#)
        XCTAssertTrue(missing.stderr.contains("spec.size: Required value"), missing.stderr)
        // Deleting the CRD removes its objects and its resource type.
        XCTAssertEqual(c.kubectl(["delete", "crd", "widgets.example.com"]).code, 0)
        XCTAssertEqual(c.kubectl(["get", "widgets.example.com"]).code, 1)
    }

    func testGarbageCollectionThroughAClusterScopedOwner() throws {
        _ = apply(Self.crd)
        establish()
        _ = apply(#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":"S"}}"#)
        let uid = try c.kubectlJSON(["get", "widget", "w1"]).at("metadata", "uid")!.stringValue!
        _ = apply(
            #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"owned","ownerReferences":[{"apiVersion":"example.com/v1","kind":"Widget","name":"w1","uid":"\#(uid)"}]}}"#
        )
        _ = apply(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"owned"}}"#)
        XCTAssertEqual(c.kubectl(["delete", "widget", "w1"]).code, 0)
        try eventually("the namespace and what it holds collected") {
            try !c.names("namespaces").contains("owned")
                && c.kubectlJSON(["get", "configmaps", "-A"])["items"]?.arrayValue?.count == 0
        }
    }

    func testOrphanPropagationKeepsDependents() throws {
        _ = apply(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"owner","namespace":"default"}}"#)
        let uid = try c.kubectlJSON(["get", "configmap", "owner"]).at("metadata", "uid")!.stringValue!
        _ = apply(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dep","namespace":"default","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"\#(uid)"}]}}"#
        )
        XCTAssertEqual(c.kubectl(["delete", "configmap", "owner", "--cascade=orphan"]).code, 0)
        XCTAssertEqual(try c.names("configmaps"), ["dep"])
    }

    func testNamespaceDeletionCascades() throws {
        _ = apply(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"gone"}}"#)
        _ = apply(
            #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"gone"},"stringData":{"password":"hunter2"}}"#
        )
        XCTAssertEqual(try c.kubectlJSON(["get", "secret", "s", "-n", "gone"]).at("data", "password"), "aHVudGVyMg==")
        XCTAssertEqual(c.kubectl(["delete", "namespace", "gone"]).code, 0)
        XCTAssertEqual(try c.kubectlJSON(["get", "secrets", "-A"])["items"]?.arrayValue?.count, 0)
    }

    func testValidationErrorsAsKubectlPrintsThem() {
        let bad = apply(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"Bad_Name"}}"#)
        XCTAssertEqual(bad.code, 1)
        XCTAssertTrue(
            bad.stderr.contains(
                "The Namespace \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label"
            ), bad.stderr)
        let long = String(repeating: "a", count: 64)
        XCTAssertTrue(
            apply(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"\#(long)"}}"#).stderr.contains(
                "must be no more than 63 characters"))
        let label = apply(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default","labels":{"k":"not ok"}}}"#
        )
        XCTAssertTrue(label.stderr.contains("metadata.labels: Invalid value: \"not ok\""), label.stderr)
        let b64 = apply(
            #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"default"},"data":{"k":"!!!"}}"#)
        XCTAssertTrue(b64.stderr.contains("illegal base64 data"), b64.stderr)
        let noNs = apply(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"nowhere"}}"#)
        XCTAssertTrue(noNs.stderr.contains("namespaces \"nowhere\" not found"), noNs.stderr)
    }

    func testFaultInjectionIsVisibleToKubectl() throws {
        let f = try E2ECluster(self, faults: ["GET /api/v1/namespaces:500:once"], sandboxOnly: true)
        let first = f.kubectl(["get", "namespaces", "-o", "name"])
        XCTAssertEqual(first.code, 1)
        XCTAssertTrue(first.stderr.contains("injected fault"), first.stderr)
        XCTAssertEqual(f.kubectl(["get", "namespaces", "-o", "name"]).code, 0)
        let log = f.requests().filter { $0["path"] == "/api/v1/namespaces" }
        XCTAssertEqual(log.compactMap { $0["status"]?.intValue }, [500, 200])
    }

    func testStartsFastPrintsItsAddressAndExitsCleanlyOnSignals() throws {
        for sig in [SIGTERM, SIGINT] {
            let dir = temporaryDirectory(self)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: c.binDir + "/kip-sandbox")
            p.arguments = ["--port", "0", "--kubeconfig-out", dir + "/kc"]
            let out = Pipe()
            p.standardOutput = out
            let started = Date()
            try p.run()
            while !FileManager.default.fileExists(atPath: dir + "/kc") && Date().timeIntervalSince(started) < 10 {
                usleep(5_000)
            }
            let kc = try String(contentsOfFile: dir + "/kc", encoding: .utf8)
            XCTAssertTrue(kc.contains("server: http://127.0.0.1:"), kc)
            usleep(100_000)
            kill(p.processIdentifier, sig)
            p.waitUntilExit()
            let line = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertTrue(line.hasPrefix("kip-sandbox listening on http://127.0.0.1:"), line)
            XCTAssertEqual(p.terminationReason, .exit)
            XCTAssertEqual(p.terminationStatus, 0)
        }
        let bad = c.run([c.binDir + "/kip-sandbox", "--fault", "nonsense"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertEqual(
            bad.stderr,
            "kip-sandbox: bad --fault 'nonsense': expected 'METHOD PATHGLOB:STATUS|+MSms|hang|race:once|always|every-N|after-N'\n"
        )
    }

    func testFiftyConcurrentKubectlProcesses() throws {
        _ = c.kubectl(["get", "namespaces"])  // warm the discovery cache
        let results = Box([Int32]())
        DispatchQueue.concurrentPerform(iterations: 50) { i in
            let r = apply(
                #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c\#(i)","namespace":"default"},"data":{"i":"\#(i)"}}"#
            )
            results.append(r.code)
        }
        XCTAssertEqual(results.value, Array(repeating: 0, count: 50))
        XCTAssertEqual(try c.names("configmaps").count, 50)
    }
}

final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    init(_ v: [T]) { items = v }
    func append(_ v: T) {
        lock.lock()
        items.append(v)
        lock.unlock()
    }
    var value: [T] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
