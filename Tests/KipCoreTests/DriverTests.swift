import Foundation
import KipCore
import KipTestSupport
import XCTest

final class DriverTests: XCTestCase {
    let target = ClusterTarget(name: "apprunr.com", context: "apprunr", kubeconfig: "/k/config")

    func testApplySendsOneServerSideApplyWithManifestsOnStdin() throws {
        let runner = RecordingRunner(responses: [
            ProcessResult(
                status: 0,
                stdout: Data(#"{"kind":"List","items":[{"kind":"Namespace","metadata":{"name":"a","uid":"u1"}}]}"#.utf8)
            )
        ])
        let d = KubectlDriver(runner: runner, target: target)
        let out = try d.apply([
            ["kind": "Namespace", "metadata": ["name": "a"]], ["kind": "Namespace", "metadata": ["name": "b"]],
        ])
        XCTAssertEqual(out.first?.at("metadata", "uid"), "u1")
        XCTAssertEqual(
            runner.calls,
            [
                .init(
                    argv: [
                        "kubectl", "--kubeconfig", "/k/config", "--context", "apprunr", "apply", "--server-side",
                        "--field-manager=kip",
                        "--force-conflicts", "-o", "json", "-f", "-",
                    ],
                    stdin: #"{"kind":"Namespace","metadata":{"name":"a"}}"# + "\n"
                        + #"{"kind":"Namespace","metadata":{"name":"b"}}"# + "\n")
            ])
    }

    func testGetReadsSeveralKindsInOneCall() throws {
        let runner = RecordingRunner()
        let d = KubectlDriver(runner: runner, target: target)
        _ = try d.get(["apps.kipper.run", "secrets"], namespace: "shop-test", selector: "kipper.run/project=x")
        XCTAssertEqual(
            runner.calls.map(\.argv),
            [
                [
                    "kubectl", "--kubeconfig", "/k/config", "--context", "apprunr", "get",
                    "apps.kipper.run,secrets", "-o", "json", "-n", "shop-test", "-l",
                    "kipper.run/project=x",
                ]
            ])
    }

    func testFailedCallReportsArgvAndStderr() {
        let runner = RecordingRunner(responses: [
            ProcessResult(status: 1, stderr: Data("Error from server (Forbidden): nope\n".utf8))
        ])
        let d = KubectlDriver(runner: runner, target: target)
        XCTAssertThrowsError(try d.delete(refs: ["namespace/a"])) { e in
            let k = e as! KipError
            XCTAssertEqual(k.message, "kubectl failed: Error from server (Forbidden): nope")
            XCTAssertEqual(
                k.detail,
                [
                    "$ kubectl --kubeconfig /k/config --context apprunr delete namespace/a --ignore-not-found --wait=false",
                    "  Error from server (Forbidden): nope",
                ])
        }
    }

    func testMissingCRDSaysToInstall() {
        let runner = RecordingRunner(responses: [
            ProcessResult(status: 1, stderr: Data("error: the server doesn't have a resource type \"projects\"\n".utf8))
        ])
        XCTAssertThrowsError(try KubectlDriver(runner: runner, target: target).get(["projects.kipper.run"])) { e in
            XCTAssertEqual(
                (e as? KipError)?.message,
                "the cluster does not know \"projects\": run 'kip install' on cluster \"apprunr.com\" first")
        }
    }

    func testMissingKubectlIsOneClearLine() {
        let runner = ProcessRunner(environment: ["PATH": "/nonexistent"])
        XCTAssertThrowsError(try KubectlDriver(runner: runner, target: target).get(["namespaces"])) { e in
            XCTAssertEqual(
                (e as? KipError)?.message,
                "kubectl not found on PATH: install kubectl, or set KIP_KUBECTL to its full path")
        }
    }

    /// KIP_KUBECTL: a bare name is looked up on PATH; a bad value is named with what is
    /// wrong with it.
    func testKipKubectlValuesAreCheckedAndNamed() throws {
        func message(_ value: String) -> String? {
            let runner = ProcessRunner(environment: ["PATH": "/usr/bin:/bin"], overrides: ["kubectl": value])
            do {
                _ = try runner.run(["kubectl", "version"], stdin: nil)
                return nil
            } catch { return (error as? RunnerError)?.description }
        }
        let hint = ": point it at kubectl (a path, or a name on PATH), or unset it"
        XCTAssertEqual(message("/nonexistent/kubectl"), "KIP_KUBECTL=/nonexistent/kubectl does not exist" + hint)
        XCTAssertEqual(message("/etc/passwd"), "KIP_KUBECTL=/etc/passwd is not executable" + hint)
        XCTAssertEqual(message("/tmp"), "KIP_KUBECTL=/tmp is a directory" + hint)
        XCTAssertEqual(message("nosuchkubectl"), "KIP_KUBECTL=nosuchkubectl is not on PATH" + hint)
        XCTAssertNotNil(
            ProcessRunner(environment: ["PATH": "/usr/bin:/bin"], overrides: ["kubectl": "true"]).resolve("kubectl"))
    }

    // Real subprocesses.

    func testOneMebibyteThroughAPipeDoesNotHang() throws {
        let big = Data(repeating: 0x61, count: 1 << 20)
        let r = try ProcessRunner().run(["cat"], stdin: big)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout.count, 1 << 20)
        let e = try ProcessRunner().run(
            ["sh", "-c", "head -c 1048576 /dev/zero >&2; head -c 1048576 /dev/zero"], stdin: nil)
        XCTAssertEqual(e.stdout.count, 1 << 20)
        XCTAssertEqual(e.stderr.count, 1 << 20)
    }

    func testChildExitingBeforeReadingStdinDoesNotKillKip() throws {
        let big = Data(repeating: 0x61, count: 4 << 20)
        let r = try ProcessRunner().run(["sh", "-c", "exit 3"], stdin: big)
        XCTAssertEqual(r.status, 3)
    }

    func testSignalledChildIsReported() {
        XCTAssertThrowsError(try ProcessRunner().run(["sh", "-c", "kill -9 $$"], stdin: nil)) { e in
            XCTAssertEqual(e as? RunnerError, .signalled("sh", 9))
        }
    }
}
