import KipCore
import XCTest

final class RolloutTests: XCTestCase {
    func deployment(image: String, updated: Int, available: Int) -> JSON {
        [
            "kind": "Deployment", "metadata": ["generation": 2],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "c", "image": .string(image)]]]]],
            "status": [
                "observedGeneration": 2, "replicas": 1, "updatedReplicas": .int(updated),
                "availableReplicas": .int(available),
            ],
        ]
    }

    func pod(_ image: String, waiting: String) -> JSON {
        [
            "kind": "Pod", "metadata": ["name": "api-x"],
            "status": [
                "containerStatuses": [["image": .string(image), "state": ["waiting": ["reason": .string(waiting)]]]]
            ],
        ]
    }

    func testPodsTheControllerCannotCreateFailTheRollout() {
        var d = deployment(image: "r/a:2", updated: 0, available: 0)
        d.set(
            ["status", "conditions"],
            [
                [
                    "type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                    "message": "pods \"a\" is forbidden",
                ]
            ])
        XCTAssertEqual(Rollout.state(d, pods: []), .failed("FailedCreate: pods \"a\" is forbidden"))
    }

    /// With the ReplicaSets read, only the pods of the current revision count, even when an
    /// old pod runs the same image (a change of env alone).
    func testOnlyPodsOfTheCurrentReplicaSetCount() {
        var d = deployment(image: "r/a:2", updated: 0, available: 0)
        d.set(["metadata", "uid"], "d1")
        d.set(["metadata", "annotations", "deployment.kubernetes.io/revision"], "3")
        func rs(_ rev: String, _ hash: String) -> JSON {
            [
                "kind": "ReplicaSet",
                "metadata": [
                    "annotations": ["deployment.kubernetes.io/revision": .string(rev)],
                    "labels": ["pod-template-hash": .string(hash)], "ownerReferences": [["uid": "d1"]],
                ],
            ]
        }
        var old = pod("r/a:2", waiting: "CrashLoopBackOff")
        old.set(["metadata", "labels", "pod-template-hash"], "old")
        XCTAssertEqual(
            Rollout.state(d, pods: [old], replicaSets: [rs("2", "old"), rs("3", "new")]),
            .progressing("0/1 updated, 0 available"), "the old revision's pod is not the rollout's")
        var new = old
        new.set(["metadata", "labels", "pod-template-hash"], "new")
        XCTAssertEqual(
            Rollout.state(d, pods: [old, new], replicaSets: [rs("2", "old"), rs("3", "new")]),
            .failed("pod api-x is in CrashLoopBackOff"))
    }

    func testAStuckPodOfTheNewTemplateFailsTheRollout() {
        XCTAssertEqual(
            Rollout.state(
                deployment(image: "r/a:2", updated: 0, available: 0), pods: [pod("r/a:2", waiting: "ImagePullBackOff")]),
            .failed("pod api-x is in ImagePullBackOff"))
    }

    /// An old ReplicaSet's pod still crash-looping says nothing about the new rollout.
    func testAStuckPodOfTheOldTemplateDoesNot() {
        XCTAssertEqual(
            Rollout.state(
                deployment(image: "r/a:3", updated: 0, available: 0), pods: [pod("r/a:2", waiting: "CrashLoopBackOff")]),
            .progressing("0/1 updated, 0 available"))
        XCTAssertEqual(Rollout.state(deployment(image: "r/a:3", updated: 1, available: 1), pods: []), .done)
    }
}
