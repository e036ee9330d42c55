import Foundation
import KipCore
import KipTestSupport
import XCTest

/// `kip install` as an operation: flags checked before any read, the settings recorded,
/// what it says before and after writing, and what it refuses.
final class InstallTests: XCTestCase {
    func read(system: JSON? = nil, tls: JSON? = nil, roles: [JSON] = []) -> InstallRead {
        InstallRead(
            system: system.map { [$0] } ?? [], tlsSecret: tls, roles: roles,
            ingressClasses: [
                [
                    "metadata": [
                        "name": "nginx", "annotations": ["ingressclass.kubernetes.io/is-default-class": "true"],
                    ]
                ]
            ],
            storageClasses: [
                ["metadata": ["name": "std", "annotations": ["storageclass.kubernetes.io/is-default-class": "true"]]]
            ],
            metricsAPI: [["metadata": ["name": "v1beta1.metrics.k8s.io"]]])
    }

    func installed(org: String) -> JSON {
        [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": [
                "name": "kipper-system",
                "annotations": [Keys.orgAnnotation: .string(org), Keys.domainAnnotation: "apprunr.com"],
            ],
        ]
    }

    func testFlagsAreCheckedBeforeAnythingIsRead() throws {
        XCTAssertThrowsError(try Install.checked(InstallOptions(org: "Lab_BC"))) {
            XCTAssertEqual(
                ($0 as? KipError)?.message,
                "--org 'Lab_BC' must be a DNS-1123 label of at most 30 characters (e.g. labbc)")
        }
        XCTAssertEqual(try Install.checked(InstallOptions(domain: "*.apprunr.com")).domain, "apprunr.com")
        var both = InstallOptions()
        both.settings = ["tls-secret": "wild", "cluster-issuer": "le"]
        XCTAssertThrowsError(try Install.checked(both)) {
            XCTAssertEqual(
                $0 as? UsageProblem,
                UsageProblem("--tls-secret and --cluster-issuer both set the routes' certificate: give one"))
        }
        var level = InstallOptions()
        level.settings = ["pod-security": "strict"]
        XCTAssertThrowsError(try Install.checked(level)) {
            XCTAssertEqual(($0 as? KipError)?.message, "--pod-security 'strict': use baseline or restricted")
        }
    }

    func testAFreshInstallRecordsTheSettingsAndSaysWhatItDid() throws {
        var o = InstallOptions(org: "labbc", domain: "apprunr.com")
        o.settings = ["storage-class": "fast"]
        let out = try Install.plan(o, read(), cluster: "prod") {
            XCTFail("no projects to read on a fresh cluster")
            return []
        }
        XCTAssertEqual(out.notices, [])
        let system = try XCTUnwrap(out.plan.owners.first { $0["kind"] == "Namespace" })
        XCTAssertEqual(system.at("metadata", "annotations", Keys.orgAnnotation), "labbc")
        XCTAssertEqual(system.at("metadata", "annotations", Keys.storageClassAnnotation), "fast")
        XCTAssertEqual(out.settings.storageClass, "fast")
        XCTAssertTrue(out.done.contains(.success("Cluster \"prod\": org labbc, domain apprunr.com")), "\(out.done)")
        XCTAssertTrue(
            out.done.contains(
                .warning("there is no StorageClass fast: databases and volumes stay Pending until there is")),
            "\(out.done)")
        XCTAssertEqual(
            out.plan.owners.compactMap { $0["kind"]?.stringValue }.filter { $0 == "CustomResourceDefinition" }.count,
            CRDs.all.count)
    }

    func testInstallSaysWhenTheNetworkPluginLeavesEnvironmentsOpen() throws {
        func warnings(_ daemonSets: [String], isolation: String? = nil) throws -> [Plan.Line] {
            var r = read()
            r.daemonSets = daemonSets.map { ["metadata": ["name": .string($0)]] }
            var o = InstallOptions(org: nil, domain: nil)
            if let isolation { o.settings = ["isolation": isolation] }
            return try Install.plan(o, r, cluster: "c") { [] }.done.filter {
                if case .warning(let w) = $0 { return w.contains("NetworkPolic") }
                return false
            }
        }
        XCTAssertEqual(try warnings(["calico-node", "kube-proxy"]), [], "Calico enforces policies")
        XCTAssertEqual(
            try warnings(["kindnet", "kube-proxy"]),
            [
                .warning(
                    "the network plugin (kindnet) enforces no NetworkPolicy: environments are not isolated from each other on this cluster; install one that does (Calico, Cilium), or 'kip install --no-isolation' to say so"
                )
            ])
        XCTAssertTrue(try warnings([]).first.map { "\($0)".contains("kip cannot tell") } ?? false)
        XCTAssertEqual(try warnings(["kindnet"], isolation: "off"), [], "nothing to say once isolation is off")
    }

    func testTheOrgCannotChangeWhileProjectsExist() throws {
        let shop = Project(name: "shop", displayName: nil, environments: [], uid: "u")
        XCTAssertThrowsError(
            try Install.plan(InstallOptions(org: "acme"), read(system: installed(org: "labbc")), cluster: "c") {
                [shop]
            }
        ) {
            XCTAssertEqual(
                ($0 as? KipError)?.message,
                "cannot change the org from 'labbc' to 'acme': 1 project(s) exist (shop) and their namespaces would be stranded; delete them first"
            )
        }
        // The same org, or none given: the projects are not even read.
        let again = try Install.plan(InstallOptions(), read(system: installed(org: "labbc")), cluster: "c") {
            XCTFail("read although the org stays")
            return []
        }
        XCTAssertEqual(again.settings.org, "labbc")
    }

    func testATLSSecretMustExistInDefaultAndBeOfTypeTLS() throws {
        var o = InstallOptions()
        o.settings = ["tls-secret": "wild"]
        XCTAssertThrowsError(try Install.plan(o, read(), cluster: "c") { [] }) {
            XCTAssertTrue(
                ($0 as? KipError)?.message.hasPrefix("--tls-secret wild: there is no Secret wild in namespace default")
                    == true, "\($0)")
        }
        XCTAssertThrowsError(try Install.plan(o, read(tls: ["type": "Opaque"]), cluster: "c") { [] }) {
            XCTAssertEqual(
                ($0 as? KipError)?.message,
                "--tls-secret wild: Secret wild in namespace default is not of type kubernetes.io/tls")
        }
        let ok = try Install.plan(o, read(tls: ["type": "kubernetes.io/tls"]), cluster: "c") { [] }
        XCTAssertEqual(ok.settings.tlsSecret, "wild")
    }

    func testARoleChangedOutsideKipIsPutBackAndSaidSo() throws {
        let tampered: JSON = ["metadata": ["name": "kip-developer"], "rules": [["verbs": ["*"], "resources": ["*"]]]]
        let out = try Install.plan(InstallOptions(), read(roles: [tampered]), cluster: "c") { [] }
        XCTAssertEqual(
            out.notices,
            [.warning("ClusterRole kip-developer was changed outside kip: its rules are put back as kip writes them")])
    }
}
