import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Eight kip processes at once, each changing the same object: every change lands (the
/// write carries the resourceVersion read, and a 409 is read, planned and applied again).
final class ConcurrencyE2ETests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", c.name("shop"), "--environments", "test"]).code, 0)
        XCTAssertEqual(
            c.kip([
                "app", "deploy", "--name", "api", "--image", "r/api:1", "--port", "3000", "--project",
                c.name("shop") + "/test",
            ])
            .code, 0)
    }

    /// Runs `args(i)` for i in 0..<8 at the same time; every run must succeed.
    func eightAtOnce(_ args: @escaping (Int) -> [String], stdin: String? = nil) {
        let runs = ResultsBox(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { i in runs.set(i, c.kip(args(i), stdin: stdin)) }
        for (i, r) in runs.values.enumerated() {
            XCTAssertEqual(r?.code, 0, "\(args(i).joined(separator: " ")): \(r.map { "\($0)" } ?? "no result")")
        }
    }

    func testEightAddEnvAtOnceAllLand() throws {
        let p = c.name("shop")
        eightAtOnce { ["project", "add-env", p, "e\($0)"] }
        let project = try c.kubectlJSON(["get", "projects.kipper.run", p])
        let envs = (project.at("spec", "environments")?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(Set(envs), Set(["test"] + (0..<8).map { "e\($0)" }))
        let labelled = try c.names("namespaces").filter { $0.hasPrefix(p + "-") }
        XCTAssertEqual(Set(labelled), Set(envs.map { "\(p)-\($0)" }), "no namespace without its environment")
    }

    func testEightEnvSetsAndSecretSetsAtOnceAllLand() throws {
        let p = c.name("shop") + "/test"
        eightAtOnce { ["app", "env", "set", "api", "K\($0)=v\($0)", "--project", p] }
        let app = try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", c.name("shop") + "-test"])
        let names = (app.at("spec", "env")?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(Set(names), Set((0..<8).map { "K\($0)" }))

        eightAtOnce({ ["app", "secret", "set", "api", "S\($0)", "--project", p] }, stdin: "s3cret")
        let secret = try c.kubectlJSON(["get", "secret", "api-secrets", "-n", c.name("shop") + "-test"])
        XCTAssertEqual(Set((secret["data"]?.objectValue ?? [:]).keys), Set((0..<8).map { "S\($0)" }))
        // And the Deployment carries every variable.
        let dep = try c.kubectlJSON(["get", "deployment", "api", "-n", c.name("shop") + "-test"])
        let env = (dep.at("spec", "template", "spec", "containers")?.arrayValue?.first?["env"]?.arrayValue ?? [])
            .compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(Set(env), Set(names))
    }
}

/// One result per concurrent run.
final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Run?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Run) {
        lock.lock()
        slots[i] = r
        lock.unlock()
    }
    var values: [Run?] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }
}
