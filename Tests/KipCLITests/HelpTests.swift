import KipCLI
import KipTestSupport
import XCTest

/// Help for every group and verb, and the completion scripts, as golden files.
final class HelpTests: XCTestCase {
    func allPaths(_ c: CommandSpec) -> [[String]] {
        [Array(c.path.dropFirst())] + c.subcommands.flatMap(allPaths)
    }

    func testHelpOfEveryCommandMatchesGolden() {
        for path in allPaths(Kip.root) {
            let t = TestContext()
            XCTAssertEqual(Kip.run(path + ["--help"], t.context), 0)
            let name = path.isEmpty ? "kip" : "kip-" + path.joined(separator: "-")
            assertGolden(t.stdout, "help/\(name).txt")
            XCTAssertEqual(t.stderr, "")
        }
    }

    /// Help's ENVIRONMENT section and every verb's global-option footer come from the
    /// tables the parser and the code read: each variable the sources read is listed,
    /// and each global option is in the footer.
    func testHelpListsEveryVariableAndGlobalOption() throws {
        let root = Help.text(Kip.root, version: "0")
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        var read = Set<String>()
        let files = FileManager.default.enumerator(atPath: sources.path)!.compactMap { $0 as? String }
        for f in files where f.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(f), encoding: .utf8)
            var rest = text[...]
            while let r = rest.range(of: "env[\"KIP_") {
                let name = rest[rest.index(r.lowerBound, offsetBy: 5)...].prefix { $0 != "\"" }
                read.insert(String(name))
                rest = rest[r.upperBound...]
            }
        }
        XCTAssertFalse(read.isEmpty)
        for v in read { XCTAssertTrue(root.contains("\n  \(v) "), "help's ENVIRONMENT lacks \(v)") }
        let t = TestContext()
        _ = Kip.run(["app", "deploy", "--help"], t.context)
        for o in globalOptions where o.long != "help" {
            XCTAssertTrue(t.stdout.contains("--\(o.long)"), "the footer lacks --\(o.long)")
        }
    }

    func testHelpFormsPrintTheSameText() {
        let a = TestContext()
        let b = TestContext()
        let c = TestContext()
        _ = Kip.run(["project", "create", "--help"], a.context)
        _ = Kip.run(["project", "create", "-h"], b.context)
        _ = Kip.run(["help", "project", "create"], c.context)
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertEqual(a.stdout, c.stdout)
        XCTAssertTrue(a.stdout.hasPrefix("OVERVIEW: "))
    }

    func testCompletionScriptsMatchGolden() {
        for shell in ["bash", "zsh"] {
            let t = TestContext()
            XCTAssertEqual(Kip.run(["completion", shell], t.context), 0)
            assertGolden(t.stdout, "completion/\(shell).txt")
        }
        let t = TestContext()
        XCTAssertEqual(Kip.run(["completion", "fish"], t.context), 2)
        XCTAssertTrue(t.stderr.hasPrefix("Error: Unknown shell 'fish'."))
    }

    func testVersion() {
        let t = TestContext()
        XCTAssertEqual(Kip.run(["--version"], t.context), 0)
        XCTAssertEqual(t.stdout, "kip \(Kip.version)\n")
    }
}
