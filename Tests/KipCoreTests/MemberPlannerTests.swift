import KipCore
import XCTest

/// Grants and revocations as plans, without a cluster.
final class MemberPlannerTests: XCTestCase {
    let project: Project = {
        var p = Project(
            name: "shop", displayName: nil,
            environments: [.init(name: "test", namespace: "shop-test"), .init(name: "prod", namespace: "shop-prod")],
            uid: "u-1")
        p.resourceVersion = "7"
        return p
    }()

    func binding(_ name: String, _ ns: String, role: String, subjects: [(String, String)], kips: Bool) -> JSON {
        var meta: JSON = ["name": .string(name), "namespace": .string(ns), "resourceVersion": "3"]
        if kips { meta["labels"] = [Keys.managedBy: .string(Keys.managedByValue)] }
        return [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
            "roleRef": [
                "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string("kip-\(role)"),
            ],
            "subjects": .array(
                subjects.map {
                    ["apiGroup": "rbac.authorization.k8s.io", "kind": .string($0.0), "name": .string($0.1)]
                }),
        ]
    }

    func testAProjectWideGrantIsRecordedInTheProject() throws {
        let m = Member(kind: .user, name: "alice", role: "developer", everywhere: true)
        let plan = try MemberPlanner.grant(m, project: project, in: project.environments, existing: [:])
        XCTAssertEqual(plan.owners.count, 1)
        XCTAssertEqual(plan.owners[0].at("spec", "members"), [["kind": "User", "name": "alice", "role": "developer"]])
        XCTAssertEqual(plan.owners[0].at("metadata", "resourceVersion"), "7", "the precondition")
        XCTAssertEqual(plan.owned([:]).count, 2)
        var read = plan.owners[0]
        read.set(["metadata", "uid"], "u-1")
        XCTAssertEqual(Project(read)?.members, [m])
    }

    func testAGrantInSomeEnvironmentsLeavesTheProjectAlone() throws {
        let m = Member(kind: .user, name: "alice", role: "admin", everywhere: false)
        let plan = try MemberPlanner.grant(m, project: project, in: [project.environments[0]], existing: [:])
        XCTAssertTrue(plan.owners.isEmpty)
        XCTAssertEqual(plan.owned([:]).map { $0.at("metadata", "namespace") }, ["shop-test"])
    }

    func testNewEnvironmentsGetOnlyTheProjectsMembers() {
        // A tenant's binding labelled grant=all in a namespace is not a default member.
        var p = project
        p.members = [Member(kind: .group, name: "devs", role: "viewer", everywhere: true)]
        let plan = ProjectPlanner.writePlan(
            p, environments: [p.environments[1]], pullSecrets: [], members: p.members)
        let bindings = plan.owned(["Project/shop": "u-1"]).filter { $0["kind"]?.stringValue == "RoleBinding" }
        XCTAssertEqual(bindings.compactMap { $0.at("subjects")?.arrayValue?.first?["name"]?.stringValue }, ["devs"])
    }

    func testRevokeTakesTheSubjectOutOfEveryBindingToAKipRole() throws {
        var p = project
        p.members = [Member(kind: .user, name: "alice", role: "admin", everywhere: true)]
        let existing: [String: [JSON]] = [
            "shop-test": [
                binding("kip-admin-user-alice", "shop-test", role: "admin", subjects: [("User", "alice")], kips: true),
                binding(
                    "kip-viewer-user-carol", "shop-test", role: "viewer",
                    subjects: [("User", "carol"), ("User", "alice")],
                    kips: true),
                binding("ci-deployer", "shop-test", role: "admin", subjects: [("User", "alice")], kips: false),
                binding("other", "shop-test", role: "edit", subjects: [("User", "alice")], kips: false),
            ]
        ]
        let plan = try MemberPlanner.revoke(
            .user, "alice", project: p, in: p.environments, everywhere: true, existing: existing)
        XCTAssertEqual(plan.owners.first?.at("spec", "members"), nil, "no longer a default member")
        XCTAssertEqual(
            plan.deletes.map(\.ref),
            [
                "rolebinding.v1.rbac.authorization.k8s.io/ci-deployer",
                "rolebinding.v1.rbac.authorization.k8s.io/kip-admin-user-alice",
            ])
        let rewritten = plan.owned([:])
        XCTAssertEqual(rewritten.count, 1)
        XCTAssertEqual(rewritten[0].at("metadata", "name"), "kip-viewer-user-carol")
        XCTAssertEqual(rewritten[0]["subjects"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["carol"])
        XCTAssertEqual(rewritten[0].at("metadata", "resourceVersion"), "3")
        XCTAssertEqual(
            plan.report,
            [
                .success("user alice has no role any more in shop: test"),
                .info(
                    "  also taken out of RoleBindings kip did not write: ci-deployer in test, kip-viewer-user-carol in test"
                ),
            ])
    }

    func testRevokingSomeoneWithNoRoleIsAnError() {
        XCTAssertThrowsError(
            try MemberPlanner.revoke(
                .user, "zed", project: project, in: project.environments, everywhere: true, existing: [:]))
    }

    /// `members`: one row per subject and role with the environments it holds it in;
    /// "(all)" only when the Project says so; other bindings of kip's roles count, a
    /// ServiceAccount and non-kip roles do not; an unreadable environment is left out.
    func testMembersAreARowPerSubjectAndRoleWithItsEnvironments() {
        var p = project
        p.members = [Member(kind: .user, name: "alice", role: "developer", everywhere: true)]
        let listing = MemberListing(
            p, p.environments,
            bindings: [
                "shop-test": [
                    binding(
                        "kip-developer-user-alice", "shop-test", role: "developer", subjects: [("User", "alice")],
                        kips: true),
                    binding(
                        "theirs", "shop-test", role: "viewer", subjects: [("Group", "qa"), ("ServiceAccount", "ci")],
                        kips: false),
                    binding("other", "shop-test", role: "owner", subjects: [("User", "mallory")], kips: false),
                ],
                "shop-prod": [
                    binding(
                        "kip-developer-user-alice", "shop-prod", role: "developer", subjects: [("User", "alice")],
                        kips: true)
                ],
            ])
        XCTAssertEqual(
            listing.table, [["qa", "Group", "viewer", "test"], ["alice", "User", "developer", "test, prod (all)"]])
        XCTAssertEqual(listing.document.arrayValue?.last?["everyEnvironment"], true)
        let partly = MemberListing(p, p.environments, bindings: ["shop-prod": []])
        XCTAssertTrue(partly.rows.isEmpty, "nothing readable, nobody listed")
    }
}
