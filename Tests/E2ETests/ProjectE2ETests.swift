import Foundation
import KipCore
import KipTestSupport
import XCTest

/// The product page's projects and environments, end to end: the built kip and the real
/// kubectl against kip-sandbox (or a real cluster with KIP_E2E_KUBECONFIG).
final class ProjectE2ETests: XCTestCase {
    var c: E2ECluster!

    override func setUpWithError() throws {
        c = try E2ECluster(self)
        let r = c.kip("install --domain apprunr.com")
        XCTAssertEqual(r.code, 0, "\(r)")
    }

    /// Mutating requests the API server saw (sandbox only).
    func writes() -> Int {
        c.writes()
    }

    func testCreatePipelineProjectPrintsTheProductPageLines() throws {
        let p = c.name("yourr-name")
        let r = c.kip(["project", "create", p, "--environments", "test,acc,prod", "-v"])
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertEqual(
            r.stdout,
            """
            Creating project "\(p)"...
            ✔ \(p)-test
            ✔ \(p)-acc
            ✔ \(p)-prod
            Promotion pipeline: test → acc → prod

            """)
        XCTAssertEqual(
            E2ECluster.kubectlCalls(r), 4,
            "two reads at once (the Project, settings and planned namespaces by name; default's pull secrets), one apply of the Project, one of the rest"
        )
        let project = try c.kubectlJSON(["get", "projects.kipper.run", p])
        let uid = project.at("metadata", "uid")?.stringValue
        for env in ["test", "acc", "prod"] {
            let ns = try c.kubectlJSON(["get", "namespace", "\(p)-\(env)"])
            XCTAssertEqual(ns.at("metadata", "labels", "kipper.run/project")?.stringValue, p)
            XCTAssertEqual(ns.at("metadata", "labels", "kipper.run/environment")?.stringValue, env)
            XCTAssertEqual(ns.at("metadata", "labels", "app.kubernetes.io/managed-by"), "kip")
            XCTAssertEqual(ns.at("metadata", "ownerReferences")?.arrayValue?.first?["uid"]?.stringValue, uid)
        }
        XCTAssertEqual(try c.names("namespaces").filter { $0.hasPrefix(p) }.count, 3)
    }

    func testSimpleProjectAndDisplayNameAndList() throws {
        let simple = c.name("myapp")
        let named = c.name("yourr-name")
        let r1 = c.kip(["project", "create", simple])
        XCTAssertEqual(r1.stdout, "Creating project \"\(simple)\"...\n✔ \(simple)\n", "\(r1)")
        let r2 = c.kip([
            "project", "create", named, "--display-name", "yourr.name Domain Platform", "--environments",
            "test,acc,prod",
        ])
        XCTAssertEqual(r2.code, 0, "\(r2)")
        XCTAssertEqual(
            try c.kubectlJSON(["get", "namespace", simple]).at("metadata", "labels", "kipper.run/environment"),
            "default")
        let list = c.kip(["project", "list", "-v"])
        XCTAssertEqual(E2ECluster.kubectlCalls(list), 1)
        if !c.isReal {
            XCTAssertEqual(
                list.stdout,
                """
                PROJECT      ENVIRONMENTS
                myapp        default
                yourr-name   test, acc, prod

                """)
        }
        let json = try JSON.parse(c.kip("project list -o json").stdout)
        let mine = json.arrayValue?.first { $0["name"]?.stringValue == named }
        XCTAssertEqual(mine?["displayName"], "yourr.name Domain Platform")
        XCTAssertEqual(
            mine?["environments"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["test", "acc", "prod"])
        let wide = c.kip("project list -o wide").stdout
        XCTAssertTrue(wide.contains("yourr.name Domain Platform"), wide)
    }

    func testOrgPrefixAndOrgChangeRefusedWhileProjectsExist() throws {
        if c.isReal { throw XCTSkip("changes the cluster-wide org") }
        XCTAssertEqual(c.kip("install --org labbc").code, 0)
        let r = c.kip("project create yourr-name --environments test,acc,prod")
        XCTAssertEqual(
            r.stdout,
            "Creating project \"yourr-name\"...\n✔ labbc-yourr-name-test\n✔ labbc-yourr-name-acc\n✔ labbc-yourr-name-prod\nPromotion pipeline: test → acc → prod\n"
        )
        let before = writes()
        let change = c.kip("install --org other")
        XCTAssertEqual(change.code, 1)
        XCTAssertEqual(
            change.stderr,
            "Error: cannot change the org from 'labbc' to 'other': 1 project(s) exist (yourr-name) and their namespaces would be stranded; delete them first\n"
        )
        XCTAssertEqual(writes(), before)
        XCTAssertEqual(c.kip("install").code, 0, "re-running install keeps the org")
        XCTAssertEqual(c.kip("project create myapp").stdout, "Creating project \"myapp\"...\n✔ labbc-myapp\n")
    }

    func testEveryCreateRefusalWritesNothing() throws {
        if c.isReal { throw XCTSkip("counts API writes in the sandbox's request log") }
        XCTAssertEqual(c.kip("project create shop --environments prod").code, 0)
        XCTAssertEqual(
            c.kubectl(
                ["apply", "--server-side", "-f", "-"],
                stdin: #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-test"}}"#
            ).code, 0)
        let long = String(repeating: "a", count: 60)
        let cases: [(String, String)] = [
            (
                "project create Bad_Name",
                "Error: project name 'Bad_Name' is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. yourr-name)\n"
            ),
            (
                "project create \(String(repeating: "a", count: 64))",
                "Error: project name '\(String(repeating: "a", count: 64))' is 64 characters; the limit is 63\n"
            ),
            (
                "project create \(long) --environments test",
                "Error: namespace '\(long)-test' would be 65 characters; Kubernetes allows 63: use a shorter project or environment name\n"
            ),
            (
                "project create x --environments test,Acc",
                "Error: environment name 'Acc' is not a DNS-1123 label: use lower-case letters, digits and '-' (e.g. test, acc, prod)\n"
            ),
            ("project create x --environments test,test", "Error: environment 'test' is listed twice\n"),
            (
                "project create shop --environments prod",
                "Error: project \"shop\" already exists (environments: prod): see 'kip project show shop'\n"
            ),
            (
                "project create shop-prod",
                "Error: namespace \"shop-prod\" is already environment \"prod\" of project \"shop\": project \"shop-prod\" cannot use it; choose another project or environment name\n"
            ),
            (
                "project create team --environments test",
                "Error: namespace \"team-test\" already exists and was not created by kip: kip will not take it over; choose another project or environment name\n"
            ),
        ]
        let before = writes()
        for (line, err) in cases {
            let r = c.kip(line)
            XCTAssertEqual(r.code, 1, line)
            XCTAssertEqual(r.stderr, err, line)
            XCTAssertEqual(r.stdout, "", line)
        }
        XCTAssertEqual(writes(), before, "a refused create writes nothing")
    }

    /// `--project NAME-ENV` has one reading: names that would give it two are refused,
    /// and `project use` takes every form `--project` does.
    func testNamesThatWouldMeanTwoThingsAreRefused() throws {
        XCTAssertEqual(c.kip("project create shop2 --environments test,acc").code, 0)
        let twin = c.kip("project create shop2-test --environments a,b")
        XCTAssertEqual(twin.code, 1)
        XCTAssertEqual(
            twin.stderr,
            "Error: \"shop2-test\" is the namespace of environment \"test\" of project \"shop2\": a project of that name would make --project shop2-test mean two things; choose another name\n"
        )
        XCTAssertEqual(c.kip("project create shop5-x --environments a").code, 0)
        let reverse = c.kip("project create shop5 --environments x,y")
        XCTAssertEqual(reverse.code, 1)
        XCTAssertTrue(reverse.stderr.contains("which is already a project"), reverse.stderr)
        XCTAssertEqual(
            c.kip("project use shop2 acc").stdout, "✔ Active project: shop2/acc on cluster \"kip-sandbox\"\n")
        XCTAssertEqual(
            c.kip("project use shop2-test").stdout, "✔ Active project: shop2/test on cluster \"kip-sandbox\"\n")
        XCTAssertEqual(c.kip("project use shop2/acc").code, 0)
        XCTAssertEqual(c.kip("project use shop2/acc prod").code, 2)
    }

    func testActiveProjectPerClusterAndExplicitFlagsWin() throws {
        if c.isReal { throw XCTSkip("adds clusters named after the sandbox context") }
        XCTAssertEqual(c.kip("project create yourr-name --environments test,acc,prod").code, 0)
        XCTAssertEqual(c.kip("project create other-project").code, 0)
        XCTAssertEqual(c.kip("cluster add apprunr.com --context kip-sandbox").code, 0)
        XCTAssertEqual(c.kip("cluster add staging.example --context kip-sandbox").code, 0)
        XCTAssertEqual(
            c.kip("project use yourr-name/test").stdout,
            "✔ Active project: yourr-name/test on cluster \"apprunr.com\"\n")
        XCTAssertEqual(c.kip("cluster use staging.example").stdout, "✔ Current cluster: \"staging.example\"\n")
        XCTAssertEqual(
            c.kip("project use other-project").stdout,
            "✔ Active project: other-project/default on cluster \"staging.example\"\n")
        XCTAssertEqual(
            c.kip("cluster use apprunr.com").stdout,
            "✔ Current cluster: \"apprunr.com\"\n  Active project: yourr-name/test\n")
        XCTAssertEqual(
            c.kip("cluster list").stdout,
            """
            CURRENT   NAME              CONTEXT       ACTIVE PROJECT
            *         apprunr.com       kip-sandbox   yourr-name/test
                      staging.example   kip-sandbox   other-project/default

            """)
        // The active project stands in for the missing project argument; an explicit one wins.
        XCTAssertTrue(c.kip("project show").stdout.hasPrefix("Project:       yourr-name\n"))
        XCTAssertTrue(c.kip("project show other-project").stdout.hasPrefix("Project:       other-project\n"))
        XCTAssertTrue(
            c.kip("project show --cluster staging.example").stdout.hasPrefix("Project:       other-project\n"))
        XCTAssertEqual(c.kip("project use --clear").stdout, "✔ No active project on cluster \"apprunr.com\"\n")
        let none = c.kip("project show")
        XCTAssertEqual(
            none.stderr,
            "Error: no project given and no active project on cluster \"apprunr.com\": name one, or run 'kip project use NAME'\n"
        )
        XCTAssertEqual(
            c.kip("project use nope").stderr,
            "Error: project \"nope\" does not exist: projects on this cluster are other-project, yourr-name\n")
        XCTAssertEqual(
            c.kip("project use yourr-name/staging").stderr,
            "Error: project \"yourr-name\" has no environment \"staging\"; it has: test, acc, prod\n")
    }

    func testAddThenRemoveAnEnvironment() throws {
        if !c.isReal {
            // Deletion slow enough to see what kip does while a namespace is going.
            c = try E2ECluster(self, options: E2ECluster.realTime + ["--namespace-delay", "3"])
            XCTAssertEqual(c.kip("install --domain apprunr.com").code, 0)
        }
        let p = c.name("yourr-name")
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test,acc"]).code, 0)
        XCTAssertEqual(c.kip(["project", "use", p]).code, 0)
        let add = c.kip(["project", "add-env", "prod", "-v"])
        XCTAssertEqual(
            add.stdout,
            "Adding environment \"prod\" to project \"\(p)\"...\n✔ \(p)-prod\nPromotion pipeline: test → acc → prod\n",
            "\(add)")
        XCTAssertEqual(
            E2ECluster.kubectlCalls(add), 3,
            "two reads at once, one apply (the default members come with the Project: no bindings read)")
        XCTAssertEqual(
            try c.kubectlJSON(["get", "namespace", "\(p)-prod"]).at("metadata", "labels", "kipper.run/env-order"), "2")
        // No terminal and no confirmation: refused, nothing deleted.
        let refused = c.kip(["project", "remove-env", p, "acc"])
        XCTAssertEqual(refused.code, 1)
        XCTAssertTrue(
            refused.stderr.hasSuffix(
                "Error: refusing to delete environment \"acc\" without confirmation: no terminal to ask on; pass --confirm acc or --yes\n"
            ), refused.stderr)
        XCTAssertTrue(try c.names("namespaces").contains("\(p)-acc"))
        let wrong = c.kip(["project", "remove-env", p, "acc", "--confirm", "prod"])
        XCTAssertEqual(wrong.code, 1)
        XCTAssertTrue(try c.names("namespaces").contains("\(p)-acc"))
        let rm = c.kip(["project", "remove-env", p, "acc", "--confirm", "acc", "-v"])
        XCTAssertEqual(
            rm.stdout, "✔ Removed environment \"acc\" (deleting namespace \(p)-acc)\nPromotion pipeline: test → prod\n",
            "\(rm)")
        XCTAssertLessThanOrEqual(
            E2ECluster.kubectlCalls(rm), 6, "scoped reads of the removed environment, an apply, a delete")
        // Deletion takes time: the namespace is Terminating, and adding the environment
        // back now is refused rather than reported as created.
        if !c.isReal {
            XCTAssertEqual(try c.kubectlJSON(["get", "namespace", "\(p)-acc"]).at("status", "phase"), "Terminating")
            let back = c.kip(["project", "add-env", p, "acc"])
            XCTAssertEqual(back.code, 1)
            XCTAssertEqual(
                back.stderr,
                "Error: namespace \(p)-acc is still being deleted; try again when it is gone (or pass --wait)\n")
            // --wait waits until it is gone, then adds it.
            let waiting = c.kip(["project", "add-env", p, "acc", "--wait"])
            XCTAssertEqual(waiting.code, 0, "\(waiting)")
            XCTAssertEqual(
                waiting.stdout,
                """
                Waiting for namespace \(p)-acc to be deleted...
                ✔ namespace \(p)-acc deleted
                Adding environment "acc" to project "\(p)"...
                ✔ \(p)-acc
                Promotion pipeline: test → prod → acc

                """)
        } else {
            try eventually("namespace gone") { try !c.names("namespaces").contains("\(p)-acc") }
            XCTAssertEqual(c.kip(["project", "add-env", p, "acc"]).code, 0, "once it is gone, it can come back")
        }
        let waited = c.kip(["project", "remove-env", p, "acc", "--yes", "--wait"])
        XCTAssertEqual(waited.code, 0, "\(waited)")
        XCTAssertTrue(waited.stdout.contains("✔ namespace \(p)-acc deleted\n"), waited.stdout)
        XCTAssertFalse(try c.names("namespaces").contains("\(p)-acc"), "--wait returns once it is gone")
        let last = c.kip(["project", "remove-env", p, "prod", "--yes"])
        XCTAssertEqual(last.code, 0)
        let lastOne = c.kip(["project", "remove-env", p, "test", "--yes"])
        XCTAssertEqual(
            lastOne.stderr,
            "Error: \"test\" is the last environment of project \"\(p)\": a project keeps at least one; delete the project instead with 'kip project delete \(p)'\n"
        )
    }

    func testDeleteCascadesThroughKipAndThroughKubectl() throws {
        let a = c.name("alpha")
        let b = c.name("beta")
        XCTAssertEqual(c.kip(["project", "create", a, "--environments", "test,prod"]).code, 0)
        XCTAssertEqual(c.kip(["project", "create", b, "--environments", "test,prod"]).code, 0)
        let refused = c.kip(["project", "delete", a])
        XCTAssertEqual(refused.code, 1)
        XCTAssertTrue(refused.stderr.hasSuffix("pass --confirm \(a) or --yes\n"), refused.stderr)
        let del = c.kip(["project", "delete", a, "--confirm", a, "-v"])
        XCTAssertEqual(del.code, 0, "\(del)")
        XCTAssertLessThanOrEqual(E2ECluster.kubectlCalls(del), 7, "a scoped read per environment, one delete")
        XCTAssertTrue(del.stdout.hasSuffix("✔ Project \"\(a)\" deleted\n"))
        // kubectl alone cascades through the owner references.
        XCTAssertEqual(c.kubectl(["delete", "projects.kipper.run", b]).code, 0)
        try eventually("every namespace of both projects gone", within: 30) {
            try c.names("namespaces").filter { $0.hasPrefix(a) || $0.hasPrefix(b) }.isEmpty
        }
    }

    func testPullSecretsCopiedAndResyncedAfterRotation() throws {
        if c.isReal { throw XCTSkip("writes a pull secret into the default namespace") }
        let secret =
            #"{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/dockerconfigjson","metadata":{"name":"regcred","namespace":"default"},"data":{".dockerconfigjson":"e30="}}"#
        XCTAssertEqual(c.kubectl(["apply", "--server-side", "-f", "-"], stdin: secret).code, 0)
        XCTAssertEqual(c.kip("project create shop --environments test,prod").code, 0)
        for ns in ["shop-test", "shop-prod"] {
            XCTAssertEqual(
                try c.kubectlJSON(["get", "secret", "regcred", "-n", ns]).at("data", ".dockerconfigjson"), "e30=")
            XCTAssertEqual(
                try c.kubectlJSON(["get", "serviceaccount", "default", "-n", ns])["imagePullSecrets"],
                [["name": "regcred"]])
        }
        XCTAssertEqual(
            c.kip("project sync shop").stdout, "✔ Project \"shop\" matches its definition: nothing to change\n")
        let rotated = secret.replacingOccurrences(of: "e30=", with: "eyJhIjoxfQ==")
        XCTAssertEqual(c.kubectl(["apply", "--server-side", "-f", "-"], stdin: rotated).code, 0)
        XCTAssertEqual(c.kubectl(["delete", "namespace", "shop-prod"]).code, 0)
        let sync = c.kip("project sync shop")
        XCTAssertEqual(
            sync.stdout,
            "✔ updated pull secret regcred in shop-test (its source in default changed)\n✔ created namespace shop-prod (environment prod)\n",
            "\(sync)")
        XCTAssertEqual(
            try c.kubectlJSON(["get", "secret", "regcred", "-n", "shop-prod"]).at("data", ".dockerconfigjson"),
            "eyJhIjoxfQ==")
        // A namespace labelled with the project that no environment declares.
        XCTAssertEqual(
            c.kubectl(
                ["apply", "--server-side", "-f", "-"],
                stdin:
                    #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop-old","labels":{"app.kubernetes.io/managed-by":"kip","kipper.run/project":"shop"}}}"#
            ).code, 0)
        XCTAssertEqual(
            c.kip("project sync shop").stderr,
            "⚠ namespace shop-old is labelled with project shop but no environment declares it: 'kip project sync shop --prune' deletes it\n"
        )
        // Destructive: listed, and confirmed (no terminal here: --yes or --confirm NAME).
        let unconfirmed = c.kip("project sync shop --prune")
        XCTAssertEqual(unconfirmed.code, 1)
        XCTAssertEqual(
            unconfirmed.stderr,
            """
            ⚠ --prune deletes this namespace and everything in it: shop-old. This cannot be undone.
            Error: refusing to delete namespaces shop-old without confirmation: no terminal to ask on; pass --confirm shop or --yes

            """)
        XCTAssertTrue(try c.names("namespaces").contains("shop-old"))
        XCTAssertEqual(c.kip("project sync shop --prune --confirm other").code, 1)
        XCTAssertEqual(
            c.kip("project sync shop --prune --confirm shop").stdout,
            "✔ deleting namespace shop-old (no environment declares it)\n")
        // While it goes, it is neither a stray to warn about nor one to delete again (409).
        let again = c.kip("project sync shop --prune")
        XCTAssertEqual(again.code, 0, "\(again)")
        XCTAssertEqual(again.stderr, "")
        try eventually("namespace gone") { try !c.names("namespaces").contains("shop-old") }
    }

    func testCreateInterruptedHalfWayIsCompletedByARerun() throws {
        let f = try E2ECluster(self, faults: ["PATCH /api/v1/namespaces/yourr-name-acc:500:once"])
        XCTAssertEqual(f.kip("install").code, 0)
        let first = f.kip("project create yourr-name --environments test,acc,prod")
        XCTAssertEqual(first.code, 1)
        XCTAssertTrue(
            first.stderr.contains(
                "the Project exists: run the same command again, or 'kip project sync yourr-name', to finish"),
            first.stderr)
        XCTAssertFalse(try f.names("namespaces").contains("yourr-name-acc"))
        let again = f.kip("project create yourr-name --environments test,acc,prod")
        XCTAssertEqual(
            again.stdout,
            "Completing project \"yourr-name\"...\n✔ yourr-name-test\n✔ yourr-name-acc\n✔ yourr-name-prod\nPromotion pipeline: test → acc → prod\n",
            "\(again)")
        XCTAssertTrue(try f.names("namespaces").contains("yourr-name-acc"))
        XCTAssertEqual(
            f.kip("project create yourr-name --environments test,acc,prod").code, 1,
            "a complete project is not created twice")
    }

    func testShowListsWhatEachEnvironmentHolds() throws {
        let p = c.name("yourr-name")
        XCTAssertEqual(c.kip(["project", "create", p, "--environments", "test,prod"]).code, 0)
        let app =
            #"{"apiVersion":"kipper.run/v1alpha1","kind":"App","metadata":{"name":"api","namespace":"\#(p)-test","labels":{"kipper.run/project":"\#(p)"}},"spec":{"image":"registry.example.com/api:v1.2.3","port":3000}}"#
        let applied = c.kubectl(["apply", "--server-side", "-f", "-"], stdin: app)
        XCTAssertEqual(applied.code, 0, "\(applied)")
        let show = c.kip(["project", "show", p])
        XCTAssertEqual(
            show.stdout,
            """
            Project:       \(p)
            Pipeline:      test → prod

            ENVIRONMENT   NAMESPACE\(String(repeating: " ", count: p.count - 1))STATUS   APPS   SERVICES   VOLUMES   FUNCTIONS   JOBS
            test          \(p)-test   Active   1      0          0         0           0
            prod          \(p)-prod   Active   0      0          0         0           0
            quota of test: cpu 0/8, memory 0/16Gi, storage 0/200Gi, volumes 0/20, pods 0/50
            quota of prod: cpu 0/8, memory 0/16Gi, storage 0/200Gi, volumes 0/20, pods 0/50

            """)
        let json = try JSON.parse(c.kip(["project", "show", p, "-o", "json"]).stdout)
        XCTAssertEqual(json["environments"]?.arrayValue?.first?["apps"], ["api"])
    }
}
