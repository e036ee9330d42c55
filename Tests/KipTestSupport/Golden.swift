import Foundation
import XCTest

/// Compares text with a golden file beside the test (`Golden/<name>`); `KIP_RECORD=1`
/// rewrites the file instead, so a changed manifest or help text shows as a diff.
public func assertGolden(_ actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    let dir = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Golden")
    let url = dir.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["KIP_RECORD"] == "1" {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        XCTFail(
            "golden file Golden/\(name) is missing: run 'KIP_RECORD=1 swift test' to record it", file: file, line: line)
        return
    }
    if expected != actual {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var firstDiff = 0
        while firstDiff < min(e.count, a.count), e[firstDiff] == a[firstDiff] { firstDiff += 1 }
        let want = firstDiff < e.count ? String(e[firstDiff]) : "<end>"
        let got = firstDiff < a.count ? String(a[firstDiff]) : "<end>"
        XCTFail(
            "Golden/\(name) differs at line \(firstDiff + 1):\n  expected: \(want)\n  actual:   \(got)\n(KIP_RECORD=1 re-records)",
            file: file, line: line)
    }
}

/// A fresh temporary folder, removed when the test ends.
public func temporaryDirectory(_ test: XCTestCase) -> String {
    let path = NSTemporaryDirectory() + "kip-test-" + UUID().uuidString.prefix(8).lowercased()
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// The package's root folder (where Package.swift is).
public func packageRoot(file: StaticString = #filePath) -> URL {
    var url = URL(fileURLWithPath: "\(file)")
    while url.path != "/" {
        url = url.deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    fatalError("Package.swift not found above \(file)")
}

/// Waits, polling every 50 ms, until `check` holds; fails the test after `seconds`.
/// Clusters do things a little later (a namespace goes, the garbage collector runs).
public func eventually(
    _ what: String, within seconds: Double = 10, file: StaticString = #filePath, line: UInt = #line,
    _ check: () throws -> Bool
) rethrows {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try check() { return }
        usleep(50_000)
    }
    XCTFail("\(what): not within \(seconds) s", file: file, line: line)
}
