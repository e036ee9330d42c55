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
