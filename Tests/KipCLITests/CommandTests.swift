import Foundation
import KipCLI
import KipCore
import KipSandbox
import KipTestSupport
import XCTest

/// Every command run in-process against the sandbox's store (no kubectl process, no
/// HTTP): each test walks a part of the product page and compares the whole transcript
/// (command line, stdout, stderr, exit code) with a golden file, `--dry-run` plans
/// included. `KIP_RECORD=1` re-records.
final class CommandTests: XCTestCase {
    var kubectl: InProcessKubectl!
    var home: String!
    var transcript = ""

    override func setUp() {
        kubectl = InProcessKubectl()
        home = temporaryDirectory(self)
        try! "current-context: sandbox\n".write(toFile: home + "/kubeconfig", atomically: true, encoding: .utf8)
    }

    /// Runs one command line (split on spaces; `"…"` keeps spaces) and records it.
    @discardableResult
    func kip(_ line: String, stdin: String = "", terminal: Bool = false, record: Bool = true) -> (
        code: Int32, stdout: String, stderr: String
    ) {
        let t = TestContext(
            runner: kubectl, input: stdin.isEmpty ? [] : [stdin], terminal: terminal,
            env: ["KUBECONFIG": home + "/kubeconfig"], home: home)
        let code = Kip.run(Self.words(line), t.context)
        if record {
            transcript += "$ kip \(line)\n" + t.stdout
            if !t.stderr.isEmpty {
                transcript += t.stderr.split(separator: "\n", omittingEmptySubsequences: false).map {
                    $0.isEmpty ? "" : "! \($0)"
                }.joined(separator: "\n")
            }
            if code != 0 { transcript += "[exit \(code)]\n" }
            transcript += "\n"
        }
        return (code, t.stdout, t.stderr)
    }

    static func words(_ line: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var quoted = false
        var started = false
        for c in line {
            if c == "\"" {
                quoted.toggle()
                started = true
            } else if c == " " && !quoted {
                if started { out.append(cur) }
                cur = ""
                started = false
            } else {
                cur.append(c)
                started = true
            }
        }
        if started { out.append(cur) }
        return out
    }

    func shop() {
        XCTAssertEqual(kip("install --org labbc --domain apprunr.com").code, 0)
        XCTAssertEqual(kip("project create shop --environments test,acc,prod").code, 0)
    }

    func object(_ resource: String, _ ns: String?, _ name: String) -> JSON? {
        let r = try? kubectl.run(
            ["kubectl", "get", resource, name, "-o", "json", "--ignore-not-found"] + (ns.map { ["-n", $0] } ?? []),
            stdin: nil)
        guard let r, r.status == 0, !r.stdout.isEmpty else { return nil }
        return try? JSON.parse(r.stdout)
    }

    // MARK: Walks

    func testProjectLifecycle() {
        XCTAssertEqual(kip("install --org labbc --domain apprunr.com --dry-run -o yaml").code, 0)
        shop()
        kip("project create shop2 --dry-run -o yaml")
        kip("project create myapp")
        kip("project list")
        kip("project list -o json")
        kip("project add-env shop staging --dry-run")
        kip("project add-env shop staging")
        kip("project show shop")
        kip("project remove-env shop staging")
        kip("project remove-env shop staging --confirm staging")
        kip("project sync shop")
        kip("project delete myapp --dry-run")
        kip("project delete myapp --yes")
        kip("project list -o yaml")
        assertGolden(transcript, "commands/project.txt")
        XCTAssertFalse(kubectl.calls.contains { $0.contains("-A") }, "no command reads across all namespaces")
    }

    func testAppsAndSecrets() {
        shop()
        kip("app deploy --name api --image r/api:1 --port 3000 --project shop/test --dry-run -o yaml")
        kip("app deploy --name api --image r/api:1 --port 3000 --env LOG=debug --project shop/test")
        kip("app deploy --name api --image r/api:1 --port 3000 --env LOG=debug --replicas x --project shop/test")
        kip("app env set api A=1 B=2 --project shop/test")
        kip("app env unset api A --project shop/test")
        kip("app secret set api TOKEN --project shop/test", stdin: "tok-value-1")
        kip("app secret set api TOKEN --project shop/test --dry-run -o yaml", stdin: "tok-value-2")
        kip("app secret list api --project shop/test")
        kip("app secret unset api TOKEN --project shop/test")
        kip(
            "app deploy --name api --image r/api:2 --port 3000 --autoscale 2:5 --cpu-request 100m --no-route --project shop/test"
        )
        kip("app list --project shop/test")
        kip("app list --project shop/test -o wide")
        kip("app show api --project shop/test")
        kip("app show api --project shop/test -o json")
        kip("app delete api --project shop/test --yes")
        assertGolden(transcript, "commands/app.txt")
        XCTAssertFalse(transcript.contains("tok-value"), "no secret value is ever printed")
        XCTAssertFalse(transcript.contains(Data("tok-value-2".utf8).base64EncodedString()), "nor its base64")
    }

    func testServicesVolumesFunctionsJobs() throws {
        shop()
        kip("service add postgres --name db --project shop/test --dry-run -o yaml")
        kip("service add postgres --name db --project shop/test")
        kip("service add redis --name cache --project shop/test")
        kip("service list --project shop/test")
        kip("service info db --project shop/test")
        kip("volume add files --size 2Gi --project shop/test")
        kip(
            "app deploy --name web --image r/web:1 --port 80 --bind db --bind cache --volume files:/data --project shop/test"
        )
        kip("volume list --project shop/test")
        kip("function deploy hello --image fn/hello:1 --project shop/test")
        kip("function list --project shop/test")
        kip("job add backup --image postgres:16 --schedule \"0 3 * * *\" --project shop/test -- pg_dump")
        kip("job add migrate --image r/web:1 --command ./migrate --project shop/test")
        kip("job add migrate --image r/web:2 --command ./migrate --project shop/test")
        kip("job list --project shop/test")
        kip("volume delete files --project shop/test --yes")
        kip("service delete cache --project shop/test --confirm cache")
        kip("service delete cache --project shop/test --confirm cache --force")
        assertGolden(transcript, "commands/workloads.txt")
        XCTAssertFalse(kubectl.calls.contains { $0.contains("-A") }, "no command reads across all namespaces")
        // The credentials are in the cluster, never in what kip printed.
        let creds = try XCTUnwrap(object("secret", "labbc-shop-test", "db-credentials"))
        let password = try XCTUnwrap(creds.at("data", "password")?.stringValue)
        XCTAssertFalse(transcript.contains(password))
        XCTAssertFalse(transcript.contains(String(decoding: Data(base64Encoded: password)!, as: UTF8.self)))
    }

    func testEachNewServiceGetsItsOwnPassword() throws {
        shop()
        kip("volume add v --size 1Gi --project shop/test")
        // Two services planned in one command are not possible from the CLI, so plan them
        // through copy: a copy with two services writes two credentials Secrets.
        kip("service add postgres --name a --project shop/test")
        kip("service add postgres --name b --project shop/test")
        kip("project add-env shop acc2 --copy-from test")
        let a = try XCTUnwrap(object("secret", "labbc-shop-acc2", "a-credentials")?.at("data", "password"))
        let b = try XCTUnwrap(object("secret", "labbc-shop-acc2", "b-credentials")?.at("data", "password"))
        XCTAssertNotEqual(a, b)
    }

    func testPromoteAndRollback() {
        shop()
        kip("app deploy --name api --image r/api:1 --port 3000 --project shop/test")
        kip("app deploy --name api --image r/api:1 --port 3000 --project shop/acc")
        kip("app deploy --name api --image r/api:2 --port 3000 --project shop/test")
        kip("app promote api --to acc --project shop --dry-run")
        kip("app promote api --to acc --project shop --dry-run -o yaml")
        kip("app promote api --to acc --project shop")
        kip("app promote api --to acc --project shop --yes")
        kip("app promote --all --from test --to acc --project shop --yes")
        kip("app history api --project shop/acc")
        kip("project status shop")
        kip("project status shop -o json")
        kip("app rollback api --project shop/acc --yes")
        kip("app history api --project shop/acc -o json")
        assertGolden(transcript, "commands/promote.txt")
    }

    func testCopyAndDiff() {
        shop()
        kip(
            "app deploy --name api --image r/api:1 --port 3000 --env URL=http://x.labbc-shop-test.svc --project shop/test"
        )
        kip("app secret set api TOKEN --project shop/test", stdin: "copied-secret")
        kip("service add postgres --name db --project shop/test")
        kip("project add-env shop prod2 --copy-from test --plan")
        kip("project add-env shop prod2 --copy-from test --dry-run -o yaml")
        kip("project add-env shop prod2 --copy-from test")
        kip("project diff shop test prod2")
        kip(
            "app deploy --name api --image r/api:1 --port 3001 --env URL=http://x.labbc-shop-prod2.svc --project shop/prod2"
        )
        kip("project diff shop test prod2")
        kip("project diff shop test nope")
        kip("app secret unset api TOKEN --project shop/prod2")
        kip("app secret list api --project shop/prod2")
        assertGolden(transcript, "commands/copy.txt")
        XCTAssertFalse(transcript.contains("copied-secret"))
    }

    // MARK: Output

    /// One result per command, printed when it ends: a failure with `-o json` is a
    /// document that says so, an empty result is empty lists, `-o name` prints names only.
    func testResultsAreDocumentsOnSuccessAndFailure() throws {
        shop()
        let failed = kip("app set-image nope r/x:1 --project shop/test -o json", record: false)
        XCTAssertEqual(failed.code, 1)
        let doc = try JSON.parse(failed.stdout)
        XCTAssertEqual(doc.at("error", "exitCode"), 1)
        XCTAssertTrue(doc.at("error", "message")?.stringValue?.contains("app \"nope\" does not exist") == true)
        let gc = kip("project gc -o json", record: false)
        XCTAssertEqual(gc.code, 0)
        XCTAssertEqual(try JSON.parse(gc.stdout), ["applied": [], "deleted": [], "messages": []])
        let names = kip("app deploy --name api --image r/api:1 --port 3000 --project shop/test -o name", record: false)
        XCTAssertEqual(names.code, 0, names.stderr)
        let lines = names.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("app/api"), names.stdout)
        XCTAssertTrue(lines.contains("deployment/api"), names.stdout)
        XCTAssertFalse(names.stdout.contains("✔"), "the human lines go to stderr")
        XCTAssertTrue(names.stderr.contains("✔ app api created"), names.stderr)
        // A gate: errors are 2, "changes pending" 1.
        XCTAssertEqual(kip("project drift shop nope", record: false).code, 2)
        XCTAssertEqual(kip("project apply -f /nonexistent --dry-run", record: false).code, 2)
    }

    // MARK: Concurrency

    /// Someone else changes the App between kip's read and its write: the server refuses
    /// kip's write (409, stale resourceVersion), kip reads again, plans again, and both
    /// changes survive.
    func testConcurrentChangeIsReadAgainNotLost() throws {
        shop()
        kip("app deploy --name api --image r/api:1 --port 3000 --env A=1 --project shop/test")
        let racer = Interfering(kubectl) { k in
            // Another kip sets B between our read and our write.
            let other = Interfering(k, interfere: nil)
            let t = TestContext(runner: other, env: ["KUBECONFIG": self.home + "/kubeconfig"], home: self.home)
            XCTAssertEqual(Kip.run(Self.words("app env set api B=2 --project shop/test"), t.context), 0, t.stderr)
        }
        let t = TestContext(runner: racer, env: ["KUBECONFIG": home + "/kubeconfig"], home: home)
        XCTAssertEqual(Kip.run(Self.words("app env set api C=3 --project shop/test"), t.context), 0, t.stderr)
        let env = try XCTUnwrap(object("apps.kipper.run", "labbc-shop-test", "api")?.at("spec", "env")?.arrayValue)
        XCTAssertEqual(env.compactMap { $0["name"]?.stringValue }, ["A", "B", "C"])
        XCTAssertEqual(racer.applies, 2, "refused once, then applied after a second read")
    }
}

/// Runs `interfere` once, just before the first apply goes through.
final class Interfering: CommandRunner, @unchecked Sendable {
    let inner: CommandRunner
    var interfere: ((CommandRunner) -> Void)?
    var applies = 0

    init(_ inner: CommandRunner, interfere: ((CommandRunner) -> Void)?) {
        self.inner = inner
        self.interfere = interfere
    }

    func run(_ argv: [String], stdin: Data?) throws -> ProcessResult {
        if argv.contains("apply") {
            applies += 1
            if let f = interfere {
                interfere = nil
                f(inner)
            }
        }
        return try inner.run(argv, stdin: stdin)
    }
}
