import Foundation
import KipCore
import XCTest

/// Files from a pull request, a kubeconfig from anywhere: bounded in size and depth, read
/// in linear time, one document only, and refused with a line naming the limit.
final class UntrustedInputTests: XCTestCase {
    func reason(_ text: String) -> String? {
        do {
            _ = try MiniYAML.parse(text)
            return nil
        } catch let e as MiniYAML.Error { return e.description } catch { return "\(error)" }
    }

    func testDeepNestingIsRefusedNotACrash() {
        let deep = "environments:\n" + String(repeating: "- ", count: 5000) + "a: 1\n"
        XCTAssertEqual(reason(deep), "YAML line 2: nested more than 64 levels deep")
        let fine = "a:\n" + String(repeating: "- ", count: 10) + "b: 1\n"
        XCTAssertNil(reason(fine))
    }

    func testALongListParsesInLinearTime() throws {
        // 80,000 "- a: 1" items: each item used to copy every line.
        let text = "items:\n" + String(repeating: "  - a: 1\n", count: 80_000)
        let v = try MiniYAML.parse(text)
        XCTAssertEqual(v["items"]?.arrayValue?.count, 80_000)
        XCTAssertEqual(v["items"]?.arrayValue?.last?["a"], 1)
    }

    func testTooLargeIsRefused() {
        let big = String(repeating: "#", count: MiniYAML.maxBytes + 1)
        XCTAssertEqual(
            reason(big),
            "YAML line 1: the text has \(MiniYAML.maxBytes + 1) bytes; kip reads at most \(MiniYAML.maxBytes)")
    }

    func testASecondDocumentIsRefusedNotDropped() {
        XCTAssertEqual(
            reason("a: 1\n---\nb: 2\n"),
            "YAML line 3: a second YAML document: kip reads one document per file; split it into files")
        XCTAssertNil(reason("---\na: 1\n"), "a leading marker is fine")
        XCTAssertNil(reason("a: 1\n---\n"), "so is a trailing one")
    }

    func testAByteOrderMarkIsSkipped() throws {
        XCTAssertEqual(try MiniYAML.parse("\u{FEFF}a: 1\n"), ["a": 1])
    }

    func testSequencesOfSequences() throws {
        XCTAssertEqual(try MiniYAML.parse("- - x\n  - y\n- z\n"), [["x", "y"], "z"])
    }
}
