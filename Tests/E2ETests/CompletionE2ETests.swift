import Foundation
import KipTestSupport
import XCTest

/// The bash completion script, run by bash against a cluster: words after global flags,
/// option values, and the names of projects, environments, apps and clusters.
final class CompletionE2ETests: XCTestCase {
    func testBashCompletesCommandsAndNames() throws {
        let c = try E2ECluster(self)
        let p = c.name("shop")
        XCTAssertEqual(c.kip("install").code, 0)
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test,prod"]).code, 0)
        XCTAssertEqual(
            c.kip(["app", "deploy", "--name", "api", "--image", "x", "--port", "80", "--project", "\(p)/test"]).code, 0)
        XCTAssertEqual(c.kip(["project", "use", "\(p)/test"]).code, 0)
        let script = c.home + "/kip.bash"
        try c.kip("completion bash").stdout.write(toFile: script, atomically: true, encoding: .utf8)
        func complete(_ words: [String]) -> [String] {
            let quoted = words.map { "'\($0)'" }.joined(separator: " ")
            let r = c.run(
                [
                    "bash", "-c",
                    """
                    source '\(script)'
                    COMP_WORDS=(\(quoted)); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _kip; echo "${COMPREPLY[*]}"
                    """,
                ], env: ["PATH": c.binDir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")])
            return r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        }
        XCTAssertEqual(complete(["kip", "--context", "x", "project", "cr"]), ["create"])
        XCTAssertEqual(complete(["kip", "-o", "json", "project", "li"]), ["list"])
        XCTAssertTrue(complete(["kip", "app", "list", "--project", ""]).contains(p))
        XCTAssertEqual(complete(["kip", "app", "list", "--project", "\(p)/"]).sorted(), ["\(p)/prod", "\(p)/test"])
        XCTAssertEqual(complete(["kip", "app", "promote", "api", "--to", ""]), ["test", "prod"])
        XCTAssertEqual(complete(["kip", "app", "show", ""]), ["api"])
        XCTAssertEqual(complete(["kip", "completion", ""]), ["bash", "zsh"])
        XCTAssertEqual(complete(["kip", "app", "list", "--output", "=", "ya"]), ["yaml"])
    }
}
