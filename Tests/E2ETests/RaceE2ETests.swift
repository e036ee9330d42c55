import Foundation
import KipCore
import KipTestSupport
import XCTest

/// A second client writes the object a command is about to write, between kip's read and
/// its write (kip-sandbox's `race` fault: another field manager changes an annotation, so
/// the resourceVersion kip read is stale). Every mutating command must read again, plan
/// again and succeed with exactly one retry, keeping the other writer's change.
final class RaceE2ETests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws {
        c = try E2ECluster(self, sandboxOnly: true)
        if c.isReal { throw XCTSkip("needs kip-sandbox's race fault") }
        for line in [
            "install --domain apprunr.com",
            "project create shop --environments test,acc,prod",
            "app deploy --name web --image r/web:1 --port 8080 --project shop/test",
            "app deploy --name web --image r/web:0 --port 8080 --project shop/acc",
            "app deploy --name api --image r/api:1 --port 8080 --project shop/test",
            "service add postgres --name db --project shop/test",
            "volume add data --size 1Gi --access-mode ReadWriteMany --project shop/test",
            "function deploy fn --image r/fn:1 --project shop/test",
            "job add nightly --image r/job:1 --schedule 0/5_*_*_*_* --project shop/test",
        ] {
            let r = c.kip(line.split(separator: " ").map { $0.replacingOccurrences(of: "_", with: " ") })
            XCTAssertEqual(r.code, 0, "\(line): \(r)")
        }
        XCTAssertEqual(c.kip(["app", "set-image", "web", "r/web:2", "--project", "shop/test", "--wait"]).code, 0)
    }

    /// Adds a `race` fault on `path` (once), runs `args`, and checks: success, one 409 and
    /// then one successful write of that object, and the other writer's annotation kept.
    /// A write that carries no precondition (server-side apply of fields kip alone owns, a
    /// deletion) cannot conflict: it must succeed at once and keep the other writer's change.
    @discardableResult
    func survives(
        _ args: [String], path: String, object: (kind: String, name: String, namespace: String?), stdin: String? = nil,
        precondition: Bool = true, file: StaticString = #filePath, line: UInt = #line
    ) throws -> Run {
        let added = c.kubectl(["create", "--raw", "/kip-sandbox/faults", "-f", "-"], stdin: "PATCH \(path):race:once")
        XCTAssertEqual(added.code, 0, "adding the fault: \(added)", file: file, line: line)
        let before = c.requests().count
        let r = c.kip(args, stdin: stdin)
        XCTAssertEqual(r.code, 0, "\(args.joined(separator: " ")): \(r)", file: file, line: line)
        let writes = c.requests().dropFirst(before).filter {
            $0["method"]?.stringValue == "PATCH" && $0["path"]?.stringValue == path
        }.map { $0["status"]?.intValue ?? 0 }
        if !precondition {
            XCTAssertEqual(writes, [200], "one write, no conflict: \(writes)", file: file, line: line)
        } else {
            XCTAssertEqual(
                writes.first, 409, "first write of \(path) meets the other writer: \(writes)", file: file, line: line)
            XCTAssertEqual(writes.filter { $0 == 409 }.count, 1, "one conflict: \(writes)", file: file, line: line)
            XCTAssertEqual(
                writes.dropFirst().first.map { (200..<300).contains($0) }, true, "then one write: \(writes)",
                file: file,
                line: line)
        }
        var get = ["get", object.kind, object.name]
        if let ns = object.namespace { get += ["-n", ns] }
        let o = try c.kubectlJSON(get)
        XCTAssertNotNil(
            o.at("metadata", "annotations", "kip-sandbox/race"), "the other writer's change is kept", file: file,
            line: line)
        return r
    }

    func app(_ name: String, _ ns: String = "shop-test") -> (String, String, String?) { ("apps.kipper.run", name, ns) }
    func appPath(_ name: String, _ ns: String = "shop-test") -> String {
        "/apis/kipper.run/v1alpha1/namespaces/\(ns)/apps/\(name)"
    }
    let projectPath = "/apis/kipper.run/v1alpha1/projects/shop"
    let project = ("projects.kipper.run", "shop", nil as String?)

    func testAppWritesSurviveAConcurrentWriter() throws {
        let t = ["--project", "shop/test"]
        try survives(
            ["app", "deploy", "--name", "web", "--image", "r/web:3", "--port", "8080"] + t, path: appPath("web"),
            object: app("web"))
        try survives(["app", "set-image", "web", "r/web:4"] + t, path: appPath("web"), object: app("web"))
        XCTAssertEqual(
            c.kip(["app", "deploy", "--name", "web", "--image", "r/web:4", "--port", "8080", "--autoscale", "2:4"] + t)
                .code, 0)
        let scaled = try survives(["app", "scale", "web", "2"] + t, path: appPath("web"), object: app("web"))
        XCTAssertEqual(
            scaled.stderr.components(separatedBy: "autoscaling of web is turned off").count, 2,
            "what the change turns off is said once, not again on the retry: \(scaled.stderr)")
        try survives(["app", "env", "set", "web", "A=1"] + t, path: appPath("web"), object: app("web"))
        try survives(["app", "env", "unset", "web", "A"] + t, path: appPath("web"), object: app("web"))
        try survives(
            ["app", "secret", "set", "web", "TOKEN"] + t, path: appPath("web"), object: app("web"), stdin: "s3cret")
        try survives(["app", "secret", "unset", "web", "TOKEN"] + t, path: appPath("web"), object: app("web"))
        try survives(["app", "bind", "web", "db"] + t, path: appPath("web"), object: app("web"))
        try survives(["app", "unbind", "web", "db"] + t, path: appPath("web"), object: app("web"))
        try survives(["app", "rollback", "web", "--yes"] + t, path: appPath("web"), object: app("web"))
        try survives(["volume", "mount", "data", "web:/data"] + t, path: appPath("web"), object: app("web"))
        try survives(["volume", "unmount", "data", "web", "--yes"] + t, path: appPath("web"), object: app("web"))
        try survives(
            ["app", "restart", "web"] + t, path: "/apis/apps/v1/namespaces/shop-test/deployments/web",
            object: ("deployments.apps", "web", "shop-test"), precondition: false)
    }

    func testPromotionsSurviveAConcurrentWriter() throws {
        try survives(
            ["app", "promote", "web", "--to", "acc", "--project", "shop", "--yes"], path: appPath("web", "shop-acc"),
            object: app("web", "shop-acc"))
        XCTAssertEqual(c.kip(["app", "set-image", "web", "r/web:5", "--project", "shop/test", "--wait"]).code, 0)
        try survives(
            ["app", "promote", "--all", "--to", "acc", "--project", "shop", "--yes"],
            path: appPath("web", "shop-acc"), object: app("web", "shop-acc"))
        let acc = try c.kubectlJSON(["get", "apps.kipper.run", "web", "-n", "shop-acc"])
        XCTAssertEqual(acc.at("spec", "image")?.stringValue, "r/web:5")
    }

    func testServiceVolumeFunctionJobWritesSurviveAConcurrentWriter() throws {
        let t = ["--project", "shop/test"]
        let ns = "/apis/kipper.run/v1alpha1/namespaces/shop-test"
        try survives(
            ["service", "add", "postgres", "--name", "db"] + t, path: "\(ns)/services/db",
            object: ("services.kipper.run", "db", "shop-test"))
        try survives(
            ["volume", "add", "data", "--size", "1Gi", "--access-mode", "ReadWriteMany"] + t,
            path: "\(ns)/volumes/data", object: ("volumes.kipper.run", "data", "shop-test"))
        try survives(
            ["function", "deploy", "fn", "--image", "r/fn:2"] + t, path: "\(ns)/functions/fn",
            object: ("functions.kipper.run", "fn", "shop-test"))
        try survives(
            ["job", "add", "nightly", "--image", "r/job:2", "--schedule", "0 3 * * *"] + t,
            path: "\(ns)/jobs/nightly", object: ("jobs.kipper.run", "nightly", "shop-test"))
    }

    func testProjectWritesSurviveAConcurrentWriter() throws {
        try survives(["project", "add-env", "shop", "qa"], path: projectPath, object: project)
        try survives(["project", "reorder", "shop", "test,qa,acc,prod"], path: projectPath, object: project)
        try survives(["project", "protect", "shop/prod"], path: projectPath, object: project)
        try survives(
            ["project", "unprotect", "shop/prod", "--confirm-env", "prod"], path: projectPath, object: project)
        try survives(["project", "remove-env", "shop", "qa", "--confirm", "qa"], path: projectPath, object: project)
        try survives(["project", "quota", "shop/test", "pods=20"], path: projectPath, object: project)
        try survives(["project", "env", "set", "shop", "REGION=eu"], path: projectPath, object: project)
        try survives(
            ["project", "add-env", "shop", "pr-1", "--copy-from", "test"], path: projectPath, object: project)
        // A project-wide grant and its revocation write the Project's members.
        try survives(
            ["project", "grant", "dev", "--role", "developer", "--project", "shop"], path: projectPath, object: project)
        try survives(["project", "revoke", "dev", "--project", "shop"], path: projectPath, object: project)
        // A namespace that lost a label: sync writes it back (a field of kip's alone).
        XCTAssertEqual(c.kubectl(["label", "namespace", "shop-acc", "kipper.run/environment-"]).code, 0)
        try survives(
            ["project", "sync", "shop"], path: "/api/v1/namespaces/shop-acc", object: ("namespace", "shop-acc", nil),
            precondition: false)
    }

    func testProjectApplyAndGcSurviveAConcurrentWriter() throws {
        let export = c.kip(["project", "export", "shop", "--all"])
        XCTAssertEqual(export.code, 0, "\(export)")
        let file = c.home + "/shop.yaml"
        try export.stdout.replacingOccurrences(of: "\"test\"", with: "\"staging\"").write(
            toFile: file, atomically: true, encoding: .utf8)
        // The file names an environment the project lacks: the Project is written.
        try survives(["project", "apply", "-f", file], path: projectPath, object: project)
        XCTAssertEqual(c.kip(["project", "add-env", "shop", "tmp", "--ttl", "1s"]).code, 0)
        Thread.sleep(forTimeInterval: 1.5)
        try survives(["project", "gc", "shop"], path: projectPath, object: project)
        let p = try c.kubectlJSON(["get", "projects.kipper.run", "shop"])
        let envs = (p.at("spec", "environments")?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        XCTAssertFalse(envs.contains("tmp"), "\(envs)")
    }
}
