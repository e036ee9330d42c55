import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Prompts on a real pseudo-terminal, and kip processes racing on one config.
final class TerminalE2ETests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install").code, 0)
    }

    func testRemoveEnvAsksToTypeTheEnvironmentName() throws {
        let p = c.name("yourr-name")
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test,staging"]).code, 0)
        let wrong = try c.kipInTerminal(
            ["project", "remove-env", p, "staging"], input: ["stagin"], waitFor: "to confirm: ")
        XCTAssertEqual(wrong.code, 1, wrong.stdout)
        XCTAssertTrue(wrong.stdout.contains("This cannot be undone."), wrong.stdout)
        XCTAssertTrue(wrong.stdout.contains("Not removed."), wrong.stdout)
        XCTAssertTrue(try c.names("namespaces").contains("\(p)-staging"))
        let right = try c.kipInTerminal(
            ["project", "remove-env", p, "staging"], input: ["staging"], waitFor: "to confirm: ")
        XCTAssertEqual(right.code, 0, right.stdout)
        XCTAssertTrue(right.stdout.contains("✔ Removed environment \"staging\""), right.stdout)
        try eventually("namespace gone") { try !c.names("namespaces").contains("\(p)-staging") }
    }

    func testPromoteAsksOnATerminalAsTheProductPageShows() throws {
        let p = c.name("yourr-name")
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test,acc"]).code, 0)
        for (env, img) in [("test", "registry.example.com/api:v1.2.3"), ("acc", "registry.example.com/api:v1.2.2")] {
            XCTAssertEqual(
                c.kip([
                    "app", "deploy", "--name", "api", "--image", img, "--port", "3000", "--project", p, "--environment",
                    env, "--wait",
                ]).code, 0)
        }
        let r = try c.kipInTerminal(
            ["app", "promote", "api", "--from", "test", "--to", "acc", "--project", p], input: ["y"], waitFor: "[y/N] ")
        XCTAssertEqual(r.code, 0, r.stdout)
        XCTAssertEqual(
            r.stdout,
            "Promote test → acc (\(p))\nApps: api\n  api  acc: registry.example.com/api:v1.2.2 → registry.example.com/api:v1.2.3\nPromote to acc? [y/N] y\n✔ api → acc (registry.example.com/api:v1.2.3)\n"
        )
        let no = try c.kipInTerminal(
            ["app", "promote", "api", "--from", "test", "--to", "acc", "--project", p], input: ["n"], waitFor: "[y/N] ")
        XCTAssertEqual(no.code, 1)
        XCTAssertTrue(no.stdout.hasSuffix("Nothing promoted.\n"), no.stdout)
    }

    func testCtrlCAtTheDeletePromptChangesNothing() throws {
        let p = c.name("keep")
        XCTAssertEqual(c.kip(["project", "create", p]).code, 0)
        let r = try c.kipInTerminal(["project", "delete", p], waitFor: "to confirm: ", interrupt: true)
        XCTAssertEqual(r.code, 130, r.stdout)
        XCTAssertTrue(r.stdout.contains("Interrupted: stopped."), r.stdout)
        XCTAssertTrue(try c.names("namespaces").contains(p))
        XCTAssertEqual(try c.names("projects.kipper.run").filter { $0 == p }, [p])
    }

    func testColourOnlyOnATerminalAndNeverWithNoColor() throws {
        let p = c.name("colour")
        let tty = try c.kipInTerminal(["project", "create", p, "--color", "auto"], noColor: false)
        XCTAssertTrue(tty.stdout.contains("\u{1B}[32m✔\u{1B}[0m"), tty.stdout)
        let noColor = try c.kipInTerminal(["project", "list"])
        XCTAssertFalse(noColor.stdout.contains("\u{1B}["), "NO_COLOR turns colour off on a terminal")
        let piped = c.kip(["project", "list", "--color", "auto"])
        XCTAssertFalse(piped.stdout.contains("\u{1B}["))
        let forced = c.kip(["project", "delete", p, "--yes", "--color", "always"])
        XCTAssertTrue(forced.stdout.contains("\u{1B}[32m✔"), forced.stdout)
    }

    func testTwoKipProcessesNeverLoseEachOthersConfigWrites() throws {
        // Two shells, each adding 15 clusters as fast as it can, on one KIP_HOME.
        let kip = c.binDir + "/kip"
        let script = { (prefix: String) in
            "for i in $(seq 1 15); do \(kip) cluster add \(prefix)$i --context kip-sandbox >/dev/null || exit 1; done"
        }
        if c.isReal { throw XCTSkip("uses the sandbox's context name") }
        let group = DispatchGroup()
        var codes: [Int32] = [0, 0]
        for (i, prefix) in ["a", "b"].enumerated() {
            group.enter()
            Thread.detachNewThread {
                codes[i] = self.c.run(["sh", "-c", script(prefix)]).code
                group.leave()
            }
        }
        group.wait()
        XCTAssertEqual(codes, [0, 0])
        let cfg = try ConfigStore(directory: c.home).load()
        XCTAssertEqual(cfg.clusters.count, 30)
    }
}
