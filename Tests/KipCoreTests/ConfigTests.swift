import Foundation
import KipCore
import KipTestSupport
import XCTest

final class ConfigTests: XCTestCase {
    func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
    }

    func testWritesPrivateFolderAndFile() throws {
        let dir = temporaryDirectory(self) + "/home/.kip"
        let store = ConfigStore(directory: dir)
        try store.update { $0.clusters["a"] = .init(context: "kind-a", kubeconfig: nil) }
        XCTAssertEqual(mode(dir), 0o700)
        XCTAssertEqual(mode(store.path), 0o600)
        XCTAssertEqual(try store.load().clusters["a"]?.context, "kind-a")
    }

    func testReplaceIsAtomicAndLeavesNoTempFiles() throws {
        let dir = temporaryDirectory(self)
        let store = ConfigStore(directory: dir)
        for i in 0..<20 { try store.update { $0.active["c"] = .init(project: "p\(i)", environment: nil) } }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(files, ["config.json", "config.lock"])
        XCTAssertEqual(try store.load().active["c"]?.project, "p19")
    }

    func testCorruptFileIsReportedAndNeverOverwritten() throws {
        let dir = temporaryDirectory(self)
        let store = ConfigStore(directory: dir)
        try "{not json".write(toFile: store.path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try store.update { $0.currentCluster = "x" }) { e in
            XCTAssertEqual(
                (e as? KipError)?.message,
                "\(store.path) is not valid JSON; fix it or move it away (kip will not overwrite it)")
        }
        XCTAssertEqual(try String(contentsOfFile: store.path, encoding: .utf8), "{not json")
    }

    func testFailedChangeWritesNothing() throws {
        let dir = temporaryDirectory(self)
        let store = ConfigStore(directory: dir)
        struct Boom: Error {}
        XCTAssertThrowsError(
            try store.update { cfg -> Void in
                cfg.currentCluster = "x"
                throw Boom()
            })
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path))
    }

    func testConcurrentWritersInOneProcessLoseNothing() throws {
        let dir = temporaryDirectory(self)
        DispatchQueue.concurrentPerform(iterations: 40) { i in
            try! ConfigStore(directory: dir).update { $0.clusters["c\(i)"] = .init(context: "x", kubeconfig: nil) }
        }
        XCTAssertEqual(try ConfigStore(directory: dir).load().clusters.count, 40)
    }

    func testKipHomeOverridesTheFolder() {
        XCTAssertEqual(ConfigStore.defaultDirectory(env: ["KIP_HOME": "/x", "HOME": "/h"]), "/x")
        XCTAssertEqual(ConfigStore.defaultDirectory(env: ["HOME": "/h"]), "/h/.kip")
    }
}
