import Foundation
import KipCore
import KipTestSupport
import XCTest

/// What kip writes is what pods, volumes and autoscalers need once they run: secret
/// changes reach pods, one entry per variable, ReadWriteOnce volumes on one replica,
/// autoscaling that keeps the running count, and input a real server refuses refused first.
final class RunningWorkloadsE2ETests: XCTestCase {
    var c: E2ECluster!
    var p: String!
    var test: String { "\(p!)-test" }

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        p = c.name("run")
        let r = c.kip(["project", "create", p, "--environments", "test,prod"])
        XCTAssertEqual(r.code, 0, "\(r)")
    }

    func kip(_ args: String, stdin: String? = nil) -> Run {
        c.kip(args.replacingOccurrences(of: "PROJ", with: p).split(separator: " ").map(String.init), stdin: stdin)
    }

    func writes() -> Int {
        c.writes()
    }

    func deployment(_ name: String, _ ns: String? = nil) throws -> JSON {
        try c.kubectlJSON(["get", "deployment", name, "-n", ns ?? test])
    }

    /// A secret set or unset changes the pod template (a new generation: the pods roll and
    /// read the new value), and says so; setting the same value again changes nothing.
    func testSecretChangesRollTheApp() throws {
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ/test").code, 0)
        let g0 = try deployment("api").at("metadata", "generation")?.intValue ?? 0
        let set = kip("app secret set api TOKEN --project PROJ/test", stdin: "one\n")
        XCTAssertEqual(set.code, 0, "\(set)")
        XCTAssertEqual(set.stdout, "✔ secret TOKEN set for app api in \(test); rolling out\n")
        let d1 = try deployment("api")
        let g1 = d1.at("metadata", "generation")?.intValue ?? 0
        XCTAssertGreaterThan(g1, g0, "a new generation: the pods roll")
        let h1 = d1.at("spec", "template", "metadata", "annotations", Keys.configHash)?.stringValue
        XCTAssertNotNil(h1)
        let same = kip("app secret set api TOKEN --project PROJ/test", stdin: "one\n")
        XCTAssertEqual(same.stdout, "✔ secret TOKEN updated for app api in \(test)\n", "same value: no rollout")
        XCTAssertEqual(try deployment("api").at("metadata", "generation")?.intValue, g1)
        let unset = kip("app secret unset api TOKEN --project PROJ/test")
        XCTAssertEqual(unset.stdout, "✔ secret TOKEN removed from app api in \(test); rolling out\n")
        let d2 = try deployment("api")
        XCTAssertGreaterThan(d2.at("metadata", "generation")?.intValue ?? 0, g1)
        XCTAssertNotEqual(d2.at("spec", "template", "metadata", "annotations", Keys.configHash)?.stringValue, h1)
        // The hash is salted with what only Secret readers see.
        let salt = try c.kubectlJSON(["get", "secret", "api-secrets", "-n", test])
            .at("metadata", "annotations", Keys.configSalt)?.stringValue
        XCTAssertEqual(salt?.count, 32)
    }

    /// The product page's `secret set api DATABASE_URL` on an app bound to `db`: the
    /// secret wins, the binding's DATABASE_URL is left out, each name once; an env var of
    /// a binding's name likewise. `app show` and `env list` say which.
    func testUserValuesOverrideABindingOnce() throws {
        XCTAssertEqual(kip("service add postgres --name db --project PROJ/test").code, 0)
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --bind db --project PROJ/test").code, 0)
        let set = kip("app secret set api DATABASE_URL --project PROJ/test", stdin: "postgres://elsewhere/db\n")
        XCTAssertEqual(set.code, 0, "\(set)")
        XCTAssertTrue(set.stdout.contains("it overrides the variable DATABASE_URL of the app's binding"), set.stdout)
        XCTAssertEqual(kip("app env set api DATABASE_HOST=db.example.com --project PROJ/test").code, 0)
        let env = try deployment("api").at("spec", "template", "spec", "containers")?.arrayValue?.first?["env"]
        let names = (env?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(names.sorted(), Set(names).sorted(), "each variable once")
        XCTAssertFalse(names.contains("DATABASE_URL"), "the secret (envFrom) gives DATABASE_URL")
        XCTAssertEqual(
            env?.arrayValue?.first { $0["name"]?.stringValue == "DATABASE_HOST" }?["value"]?.stringValue,
            "db.example.com")
        let show = kip("app show api --project PROJ/test")
        XCTAssertTrue(
            show.stdout.contains("(DATABASE_URL, DATABASE_HOST overridden by the app's own)"), show.stdout)
        let list = kip("app env list api --project PROJ/test")
        XCTAssertTrue(list.stdout.contains("DATABASE_URL        (secret)"), list.stdout)
    }

    /// After a copy, `secret unset` removes the copied key (one field manager writes user
    /// secrets, whatever wrote them), and the app rolls.
    func testUnsetAfterACopyRemovesTheKey() throws {
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ/test").code, 0)
        XCTAssertEqual(kip("app secret set api API_KEY --project PROJ/test", stdin: "k\n").code, 0)
        let copy = kip("project add-env PROJ qa --copy-from test")
        XCTAssertEqual(copy.code, 0, "\(copy)")
        let unset = kip("app secret unset api API_KEY --project PROJ/qa")
        XCTAssertEqual(unset.code, 0, "\(unset)")
        let data = try c.kubectlJSON(["get", "secret", "api-secrets", "-n", "\(p!)-qa"])["data"]
        XCTAssertNil(data?["API_KEY"], "the key is gone")
        XCTAssertEqual(kip("app secret list api --project PROJ/qa").stderr, "App api has no secrets in \(p!)-qa.\n")
        // A key someone else's field manager also wrote goes too.
        XCTAssertEqual(kip("app secret set api K --project PROJ/qa", stdin: "v\n").code, 0)
        let other = c.kubectl(
            ["apply", "--server-side", "--field-manager=someone", "-f", "-"],
            stdin: """
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-secrets", "namespace": "\(p!)-qa"},
                 "data": {"K": "dg==", "OTHER": "dg=="}}
                """)
        XCTAssertEqual(other.code, 0, "\(other)")
        XCTAssertEqual(kip("app secret unset api K --project PROJ/qa").code, 0)
        let left = try c.kubectlJSON(["get", "secret", "api-secrets", "-n", "\(p!)-qa"])["data"]
        XCTAssertNil(left?["K"], "removed whatever wrote it")
        XCTAssertEqual(left?["OTHER"], "dg==", "what kip was not asked about stays")
    }

    /// An app on a ReadWriteOnce volume runs one replica, rolled out by Recreate; more
    /// replicas, autoscaling or a second mount on one path are refused with nothing
    /// written. A ReadWriteMany volume serves many.
    func testReadWriteOnceVolumesServeOneReplica() throws {
        XCTAssertEqual(kip("volume add data --size 1Gi --project PROJ/test").code, 0)
        XCTAssertEqual(
            kip("app deploy --name api --image r/api:1 --port 3000 --volume data:/data --project PROJ/test").code, 0)
        XCTAssertEqual(try deployment("api").at("spec", "strategy", "type"), "Recreate")
        let before = c.isReal ? 0 : writes()
        let two = kip("app scale api 2 --project PROJ/test")
        XCTAssertEqual(two.code, 1)
        XCTAssertEqual(
            two.stderr,
            "Error: app api: 2 replicas with volume data mounted: a ReadWriteOnce volume attaches to one node, so only one replica can run; use one replica, or a volume added with --access-mode ReadWriteMany\n"
        )
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --autoscale 2:4 --project PROJ/test").code, 1)
        let samePath = kip(
            "app deploy --name api --image r/api:1 --volume data:/a --volume logs:/a --project PROJ/test")
        XCTAssertEqual(samePath.code, 2)
        XCTAssertTrue(samePath.stderr.hasPrefix("Error: --volume data:/a and --volume logs:/a use one path"))
        if !c.isReal { XCTAssertEqual(writes(), before, "refused before anything was written") }
        XCTAssertEqual(try deployment("api").at("spec", "replicas"), 1)

        XCTAssertEqual(kip("volume add shared --size 1Gi --access-mode ReadWriteMany --project PROJ/test").code, 0)
        XCTAssertEqual(
            try c.kubectlJSON(["get", "pvc", "shared", "-n", test]).at("spec", "accessModes"), ["ReadWriteMany"])
        let web = kip(
            "app deploy --name web --image r/web:1 --port 80 --replicas 3 --volume shared:/shared --project PROJ/test")
        XCTAssertEqual(web.code, 0, "\(web)")
        XCTAssertEqual(try deployment("web").at("spec", "strategy", "type"), "RollingUpdate", "written by kip, whole")
    }

    /// Turning autoscaling on keeps the replicas running (no drop to 1 while the
    /// autoscaler catches up) and sets a CPU request, which the autoscaler measures.
    func testTurningAutoscalingOnKeepsTheReplicaCount() throws {
        XCTAssertEqual(
            kip("app deploy --name api --image r/api:1 --port 3000 --replicas 5 --project PROJ/test").code, 0)
        let on = kip("app deploy --name api --image r/api:1 --autoscale 2:10 --project PROJ/test")
        XCTAssertEqual(on.code, 0, "\(on)")
        XCTAssertTrue(on.stdout.contains("--cpu-request 100m set"), on.stdout)
        let d = try deployment("api")
        XCTAssertEqual(d.at("spec", "replicas"), 5, "the running count stays")
        XCTAssertEqual(
            d.at("spec", "template", "spec", "containers")?.arrayValue?.first?.at("resources", "requests", "cpu"),
            "100m")
        // Later writes by kip leave the count to the autoscaler.
        XCTAssertEqual(kip("app set-image api r/api:2 --project PROJ/test").code, 0)
        XCTAssertEqual(try deployment("api").at("spec", "replicas"), 5)
        // And turning it off gives kip the count back.
        XCTAssertEqual(kip("app scale api 3 --project PROJ/test").code, 0)
        XCTAssertEqual(try deployment("api").at("spec", "replicas"), 3)
    }

    /// What a real API server (or DNS) refuses, refused first, with nothing written.
    func testInputAServerRefusesIsRefusedFirst() throws {
        XCTAssertEqual(kip("service add postgres --name db --project PROJ/test").code, 0)
        let before = c.isReal ? 0 : writes()
        let long = String(repeating: "a", count: 60)
        let at = ["--project", "\(p!)/test"]
        let cases: [([String], Int32, String)] = [
            (["app", "deploy", "--name", "api", "--image", "", "--port", "80"], 2, "Error: --image is empty"),
            (["job", "add", String(long.prefix(53)), "--image", "x", "--schedule", "0 3 * * *"], 1, "Error: job name"),
            (["service", "add", "redis", "--name", String(long.prefix(53))], 1, "Error: service name"),
            (["job", "add", "nightly", "--image", "x", "--schedule", "0 0 * * 7"], 2, "Error: The value '0 0 * * 7'"),
            (["volume", "add", "v", "--size", "0"], 2, "Error: The value '0' is invalid for '--size <size>'"),
            (["service", "add", "postgres", "--name", "db2", "--storage", "0Gi"], 2, "Error: The value '0Gi'"),
            (
                [
                    "app", "deploy", "--name", "api", "--image", "x", "--port", "80", "--cpu-request", "2",
                    "--cpu-limit", "500m",
                ],
                2, "Error: --cpu-request 2 is more than --cpu-limit 500m"
            ),
            (
                ["service", "add", "postgres", "--name", "db", "--version", "17"], 1,
                "Error: service db runs postgres 16"
            ),
            (
                [
                    "app", "deploy", "--name", "api", "--image", "x", "--port", "80", "--route",
                    long + "wxyz.example.com",
                ], 2, "Error:"
            ),
        ]
        for (args, code, start) in cases {
            let r = c.kip(args + at)
            XCTAssertEqual(r.code, code, "\(args): \(r)")
            XCTAssertTrue(r.stderr.hasPrefix(start), "\(args): \(r.stderr)")
        }
        if !c.isReal { XCTAssertEqual(writes(), before, "refused before anything was written") }
        // A long app name keeps a default host: its label shortened with a hash, 63 characters.
        let longApp = kip("app deploy --name \(long) --image x --port 80 --project PROJ/test")
        XCTAssertEqual(longApp.code, 0, "\(longApp)")
        let host = try c.kubectlJSON(["get", "apps.kipper.run", long, "-n", "\(p!)-test"]).at("spec", "route", "host")?
            .stringValue
        XCTAssertEqual(host?.split(separator: ".").first?.count, 63, host ?? "")
        let upgrade = kip("service add postgres --name db --version 17 --allow-major-upgrade --project PROJ/test")
        XCTAssertEqual(upgrade.code, 0, "\(upgrade)")
    }

    /// A one-off Job's template is compared with the live Job: the same job again is fine,
    /// a changed one is refused with how to replace it.
    func testOneOffJobsAreComparedWithTheLiveJob() throws {
        XCTAssertEqual(kip("job add migrate --image r/api:1 --project PROJ/test -- ./migrate").code, 0)
        XCTAssertEqual(kip("job add migrate --image r/api:1 --project PROJ/test -- ./migrate").code, 0)
        let changed = kip("job add migrate --image r/api:2 --project PROJ/test -- ./migrate")
        XCTAssertEqual(changed.code, 1)
        XCTAssertEqual(
            changed.stderr,
            "Error: job migrate is a one-off Job, whose pod template Kubernetes cannot change once created: 'kip job delete migrate', then add it again\n"
        )
    }

    /// Under `--pod-security restricted` the namespaces enforce it: what kip renders is
    /// admitted (databases, and apps with the safe defaults, non-root when created there);
    /// an app deployed without them gets no pods, and `--wait` says why.
    func testRestrictedNamespacesAdmitWhatKipRenders() throws {
        if c.isReal { throw XCTSkip("its images do not exist on a real cluster") }
        c = try E2ECluster(self, options: E2ECluster.realTime)
        XCTAssertEqual(c.kip("install --domain apprunr.com --pod-security restricted").code, 0)
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test"]).code, 0)
        XCTAssertEqual(
            try c.kubectlJSON(["get", "namespace", test]).at("metadata", "labels", Keys.podSecurityEnforce),
            "restricted")
        let db = kip("service add postgres --name db --wait --project PROJ/test")
        XCTAssertEqual(db.code, 0, "\(db)")
        let api = kip("app deploy --name api --image r/api:1 --port 3000 --wait --project PROJ/test")
        XCTAssertEqual(api.code, 0, "\(api)")
        XCTAssertEqual(
            try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", test]).at("spec", "runAsNonRoot"), true)
        // Without the defaults the pods would be refused: kip refuses first, writing nothing.
        let legacy = kip(
            "app deploy --name legacy --image r/legacy:1 --port 80 --no-security-defaults --wait --project PROJ/test")
        XCTAssertEqual(legacy.code, 1)
        XCTAssertTrue(legacy.stderr.contains("enforces restricted Pod Security"), legacy.stderr)
        XCTAssertEqual(c.kubectl(["get", "apps.kipper.run", "legacy", "-n", test]).code, 1, "nothing written")
        // A Deployment written by other means is refused by admission, and --wait says why.
        XCTAssertEqual(kip("app deploy --name legacy --image r/legacy:1 --port 80 --project PROJ/test").code, 0)
        let strip = c.kubectl([
            "patch", "deployment", "legacy", "-n", test, "--type", "json", "-p",
            #"[{"op":"remove","path":"/spec/template/spec/containers/0/securityContext"}]"#,
        ])
        XCTAssertEqual(strip.code, 0, "\(strip)")
        let wait = kip("app restart legacy --wait --project PROJ/test")
        XCTAssertEqual(wait.code, 1, "\(wait)")
        XCTAssertTrue(wait.stderr.contains("violates PodSecurity \"restricted:latest\""), wait.stderr)
    }

    /// Databases run as their images' non-root user with probes and resources, so a
    /// namespace that enforces `restricted` admits them; namespaces carry the level.
    func testPodSecurityLevelsAndDatabasePods() throws {
        XCTAssertEqual(
            try c.kubectlJSON(["get", "namespace", test]).at("metadata", "labels", Keys.podSecurityEnforce), "baseline")
        XCTAssertEqual(kip("service add mysql --name db --project PROJ/test").code, 0)
        let sts = try c.kubectlJSON(["get", "statefulset", "db", "-n", test])
        let pod = sts.at("spec", "template", "spec")
        XCTAssertEqual(pod?.at("securityContext", "runAsUser"), 999)
        XCTAssertEqual(pod?.at("securityContext", "runAsNonRoot"), true)
        let container = pod?["containers"]?.arrayValue?.first
        XCTAssertEqual(container?.at("readinessProbe", "exec", "command")?.arrayValue?.first, "mysqladmin")
        XCTAssertEqual(container?.at("securityContext", "capabilities", "drop"), ["ALL"])
        XCTAssertNotNil(container?.at("resources", "limits", "memory"))
        let creds = try c.kubectlJSON(["get", "secret", "db-credentials", "-n", test])["data"]
        XCTAssertNotNil(creds?["root-password"])
        XCTAssertNotEqual(creds?["root-password"], creds?["password"], "root has its own password")
    }
}
