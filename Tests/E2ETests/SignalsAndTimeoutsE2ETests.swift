import Foundation
import KipCore
import KipTestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// A CI job's timeout (SIGTERM) and Ctrl-C stop kip and the kubectl it runs; a cluster
/// that never answers costs the request timeout, not minutes.
final class SignalsAndTimeoutsE2ETests: XCTestCase {
    func testAHangingClusterIsReportedWithinTheRequestTimeout() throws {
        let c = try E2ECluster(self, faults: ["GET /apis/kipper.run/v1alpha1/projects:hang:always"])
        XCTAssertEqual(c.kip("install").code, 0)
        let start = Date()
        let r = c.kip(["project", "list"], env: ["KIP_REQUEST_TIMEOUT": "2s"])
        XCTAssertEqual(r.code, 1)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
        XCTAssertTrue(
            r.stderr.hasPrefix(
                "Error: cluster \"kip-sandbox\" did not answer within 2 s: check the connection, or allow longer with --request-timeout"
            ), r.stderr)
        let bad = c.kip(["project", "list", "--request-timeout", "soon"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(
            bad.stderr.hasPrefix("Error: The value 'soon' is invalid for '--request-timeout <duration>'"), bad.stderr)
    }

    /// The whole command is bounded too: with no bound per request, `--timeout` stops it,
    /// and the kubectl it was waiting on.
    func testTheWholeCommandIsBounded() throws {
        let c = try E2ECluster(self, faults: ["GET /apis/kipper.run/v1alpha1/projects:hang:always"])
        XCTAssertEqual(c.kip("install").code, 0)
        let start = Date()
        let r = c.kip(["project", "list", "--request-timeout", "0", "--timeout", "2s"])
        XCTAssertEqual(r.code, 124)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
        XCTAssertEqual(r.stderr, "Error: kip did not finish within 2s (--timeout): stopped; nothing more was written\n")
        try eventually("no kubectl left running") { kubectls(c).isEmpty }
        XCTAssertEqual(c.kip(["project", "list", "--timeout", "soon"]).code, 2)
    }

    /// Command lines of the kubectl processes that use this test's kubeconfig.
    func kubectls(_ c: E2ECluster) -> [[String]] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }
        return pids.compactMap { pid -> [String]? in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                let env = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { return nil }
            let argv = String(decoding: raw, as: UTF8.self).split(separator: "\0").map(String.init)
            guard let exe = argv.first?.split(separator: "/").last, exe.hasPrefix("kubectl"),
                String(decoding: env, as: UTF8.self).contains("KUBECONFIG=\(c.kubeconfig)")
            else { return nil }
            return argv
        }
    }

    func testSIGTERMDuringASlowApplyStopsKipAndKubectl() throws {
        let c = try E2ECluster(self, faults: ["PATCH /apis/kipper.run/v1alpha1/namespaces/*/apps/*:+5000ms:always"])
        XCTAssertEqual(c.kip("install").code, 0)
        XCTAssertEqual(c.kip(["project", "create", "shop", "--environments", "test"]).code, 0)
        for (sig, code, word) in [(SIGTERM, Int32(143), "Terminated"), (SIGINT, Int32(130), "Interrupted")] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: c.binDir + "/kip")
            p.arguments = [
                "app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "80", "--project", "shop/test",
            ]
            p.environment = c.environment
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            // Wait until the slow apply is under way, then stop kip alone (as CI does).
            try eventually("kubectl apply running", within: 10) { kubectls(c).contains { $0.contains("apply") } }
            usleep(500_000)
            let start = Date()
            kill(p.processIdentifier, sig)
            p.waitUntilExit()
            XCTAssertLessThan(Date().timeIntervalSince(start), 4, "kip does not wait for the apply to finish")
            XCTAssertEqual(p.terminationStatus, code)
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertTrue(text.contains("\(word): stopped."), text)
            try eventually("no kubectl left running") { kubectls(c).isEmpty }
        }
    }
}
