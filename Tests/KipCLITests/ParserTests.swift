import KipCLI
import KipTestSupport
import XCTest

/// One table of argv → expected invocation or exact error text.
final class ParserTests: XCTestCase {
    let parser = Parser(root: Kip.root)

    func inv(_ cmd: String, _ opts: [String: [String]] = [:], _ args: [String] = []) -> ParseResult {
        .run(Invocation(command: cmd.split(separator: " ").map(String.init), options: opts, arguments: args))
    }

    func testParsesEveryForm() throws {
        let cases: [([String], ParseResult)] = [
            (["project", "create", "myapp"], inv("project create", [:], ["myapp"])),
            (
                ["project", "create", "yourr-name", "--environments", "test,acc,prod"],
                inv("project create", ["environments": ["test", "acc", "prod"]], ["yourr-name"])
            ),
            (
                ["project", "create", "yourr-name", "--environments=test,acc", "--environments", "prod"],
                inv("project create", ["environments": ["test", "acc", "prod"]], ["yourr-name"])
            ),
            (
                ["project", "create", "--display-name", "yourr.name Domain Platform", "yourr-name"],
                inv("project create", ["display-name": ["yourr.name Domain Platform"]], ["yourr-name"])
            ),
            (["project", "list", "-o", "json"], inv("project list", ["output": ["json"]])),
            (["project", "list", "-ojson"], inv("project list", ["output": ["json"]])),
            (["project", "list", "-o=json"], inv("project list", ["output": ["json"]])),
            (["project", "list", "--output=yaml"], inv("project list", ["output": ["yaml"]])),
            (["-v", "project", "list"], inv("project list", ["verbose": []])),
            (["project", "delete", "x", "-yv"], inv("project delete", ["yes": [], "verbose": []], ["x"])),
            (["project", "delete", "--", "-x"], inv("project delete", [:], ["-x"])),
            (["project", "use", "--clear"], inv("project use", ["clear": []])),
            (["project", "add-env", "prod"], inv("project add-env", [:], ["prod"])),
            (["project", "add-env", "yourr-name", "prod"], inv("project add-env", [:], ["yourr-name", "prod"])),
            (["--cluster", "apprunr.com", "project", "list"], inv("project list", ["cluster": ["apprunr.com"]])),
            (
                ["cluster", "add", "c1", "--context", "kind-c1", "--set-current"],
                inv("cluster add", ["context": ["kind-c1"], "set-current": []], ["c1"])
            ),
            (["install", "--org", "labbc", "--dry-run"], inv("install", ["org": ["labbc"], "dry-run": []])),
            (["--version"], .version),
            (["help"], .help([])),
            ([], .help([])),
            (["help", "project", "create"], .help(["project", "create"])),
            (["project", "create", "--help"], .help(["project", "create"])),
            (["project", "-h"], .help(["project"])),
            (["project"], .help(["project"])),
        ]
        for (argv, expected) in cases {
            XCTAssertEqual(try parser.parse(argv), expected, "argv: \(argv)")
        }
    }

    func testUsageErrorsNameTheProblem() {
        let cases: [([String], String)] = [
            (
                ["project", "create", "x", "--environmentz", "a"],
                "Unknown option '--environmentz'. Did you mean '--environments'?"
            ),
            (["project", "create", "x", "--environments"], "Missing value for '--environments <env>'"),
            (
                ["project", "create", "x", "--environments", "--display-name", "y"],
                "Missing value for '--environments <env>'"
            ),
            (["project", "create"], "Missing expected argument '<name>'"),
            (["project", "remove-env"], "Missing expected argument '<env>'"),
            (["app", "deploy", "--name", "x", "--port", "80"], "Missing expected option '--image <image>'"),
            (["project", "create", "a", "b"], "Unexpected argument 'b'"),
            (["projet", "list"], "Unknown command 'projet'. Did you mean 'project'?"),
            (["project", "lst"], "Unknown command 'lst'. Did you mean 'list'?"),
            (
                ["project", "list", "-o", "xml"],
                "The value 'xml' is invalid for '--output <format>'. Please provide one of 'table', 'wide', 'json', 'yaml' or 'name'."
            ),
            (
                ["project", "list", "--color=sometimes"],
                "The value 'sometimes' is invalid for '--color <when>'. Please provide one of 'auto', 'always' or 'never'."
            ),
            (["project", "list", "-q"], "Unknown option '-q'."),
            (["project", "use", "--clear=yes"], "Option '--clear' takes no value"),
            (["project", "create", "x", "--environments", "a,,b"], "Empty value in '--environments <env>': 'a,,b'"),
        ]
        for (argv, message) in cases {
            XCTAssertThrowsError(try parser.parse(argv), "argv: \(argv)") { e in
                XCTAssertEqual((e as? UsageError)?.message, message, "argv: \(argv)")
            }
        }
    }

    func testUsageErrorPrintsUsageLineAndExitsTwo() {
        let t = TestContext()
        let code = Kip.run(["project", "create", "x", "--environmentz", "a"], t.context)
        XCTAssertEqual(code, 2)
        XCTAssertEqual(t.stdout, "")
        assertGolden(t.stderr, "errors/unknown-option.txt")
    }

    func testUnknownCommandErrorText() {
        let t = TestContext()
        XCTAssertEqual(Kip.run(["projet"], t.context), 2)
        assertGolden(t.stderr, "errors/unknown-command.txt")
    }
}
