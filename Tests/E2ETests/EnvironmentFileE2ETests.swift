import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Environments as files: export, apply (here, and on a second cluster), drift.
final class EnvironmentFileE2ETests: XCTestCase {
    var c: E2ECluster!
    var p: String!
    let secretValue = "s3cr3t-value-never-exported"

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        p = c.name("shop")
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test,prod"]).code, 0)
        let t = ["--project", "\(p!)/test"]
        for args in [
            ["service", "add", "postgres", "--name", "db"],
            ["volume", "add", "data", "--size", "1Gi"],
            [
                "app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "3000", "--bind", "db", "--volume",
                "data:/data", "--env", "DB_HOST=db.\(p!)-test.svc",
            ],
            ["job", "add", "nightly", "--image", "r/api:1", "--schedule", "0 3 * * *"],
        ] {
            let r = c.kip(args + t)
            XCTAssertEqual(r.code, 0, "\(args) \(r)")
        }
        XCTAssertEqual(c.kip(["app", "secret", "set", "api", "TOKEN"] + t, stdin: secretValue).code, 0)
        XCTAssertEqual(c.kip(["project", "protect", "\(p!)/prod"]).code, 0)
    }

    func kip(_ line: String, stdin: String? = nil) -> Run {
        c.kip(line.replacingOccurrences(of: "PROJ", with: p).split(separator: " ").map(String.init), stdin: stdin)
    }

    func writes() -> Int {
        c.writes()
    }

    func file(_ name: String, _ text: String) throws -> String {
        let path = c.home + "/" + name
        try FileManager.default.createDirectory(atPath: c.home, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Export, delete the project, apply the file, export again: the same bytes. Never a
    /// secret value, never a namespace or uid.
    func testExportDeleteApplyExportIsByteIdentical() throws {
        let first = kip("project export PROJ")
        XCTAssertEqual(first.code, 0, "\(first)")
        if !c.isReal { assertGolden(first.stdout, "export-shop.yaml") }
        XCTAssertFalse(first.stdout.contains(secretValue), "no secret value")
        XCTAssertFalse(first.stdout.contains(Data(secretValue.utf8).base64EncodedString()), "not even encoded")
        XCTAssertFalse(first.stdout.contains("\(p!)-test"), "no namespace")
        XCTAssertFalse(first.stdout.contains("uid"), "no uid")
        XCTAssertTrue(first.stdout.contains("- \"TOKEN\""), "secret key names only")
        XCTAssertEqual(kip("project export PROJ").stdout, first.stdout, "two exports of an unchanged project")
        // One file per environment under --dir; the manifests without owners or uids.
        XCTAssertEqual(kip("project export PROJ --dir \(c.home)/out").code, 0)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: "\(c.home)/out").sorted(),
            ["\(p!)-prod.yaml", "\(p!)-test.yaml"])
        let manifests = kip("project export PROJ test --format manifests -o json")
        XCTAssertEqual(manifests.code, 0, "\(manifests)")
        let items = try JSON.parse(Data(manifests.stdout.utf8))["items"]?.arrayValue ?? []
        XCTAssertEqual(
            Set(items.compactMap { $0["kind"]?.stringValue }),
            [
                "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "Deployment", "Service", "Ingress",
                "StatefulSet",
                "PersistentVolumeClaim",
                "CronJob",
            ], "with the environment's isolation")
        XCTAssertTrue(
            items.allSatisfy { $0.at("metadata", "ownerReferences") == nil && $0.at("metadata", "uid") == nil })
        XCTAssertFalse(manifests.stdout.contains(secretValue))
        // Runs under Argo CD or Flux on its own: its namespace first, data kept, nothing kip's,
        // and the Secrets it needs named.
        XCTAssertEqual(items.first?["kind"], "Namespace")
        XCTAssertEqual(items.first?.at("metadata", "name")?.stringValue, "\(p!)-test")
        XCTAssertTrue(items.allSatisfy { $0.at("metadata", "labels", Keys.managedBy) == nil })
        let db = items.first { $0["kind"] == "StatefulSet" }
        XCTAssertEqual(db?.at("spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"), "Retain")
        XCTAssertTrue(manifests.stderr.contains("\(p!)-test: api-secrets, db-credentials"), manifests.stderr)
        let path = try file("shop.yaml", first.stdout)
        let deleted = kip("project delete PROJ --yes --confirm-env prod --wait")
        XCTAssertEqual(deleted.code, 0, "\(deleted)")
        let apply = kip("project apply -f \(path)")
        XCTAssertEqual(apply.code, 0, "\(apply)")
        XCTAssertTrue(apply.stderr.contains("secret TOKEN of app api in test is not set"), apply.stderr)
        XCTAssertEqual(kip("project export PROJ").stdout, first.stdout, "the round trip is byte-identical")
        XCTAssertEqual(kip("project apply -f \(path) --dry-run").code, 0, "nothing left to change")
    }

    /// `apply --dry-run` prints the changes and exits 1 when there are some (a CI gate);
    /// `--prune` removes what the file no longer has, after confirmation.
    func testDryRunDiffAndPrune() throws {
        let exported = kip("project export PROJ test").stdout
        var edited = exported.replacingOccurrences(of: "image: \"r/api:1\"", with: "image: \"r/api:2\"")
        edited = edited.replacingOccurrences(
            of:
                "    jobs:\n      - name: \"nightly\"\n        spec:\n          image: \"r/api:2\"\n          schedule: \"0 3 * * *\"\n",
            with: "")
        XCTAssertNotEqual(edited, exported)
        let path = try file("edited.yaml", edited)
        let before = c.isReal ? 0 : writes()
        let dry = kip("project apply -f \(path) --prune --dry-run")
        XCTAssertEqual(dry.code, 1, "\(dry)")
        XCTAssertEqual(dry.stdout, "~ test: app api image: r/api:1 → r/api:2\n- test: job nightly\n")
        let refused = kip("project apply -f \(path) --prune")
        XCTAssertEqual(refused.code, 1, "no terminal, no --yes: nothing pruned")
        // The refusal names options the command has.
        XCTAssertTrue(refused.stderr.contains("pass --confirm \(p!) or --yes"), refused.stderr)
        let wrong = kip("project apply -f \(path) --prune --confirm other")
        XCTAssertEqual(wrong.code, 1, "\(wrong)")
        XCTAssertTrue(wrong.stderr.contains("--confirm 'other' does not match '\(p!)'"), wrong.stderr)
        if !c.isReal { XCTAssertEqual(writes(), before, "a dry run and a refusal write nothing") }
        XCTAssertEqual(kip("project apply -f \(path) --prune --confirm PROJ").code, 0)
        XCTAssertEqual(try c.names("jobs.kipper.run", namespace: "\(p!)-test"), [])
        XCTAssertEqual(
            try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "\(p!)-test"]).at("spec", "image"), "r/api:2")
        XCTAssertEqual(kip("project apply -f \(path) --prune --dry-run").code, 0)
    }

    /// A file with an unknown field, an unknown kind or a bad name is refused with its
    /// path, and nothing is written.
    func testBadFilesAreRefusedWithTheirPath() throws {
        let good = kip("project export PROJ test").stdout
        let cases: [(String, String)] = [
            (
                good.replacingOccurrences(of: "port: 3000", with: "port: 3000\n          replicaz: 2"),
                "environments[0].apps[0].spec.replicaz: unknown field"
            ),
            (
                good.replacingOccurrences(of: "    jobs:", with: "    gadgets:"),
                "environments[0].gadgets: unknown field"
            ),
            (
                good.replacingOccurrences(of: "name: \"nightly\"", with: "name: \"Nightly_Job\""),
                "environments[0].jobs[0].name: 'Nightly_Job' is not valid"
            ),
            (
                good.replacingOccurrences(of: "kind: \"ProjectExport\"", with: "kind: \"Deployment\""),
                "kind: not a kip export"
            ),
        ]
        let before = c.isReal ? 0 : writes()
        for (i, (text, message)) in cases.enumerated() {
            let path = try file("bad\(i).yaml", text)
            let r = kip("project apply -f \(path)")
            XCTAssertEqual(r.code, 1, "\(message): \(r)")
            XCTAssertTrue(r.stderr.hasPrefix("Error: \(path): \(message)"), r.stderr)
            XCTAssertTrue(r.stderr.contains("nothing was written"), r.stderr)
        }
        if !c.isReal { XCTAssertEqual(writes(), before, "nothing written") }
    }

    /// Drift: `kubectl set image` and `kubectl scale` behind kip's back are found, field
    /// by field; a plain redeploy is not drift; `sync --workloads` puts them back.
    func testDriftFindsHandEditsAndSyncPutsThemBack() throws {
        XCTAssertEqual(kip("project drift PROJ").code, 0)
        XCTAssertEqual(kip("app deploy --name api --image r/api:2 --project PROJ/test").code, 0)
        XCTAssertEqual(kip("project drift PROJ test").code, 0, "a redeploy through kip is not drift")
        let ns = "\(p!)-test"
        XCTAssertEqual(c.kubectl(["set", "image", "deployment/api", "-n", ns, "api=r/api:hacked"]).code, 0)
        XCTAssertEqual(c.kubectl(["scale", "deployment/api", "-n", ns, "--replicas=3"]).code, 0)
        let d = kip("project drift PROJ")
        XCTAssertEqual(d.code, 1, "\(d)")
        XCTAssertEqual(
            d.stdout,
            """
            test: deployment api: spec.replicas: 1 (kip) → 3 (live)
            test: deployment api: spec.template.spec.containers[0].image: r/api:2 (kip) → r/api:hacked (live)

            """)
        // A dry run of a write in steps (the project, then each environment) is one
        // document: it changes nothing.
        let writesBefore = c.isReal ? 0 : writes()
        let dry = kip("project sync PROJ --workloads --dry-run -o json")
        XCTAssertEqual(dry.code, 0, "\(dry)")
        let list = try JSON.parse(Data(dry.stdout.utf8))
        XCTAssertEqual(list["kind"], "List", dry.stdout)
        let kinds = Set((list["items"]?.arrayValue ?? []).compactMap { $0["kind"]?.stringValue })
        XCTAssertTrue(kinds.isSuperset(of: ["Namespace", "Deployment"]), "\(kinds)")
        if !c.isReal { XCTAssertEqual(writes(), writesBefore, "a dry run writes nothing") }
        XCTAssertEqual(kip("project drift PROJ").code, 1, "still drifted")
        XCTAssertEqual(kip("project sync PROJ --workloads").code, 0)
        XCTAssertEqual(kip("project drift PROJ").code, 0)
        XCTAssertEqual(kip("project drift nope").code, 2, "an error is 2")
        // With a file: the file against the CRs.
        let path = try file("shop.yaml", kip("project export PROJ").stdout)
        XCTAssertEqual(kip("project drift -f \(path)").code, 0)
        XCTAssertEqual(kip("app set-image api r/api:3 --project PROJ/test").code, 0)
        let f = kip("project drift -f \(path)")
        XCTAssertEqual(f.stdout, "test: ~ app api image: r/api:3 → r/api:2\n")
    }

    /// The cross-cluster copy: exported from one cluster, applied on a second, both in
    /// kip's config.
    func testApplyOnASecondCluster() throws {
        if c.isReal { throw XCTSkip("needs a second cluster: the sandbox makes one") }
        let other = try E2ECluster(self)
        XCTAssertEqual(other.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["cluster", "add", "one", "--kubeconfig", c.kubeconfig]).code, 0)
        XCTAssertEqual(c.kip(["cluster", "add", "two", "--kubeconfig", other.kubeconfig]).code, 0)
        let exported = c.kip(["--cluster", "one", "project", "export", p])
        XCTAssertEqual(exported.code, 0, "\(exported)")
        let path = try file("shop.yaml", exported.stdout)
        let applied = c.kip(["--cluster", "two", "project", "apply", "-f", path])
        XCTAssertEqual(applied.code, 0, "\(applied)")
        XCTAssertEqual(c.kip(["--cluster", "two", "project", "export", p]).stdout, exported.stdout)
        XCTAssertEqual(
            try other.kubectlJSON(["get", "deployment", "api", "-n", "\(p!)-test"]).at(
                "spec", "template", "spec", "containers")?.arrayValue?.first?["image"], "r/api:1")
    }
}
