import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Getting into running workloads and moving a database's data, through kubectl's own
/// exec streams: kip-sandbox answers `pods/exec` over WebSocket (v5.channel.k8s.io) with a
/// small shell whose `pg_dump` prints what `psql` last read, so data can be followed.
final class DataStreamsE2ETests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws {
        c = try E2ECluster(self, sandboxOnly: true)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test,acc,prod").code, 0)
    }

    func testExecRunsInAPodOfTheCurrentRevisionWithTheAppsEnvironment() throws {
        XCTAssertEqual(
            c.kip("app deploy --name api --image r/api:1 --port 80 --env MODE=fast --project shop/test --wait").code, 0)
        let env = c.kip(["app", "exec", "api", "--project", "shop/test", "--", "sh", "-c", "echo $MODE on $HOSTNAME"])
        XCTAssertEqual(env.code, 0, "\(env)")
        XCTAssertTrue(env.stdout.hasPrefix("fast on api-"), env.stdout)
        let piped = c.kip(["app", "exec", "api", "--project", "shop/test"], stdin: "echo from stdin\nexit 3\n")
        XCTAssertEqual(piped.stdout, "from stdin\n")
        XCTAssertEqual(piped.code, 3, "the command's status is kip's")
        XCTAssertEqual(c.kip(["app", "exec", "api", "--project", "shop/test", "--", "false"]).code, 1)
        let ghost = c.kip(["app", "exec", "ghost", "--project", "shop/test", "--", "true"])
        XCTAssertEqual(ghost.code, 1)
        XCTAssertEqual(ghost.stderr, "Error: app \"ghost\" does not exist in shop-test\n")
        // On a terminal: -it, a shell typed into, its exit status kip's.
        let typed = try c.kipInTerminal(
            ["app", "exec", "api", "--project", "shop/test"], input: ["echo $MODE", "exit 5"], waitFor: "$ ")
        XCTAssertEqual(typed.code, 5, typed.stdout)
        XCTAssertTrue(typed.stdout.contains("echo $MODE\nfast\n"), typed.stdout)
        XCTAssertEqual(c.kip("app scale api 0 --project shop/test --wait").code, 0)
        let stopped = c.kip(["app", "exec", "api", "--project", "shop/test", "--", "true"])
        XCTAssertEqual(stopped.stderr, "Error: app api in shop-test runs no pods (it is scaled to 0 or asleep)\n")
    }

    func testDumpRestoreAndCopyDataStreamThroughKubectl() throws {
        for env in ["test", "acc", "prod"] {
            XCTAssertEqual(c.kip("service add postgres --name db --project shop/\(env) --wait").code, 0)
        }
        let seed = "CREATE TABLE users (id int);\nINSERT INTO users VALUES (1);\n"
        let unconfirmed = c.kip(["service", "restore", "db", "--project", "shop/test"], stdin: seed)
        XCTAssertEqual(unconfirmed.code, 1)
        XCTAssertEqual(
            unconfirmed.stderr,
            "Error: restore replaces the data of service db in shop-test: pass --yes to go ahead (stdin holds the dump, so kip cannot ask)\n"
        )
        let restored = c.kip(["service", "restore", "db", "--project", "shop/test", "--yes"], stdin: seed)
        XCTAssertEqual(restored.code, 0, "\(restored)")
        XCTAssertEqual(restored.stdout, "✔ restored service db in shop-test from stdin\n")
        let dump = c.kip("service dump db --project shop/test")
        XCTAssertEqual(dump.code, 0, "\(dump)")
        XCTAssertEqual(dump.stdout, seed, "stdout holds the dump alone")

        let asked = c.kip("service copy-data db --from test --to acc --project shop")
        XCTAssertEqual(asked.code, 1)
        XCTAssertTrue(asked.stderr.contains("no terminal to ask on; pass --yes"), asked.stderr)
        XCTAssertEqual(
            c.kip("service dump db --project shop/acc").stdout, "-- kip-sandbox: pg_dump of an empty database\n")
        let copied = c.kip("service copy-data db --from test --to acc --project shop --yes")
        XCTAssertEqual(copied.code, 0, "\(copied)")
        XCTAssertEqual(copied.stdout, "✔ copied service db's data from shop-test into shop-acc\n")
        XCTAssertEqual(c.kip("service dump db --project shop/acc").stdout, seed)
        let events = try c.kubectlJSON(["get", "events", "-n", "shop-acc"])["items"]?.arrayValue ?? []
        let told = events.first { $0["reason"] == "DataCopied" }
        XCTAssertEqual(told?.at("involvedObject", "kind"), "Service")
        XCTAssertTrue((told?["message"]?.stringValue ?? "").contains("its data replaced by shop-test's"), "\(events)")

        // The password stays in the pod: the dump and restore read it from the container's
        // own environment, never from a command line kip or kubectl runs.
        let secret = try c.kubectlJSON(["get", "secret", "db-credentials", "-n", "shop-test"])
        let password = String(
            decoding: Data(base64Encoded: secret.at("data", "password")?.stringValue ?? "") ?? Data(), as: UTF8.self)
        XCTAssertFalse(password.isEmpty)
        let execs = c.requests().filter { ($0["path"]?.stringValue ?? "").hasSuffix("/exec") }
        XCTAssertEqual(execs.count, 6, "three dumps, one restore, one copy (two streams)")
        XCTAssertFalse(execs.contains { ($0["query"]?.stringValue ?? "").contains(password) })

        XCTAssertEqual(c.kip("project protect shop/prod").code, 0)
        let guarded = c.kip("service copy-data db --from test --to prod --project shop --yes")
        XCTAssertEqual(guarded.code, 1)
        XCTAssertEqual(
            guarded.stderr,
            "Error: shop/prod is protected: to replace the data of service db, pass --confirm-env prod (--yes is not enough)\n"
        )
        XCTAssertEqual(c.kip("service copy-data db --from test --to prod --project shop --confirm-env prod").code, 0)
        let prodDump = c.kip("service dump db --project shop/prod")
        XCTAssertEqual(prodDump.stdout, seed, "\(prodDump)")

        let same = c.kip("service copy-data db --from test --to test --project shop")
        XCTAssertEqual(same.code, 2)
        XCTAssertEqual(c.kip("service add redis --name cache --project shop/test --wait").code, 0)
        let cache = c.kip("service dump cache --project shop/test")
        XCTAssertEqual(cache.code, 1)
        XCTAssertTrue(
            cache.stderr.hasPrefix("Error: service cache is redis: kip moves the data of postgres"), cache.stderr)
    }

    func testADeveloperExecsAndCopiesAViewerDoesNot() throws {
        XCTAssertEqual(c.kip("app deploy --name api --image r/api:1 --port 80 --project shop/test --wait").code, 0)
        XCTAssertEqual(c.kip("project grant dev --role developer --environment test --project shop").code, 0)
        XCTAssertEqual(c.kip("project grant vic --role viewer --environment test --project shop").code, 0)
        let dev = try c.impersonating("dev")
        let vic = try c.impersonating("vic")
        func kip(_ cfg: String, _ args: [String]) -> Run {
            c.kip(args, env: ["KUBECONFIG": cfg, "KIP_HOME": cfg + ".home"])
        }
        let ok = kip(dev, ["app", "exec", "api", "--project", "shop", "--environment", "test", "--", "echo", "hi"])
        XCTAssertEqual(ok.code, 0, "\(ok)")
        XCTAssertEqual(ok.stdout, "hi\n")
        XCTAssertEqual(c.kip("service add postgres --name db --project shop/test --wait").code, 0)
        let connected = kip(
            dev, ["service", "connect", "db", "--project", "shop/test", "--", "sh", "-c", "echo $PGPORT $PGUSER"])
        XCTAssertEqual(connected.code, 0, "\(connected)")
        XCTAssertTrue(connected.stdout.hasSuffix(" app\n"), connected.stdout)
        let refused = kip(
            vic, ["app", "exec", "api", "--project", "shop", "--environment", "test", "--", "echo", "hi"])
        XCTAssertNotEqual(refused.code, 0)
        XCTAssertTrue(
            refused.stderr.contains(
                "a project admin can run 'kip project grant vic --role developer --environment test --project shop'\n"),
            refused.stderr)
    }

    func testConnectForwardsAPortAndGivesAClientTheCredentialsByEnvironment() throws {
        XCTAssertEqual(c.kip("service add postgres --name db --project shop/test --wait").code, 0)
        let client = """
            import os, socket
            s = socket.create_connection(("127.0.0.1", int(os.environ["PGPORT"])))
            print(s.recv(100).decode().strip())
            s.sendall(b"ping")
            print(s.recv(100).decode())
            print(os.environ["PGUSER"], os.environ["PGDATABASE"], len(os.environ["PGPASSWORD"]) >= 32,
                  os.environ["DATABASE_URL"].startswith("postgresql://app:"))
            """
        let r = c.kip(["service", "connect", "db", "--project", "shop/test", "--", "python3", "-c", client])
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertEqual(r.stdout, "kip-sandbox: pod db-0 port 5432\nping\napp db True True\n")
        let forwards = c.requests().filter { ($0["path"]?.stringValue ?? "").hasSuffix("/portforward") }
        XCTAssertEqual(forwards.count, 1, "one port-forward of db-0")
        let line = c.kip(["service", "connect", "db", "--project", "shop/test", "--exec", "echo $PGDATABASE"])
        XCTAssertEqual(line.stdout, "db\n", "\(line)")
        let failing = c.kip(["service", "connect", "db", "--project", "shop/test", "--", "python3", "-c", "exit(4)"])
        XCTAssertEqual(failing.code, 4, "the client's status is kip's")
        XCTAssertEqual(c.kip(["service", "connect", "db", "--port", "http", "--project", "shop/test"]).code, 2)
    }
}
