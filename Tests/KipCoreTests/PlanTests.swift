import Foundation
import KipCore
import KipTestSupport
import XCTest

/// The one write path: step order, one apply when owners exist, no placeholder uid ever
/// written, secrets redacted in every printed plan, and a conflict re-read and re-planned.
final class PlanTests: XCTestCase {
    let driver = { (r: RecordingRunner) in
        KubectlDriver(runner: r, target: ClusterTarget(name: "c", context: "c", kubeconfig: nil))
    }
    let app: JSON = [
        "apiVersion": "kipper.run/v1alpha1", "kind": "App", "metadata": ["name": "api", "namespace": "ns"],
    ]

    func plan(known: Bool) -> Plan {
        var p = Plan()
        p.owners = [app]
        if known { p.knownUIDs["App/api"] = "u1" }
        p.owned = { uids in
            [
                [
                    "apiVersion": "v1", "kind": "Secret",
                    "metadata": ["name": "s", "uid-of-owner": .string(uids["App/api"] ?? "?")],
                    "data": ["k": "c2VjcmV0"],
                ]
            ]
        }
        p.deletes = [Plan.Deletion(ref: "ingress.networking.k8s.io/api", namespace: "ns")]
        return p
    }

    func testKnownOwnersAreAppliedWithWhatTheyOwnInOneCall() throws {
        let r = RecordingRunner { argv, _ in
            ProcessResult(
                status: 0, stdout: Data(argv.contains("apply") ? "{\"kind\":\"List\",\"items\":[]}".utf8 : "".utf8))
        }
        try driver(r).execute(plan(known: true))
        XCTAssertEqual(r.calls.map { $0.argv[3] }, ["apply", "delete"])
        XCTAssertTrue(r.calls[0].stdin?.contains("\"uid-of-owner\":\"u1\"") ?? false)
    }

    func testNewOwnersFirstThenWhatTheyOwnWithTheirUid() throws {
        let r = RecordingRunner { argv, stdin in
            guard argv.contains("apply") else { return ProcessResult(status: 0) }
            let first = stdin.map { String(decoding: $0, as: UTF8.self) }?.contains("\"kind\":\"App\"") ?? false
            let out: JSON =
                first
                ? ["kind": "List", "items": [["kind": "App", "metadata": ["name": "api", "uid": "new-uid"]]]]
                : ["kind": "List", "items": []]
            return ProcessResult(status: 0, stdout: out.data)
        }
        let applied = try driver(r).execute(plan(known: false))
        XCTAssertEqual(applied.created, ["App/api"])
        XCTAssertEqual(r.calls.count, 3)
        XCTAssertTrue(r.calls[1].stdin?.contains("\"uid-of-owner\":\"new-uid\"") ?? false)
    }

    func testAnOwnerWithoutUidStopsBeforeAnythingItOwnsIsWritten() {
        let r = RecordingRunner { _, _ in
            ProcessResult(status: 0, stdout: Data("{\"kind\":\"List\",\"items\":[]}".utf8))
        }
        XCTAssertThrowsError(try driver(r).execute(plan(known: false))) { e in
            XCTAssertTrue(
                (e as? KipError)?.message.hasPrefix("the API server returned no uid for App/api") ?? false, "\(e)")
        }
        XCTAssertEqual(r.calls.count, 1, "nothing owned was written with a placeholder uid")
    }

    func testPrintedPlansRedactSecretsAndNameMissingUids() {
        let m = plan(known: false).manifests
        XCTAssertEqual(m[1]["data"], ["k": "<redacted>"])
        XCTAssertEqual(m[1].at("metadata", "uid-of-owner"), "<uid of App/api>")
        XCTAssertEqual(plan(known: true).deletionLines, ["Would delete ingress.networking.k8s.io/api in ns."])
    }
}
