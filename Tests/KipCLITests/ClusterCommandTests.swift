import Foundation
import KipCLI
import KipCore
import KipTestSupport
import XCTest

/// `kip cluster add|use|list|remove` and the active project kept per cluster.
final class ClusterCommandTests: XCTestCase {
    /// A kubectl that knows two contexts and answers project reads with one project.
    func fakeKubectl() -> RecordingRunner {
        RecordingRunner { argv, _ in
            if argv.contains("get-contexts") { return ProcessResult(status: 0, stdout: Data("kind-a\nkind-b\n".utf8)) }
            if argv.contains("current-context") { return ProcessResult(status: 0, stdout: Data("kind-a\n".utf8)) }
            let project: JSON = [
                "apiVersion": "kipper.run/v1alpha1", "kind": "Project", "metadata": ["name": "shop", "uid": "u1"],
                "spec": [
                    "environments": [
                        ["name": "test", "namespace": "shop-test"], ["name": "prod", "namespace": "shop-prod"],
                    ]
                ],
            ]
            return ProcessResult(status: 0, stdout: JSON.object(["kind": "List", "items": [project]]).data)
        }
    }

    func run(_ t: TestContext, _ args: String) -> Int32 {
        Kip.run(args.split(separator: " ").map(String.init), t.context)
    }

    func testAddUseListRemoveKeepsActiveProjectPerCluster() throws {
        let t = TestContext(runner: fakeKubectl())
        XCTAssertEqual(run(t, "cluster add a --context kind-a"), 0, t.stderr)
        XCTAssertEqual(run(t, "cluster add b --context kind-b"), 0, t.stderr)
        XCTAssertEqual(
            t.stdout, "✔ Cluster \"a\" added (context kind-a), now current\n✔ Cluster \"b\" added (context kind-b)\n")
        XCTAssertEqual(run(t, "project use shop/test"), 0, t.stderr)
        XCTAssertEqual(run(t, "cluster use b"), 0, t.stderr)
        XCTAssertEqual(run(t, "project use shop/prod"), 0, t.stderr)
        let before = t.stdout.count
        XCTAssertEqual(run(t, "cluster use a"), 0, t.stderr)
        XCTAssertEqual(String(t.stdout.dropFirst(before)), "✔ Current cluster: \"a\"\n  Active project: shop/test\n")
        let listStart = t.stdout.count
        XCTAssertEqual(run(t, "cluster list"), 0)
        XCTAssertEqual(
            String(t.stdout.dropFirst(listStart)),
            """
            CURRENT   NAME   CONTEXT   ACTIVE PROJECT
            *         a      kind-a    shop/test
                      b      kind-b    shop/prod

            """)
        XCTAssertEqual(run(t, "cluster remove b"), 0)
        let cfg = try t.context.config.load()
        XCTAssertEqual(cfg.clusters.keys.sorted(), ["a"])
        XCTAssertNil(cfg.active["b"])
        XCTAssertEqual(cfg.active["a"], KipConfig.Active(project: "shop", environment: "test"))
        // Every kubectl call carried the context explicitly.
        for call in t.recorder.calls where call.argv.contains("get") {
            XCTAssertTrue(call.argv.contains("--context"), "\(call.argv)")
        }
    }

    func testAddRefusesUnknownContext() throws {
        let t = TestContext(runner: fakeKubectl())
        XCTAssertEqual(run(t, "cluster add c --context kind-z"), 1)
        XCTAssertEqual(t.stderr, "Error: context 'kind-z' is not in the kubeconfig; it has: kind-a, kind-b\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.context.config.path))
    }

    func testUseUnknownClusterNamesTheKnownOnes() {
        let t = TestContext(runner: fakeKubectl())
        _ = run(t, "cluster add a --context kind-a")
        XCTAssertEqual(run(t, "cluster use nope"), 1)
        XCTAssertEqual(t.stderr, "Error: unknown cluster 'nope': known clusters are a\n")
    }

    func testProjectUseValidatesEnvironmentAndClear() throws {
        let t = TestContext(runner: fakeKubectl())
        _ = run(t, "cluster add a --context kind-a")
        XCTAssertEqual(run(t, "project use shop/acc"), 1)
        XCTAssertEqual(t.stderr, "Error: project \"shop\" has no environment \"acc\"; it has: test, prod\n")
        XCTAssertEqual(run(t, "project use nope"), 1)
        XCTAssertEqual(run(t, "project use shop/test"), 0)
        XCTAssertEqual(run(t, "project use --clear"), 0)
        XCTAssertNil(try t.context.config.load().active["a"])
    }

    func testKipClusterAndTheClusterFlagPickTheCluster() throws {
        let home = NSTemporaryDirectory() + "kip-ctx-" + UUID().uuidString.prefix(8).lowercased()
        let t = TestContext(runner: fakeKubectl(), home: home)
        _ = run(t, "cluster add a --context kind-a")
        _ = run(t, "cluster add b --context kind-b")
        let viaEnv = TestContext(runner: fakeKubectl(), env: ["KIP_CLUSTER": "b"], home: home)
        XCTAssertEqual(Kip.run(["project", "list", "-v"], viaEnv.context), 0)
        XCTAssertTrue(viaEnv.stderr.contains("+ kubectl --context kind-b get"), viaEnv.stderr)
        let flagWins = TestContext(runner: fakeKubectl(), env: ["KIP_CLUSTER": "b"], home: home)
        XCTAssertEqual(Kip.run(["project", "list", "-v", "--cluster", "a"], flagWins.context), 0)
        XCTAssertTrue(flagWins.stderr.contains("+ kubectl --context kind-a get"), flagWins.stderr)
        let unknown = TestContext(runner: fakeKubectl(), env: ["KIP_CLUSTER": "zzz"], home: home)
        XCTAssertEqual(Kip.run(["project", "list"], unknown.context), 1)
        XCTAssertEqual(
            unknown.stderr, "Error: unknown cluster 'zzz': known clusters are a, b (see 'kip cluster list')\n")
    }

    func testVerbosePrintsKubectlArgvToStderr() {
        let t = TestContext(runner: fakeKubectl())
        _ = run(t, "cluster add a --context kind-a")
        XCTAssertEqual(run(t, "project list -v"), 0)
        XCTAssertTrue(
            t.stderr.contains(
                "+ kubectl --context kind-a get projects.v1alpha1.kipper.run -o json --request-timeout=30s\n"),
            t.stderr)
    }

    /// A config change is a step of the command's plan: made after the write, never under
    /// --dry-run, and said in the result document with -o json.
    func testConfigChangesAreStepsNotMadeUnderDryRun() throws {
        let t = TestContext(runner: fakeKubectl())
        XCTAssertEqual(run(t, "cluster add a --context kind-a --dry-run"), 0, t.stderr)
        XCTAssertEqual(t.stdout, "Would add cluster \"a\" (context kind-a) to kip's config.\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.context.config.path), "nothing written")
        XCTAssertEqual(run(t, "cluster add a --context kind-a"), 0, t.stderr)
        XCTAssertEqual(run(t, "project use shop/test"), 0, t.stderr)
        let start = t.stdout.count
        XCTAssertEqual(run(t, "project use shop/prod --dry-run"), 0, t.stderr)
        XCTAssertEqual(
            String(t.stdout.dropFirst(start)), "Would make shop/prod the active project on cluster \"a\".\n")
        XCTAssertEqual(try t.context.config.load().active["a"], .init(project: "shop", environment: "test"))
        XCTAssertEqual(run(t, "cluster remove a --dry-run"), 0, t.stderr)
        XCTAssertNotNil(try t.context.config.load().clusters["a"])
        let j = TestContext(runner: fakeKubectl(), home: t.home)
        XCTAssertEqual(run(j, "project use shop/prod -o json"), 0, j.stderr)
        let doc = try JSON.parse(Data(j.stdout.utf8))
        XCTAssertEqual(doc["applied"], [], "no object in the cluster was written")
        XCTAssertEqual(
            doc.at("messages")?.arrayValue?.first?["text"]?.stringValue, "Active project: shop/prod on cluster \"a\"")
        XCTAssertEqual(try t.context.config.load().active["a"], .init(project: "shop", environment: "prod"))
    }

    func testWhichProjectIsActiveIsAListingOfItsOwn() throws {
        let t = TestContext(runner: fakeKubectl())
        _ = run(t, "cluster add a --context kind-a")
        let start = t.stderr.count
        XCTAssertEqual(run(t, "project use"), 0)
        XCTAssertEqual(
            String(t.stderr.dropFirst(start)),
            "No active project on cluster \"a\": set one with 'kip project use NAME'\n")
        _ = run(t, "project use shop/test")
        let j = TestContext(runner: fakeKubectl(), home: t.home)
        XCTAssertEqual(run(j, "project use -o json"), 0, j.stderr)
        XCTAssertEqual(
            try JSON.parse(Data(j.stdout.utf8)), ["cluster": "a", "project": "shop", "environment": "test"])
    }
}
