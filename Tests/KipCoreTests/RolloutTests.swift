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
