import Foundation
import KipCore
import KipTestSupport
import XCTest

/// Apps, services, secrets, volumes, functions and jobs, end to end.
final class WorkloadE2ETests: XCTestCase {
    var c: E2ECluster!
    var p: String!
    var test: String { "\(p!)-test" }

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        p = c.name("yourr-name")
        let r = c.kip(["project", "create", p, "--environments", "test,acc,prod"])
        XCTAssertEqual(r.code, 0, "\(r)")
    }

    func kip(_ args: String, stdin: String? = nil) -> Run {
        c.kip(args.replacingOccurrences(of: "PROJ", with: p).split(separator: " ").map(String.init), stdin: stdin)
    }

    func writes() -> Int {
        c.writes()
    }

    /// The garbage collector deletes a service's StatefulSet, Secret and claims after the
    /// Service CR is gone; adding one of the same name meanwhile would re-adopt the old
    /// data with a Secret about to go. It is refused until they are gone.
    func testServiceDeleteThenAddIsRefusedWhileTheOldOneIsCollected() throws {
        if c.isReal { throw XCTSkip("needs the sandbox's garbage collector delay") }
        c = try E2ECluster(self, options: E2ECluster.realTime + ["--gc-delay", "3"])
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test"]).code, 0)
        XCTAssertEqual(kip("service add postgres --name db --project PROJ-test").code, 0)
        let password = try c.kubectlJSON(["get", "secret", "db-credentials", "-n", test]).at("data", "password")
        XCTAssertEqual(kip("service delete db --project PROJ-test --confirm db").code, 0)
        let early = kip("service add postgres --name db --project PROJ-test")
        XCTAssertEqual(early.code, 1)
        XCTAssertEqual(
            early.stderr,
            "Error: service db in \(test) is still being deleted (its StatefulSet db is still there); try again in a moment\n"
        )
        try eventually("old service collected") { try c.names("statefulsets", namespace: test).isEmpty }
        XCTAssertEqual(kip("service add postgres --name db --project PROJ-test").code, 0)
        XCTAssertNotEqual(
            try c.kubectlJSON(["get", "secret", "db-credentials", "-n", test]).at("data", "password"), password,
            "a new service, new credentials")
    }

    /// A Deployment or credentials Secret someone made by hand is not rewritten: the
    /// command is refused before anything is written.
    func testKipDoesNotTakeOverWhatItDidNotCreate() throws {
        let deployment =
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"\#(test)"},"spec":{"selector":{"matchLabels":{"x":"api"}},"template":{"metadata":{"labels":{"x":"api"}},"spec":{"containers":[{"name":"c","image":"hand/made:1"}]}}}}"#
        let secret =
            #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db-credentials","namespace":"\#(test)"},"stringData":{"password":"theirs"}}"#
        for o in [deployment, secret] {
            XCTAssertEqual(
                c.kubectl(["apply", "--server-side", "--field-manager=someone", "-f", "-"], stdin: o).code, 0)
        }
        let before = c.isReal ? 0 : writes()
        let app = kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ-test")
        XCTAssertEqual(app.code, 1)
        XCTAssertEqual(
            app.stderr,
            "Error: Deployment api already exists in \(test) and was not created by kip for this app: kip will not take it over; delete or rename it, choose another name, or pass --adopt to take it over\n"
        )
        let svc = kip("service add postgres --name db --project PROJ-test")
        XCTAssertEqual(svc.code, 1)
        XCTAssertTrue(
            svc.stderr.hasPrefix("Error: Secret db-credentials already exists in \(test) and was not created by kip"),
            svc.stderr)
        if !c.isReal { XCTAssertEqual(writes(), before, "refused before anything was written") }
        XCTAssertEqual(
            try c.kubectlJSON(["get", "deployment", "api", "-n", test]).at("spec", "template", "spec", "containers")?
                .arrayValue?.first?["image"], "hand/made:1")

        // --adopt takes over what can be rewritten…
        let service =
            #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"\#(test)"},"spec":{"selector":{"kipper.run/app":"web"},"ports":[{"port":80}]}}"#
        XCTAssertEqual(
            c.kubectl(["apply", "--server-side", "--field-manager=someone", "-f", "-"], stdin: service).code, 0)
        XCTAssertEqual(kip("app deploy --name web --image r/web:1 --port 8080 --project PROJ-test").code, 1)
        let adopted = kip("app deploy --name web --image r/web:1 --port 8080 --project PROJ-test --adopt")
        XCTAssertEqual(adopted.code, 0, "\(adopted)")
        let svcNow = try c.kubectlJSON(["get", "service", "web", "-n", test])
        XCTAssertEqual(svcNow.at("metadata", "labels", "kipper.run/app"), "web")
        XCTAssertEqual(svcNow.at("spec", "selector", "kipper.run/app"), "web")
        // …but not what selects other pods (a Deployment's selector cannot even change).
        let other = kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ-test --adopt")
        XCTAssertEqual(other.code, 1)
        XCTAssertEqual(
            other.stderr,
            "Error: Deployment api in \(test) selects x=api, not what kip renders (kipper.run/app=api): it cannot be adopted; delete it and run the command again\n"
        )
    }

    func testProductPageDatabaseStrategy() throws {
        let deploy = kip(
            "app deploy --name api --image registry.example.com/api:v1.2.3 --port 3000 --project PROJ --environment test -v"
        )
        XCTAssertEqual(deploy.code, 0, "\(deploy)")
        XCTAssertEqual(
            deploy.stdout,
            """
            ✔ app api created in \(test)
              applied Deployment api, Service api, Ingress api
            URL: http://api-\(p!)-test.apprunr.com

            """)
        XCTAssertEqual(
            E2ECluster.kubectlCalls(deploy), 8,
            "two scoped reads at once (the Project and namespaces by name, the namespace's objects), the secrets set before the app existed, who you are (asked once, then cached), its route's claim, the new App, what it owns and its Event beside it"
        )
        let svc = kip("service add postgres --name db --project PROJ-test --storage 1Gi")
        XCTAssertEqual(svc.code, 0, "\(svc)")
        let creds = try c.kubectlJSON(["get", "secret", "db-credentials", "-n", test])
        let password = String(decoding: Data(base64Encoded: creds.at("data", "password")!.stringValue!)!, as: UTF8.self)
        XCTAssertGreaterThanOrEqual(password.count, 32, "≥128 bits of randomness, base64url")
        XCTAssertFalse(svc.stdout.contains(password))
        XCTAssertEqual(
            try c.kubectlJSON(["get", "statefulset", "db", "-n", test]).at("spec", "volumeClaimTemplates")?.arrayValue?
                .first?.at("spec", "resources", "requests", "storage"), "1Gi")
        let url = "postgresql://app:\(password)@db.\(test).svc.cluster.local:5432/db"
        let set = c.kip(
            ["app", "secret", "set", "api", "DATABASE_URL", "--project", "\(p!)-test", "-v"], stdin: url + "\n")
        XCTAssertEqual(set.code, 0, "\(set)")
        XCTAssertFalse(set.stderr.contains(password), "secret values never in --verbose output")
        XCTAssertFalse(set.stdout.contains(password))
        let stored = try c.kubectlJSON(["get", "secret", "api-secrets", "-n", test])
        XCTAssertEqual(stored.at("data", "DATABASE_URL")?.stringValue, Data(url.utf8).base64EncodedString())
        XCTAssertEqual(kip("app secret list api --project PROJ-test").stdout, "KEY\nDATABASE_URL\n")
        let info = kip("service info db --project PROJ-test")
        XCTAssertFalse(info.stdout.contains(password))
        XCTAssertTrue(info.stdout.contains("Password:   ********"), info.stdout)
        XCTAssertTrue(kip("service info db --project PROJ-test --show-password").stdout.contains(password))
        // The Deployment picks the secret up by reference, and a redeploy keeps it.
        XCTAssertEqual(
            kip("app deploy --name api --image registry.example.com/api:v1.2.4 --port 3000 --project PROJ-test").code, 0
        )
        XCTAssertEqual(
            try c.kubectlJSON(["get", "secret", "api-secrets", "-n", test]).at("data", "DATABASE_URL"),
            stored.at("data", "DATABASE_URL"))
        let dep = try c.kubectlJSON(["get", "deployment", "api", "-n", test])
        XCTAssertEqual(
            dep.at("spec", "template", "spec", "containers")?.arrayValue?.first?["envFrom"],
            [
                ["configMapRef": ["name": "kip-project-env", "optional": true]],
                ["secretRef": ["name": "api-secrets", "optional": true]],
            ], "the project's variables, then the app's secrets")
        XCTAssertEqual(kip("app secret unset api DATABASE_URL --project PROJ-test").code, 0)
        XCTAssertNil(try c.kubectlJSON(["get", "secret", "api-secrets", "-n", test]).at("data", "DATABASE_URL"))
        XCTAssertEqual(c.clusterWideLists(), [], "every read is scoped to the namespaces the command acts in")
    }

    func testDeployUpdatesInPlaceAndDeletingTheCRCascades() throws {
        XCTAssertEqual(
            kip(
                "app deploy --name api --image r/api:1 --port 3000 --project PROJ-test --autoscale 2:5:70 --memory-limit 256Mi"
            ).code, 0)
        XCTAssertEqual(try c.names("horizontalpodautoscalers", namespace: test), ["api"])
        XCTAssertEqual(try c.names("ingresses", namespace: test), ["api"])
        // A plain re-deploy keeps what its flags do not name (autoscaling, the limit)…
        XCTAssertEqual(kip("app deploy --name api --image r/api:2 --project PROJ-test").code, 0)
        XCTAssertEqual(try c.names("horizontalpodautoscalers", namespace: test), ["api"])
        // …and --reset makes it exactly what the flags say.
        let again = kip("app deploy --name api --image r/api:2 --port 3000 --project PROJ-test --no-route --reset -v")
        XCTAssertEqual(again.code, 0, "\(again)")
        // The namespace form (`--project NAME-ENV`) costs one read more: every Project, to
        // resolve it; the app's own secret is read by name in the first round.
        XCTAssertLessThanOrEqual(
            E2ECluster.kubectlCalls(again), 7, "four reads, one apply (and its Event beside it), one delete")
        XCTAssertTrue(again.stdout.contains("deleted Ingress api (no longer asked for)"), again.stdout)
        XCTAssertEqual(try c.names("ingresses", namespace: test), [])
        XCTAssertEqual(try c.names("horizontalpodautoscalers", namespace: test), [])
        let dep = try c.kubectlJSON(["get", "deployment", "api", "-n", test])
        XCTAssertNil(
            dep.at("spec", "template", "spec", "containers")?.arrayValue?.first?["resources"],
            "fields left out are removed")
        XCTAssertEqual(dep.at("spec", "replicas"), 1)
        let list = kip("app list --project PROJ-test -v")
        XCTAssertEqual(
            E2ECluster.kubectlCalls(list), 3, "two scoped reads at once, and the Projects for the namespace form")
        // READY is 0/1 or 1/1, as the rollout goes.
        let rows = list.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.first, "NAME   IMAGE     READY   REPLICAS   ROUTE")
        XCTAssertTrue(
            rows.count == 2 && rows[1].hasPrefix("api    r/api:2   ") && rows[1].hasSuffix("   1          -"),
            list.stdout)
        XCTAssertEqual(
            try JSON.parse(kip("app list --project PROJ-test -o json").stdout).arrayValue?.first?.at("spec", "image"),
            "r/api:2")
        // kubectl alone: the App's children go with it.
        XCTAssertEqual(c.kubectl(["delete", "apps.kipper.run", "api", "-n", test]).code, 0)
        try eventually("children collected") {
            try c.names("deployments", namespace: test).isEmpty && c.names("services", namespace: test).isEmpty
        }
    }

    func testBindEnvVolumesFunctionsAndJobs() throws {
        XCTAssertEqual(kip("service add redis --name cache --project PROJ-test").code, 0)
        XCTAssertEqual(kip("volume add uploads --size 2Gi --project PROJ-test").code, 0)
        XCTAssertEqual(
            kip(
                "app deploy --name api --image r/api:1 --port 3000 --project PROJ-test --bind cache --volume uploads:/data --env LOG=debug"
            ).code, 0)
        XCTAssertEqual(kip("app env set api A=1 B=2 --project PROJ-test").code, 0)
        XCTAssertEqual(kip("app env unset api LOG --project PROJ-test").code, 0)
        let container = try c.kubectlJSON(["get", "deployment", "api", "-n", test]).at(
            "spec", "template", "spec", "containers")!.arrayValue![0]
        let names = (container["env"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(
            names, ["A", "B", "REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_USER", "REDIS_PASSWORD", "REDIS_NAME"])
        XCTAssertEqual(
            container["env"]?.arrayValue?[2]["valueFrom"],
            ["secretKeyRef": ["name": "cache-credentials", "key": "url"]])
        XCTAssertEqual(container["volumeMounts"], [["name": "uploads", "mountPath": "/data"]])
        XCTAssertEqual(
            kip("volume delete uploads --project PROJ-test --yes").stderr,
            "Error: volume uploads is mounted by api: unmount it first ('kip volume unmount uploads APP')\n")
        // STATUS is the claim's phase: Pending until a storage provisioner binds it.
        let volumes = kip("volume list --project PROJ-test").stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(volumes.first, "NAME      SIZE   STATUS    MOUNTED BY")
        XCTAssertTrue(
            volumes.count == 2 && volumes[1].hasPrefix("uploads   2Gi    ") && volumes[1].hasSuffix("api:/data"))
        XCTAssertEqual(kip("function deploy hello --image fn/hello:1 --project PROJ-test").code, 0)
        XCTAssertEqual(try c.names("deployments", namespace: test), ["api", "hello"])
        XCTAssertEqual(
            kip("job add backup --image postgres:16 --schedule 0_3_*_*_* --project PROJ-test").code, 2, "five fields")
        XCTAssertEqual(
            c.kip([
                "job", "add", "backup", "--image", "postgres:16", "--schedule", "0 3 * * *", "--project", test, "--",
                "pg_dump", "-f", "/tmp/x",
            ]).code, 0)
        XCTAssertEqual(kip("job add migrate --image r/api:1 --project PROJ-test --command ./migrate").code, 0)
        XCTAssertEqual(try c.names("cronjobs", namespace: test), ["backup"])
        XCTAssertEqual(try c.names("jobs.batch", namespace: test), ["migrate"])
        XCTAssertEqual(
            try c.kubectlJSON(["get", "cronjob", "backup", "-n", test]).at(
                "spec", "jobTemplate", "spec", "template", "spec", "containers")?.arrayValue?.first?["command"],
            ["pg_dump", "-f", "/tmp/x"])
        let jobs = kip("job list --project PROJ-test").stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(jobs.count, 3)
        XCTAssertEqual(jobs.first, "NAME      IMAGE         SCHEDULE    LAST RUN")
        XCTAssertTrue(jobs.count == 3 && jobs[1].hasPrefix("backup    postgres:16   0 3 * * *   "), "\(jobs)")
        XCTAssertTrue(jobs.count == 3 && jobs[2].hasPrefix("migrate   r/api:1       (once)      "), "\(jobs)")
        if !c.isReal {  // the sandbox's Jobs finish after the rollout delay
            try eventually("the one-off job ran") {
                kip("job list --project PROJ-test").stdout.hasSuffix("(once)      succeeded\n")
            }
        }
        XCTAssertEqual(kip("function delete hello --project PROJ-test --yes").code, 0)
        XCTAssertEqual(kip("job delete migrate --project PROJ-test --yes").code, 0)
        let bound = kip("service delete cache --project PROJ-test --confirm cache")
        XCTAssertEqual(bound.code, 1)
        XCTAssertEqual(
            bound.stderr,
            "Error: service cache is bound to api: unbind them first, or pass --force to delete it anyway\n")
        XCTAssertEqual(kip("service delete cache --project PROJ-test --confirm cache --force").code, 0)
        try eventually("StatefulSet collected") { try c.names("statefulsets", namespace: test).isEmpty }
    }

    func testBadInputIsOneLineAndWritesNothing() throws {
        if c.isReal { throw XCTSkip("counts writes in the sandbox's request log") }
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ-test").code, 0)
        let cases: [(String, String)] = [
            (
                "service add mongo --name db --project PROJ-test",
                "Error: unknown service type 'mongo': use postgres, mysql or redis\n"
            ),
            (
                "app deploy --name web --image x --port 80 --bind db --project PROJ-test",
                "Error: service \"db\" does not exist in \(test): add it with 'kip service add postgres --name db'\n"
            ),
            (
                "app deploy --name web --image x --port 80 --volume data:/data --project PROJ-test",
                "Error: volume \"data\" does not exist in \(test): add it with 'kip volume add data --size 1Gi'\n"
            ),
            (
                "function deploy api --image x --project PROJ-test",
                "Error: app \"api\" already exists in \(test): an app, function and service cannot share a name\n"
            ),
            (
                "app deploy --name web --image x --port 80 --project PROJ-staging",
                "Error: project \"PROJ-staging\" does not exist; projects are PROJ\n"
            ),
            (
                "app secret set api BAD=KEY --project PROJ-test",
                "Error: 'BAD=KEY' is not a valid variable name: use letters, digits, '_', '-' or '.', not starting with a digit\n"
            ),
        ]
        let before = writes()
        for (line, err) in cases {
            let r = kip(line, stdin: "value")
            XCTAssertEqual(r.code, 1, line)
            XCTAssertEqual(r.stderr, err.replacingOccurrences(of: "PROJ", with: p), line)
        }
        // A bad option value is a usage error: exit 2, the reason, the usage line.
        let usage: [(String, String)] = [
            (
                "service add postgres --name db --storage 1GB --project PROJ-test",
                "'1GB' is invalid for '--storage <size>': not a Kubernetes quantity: use 1Gi"
            ),
            (
                "volume add v --size 10gb --project PROJ-test",
                "'10gb' is invalid for '--size <size>': not a Kubernetes quantity: use 10Gi"
            ),
            (
                "app deploy --name web --image x --port 70000 --project PROJ-test",
                "'70000' is invalid for '--port <port>': must be a whole number from 1 to 65535"
            ),
            (
                "app deploy --name web --image x --port 80 --memory-limit 1GB --project PROJ-test",
                "'1GB' is invalid for '--memory-limit <quantity>': not a Kubernetes quantity: use 1Gi"
            ),
            (
                "app deploy --name Web --image x --port 80 --project PROJ-test",
                "'Web' is invalid for '--name <name>': use at most 63 lower-case letters, digits and '-', starting with a letter (e.g. api)"
            ),
            (
                "app deploy --name web --image x --port 80 --autoscale 5:2 --project PROJ-test",
                "'5:2' is invalid for '--autoscale <min:max[:cpu%]>': must be MIN:MAX[:CPU%] with 1 ≤ MIN ≤ MAX (e.g. 2:10:70)"
            ),
            (
                "app deploy --name web --image x --port 80 --route a.example.com --no-route --project PROJ-test",
                "'--route <host>' and '--no-route' cannot be used together"
            ),
            (
                "app deploy --name web --image x --port 80 --cpu-request 2 --cpu-limit 500m --project PROJ-test",
                "--cpu-request 2 is more than --cpu-limit 500m: a request may not exceed its limit"
            ),
        ]
        for (line, err) in usage {
            let r = kip(line)
            XCTAssertEqual(r.code, 2, line)
            XCTAssertEqual(
                r.stderr.split(separator: "\n").first.map(String.init),
                "Error: " + (err.hasPrefix("'-") || err.hasPrefix("--") ? err : "The value " + err), line)
            XCTAssertTrue(r.stderr.contains("Usage: kip "), r.stderr)
        }
        let cron = c.kip(["job", "add", "j", "--image", "x", "--schedule", "61 * * * *", "--project", test])
        XCTAssertEqual(cron.code, 2)
        XCTAssertTrue(
            cron.stderr.hasPrefix(
                "Error: The value '61 * * * *' is invalid for '--schedule <cron>': minute '61' is out of range 0-59\n"),
            cron.stderr)
        XCTAssertEqual(writes(), before, "refused commands write nothing")
    }

    func testAppDeleteAsksAndDryRunPrintsManifests() throws {
        let dry = kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ-test --dry-run")
        XCTAssertEqual(dry.code, 0)
        let doc = try JSON.parse(dry.stdout)
        XCTAssertEqual(
            doc["items"]?.arrayValue?.compactMap { $0["kind"]?.stringValue },
            ["RouteClaim", "App", "Deployment", "Service", "Ingress"], "the route's host claimed first")
        XCTAssertEqual(try c.names("apps.kipper.run", namespace: test), [], "--dry-run writes nothing")
        XCTAssertEqual(kip("app deploy --name api --image r/api:1 --port 3000 --project PROJ-test").code, 0)
        XCTAssertEqual(
            kip("app delete api --project PROJ-test").stderr,
            "Error: Delete app api in \(test) (its Deployment, Service, route and secrets): no terminal to ask on; pass --yes to go ahead\n"
        )
        XCTAssertEqual(kip("app delete api --project PROJ-test --yes").stdout, "✔ app api deleted from \(test)\n")
    }
}

/// The API server refusing a child for good (422): the CR is not left claiming what its
/// children do not have.
final class RefusedChildE2ETests: XCTestCase {
    func testARefusedDeploymentLeavesTheAppAsItWas() throws {
        let c = try E2ECluster(
            self, faults: ["PATCH /apis/apps/v1/namespaces/shop-test/deployments/*:422:after-1"], sandboxOnly: true)
        XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test").code, 0)
        XCTAssertEqual(c.kip("app deploy --name api --image r/api:1 --port 3000 --project shop/test").code, 0)
        let update = c.kip("app deploy --name api --image r/api:2 --port 3000 --project shop/test")
        XCTAssertEqual(update.code, 1)
        XCTAssertTrue(
            update.stderr.split(separator: "\n")[0].hasSuffix("; nothing was changed (app api put back as it was)"),
            update.stderr)
        XCTAssertEqual(
            try c.kubectlJSON(["get", "apps.kipper.run", "api", "-n", "shop-test"]).at("spec", "image"), "r/api:1")
        let create = c.kip("app deploy --name web --image r/web:1 --port 80 --project shop/test")
        XCTAssertEqual(create.code, 1)
        XCTAssertTrue(create.stderr.split(separator: "\n")[0].hasSuffix("(app web not created)"), create.stderr)
        try eventually("the new App is gone") {
            try !c.names("apps.kipper.run", namespace: "shop-test").contains("web")
        }
    }
}
