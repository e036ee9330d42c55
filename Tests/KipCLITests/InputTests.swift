import Foundation
import KipCLI
import KipCore
import KipTestSupport
import XCTest

/// Files named on the command line are read before anything in the cluster, and every
/// flag that names one refuses the same things in the same words.
final class InputTests: XCTestCase {
    func run(_ args: [String], _ t: TestContext) -> Int32 { Kip.run(args, t.context) }

    func testFilesAreRefusedBeforeAnyKubectlWithTheFlagNamed() throws {
        let home = NSTemporaryDirectory() + "kip-inputs-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: home + "/dir", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        try Data(count: MiniYAML.maxBytes + 1).write(to: URL(fileURLWithPath: home + "/big.yaml"))
        try Data("  \n".utf8).write(to: URL(fileURLWithPath: home + "/blank.yaml"))
        let cases: [([String], String)] = [
            (
                ["project", "apply", "-f", home + "/dir"],
                "Error: -f \(home)/dir is a directory: pass one file (export --dir writes one per environment: apply each with -f)\n"
            ),
            (
                ["project", "apply", "-f", home + "/none.yaml"],
                "Error: -f \(home)/none.yaml does not exist: check the path\n"
            ),
            (
                ["project", "apply", "-f", home + "/big.yaml"],
                "Error: -f \(home)/big.yaml has \(MiniYAML.maxBytes + 1) bytes; kip reads files of at most \(MiniYAML.maxBytes)\n"
            ),
            (
                ["project", "apply", "-f", home + "/blank.yaml"],
                "Error: \(home)/blank.yaml is empty: pass the file 'kip project export' wrote\n"
            ),
            (
                ["app", "secret", "set", "web", "KEY", "--from-file", home + "/dir", "--project", "shop/test"],
                "Error: --from-file \(home)/dir is a directory: name a file\n"
            ),
            (
                ["app", "secret", "set", "web", "--from-env-file", home + "/dir", "--project", "shop/test"],
                "Error: --from-env-file \(home)/dir is a directory: name a file\n"
            ),
            (
                ["app", "env", "set", "web", "--from-file", home + "/none.env", "--project", "shop/test"],
                "Error: --from-file \(home)/none.env does not exist: check the path\n"
            ),
            (
                ["project", "add-env", "shop", "acc", "--copy-from", "test", "--overrides", home + "/none.yaml"],
                "Error: --overrides \(home)/none.yaml does not exist: check the path\n"
            ),
            (
                ["cluster", "add", "c", "--kubeconfig", home + "/none"],
                "Error: --kubeconfig \(home)/none does not exist: check the path\n"
            ),
        ]
        for (args, said) in cases {
            let t = TestContext()
            XCTAssertEqual(run(args, t), 1, args.joined(separator: " "))
            XCTAssertEqual(t.stderr, said)
            XCTAssertEqual(t.recorder.calls, [], "nothing asked of the cluster: \(args.joined(separator: " "))")
            XCTAssertFalse(FileManager.default.fileExists(atPath: t.context.config.path), "nothing written to ~/.kip")
        }
    }

    func testADashReadsStandardInput() throws {
        let t = TestContext(input: ["project: \"x\"", "environments: 3"])
        XCTAssertEqual(run(["project", "apply", "-f", "-"], t), 1)
        XCTAssertTrue(t.stderr.hasPrefix("Error: -: "), t.stderr)
        XCTAssertEqual(t.recorder.calls, [], "a file kip cannot use asks nothing of the cluster")
    }
}
