import Foundation
import KipCore
import KipTestSupport
import XCTest

@testable import KipCLI

/// The one Runner: a write in steps, its question, `--dry-run`, config steps and 409s,
/// against a recording kubectl.
final class RunnerTests: XCTestCase {
    /// A ConfigMap kip would write in `ns` (an owner whose uid is known: one apply).
    func plan(_ name: String, _ line: String) -> Plan {
        var p = Plan()
        let o: JSON = [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "ns"],
        ]
        p.owners = [o]
        p.knownUIDs[Plan.key(o)] = "uid-\(name)"
        p.report = [.success(line)]
        return p
    }

    /// A command's context on a cluster in kip's config, with `--yes`/`--dry-run`/`-o` as
    /// given, and its test context (streams, config).
    func context(_ runner: RecordingRunner, _ globals: [String: [String]] = [:]) throws -> (Context, TestContext) {
        let t = TestContext(runner: runner)
        try t.context.config.update {
            $0.clusters["c"] = .init(context: "kind-c", kubeconfig: nil)
            $0.currentCluster = "c"
        }
        return (t.context.command(Invocation(command: ["test"], options: globals, arguments: [])), t)
    }

    func applies(_ r: RecordingRunner) -> [String] {
        r.calls.filter { $0.argv.contains("apply") }.compactMap { call in
            (try? JSON.parse(Data((call.stdin ?? "").utf8)))?.at("metadata", "name")?.stringValue
        }
    }

    func testStepsArePlannedAfterTheOneBeforeIsWrittenAndAskOnce() throws {
        // The server answers an apply with the object it wrote.
        let r = RecordingRunner { argv, stdin in
            let o = stdin.flatMap { try? JSON.parse($0) }
            let items: [JSON] = argv.contains("apply") ? o.map { [$0] } ?? [] : []
            return ProcessResult(status: 0, stdout: JSON.object(["kind": "List", "items": .array(items)]).data)
        }
        let (ctx, t) = try context(r, ["yes": [""]])
        var asked = 0
        var plannedSecondAfter: Int?
        let written = try ctx.run(
            { _ in
                Attempt(
                    self.plan("first", "first written"),
                    question: Question(
                        ask: { _ in
                            asked += 1
                            return true
                        }, declined: "no"))
            },
            then: {
                [
                    { _ in
                        plannedSecondAfter = self.applies(r).count
                        return Attempt(self.plan("second", "second written"))
                    }
                ]
            })
        XCTAssertEqual(written.code, 0)
        XCTAssertEqual(asked, 1)
        XCTAssertEqual(plannedSecondAfter, 1, "the second step is planned once the first is written")
        XCTAssertEqual(applies(r), ["first", "second"])
        XCTAssertEqual(t.stdout, "✔ first written\n✔ second written\n")
        XCTAssertEqual(
            ctx.result?["applied"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["first", "second"])
    }

    func testADeclinedQuestionPlansNoLaterStepAndWritesNothing() throws {
        let r = RecordingRunner()
        let (ctx, t) = try context(r)
        var later = false
        let written = try ctx.run(
            { _ in Attempt(self.plan("first", "x"), question: Question(ask: { _ in false }, declined: "Not today.")) },
            then: {
                later = true
                return []
            })
        XCTAssertEqual(written.code, 1)
        XCTAssertFalse(later)
        XCTAssertEqual(r.calls, [])
        XCTAssertEqual(t.stderr, "Not today.\n")
    }

    func testADryRunOfStepsIsOneDocumentAndRunsNothing() throws {
        let r = RecordingRunner()
        let (ctx, t) = try context(r, ["dry-run": [""], "output": ["json"]])
        let written = try ctx.run(
            { _ in Attempt(self.plan("first", "x"), config: [.clearActive(cluster: "c")]) },
            then: { [{ _ in Attempt(self.plan("second", "y")) }] })
        guard case .dryRun = written else { return XCTFail("\(written)") }
        XCTAssertEqual(r.calls, [])
        let doc = try JSON.parse(Data(t.stdout.utf8))
        XCTAssertEqual(doc["kind"], "List")
        XCTAssertEqual(
            doc["items"]?.arrayValue?.compactMap { $0.at("metadata", "name")?.stringValue }, ["first", "second"])
    }

    func testAConflictReplansOnlyTheStepThatMetIt() throws {
        var second = 0
        let r = RecordingRunner { argv, stdin in
            let name = stdin.flatMap { try? JSON.parse($0) }?.at("metadata", "name")?.stringValue
            if argv.contains("apply"), name == "second", second == 0 {
                second += 1
                return ProcessResult(
                    status: 1,
                    stderr: Data(
                        "Error from server (Conflict): the object has been modified; please apply your changes to the latest version and try again\n"
                            .utf8))
            }
            return ProcessResult(status: 0, stdout: Data(#"{"kind":"List","items":[]}"#.utf8))
        }
        let (ctx, t) = try context(r)
        var firstAttempts: [Int] = []
        var secondAttempts: [Int] = []
        try ctx.run(
            { n in
                firstAttempts.append(n)
                return Attempt(self.plan("first", "x"))
            },
            then: {
                [
                    { n in
                        secondAttempts.append(n)
                        return Attempt(self.plan("second", "y"))
                    }
                ]
            })
        XCTAssertEqual(firstAttempts, [0])
        XCTAssertEqual(secondAttempts, [0, 1])
        XCTAssertEqual(applies(r), ["first", "second", "second"])
    }

    func testConfigStepsFollowASuccessfulWriteOnly() throws {
        let failing = RecordingRunner { argv, _ in
            argv.contains("apply")
                ? ProcessResult(status: 1, stderr: Data("error: the server is gone\n".utf8))
                : ProcessResult(status: 0, stdout: Data(#"{"kind":"List","items":[]}"#.utf8))
        }
        let (ctx, t) = try context(failing)
        try t.context.config.update { $0.active["c"] = .init(project: "shop", environment: "test") }
        XCTAssertThrowsError(
            try ctx.run {
                Attempt(self.plan("first", "x"), config: [.forgetProject(cluster: "c", project: "shop")])
            })
        XCTAssertNotNil(try t.context.config.load().active["c"], "a failed write changes no config")
        let (okCtx, ok) = try context(RecordingRunner())
        try ok.context.config.update { $0.active["c"] = .init(project: "shop", environment: "test") }
        try okCtx.run { Attempt(self.plan("first", "x"), config: [.forgetProject(cluster: "c", project: "shop")]) }
        XCTAssertNil(try ok.context.config.load().active["c"])
    }

    func testAPlanThatWritesNothingStartsNoKubectl() throws {
        let r = RecordingRunner()
        let (ctx, t) = try context(r)
        try ctx.run { Attempt(Plan.nothing("Nothing has expired.")) }
        XCTAssertEqual(r.calls, [])
        XCTAssertEqual(t.stderr, "Nothing has expired.\n")
        XCTAssertEqual(ctx.result, ["applied": [], "deleted": [], "messages": []])
    }
}
