import Foundation
import KipCore
import XCTest

/// .env files as docker compose reads them, and a job's runs from the batch Jobs read.
final class DayTwoTests: XCTestCase {
    func testDotEnvReadsWhatComposeReads() throws {
        let pairs = try DotEnv.parse(
            "# c\n\nexport A=1\r\nB = two words \nC='single #kept'\nD=\"x\\ny \\\"q\\\"\"\nE=v # note\nF=\n",
            file: ".env")
        XCTAssertEqual(pairs.map(\.key), ["A", "B", "C", "D", "E", "F"])
        XCTAssertEqual(pairs.map(\.value), ["1", "two words", "single #kept", "x\ny \"q\"", "v", ""])
        XCTAssertThrowsError(try DotEnv.parse("A=1\nNOPE\n", file: "f")) {
            XCTAssertEqual(($0 as? KipError)?.message, "f line 2: expected KEY=VALUE")
        }
        XCTAssertThrowsError(try DotEnv.parse("1A=x\n", file: "f"))
        XCTAssertThrowsError(try DotEnv.parse("A='open\n", file: "f"))
        XCTAssertThrowsError(try DotEnv.parse("A=1\nA=2\n", file: "f")) {
            XCTAssertEqual(($0 as? KipError)?.message, "f: A is set twice: keep one")
        }
    }

    func testAJobsHistoryIsItsRunsNewestFirst() {
        func job(
            _ name: String, owner: (String, String), of: String = "nightly", started: String, done: String?, ok: Bool?
        ) -> JSON {
            var status: JSON = ["startTime": .string(started)]
            if let done { status["completionTime"] = .string(done) }
            if let ok { status[ok ? "succeeded" : "failed"] = 1 }
            return [
                "apiVersion": "batch/v1", "kind": "Job",
                "metadata": [
                    "name": .string(name),
                    "ownerReferences": [
                        ["apiVersion": .string(owner.0), "kind": .string(owner.1), "name": .string(of), "uid": "u"]
                    ],
                ],
                "status": status,
            ]
        }
        let runs = JobRun.history(
            "nightly",
            jobs: [
                job(
                    "nightly-29", owner: ("batch/v1", "CronJob"), started: "2026-12-04T03:00:00Z",
                    done: "2026-12-04T03:01:30Z", ok: true),
                job(
                    "nightly-run-ab", owner: (Keys.apiVersion, "Job"), started: "2026-12-04T09:00:00Z", done: nil,
                    ok: nil),
                job(
                    "other", owner: ("batch/v1", "CronJob"), of: "weekly", started: "2026-12-04T05:00:00Z", done: nil,
                    ok: false),
                job(
                    "nightly-28", owner: ("batch/v1", "CronJob"), started: "2026-12-03T03:00:00Z", done: nil, ok: false),
            ])
        XCTAssertEqual(runs.map(\.run), ["nightly-run-ab", "nightly-29", "nightly-28"])
        XCTAssertEqual(runs.map(\.status), ["running", "succeeded", "failed"])
        XCTAssertEqual(runs[1].seconds, 90)
    }

    func testSleepKeepsEachCountAndWakeBringsItBack() {
        func w(_ kind: String, _ name: String, _ replicas: Int, before: String? = nil, kip: Bool = true) -> JSON {
            var meta: JSON = ["name": .string(name), "namespace": "shop-test"]
            if kip { meta["labels"] = [Keys.managedBy: "kip"] }
            if let before { meta["annotations"] = [Sleep.annotation: .string(before)] }
            return [
                "apiVersion": "apps/v1", "kind": .string(kind), "metadata": meta, "spec": ["replicas": .int(replicas)],
            ]
        }
        let live = [w("Deployment", "api", 3), w("StatefulSet", "db", 1), w("Deployment", "theirs", 2, kip: false)]
        let (down, counts) = Sleep.down(live)
        XCTAssertEqual(counts.map(\.0), ["api", "db"], "kip's workloads only")
        XCTAssertEqual(down.first?.at("spec", "replicas"), 0)
        XCTAssertEqual(down.first?.at("metadata", "annotations", Sleep.annotation), "3")
        XCTAssertFalse(Sleep.environmentAsleep(live))
        let asleep = [w("Deployment", "api", 0, before: "3"), w("StatefulSet", "db", 0, before: "1")]
        XCTAssertTrue(Sleep.environmentAsleep(asleep))
        XCTAssertTrue(Sleep.down(asleep).objects.isEmpty, "asleep already")
        let (up, back) = Sleep.up(asleep)
        XCTAssertEqual(back.map(\.1), [3, 1])
        XCTAssertNil(up.first?.at("metadata", "annotations"), "the count kept is released")
    }

    /// The sleep and wake plans: partial writes by the sleep manager, the report, the
    /// Event; nothing written when the environment is so already.
    func testSleepAndWakePlans() {
        let live: [JSON] = [
            [
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": ["name": "api", "namespace": "shop-test", "labels": [Keys.managedBy: "kip"]],
                "spec": ["replicas": 2],
            ]
        ]
        let down = Sleep.plan(
            project: "shop", env: "test", namespace: "shop-test", down: true, natives: live, actor: "ann")
        XCTAssertEqual(down.partialManager, Sleep.fieldManager)
        XCTAssertEqual(down.partial.map { $0.at("spec", "replicas") }, [0])
        XCTAssertEqual(
            down.report,
            [.success("shop/test asleep: 1 workload(s) at 0 (api 2); 'kip project wake shop/test' brings them back")])
        XCTAssertEqual(down.changes.map(\.reason), ["Slept"])
        XCTAssertEqual(down.changes.first?.note, "kip project sleep by ann: api 2")
        let awake = Sleep.plan(
            project: "shop", env: "test", namespace: "shop-test", down: false, natives: live, actor: "ann")
        XCTAssertTrue(awake.partial.isEmpty)
        XCTAssertEqual(awake.report, [.success("shop/test is awake")])
        XCTAssertTrue(awake.changes.isEmpty)
    }

    /// gc --sleep-after: each idle environment asleep in one plan, said with how long
    /// nobody changed it; a restart is a template mark by its own field manager.
    func testIdleEnvironmentsSleepInOnePlanAndARestartIsAMark() {
        let project = Project(
            name: "shop", displayName: nil,
            environments: [.init(name: "test", namespace: "shop-test"), .init(name: "acc", namespace: "shop-acc")])
        let api: JSON = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "api", "namespace": "shop-test", "labels": [Keys.managedBy: "kip"]],
            "spec": ["replicas": 2],
        ]
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let plan = Sleep.idlePlan(
            project, idle: [(project.environments[0], now.addingTimeInterval(-9 * 3600))],
            observed: Observed(items: [api]), now: now, actor: "gc-bot")
        XCTAssertEqual(plan.partialManager, Sleep.fieldManager)
        XCTAssertEqual(plan.partial.count, 1)
        XCTAssertEqual(
            plan.report,
            [
                .success(
                    "shop/test asleep: nobody changed it for 9h (api 2); 'kip project wake shop/test' brings it back")
            ])
        XCTAssertEqual(plan.changes.map(\.namespace), ["shop-test"])

        let restart = Plan.restart(app: "api", namespace: "shop-test", at: now)
        XCTAssertEqual(restart.partialManager, Plan.restartFieldManager)
        XCTAssertEqual(restart.partial, [Plan.restartMark("api", namespace: "shop-test", at: now)])
        XCTAssertTrue(restart.owners.isEmpty, "a restart writes no App")
    }

    /// A run of a job: a batch Job named for the time, owned by the CR, run once.
    func testAJobRunIsOneTryOwnedByItsJob() throws {
        let cr: JSON = [
            "apiVersion": .string(Keys.apiVersion), "kind": "Job",
            "metadata": ["name": "migrate", "namespace": "shop-test", "uid": "u-1"],
            "spec": ["image": "r/api:7", "command": ["./migrate"]],
        ]
        let scope = WorkloadScope(project: "shop", environment: "test", namespace: "shop-test", domain: nil)
        let (plan, run) = try JobRun.runPlan(cr, at: "20261204T120000Z", scope: scope, actor: "ann")
        XCTAssertTrue(run.hasPrefix("migrate-run-"), run)
        let jobs = plan.owned([:])
        XCTAssertEqual(jobs.count, 1)
        XCTAssertEqual(jobs.first?.at("metadata", "name")?.stringValue, run)
        XCTAssertEqual(jobs.first?.at("spec", "backoffLimit"), 0)
        XCTAssertEqual(jobs.first?.at("spec", "template", "spec", "restartPolicy"), "Never")
        XCTAssertEqual(plan.report, [.success("job migrate started in shop-test (run \(run))")])
        XCTAssertEqual(plan.changes.first?.note, "kip job run by ann: \(run) with r/api:7")
    }

    /// A file carries an environment's approval requirement and preview mark; applying a
    /// file adds a requirement, never lifts one.
    func testAFileKeepsApprovalsAndPreviews() throws {
        var project = Project(
            name: "shop", displayName: nil,
            environments: [
                .init(name: "test", namespace: "shop-test"),
                .init(name: "prod", namespace: "shop-prod", protected: true, requireApproval: true),
                .init(name: "pr-1", namespace: "shop-pr-1", preview: true),
            ])
        project.uid = "u"
        let namespaces: [JSON] = project.environments.map {
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string($0.namespace)]]
        }
        let observed = Observed(items: [project.manifest] + namespaces)
        let file = try EnvironmentFile.parse(EnvironmentFile.export(project, project.environments, observed: observed))
        XCTAssertEqual(file.environments.map(\.requireApproval), [false, true, false])
        XCTAssertEqual(file.environments.map(\.preview), [false, false, true])
        // test's file as prod (`--as`): prod keeps its requirement.
        var asProd = file
        asProd.environments = [file.environments[0]]
        asProd.environments[0].name = "prod"
        asProd.environments[0].protected = true
        let grown = try EnvironmentFile.grow(asProd, existing: project, observed: observed)
        XCTAssertEqual(grown.project.environment("prod")?.requireApproval, true)
    }
}

/// Which pod an exec goes to, and what runs there to move a database's data.
final class PodStreamsTests: XCTestCase {
    func pod(_ name: String, hash: String, phase: String = "Running", ready: Bool = true) -> JSON {
        [
            "kind": "Pod", "metadata": ["name": .string(name), "labels": ["pod-template-hash": .string(hash)]],
            "status": [
                "phase": .string(phase),
                "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
            ],
        ]
    }

    func testExecGoesToAReadyPodOfTheCurrentRevision() throws {
        let rev = "deployment.kubernetes.io/revision"
        let deployment: JSON = [
            "kind": "Deployment", "metadata": ["name": "api", "uid": "u1", "annotations": [rev: "2"]],
            "spec": ["replicas": 2],
        ]
        func rs(_ revision: String, _ hash: String) -> JSON {
            [
                "kind": "ReplicaSet",
                "metadata": [
                    "annotations": [rev: .string(revision)], "labels": ["pod-template-hash": .string(hash)],
                    "ownerReferences": [["uid": "u1"]],
                ],
            ]
        }
        let pods = [pod("api-old", hash: "a"), pod("api-new-b", hash: "b", ready: false), pod("api-new-c", hash: "b")]
        XCTAssertEqual(
            try PodStreams.pod(of: deployment, pods: pods, replicaSets: [rs("1", "a"), rs("2", "b")], what: "app api"),
            "api-new-c", "the old revision's pod is passed by, a ready pod preferred")
        XCTAssertThrowsError(
            try PodStreams.pod(
                of: deployment, pods: [pod("api-old", hash: "a")], replicaSets: [rs("1", "a"), rs("2", "b")],
                what: "app api")
        ) {
            XCTAssertEqual(
                "\($0)", "app api has no running pod of its current revision yet: try again when its rollout is done")
        }
        XCTAssertEqual(
            PodStreams.exec(
                namespace: "shop-test", pod: "api-1", container: "api", command: ["ls", "-l"], stdin: true, tty: false),
            ["exec", "-n", "shop-test", "api-1", "-c", "api", "-i", "--", "ls", "-l"])
    }

    func testDumpsTakeCredentialsFromThePodAndRedisIsRefused() throws {
        for type in ["postgres", "mysql"] {
            XCTAssertNoThrow(try PodStreams.checkMovable(type, service: "db"))
            for command in [PodStreams.dump(type), PodStreams.restore(type)] {
                XCTAssertEqual(command.prefix(2), ["sh", "-c"])
                XCTAssertTrue(command[2].contains("\"$"), "credentials by the container's variables: \(command)")
            }
        }
        XCTAssertTrue(PodStreams.dump("postgres")[2].contains("--clean --if-exists"))
        XCTAssertThrowsError(try PodStreams.checkMovable("redis", service: "cache"))
    }

    /// `app logs`: every pod by its label, prefixed, with room for a rollout's old and new
    /// pods beyond kubectl's default of 5 streams; the rest only when asked.
    func testLogsFollowEveryPodOfTheWorkload() {
        let all = PodStreams.logsSession(
            namespace: "shop-test", selector: "kipper.run/app=api", pods: 15, tail: nil, follow: true, previous: false,
            since: "10m")
        XCTAssertEqual(
            all.streams,
            .follow([
                "logs", "-n", "shop-test", "-l", "kipper.run/app=api", "--prefix", "--all-containers",
                "--max-log-requests", "30", "--tail", "-1", "--follow", "--since", "10m",
            ]))
        XCTAssertNil(all.dryRun, "reading logs changes nothing: --dry-run does not stop it")
        XCTAssertNil(all.event)
        let few = PodStreams.logsSession(
            namespace: "n", selector: "s", pods: 1, tail: 5, follow: false, previous: true, since: nil)
        XCTAssertEqual(
            few.streams,
            .follow([
                "logs", "-n", "n", "-l", "s", "--prefix", "--all-containers", "--max-log-requests", "20", "--tail", "5",
                "--previous",
            ]))
    }

    /// The sessions: what runs, what --dry-run says instead, what a failure leads to, and
    /// the Event told once the data was replaced.
    func testSessionsSayWhatRunsAndWhatIsToldAfterwards() {
        let exec = PodStreams.execSession(namespace: "shop-test", pod: "api-1", app: "api", command: ["sh"], tty: true)
        XCTAssertEqual(
            exec.streams, .attach(["exec", "-n", "shop-test", "api-1", "-c", "api", "-i", "-t", "--", "sh"]))
        XCTAssertEqual(exec.onFailure, .status)
        XCTAssertNil(exec.dryRun, "a shell changes nothing kip knows of: --dry-run does not stop it")
        XCTAssertNil(exec.event)

        let dump = PodStreams.dumpSession(namespace: "shop-prod", pod: "db-0", type: "postgres")
        XCTAssertEqual(
            dump.streams,
            .attach(["exec", "-n", "shop-prod", "db-0", "-c", "postgres", "--"] + PodStreams.dump("postgres")))
        XCTAssertEqual(dump.onFailure, .exit(1))
        XCTAssertNil(dump.done, "stdout is the dump's alone")

        let restore = PodStreams.restoreSession(
            service: "db", namespace: "shop-test", pod: "db-0", type: "mysql", actor: "ann")
        XCTAssertEqual(
            restore.streams,
            .attach(["exec", "-n", "shop-test", "db-0", "-c", "mysql", "-i", "--"] + PodStreams.restore("mysql")))
        XCTAssertEqual(restore.dryRun, "would replace the data of service db in shop-test (dry run)")
        XCTAssertEqual(restore.onFailure, .error("restore into service db in shop-test failed"))
        XCTAssertEqual(restore.event?.reason, "DataRestored")
        XCTAssertEqual(restore.event?.namespace, "shop-test")
        XCTAssertEqual(restore.event?.note, "kip service restore by ann: its data replaced by a dump")

        let copy = PodStreams.copySession(
            service: "db", type: "postgres", from: ("shop-prod", "db-0"), to: ("shop-pr-42", "db-0"), actor: "bob")
        guard case .pipe(let first, let second) = copy.streams else { return XCTFail("a copy is a pipe: \(copy)") }
        XCTAssertEqual(first.prefix(3), ["exec", "-n", "shop-prod"])
        XCTAssertFalse(first.contains("-i"), "the dump reads no stdin")
        XCTAssertEqual(second.prefix(3), ["exec", "-n", "shop-pr-42"])
        XCTAssertTrue(second.contains("-i"))
        XCTAssertEqual(copy.event?.reason, "DataCopied")
        XCTAssertEqual(copy.event?.namespace, "shop-pr-42", "told where the data was replaced")
        XCTAssertEqual(copy.done, "copied service db's data from shop-prod into shop-pr-42")

        let connect = PodStreams.connectSession(
            service: "db", namespace: "shop-test", pod: "db-0", type: "postgres", local: 0,
            credentials: ["user": "app", "password": "s3cret", "database": "app"], showPassword: false, client: [])
        guard case .forward(let args, let forwarded) = connect.streams else { return XCTFail("\(connect)") }
        XCTAssertEqual(args, ["port-forward", "-n", "shop-test", "pod/db-0", "0:5432", "--address", "127.0.0.1"])
        XCTAssertEqual(
            forwarded.announcement(port: 41234),
            [
                "forwarding 127.0.0.1:41234 to service db (postgres) in shop-test: Ctrl-C stops it",
                "  postgresql://app:****@127.0.0.1:41234/app",
            ])
    }
}

/// An environment's quota: the words a user writes, the install's and its own, and the
/// objects kip renders from them.
final class QuotaTests: XCTestCase {
    func testParseTakesAliasesAndRefusesWhatIsNoQuota() throws {
        let q = try Quota.parse(["cpu=4,memory=8Gi", "pods=40", "limits.memory="])
        XCTAssertEqual(q.set, ["requests.cpu": "4", "requests.memory": "8Gi", "pods": "40"])
        XCTAssertEqual(q.removed, ["limits.memory"])
        XCTAssertEqual(Quota(q.set).text, "cpu=4,memory=8Gi,pods=40")
        XCTAssertThrowsError(try Quota.parse(["gpu=1"]))
        XCTAssertThrowsError(try Quota.parse(["cpu=lots"]))
        XCTAssertThrowsError(try Quota.parse(["pods=1.5"]))
        XCTAssertThrowsError(try Quota.parse(["cpu"]))
    }

    func testAnEnvironmentsOwnKeysGoOverTheInstallsAndOffMeansNone() {
        var env = Project.Environment(name: "test", namespace: "shop-test")
        var cluster = ClusterSettings()
        XCTAssertEqual(Quota.of(env, cluster: cluster), Quota.standard)
        cluster.quota = "cpu=2,pods=10"
        env.quota = ["pods": "20"]
        XCTAssertEqual(Quota.of(env, cluster: cluster)?.hard, ["requests.cpu": "2", "pods": "20"])
        cluster.quota = "off"
        XCTAssertEqual(Quota.of(env, cluster: cluster)?.hard, ["pods": "20"])
        env.quota = nil
        XCTAssertNil(Quota.of(env, cluster: cluster))
        let p = Project(name: "shop", displayName: nil, environments: [env])
        XCTAssertEqual(Render.quota(p, env, uid: "u", cluster: cluster), [])
    }

    func testAnOwnQuotaIsKeptInTheProjectAndALoweredOneWarns() throws {
        var p = Project(
            name: "shop", displayName: nil, environments: [.init(name: "test", namespace: "shop-test")], uid: "u")
        p.environments[0].quota = ["requests.cpu": "2"]
        let live: JSON = [
            "apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": ["name": "kip-quota", "namespace": "shop-test"],
            "status": ["used": ["pods": "12", "requests.cpu": "1"]],
        ]
        let observed = Observed(items: [live])
        let plan = try QuotaChange.plan(
            p, env: "test", set: ["pods": "10"], removed: [], reset: false, observed: observed)
        XCTAssertEqual(
            plan.owners.first?.at("spec", "environments")?.arrayValue?.first?["quota"],
            ["requests.cpu": "2", "pods": "10"])
        XCTAssertEqual(
            plan.report,
            [
                .success(
                    "quota of shop/test: cpu=2,memory=16Gi,storage=200Gi,volumes=20,pods=10 (its own: cpu=2,pods=10)"),
                .warning("shop/test uses pods=12, more than pods=10: what runs stays, new pods are refused"),
            ])
        XCTAssertEqual(plan.owned(["Project/shop": "u"]).map { $0["kind"] }, ["ResourceQuota", "LimitRange"])
        let reset = try QuotaChange.plan(p, env: "test", set: [:], removed: [], reset: true, observed: observed)
        XCTAssertNil(reset.owners.first?.at("spec", "environments")?.arrayValue?.first?["quota"])
        XCTAssertThrowsError(
            try QuotaChange.plan(p, env: "prod", set: [:], removed: [], reset: true, observed: observed))
    }

    func testLimitsInTheQuotaGiveContainersDefaultLimits() {
        let env = Project.Environment(name: "test", namespace: "shop-test", quota: ["limits.memory": "4Gi"])
        let p = Project(name: "shop", displayName: nil, environments: [env])
        let objects = Render.quota(p, env, uid: "u", cluster: ClusterSettings())
        XCTAssertEqual(objects.map { $0["kind"] }, ["ResourceQuota", "LimitRange"])
        XCTAssertEqual(objects[0].at("spec", "hard", "limits.memory"), "4Gi")
        XCTAssertEqual(
            objects[1].at("spec", "limits"),
            [
                [
                    "type": "Container", "defaultRequest": ["cpu": "100m", "memory": "128Mi"],
                    "default": ["memory": "1Gi"],
                ]
            ])
        XCTAssertEqual(objects[1].at("metadata", "ownerReferences")?.arrayValue?.first?["uid"], "u")
    }
}

/// The project's variables: what changes, and which apps restart to read them.
final class ProjectEnvTests: XCTestCase {
    func testAChangeRestartsOnlyTheAppsItReachesAfterTheConfigMaps() throws {
        var p = Project(
            name: "shop", displayName: nil, environments: [.init(name: "test", namespace: "shop-test")], uid: "u")
        p.env = [EnvVar(name: "LOG", value: "debug")]
        let (updated, changed) = try ProjectEnv.change(
            p, set: [EnvVar(name: "LOG", value: "debug"), EnvVar(name: "REGION", value: "eu")], unset: [])
        XCTAssertEqual(changed, ["REGION"], "an unchanged value is no change")
        func app(_ name: String, env: [String]) -> JSON {
            [
                "apiVersion": "kipper.run/v1alpha1", "kind": "App",
                "metadata": ["name": .string(name), "namespace": "shop-test"],
                "spec": ["image": "r/x:1", "env": .array(env.map { ["name": .string($0), "value": "x"] })],
            ]
        }
        func deployment(_ name: String) -> JSON {
            [
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": ["name": .string(name), "namespace": "shop-test"],
            ]
        }
        let observed = Observed(items: [
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop-test"]],
            app("api", env: []), app("web", env: ["REGION"]), app("new", env: []), deployment("api"), deployment("web"),
        ])
        let plan = ProjectEnv.plan(updated, changed: changed, observed: observed, at: Date(timeIntervalSince1970: 0))
        XCTAssertEqual(
            plan.restarts.map { $0.at("metadata", "name") }, ["api"], "web sets REGION, new has no Deployment")
        XCTAssertEqual(plan.owned(["Project/shop": "u"]).first?.at("data"), ["LOG": "debug", "REGION": "eu"])
        XCTAssertEqual(plan.manifests.last?.at("metadata", "name"), "api", "restarts come after the ConfigMaps")
        XCTAssertThrowsError(try ProjectEnv.change(p, set: [], unset: ["NOPE"]))
        let (empty, _) = try ProjectEnv.change(p, set: [], unset: ["LOG"])
        XCTAssertEqual(
            ProjectEnv.plan(empty, changed: ["LOG"], observed: observed, at: Date()).deletes,
            [Plan.Deletion(ref: "configmap/kip-project-env", namespace: "shop-test")])
    }
}

/// When an environment last changed, from the times the API server stamps on writes.
final class IdleTests: XCTestCase {
    func testTheLastChangeIsTheNewestWriteButSleepsAndStatus() {
        func fields(_ entries: [(String, String?, String)]) -> JSON {
            [
                "kind": "Deployment",
                "metadata": [
                    "managedFields": .array(
                        entries.map { m in
                            var o: JSON = ["manager": .string(m.0), "time": .string(m.2)]
                            if let s = m.1 { o["subresource"] = .string(s) }
                            return o
                        })
                ],
            ]
        }
        let ns: JSON = ["metadata": ["creationTimestamp": "2026-12-01T00:00:00Z"]]
        let objects = [
            fields([("kip", nil, "2026-12-02T10:00:00Z"), ("kip-sleep", nil, "2026-12-03T22:00:00Z")]),
            fields([
                ("kube-controller-manager", "status", "2026-12-03T23:00:00Z"),
                ("kubectl-edit", nil, "2026-12-02T12:00:00Z"),
            ]),
        ]
        XCTAssertEqual(Sleep.lastChange(objects, namespace: ns), Durations.parse("2026-12-02T12:00:00Z"))
        XCTAssertEqual(Sleep.lastChange([], namespace: ns), Durations.parse("2026-12-01T00:00:00Z"))
    }
}

/// Protection as a pure operation: what changes, what is said, and the Event.
final class ProtectTests: XCTestCase {
    func testProtectionWithApprovalsAndItsLifting() throws {
        let p = Project(
            name: "shop", displayName: nil, environments: [.init(name: "prod", namespace: "shop-prod")], uid: "u")
        let on = try Protect.plan(p, env: "prod", on: true, requireApproval: true) { "ada" }
        let env = on.owners.first?.at("spec", "environments")?.arrayValue?.first
        XCTAssertEqual(env?["protected"], true)
        XCTAssertEqual(env?["requireApproval"], true)
        XCTAssertEqual(on.changes.first?.note, "kip project protect by ada: promotions need approvals")
        XCTAssertEqual(on.report.count, 2)
        var protected = p
        protected.environments[0].protected = true
        let same = try Protect.plan(protected, env: "prod", on: true, requireApproval: false) {
            XCTFail("no change: the actor is not asked")
            return ""
        }
        XCTAssertTrue(same.owners.isEmpty)
        protected.environments[0].requireApproval = true
        let off = try Protect.plan(protected, env: "prod", on: false, requireApproval: false) { "ada" }
        XCTAssertNil(
            off.owners.first?.at("spec", "environments")?.arrayValue?.first?["requireApproval"], "unprotect lifts both")
        XCTAssertThrowsError(try Protect.plan(p, env: "qa", on: true, requireApproval: false) { "" })
    }
}
