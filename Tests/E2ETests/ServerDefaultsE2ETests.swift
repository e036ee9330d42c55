import Foundation
import KipCore
import KipTestSupport
import XCTest

/// What a real API server defaults and normalises, done by kip-sandbox too, and kip
/// coping: a Deployment's defaulted strategy, canonical quantities.
final class ServerDefaultsE2ETests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", c.name("shop"), "--environments", "test"]).code, 0)
    }

    var ns: String { c.name("shop") + "-test" }
    var scope: [String] { ["--project", c.name("shop") + "/test"] }

    func strategy() throws -> JSON? {
        try c.kubectlJSON(["get", "deployment", "web", "-n", ns]).at("spec", "strategy")
    }

    /// A ReadWriteOnce volume mounted on a running app, and taken out again.
    func testAReadWriteOnceVolumeMountsOnARunningApp() throws {
        XCTAssertEqual(c.kip(["app", "deploy", "--name", "web", "--image", "r/web:1", "--port", "80"] + scope).code, 0)
        XCTAssertEqual(try strategy()?["type"], "RollingUpdate")
        let add = c.kip(["volume", "add", "data", "--size", "1Gi", "--mount", "web:/data"] + scope)
        XCTAssertEqual(add.code, 0, "\(add)")
        XCTAssertEqual(try strategy(), ["type": "Recreate"])
        let off = c.kip(["volume", "unmount", "data", "web", "--yes"] + scope)
        XCTAssertEqual(off.code, 0, "\(off)")
        XCTAssertEqual(try strategy()?["type"], "RollingUpdate")
    }

    /// A Deployment whose strategy the server defaulted (written by an older kip, or
    /// edited): the defaulted rollingUpdate belongs to no one and is cleared first.
    func testADefaultedRollingUpdateIsClearedBeforeRecreate() throws {
        if c.isReal { throw XCTSkip("edits the Deployment's fields by hand") }
        XCTAssertEqual(c.kip(["app", "deploy", "--name", "web", "--image", "r/web:1", "--port", "80"] + scope).code, 0)
        let strip = c.kubectl([
            "patch", "deployment", "web", "-n", ns, "--type", "json", "-p",
            #"[{"op":"remove","path":"/spec/strategy"}]"#,
        ])
        XCTAssertEqual(strip.code, 0, "\(strip)")
        XCTAssertEqual(try strategy()?.at("rollingUpdate", "maxSurge"), "25%", "the server's default")
        let mount = c.kip(["volume", "add", "data", "--size", "1Gi", "--mount", "web:/data"] + scope)
        XCTAssertEqual(mount.code, 0, "\(mount)")
        XCTAssertEqual(try strategy(), ["type": "Recreate"])
    }

    /// The server answers `0.5` as `500m` and `1024Mi` as `1Gi`: no drift for that.
    func testQuantitiesTheServerRewritesAreNoDrift() throws {
        let deploy = c.kip(
            [
                "app", "deploy", "--name", "web", "--image", "r/web:1", "--port", "80", "--cpu-request", "0.5",
                "--memory-limit", "1024Mi",
            ] + scope)
        XCTAssertEqual(deploy.code, 0, "\(deploy)")
        if !c.isReal {
            let d = try c.kubectlJSON(["get", "deployment", "web", "-n", ns])
            let res = d.at("spec", "template", "spec", "containers")?.arrayValue?.first?["resources"]
            XCTAssertEqual(res?.at("requests", "cpu"), "500m", "stored canonical, as a real server does")
            XCTAssertEqual(res?.at("limits", "memory"), "1Gi")
            XCTAssertEqual(d.at("spec", "replicas"), 1)
            XCTAssertEqual(d.at("spec", "progressDeadlineSeconds"), 600)
        }
        let drift = c.kip(["project", "drift", c.name("shop"), "test"])
        XCTAssertEqual(drift.code, 0, "\(drift)")
    }

    /// Recreate with a rollingUpdate left is refused, as ValidateDeploymentStrategy does.
    func testTheSandboxRefusesRecreateWithARollingUpdate() throws {
        if c.isReal { throw XCTSkip("checks kip-sandbox itself") }
        XCTAssertEqual(c.kip(["app", "deploy", "--name", "web", "--image", "r/web:1", "--port", "80"] + scope).code, 0)
        let r = c.kubectl([
            "patch", "deployment", "web", "-n", ns, "--type", "merge", "-p",
            #"{"spec":{"strategy":{"type":"Recreate"}}}"#,
        ])
        XCTAssertNotEqual(r.code, 0)
        XCTAssertTrue(
            r.stderr.contains(
                "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"),
            r.stderr)
    }
}

/// Limits and states the server enforces, refused by kip first in its own words.
final class ServerLimitsE2ETests: XCTestCase {
    func testSecretsOverOneMebibyteAreRefusedFirst() throws {
        let c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", c.name("shop"), "--environments", "test"]).code, 0)
        let at = ["--project", c.name("shop") + "/test"]
        let big = String(repeating: "x", count: 1_048_577)
        let r = c.kip(["app", "secret", "set", "web", "BLOB"] + at, stdin: big)
        XCTAssertEqual(r.code, 1, "\(r.stderr)")
        XCTAssertTrue(r.stderr.contains("a Kubernetes Secret holds at most 1048576 (1 MiB)"), r.stderr)
        if !c.isReal {
            // The sandbox refuses it as the API server does.
            let doc =
                #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"big","namespace":"default"},"data":{"a":"\#(Data(big.utf8).base64EncodedString())"}}"#
            let k = c.kubectl(["apply", "-f", "-"], stdin: doc)
            XCTAssertNotEqual(k.code, 0)
            XCTAssertTrue(k.stderr.contains("data: Too long: must have at most 1048576 bytes"), k.stderr)
        }
    }

    func testADatabaseIsNeverDowngraded() throws {
        let c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", c.name("shop"), "--environments", "test"]).code, 0)
        let at = ["--project", c.name("shop") + "/test"]
        XCTAssertEqual(c.kip(["service", "add", "postgres", "--name", "db"] + at).code, 0)
        let down = c.kip(
            ["service", "add", "postgres", "--name", "db", "--version", "15", "--allow-major-upgrade"] + at)
        XCTAssertEqual(down.code, 1)
        XCTAssertTrue(down.stderr.contains("postgres 15 is older and cannot read it"), down.stderr)
    }

    /// Replica counts and sizes no ordinary cluster holds (a typo's) need --yes; without a
    /// terminal to ask on, nothing is written.
    func testUnusualSizesNeedAConfirmation() throws {
        let c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", c.name("shop"), "--environments", "test"]).code, 0)
        let at = ["--project", c.name("shop") + "/test"]
        XCTAssertEqual(c.kip(["app", "deploy", "--name", "web", "--image", "r/web:1", "--port", "80"] + at).code, 0)
        let before = c.writes()
        for argv in [
            ["app", "scale", "web", "300"],
            ["app", "deploy", "--name", "web", "--image", "r/web:1", "--memory-limit", "100Gi"],
            ["volume", "add", "files", "--size", "5Ti"],
            ["service", "add", "postgres", "--name", "db", "--storage", "2Pi"],
        ] {
            let r = c.kip(argv + at)
            XCTAssertEqual(r.code, 1, "\(argv): \(r)")
            XCTAssertTrue(r.stderr.contains("more than most clusters hold: pass --yes if you mean it"), r.stderr)
        }
        XCTAssertEqual(c.writes(), before, "nothing written")
        let yes = c.kip(["app", "scale", "web", "60", "--yes"] + at)
        XCTAssertEqual(yes.code, 0, "\(yes)")
        XCTAssertEqual(
            try c.kubectlJSON(["get", "deployment", "web", "-n", c.name("shop") + "-test"]).at("spec", "replicas"), 60)
    }

    func testAWriteIntoANamespaceBeingDeletedSaysSo() throws {
        let c = try E2ECluster(self, options: ["--namespace-delay", "30"], sandboxOnly: true)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test").code, 0)
        XCTAssertEqual(c.kubectl(["delete", "namespace", "shop-test", "--wait=false"]).code, 0)
        let show = c.kip("project show shop")
        XCTAssertTrue(show.stdout.contains("shop-test   Terminating"), show.stdout)
        XCTAssertTrue(show.stderr.contains("namespace shop-test is being deleted (not by kip)"), show.stderr)
        let json = try JSON.parse(c.kip("project show shop -o json").stdout)
        XCTAssertEqual(json["environments"]?.arrayValue?.first?["status"], "Terminating")
        let r = c.kip("app deploy --name web --image r/web:1 --port 80 --project shop/test")
        XCTAssertEqual(r.code, 1)
        XCTAssertEqual(
            r.stderr.split(separator: "\n").first.map(String.init),
            "Error: namespace shop-test (shop/test) is being deleted (Terminating): nothing can be written there; once it is gone, 'kip project sync shop' recreates it"
        )
    }
}

/// Lists others share: the default ServiceAccount's pull secrets (an atomic list).
final class SharedListsE2ETests: XCTestCase {
    func testSyncKeepsPullSecretsSomeoneElseListed() throws {
        let c = try E2ECluster(self, sandboxOnly: true)
        if c.isReal { throw XCTSkip("writes a pull secret into the default namespace") }
        let cfg = Data(#"{"auths":{"r.example":{"auth":"dTpw"}}}"#.utf8).base64EncodedString()
        let secret =
            #"{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/dockerconfigjson","metadata":{"name":"regcred","namespace":"default"},"data":{".dockerconfigjson":"\#(cfg)"}}"#
        let made = c.kubectl(["apply", "-f", "-"], stdin: secret)
        XCTAssertEqual(made.code, 0, "\(made)")
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test").code, 0)
        let patch = c.kubectl([
            "patch", "serviceaccount", "default", "-n", "shop-test", "--type", "json", "-p",
            #"[{"op":"add","path":"/imagePullSecrets/-","value":{"name":"team-pull"}}]"#,
        ])
        XCTAssertEqual(patch.code, 0, "\(patch)")
        XCTAssertEqual(c.kip("project sync shop").code, 0)
        let sa = try c.kubectlJSON(["get", "serviceaccount", "default", "-n", "shop-test"])
        let names = Set((sa["imagePullSecrets"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        XCTAssertEqual(names, ["regcred", "team-pull"])
    }
}

/// A TLS key stays in `default`: environments name their hosts, the ingress controller serves
/// the certificate, and no developer can read the key from their namespace.
final class DefaultCertificateE2ETests: XCTestCase {
    func testTLSSecretIsNeverCopiedAndSyncRemovesOldCopies() throws {
        let c = try E2ECluster(self, sandboxOnly: true)
        if c.isReal { throw XCTSkip("writes a TLS secret into the default namespace") }
        let crt = Data("cert".utf8).base64EncodedString()
        let secret =
            #"{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":"wildcard","namespace":"default"},"data":{"tls.crt":"\#(crt)","tls.key":"\#(crt)"}}"#
        XCTAssertEqual(c.kubectl(["apply", "-f", "-"], stdin: secret).code, 0)
        XCTAssertEqual(c.kip("install --domain apprunr.com --tls-secret wildcard").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test").code, 0)
        XCTAssertNotEqual(c.kubectl(["get", "secret", "wildcard", "-n", "shop-test"]).code, 0)
        let deploy = c.kip("app deploy --name web --image r/web:1 --port 80 --project shop/test")
        XCTAssertEqual(deploy.code, 0, "\(deploy)")
        XCTAssertTrue(deploy.stdout.contains("https://"), deploy.stdout)
        let ing = try c.kubectlJSON(["get", "ingress", "web", "-n", "shop-test"])
        let tls = ing["spec"]?["tls"]?.arrayValue?.first
        XCTAssertEqual(tls?["hosts"]?.arrayValue?.first?.stringValue, "web-shop-test.apprunr.com")
        XCTAssertNil(tls?["secretName"]?.stringValue)
        // A copy an older kip made, labelled with its source, is removed by sync.
        let old =
            #"{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":"wildcard","namespace":"shop-test","labels":{"app.kubernetes.io/managed-by":"kip","kipper.run/project":"shop","kipper.run/environment":"test","kipper.run/pull-secret-source":"default"}},"data":{"tls.crt":"\#(crt)","tls.key":"\#(crt)"}}"#
        XCTAssertEqual(c.kubectl(["apply", "-f", "-"], stdin: old).code, 0)
        let sync = c.kip("project sync shop")
        XCTAssertEqual(sync.code, 0, "\(sync)")
        XCTAssertNotEqual(c.kubectl(["get", "secret", "wildcard", "-n", "shop-test"]).code, 0, sync.stdout)
    }
}
