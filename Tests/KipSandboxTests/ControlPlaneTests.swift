import Foundation
import KipCore
import KipTestSupport
import XCTest

@testable import KipSandbox

/// The real kubectl against kip-sandbox's control-plane behaviours: time passes between
/// a request and its effects, as on a real cluster.
final class ControlPlaneTests: XCTestCase {
    func cluster(_ options: [String] = E2ECluster.realTime, faults: [String] = []) throws -> E2ECluster {
        try E2ECluster(self, faults: faults, options: options, sandboxOnly: true)
    }

    func apply(_ c: E2ECluster, _ json: String) -> Run {
        c.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], stdin: json)
    }

    func testANamespaceStaysTerminatingThenGoes() throws {
        let c = try cluster(["--namespace-delay", "3"])
        XCTAssertEqual(apply(c, #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#).code, 0)
        XCTAssertEqual(
            apply(c, #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"shop"}}"#).code, 0)
        XCTAssertEqual(c.kubectl(["delete", "namespace", "shop", "--wait=false"]).code, 0)
        let ns = try c.kubectlJSON(["get", "namespace", "shop"])
        XCTAssertEqual(ns.at("status", "phase"), "Terminating")
        XCTAssertNotNil(ns.at("metadata", "deletionTimestamp"))
        XCTAssertEqual(ns.at("spec", "finalizers"), ["kubernetes"])
        // Creating inside it is refused by NamespaceLifecycle; what is there stays readable.
        let create = apply(c, #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"shop"}}"#)
        XCTAssertEqual(create.code, 1)
        XCTAssertTrue(
            create.stderr.contains(
                "configmaps \"b\" is forbidden: unable to create new content in namespace shop because it is being terminated"
            ),
            create.stderr)
        XCTAssertEqual(try c.names("configmaps", namespace: "shop"), ["a"])
        // Deleting it again is a Conflict, with the API server's words.
        let again = c.kubectl(["delete", "namespace", "shop", "--wait=false"])
        XCTAssertEqual(again.code, 1)
        XCTAssertTrue(
            again.stderr.contains(
                "Error from server (Conflict): Operation cannot be fulfilled on namespaces \"shop\": The system is ensuring all content is removed from this namespace."
            ), again.stderr)
        // Applying the namespace itself is allowed and does not bring it back.
        XCTAssertEqual(
            apply(c, #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"x":"y"}}}"#).code, 0)
        XCTAssertEqual(try c.kubectlJSON(["get", "namespace", "shop"]).at("status", "phase"), "Terminating")
        try eventually("namespace gone") { c.kubectl(["get", "namespace", "shop"]).code == 1 }
        XCTAssertEqual(try c.names("configmaps", namespace: "shop"), [])
    }

    func testTheGarbageCollectorRunsLater() throws {
        let c = try cluster(["--gc-delay", "1"])
        XCTAssertEqual(
            apply(c, #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"owner","namespace":"default"}}"#).code,
            0)
        let uid = try XCTUnwrap(c.kubectlJSON(["get", "configmap", "owner"]).at("metadata", "uid")?.stringValue)
        XCTAssertEqual(
            apply(
                c,
                #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"child","namespace":"default","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"\#(uid)"}]}}"#
            ).code, 0)
        XCTAssertEqual(c.kubectl(["delete", "configmap", "owner", "--wait=false"]).code, 0)
        XCTAssertEqual(try c.names("configmaps", namespace: "default").filter { $0 != "kube-root-ca.crt" }, ["child"])
        try eventually("dependent collected") {
            try c.names("configmaps", namespace: "default").filter { $0 != "kube-root-ca.crt" }.isEmpty
        }
    }

    func testForegroundDeletionKeepsTheOwnerUntilItsDependentsAreGone() throws {
        let c = try cluster(["--gc-delay", "0.5"])
        _ = apply(c, #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"owner","namespace":"default"}}"#)
        let uid = try XCTUnwrap(c.kubectlJSON(["get", "configmap", "owner"]).at("metadata", "uid")?.stringValue)
        _ = apply(
            c,
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"child","namespace":"default","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"\#(uid)"}]}}"#
        )
        XCTAssertEqual(c.kubectl(["delete", "configmap", "owner", "--cascade=foreground", "--wait=false"]).code, 0)
        let owner = try c.kubectlJSON(["get", "configmap", "owner"])
        XCTAssertNotNil(owner.at("metadata", "deletionTimestamp"))
        XCTAssertEqual(owner.at("metadata", "finalizers"), ["foregroundDeletion"])
        try eventually("owner and dependent gone") {
            try c.names("configmaps", namespace: "default").filter { $0 != "kube-root-ca.crt" }.isEmpty
        }
    }

    func testACRDIsServedOnlyOnceEstablished() throws {
        let c = try cluster(["--crd-delay", "1.5"])
        let crd = #"""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
             "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget"},
             "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
            """#
        XCTAssertEqual(apply(c, crd).code, 0)
        let before = try c.kubectlJSON(["get", "crd", "widgets.example.com"])
        let established = (before.at("status", "conditions")?.arrayValue ?? []).first {
            $0["type"]?.stringValue == "Established"
        }
        XCTAssertEqual(established?["status"], "False")
        XCTAssertEqual(c.kubectl(["get", "widgets"]).code, 1, "not served before it is Established")
        XCTAssertEqual(
            c.kubectl(["wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s"]).code, 0)
        try eventually("served") { c.kubectl(["get", "widgets"]).code == 0 }
    }

    func deployment(_ name: String, image: String) -> String {
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"\#(name)","namespace":"default"},"spec":{"replicas":2,"progressDeadlineSeconds":100,"selector":{"matchLabels":{"app":"\#(name)"}},"template":{"metadata":{"labels":{"app":"\#(name)"}},"spec":{"containers":[{"name":"c","image":"\#(image)"}]}}}}"#
    }

    func testRolloutsReachTheNewGenerationOrExceedTheirDeadline() throws {
        let c = try cluster(["--rollout-delay", "0.5", "--fail-image", "*:broken", "--deadline-scale", "0.01"])
        XCTAssertEqual(apply(c, deployment("good", image: "r/good:1")).code, 0)
        let status = c.kubectl(["rollout", "status", "deployment/good", "--timeout=20s"])
        XCTAssertEqual(status.code, 0, "\(status)")
        XCTAssertTrue(status.stdout.contains("successfully rolled out"), status.stdout)
        let d = try c.kubectlJSON(["get", "deployment", "good"])
        XCTAssertEqual(d.at("status", "observedGeneration"), d.at("metadata", "generation"))
        XCTAssertEqual(d.at("status", "availableReplicas"), 2)
        let pods = try c.kubectlJSON(["get", "pods", "-l", "app=good"])["items"]?.arrayValue ?? []
        XCTAssertEqual(pods.count, 2)
        XCTAssertEqual(pods.first?.at("status", "phase"), "Running")
        let logs = c.kubectl(["logs", pods.first?.at("metadata", "name")?.stringValue ?? ""])
        XCTAssertEqual(
            logs.stdout,
            "kip-sandbox runs no containers: pod \(pods.first?.at("metadata", "name")?.stringValue ?? "") has no logs\n"
        )

        XCTAssertEqual(apply(c, deployment("bad", image: "r/bad:broken")).code, 0)
        let failed = c.kubectl(["rollout", "status", "deployment/bad", "--timeout=20s"])
        XCTAssertEqual(failed.code, 1, "\(failed)")
        XCTAssertTrue(failed.stderr.contains("exceeded its progress deadline"), failed.stderr)
        let badPods = try c.kubectlJSON(["get", "pods", "-l", "app=bad"])["items"]?.arrayValue ?? []
        XCTAssertEqual(
            badPods.first?.at("status", "containerStatuses")?.arrayValue?.first?.at("state", "waiting", "reason"),
            "ImagePullBackOff")
    }

    func testAHangingServerTimesOutOnTheClientsClock() throws {
        let c = try cluster(faults: ["GET /api/v1/namespaces:hang:always"])
        let start = Date()
        let r = c.kubectl(["get", "namespaces", "--request-timeout=2s"])
        XCTAssertEqual(r.code, 1)
        XCTAssertLessThan(Date().timeIntervalSince(start), 15)
        XCTAssertTrue(r.stderr.lowercased().contains("timeout") || r.stderr.contains("deadline"), r.stderr)
    }
}

/// Authentication by bearer token and authorization by the RBAC objects stored.
final class RBACTests: XCTestCase {
    func testAUserBoundToEditInOneNamespace() throws {
        let dir = temporaryDirectory(self)
        try "dev-token,dev,1001,\"developers\"\n".write(toFile: dir + "/users.csv", atomically: true, encoding: .utf8)
        let admin = try E2ECluster(self, options: ["--users", dir + "/users.csv"], sandboxOnly: true)
        func apply(_ c: E2ECluster, _ json: String) -> Run {
            c.kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], stdin: json)
        }
        XCTAssertEqual(apply(admin, #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#).code, 0)
        XCTAssertEqual(
            apply(
                admin,
                #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"dev-edit","namespace":"shop"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},"subjects":[{"kind":"User","name":"dev","apiGroup":"rbac.authorization.k8s.io"}]}"#
            ).code, 0)
        // The same server, as dev: a kubeconfig with dev's token.
        let kc = dir + "/dev.kubeconfig"
        let server = try XCTUnwrap(
            String(contentsOfFile: admin.kubeconfig, encoding: .utf8).split(separator: "\n").first {
                $0.contains("server:")
            }?.split(separator: " ").last.map(String.init))
        try Sandbox.kubeconfig(server: server, user: "dev", groups: ["developers"]).write(
            toFile: kc, atomically: true, encoding: .utf8)
        let dev = { (args: [String], stdin: String?) in
            admin.run(["kubectl", "--kubeconfig", kc] + args, stdin: stdin)
        }
        XCTAssertEqual(dev(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], nil).stdout, "dev")
        let cm = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"shop"}}"#
        let ok = dev(["apply", "--server-side", "--field-manager=test", "-f", "-"], cm)
        XCTAssertEqual(ok.code, 0, "\(ok)")
        let wide = dev(["get", "secrets", "-A"], nil)
        XCTAssertEqual(wide.code, 1)
        XCTAssertEqual(
            wide.stderr,
            "Error from server (Forbidden): secrets is forbidden: User \"dev\" cannot list resource \"secrets\" in API group \"\" at the cluster scope\n"
        )
        let other = dev(["get", "configmaps", "-n", "default"], nil)
        XCTAssertTrue(
            other.stderr.contains(
                "configmaps is forbidden: User \"dev\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
            ), other.stderr)
        XCTAssertEqual(dev(["auth", "can-i", "patch", "deployments.apps", "-n", "shop"], nil).stdout, "yes\n")
        XCTAssertEqual(dev(["auth", "can-i", "list", "secrets", "-A"], nil).stdout, "no\n")
        XCTAssertEqual(dev(["auth", "can-i", "create", "rolebindings", "-n", "shop"], nil).stdout, "no\n")
        // The administrator may act as dev (how tests check a developer's rights).
        let asDev = admin.kubectl(["get", "secrets", "-A", "--as", "dev"])
        XCTAssertEqual(asDev.code, 1)
        XCTAssertTrue(asDev.stderr.contains("User \"dev\" cannot list resource \"secrets\""), asDev.stderr)
        XCTAssertEqual(admin.kubectl(["get", "secrets", "-n", "shop", "--as", "dev"]).code, 0)
    }

    /// Bearer tokens (kube-apiserver's token file): the user they name, 401 for an unknown
    /// one, and no impersonation for a user without the right.
    func testTokensAndImpersonation() throws {
        let api = APIServer(tokens: try TokenFile(text: "dev-token,dev,1001,\"developers,qa\"\n"))
        func get(_ path: String, _ headers: [String: String]) -> (Int, String) {
            let r = api.handle(
                HTTPRequest(method: "GET", path: path, query: [:], rawQuery: "", headers: headers, body: Data()))
            return (r.status, (try? JSON.parse(r.body))?["message"]?.stringValue ?? "")
        }
        XCTAssertEqual(get("/api/v1/secrets", [:]).0, 200, "no token: the administrator")
        XCTAssertEqual(
            get("/api/v1/secrets", ["authorization": "Bearer dev-token"]).1,
            "secrets is forbidden: User \"dev\" cannot list resource \"secrets\" in API group \"\" at the cluster scope"
        )
        XCTAssertEqual(get("/api/v1/secrets", ["authorization": "Bearer nope"]).0, 401)
        XCTAssertEqual(
            get(
                "/api/v1/namespaces/default/secrets", ["authorization": "Bearer dev-token", "impersonate-user": "root"]
            ).1,
            "users \"root\" is forbidden: User \"dev\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
        )
        XCTAssertEqual(
            get("/api/v1/namespaces/default/secrets", ["impersonate-user": "dev", "impersonate-group": "qa"]).1,
            "secrets is forbidden: User \"dev\" cannot list resource \"secrets\" in API group \"\" in the namespace \"default\""
        )
    }
}
