import Foundation
import KipCore
import XCTest

@testable import KipSandbox

/// The pieces of kip-sandbox's exec: the WebSocket handshake's hash and the small shell
/// that answers in place of a container.
final class ExecStreamTests: XCTestCase {
    func testSHA1AndTheHandshakeAnswerMatchTheirStandards() {
        XCTAssertEqual(
            SHA1.digest(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined(),
            "a9993e364706816aba3e25717850c26c9cd0d89d")
        // RFC 6455 section 1.3's example.
        XCTAssertEqual(WebSocketConnection.accept(key: "dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testTheShellQuotesExpandsAndStopsAfterAFailedAndThen() {
        var saved: Data?
        var shell = FakeShell(
            env: ["USER": "app", "EMPTY": ""], hostname: "db-0", load: { saved }, save: { saved = $0 })
        XCTAssertEqual(
            FakeShell.words(#"exec psql --username "$USER" '$USER' ${EMPTY:-none} x\ y"#, shell.env),
            ["exec", "psql", "--username", "app", "$USER", "none", "x\\", "y"])
        let r = shell.script("echo one && false && echo two; echo three", stdin: [])
        XCTAssertEqual(String(decoding: r.stdout, as: UTF8.self), "one\nthree\n")
        let scoped = shell.script("MODE=fast printenv MODE; printenv MODE", stdin: [])
        XCTAssertEqual(String(decoding: scoped.stdout, as: UTF8.self), "fast\n", "a prefix assignment is the command's")
        XCTAssertEqual(scoped.code, 1)
        _ = shell.run(["sh", "-c", "exec psql -U \"$USER\""], stdin: Array("CREATE TABLE t;\n".utf8))
        XCTAssertEqual(String(decoding: shell.run(["pg_dump"], stdin: []).stdout, as: UTF8.self), "CREATE TABLE t;\n")
        XCTAssertEqual(shell.run(["nope"], stdin: []).code, 127)
    }
}
