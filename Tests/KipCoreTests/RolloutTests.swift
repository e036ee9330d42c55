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
            .progressing("0/1 pods of the new revision ready"), "the old revision's pod is not the rollout's")
        var new = old
        new.set(["metadata", "labels", "pod-template-hash"], "new")
        XCTAssertEqual(
            Rollout.state(d, pods: [old, new], replicaSets: [rs("2", "old"), rs("3", "new")]),
            .failed("pod api-x is in CrashLoopBackOff"))
    }

    /// A Deployment of revision 3 with its ReplicaSets (revision 2: `old`, 3: `new`) and a
    /// pod of each, the new one's container in `waiting` (reported by the runtime's name).
    func rollout(waiting: String, lastExit: Bool = false) -> (JSON, [JSON], [JSON]) {
        var d = deployment(image: "nginx", updated: 1, available: 0)
        d.set(["metadata", "uid"], "d1")
        d.set(["metadata", "annotations", "deployment.kubernetes.io/revision"], "3")
        let sets: [JSON] = [("2", "old"), ("3", "new")].map { rev, hash in
            [
                "kind": "ReplicaSet",
                "metadata": [
                    "annotations": ["deployment.kubernetes.io/revision": .string(rev)],
                    "labels": ["pod-template-hash": .string(hash)], "ownerReferences": [["uid": "d1"]],
                ],
            ]
        }
        var new = pod("docker.io/library/nginx:latest", waiting: waiting)
        new.set(["metadata", "labels", "pod-template-hash"], "new")
        new.set(
            ["status", "containerStatuses"],
            [
                [
                    "name": "web", "image": "docker.io/library/nginx:latest",
                    "state": ["waiting": ["reason": .string(waiting), "message": "back-off 40s"]],
                    "lastState": lastExit ? ["terminated": ["exitCode": 1]] : [:],
                ]
            ])
        var old = pod("nginx", waiting: "")
        old.set(["metadata", "name"], "api-old")
        old.set(["metadata", "labels", "pod-template-hash"], "old")
        return (d, [old, new], sets)
    }

    /// A started container's status names the image as the runtime does
    /// (`docker.io/library/nginx:latest` for `nginx`): the rollout still fails at once.
    func testACrashLoopFailsAtOnceWhateverNameTheRuntimeGivesTheImage() {
        let (d, pods, sets) = rollout(waiting: "CrashLoopBackOff", lastExit: true)
        XCTAssertEqual(
            Rollout.state(d, pods: pods, replicaSets: sets), .failed("pod api-x is in CrashLoopBackOff: back-off 40s"))
        XCTAssertEqual(
            Rollout.stuck(d, pods: pods, replicaSets: sets),
            Rollout.Stuck(
                pod: "api-x", container: "web", reason: "CrashLoopBackOff", message: "back-off 40s", exited: true))
    }

    func testEveryStuckReasonFailsTheRollout() {
        for reason in ["ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "CrashLoopBackOff"] {
            let (d, pods, sets) = rollout(waiting: reason)
            XCTAssertEqual(
                Rollout.state(d, pods: pods, replicaSets: sets), .failed("pod api-x is in \(reason): back-off 40s"),
                reason)
        }
    }

    /// Without the ReplicaSet of the current revision, no pod can be told to be the
    /// rollout's (never by image): pods alone do not fail it.
    func testWithoutTheCurrentReplicaSetNoPodFailsTheRollout() {
        XCTAssertEqual(
            Rollout.state(
                deployment(image: "r/a:3", updated: 0, available: 0), pods: [pod("r/a:3", waiting: "CrashLoopBackOff")]),
            .progressing("0/1 updated, 0 available"))
        XCTAssertEqual(Rollout.state(deployment(image: "r/a:3", updated: 1, available: 1), pods: []), .done)
    }

    func testAnUnscheduledPodIsNamedWhileItWaits() {
        var (d, pods, sets) = rollout(waiting: "")
        pods[1].set(["status", "containerStatuses"], [])
        pods[1].set(
            ["status", "conditions"],
            [
                [
                    "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                    "message": "0/3 nodes are available",
                ]
            ])
        XCTAssertEqual(
            Rollout.state(d, pods: pods, replicaSets: sets),
            .progressing("pod api-x is not scheduled: Unschedulable: 0/3 nodes are available"))
    }

    /// A StatefulSet's refused pods show only as its controller's FailedCreate Warning.
    func testAFailedCreateWarningFailsAStatefulSetThatIsNotReady() {
        let sts: JSON = [
            "kind": "StatefulSet", "metadata": ["name": "db", "generation": 2],
            "spec": ["replicas": 1],
            "status": ["observedGeneration": 2, "replicas": 0, "currentRevision": "db-1", "updateRevision": "db-2"],
        ]
        let warning: JSON = [
            "reason": "FailedCreate", "message": "create Pod db-0 failed: forbidden",
            "involvedObject": ["kind": "StatefulSet", "name": "db"],
        ]
        var other = warning
        other.set(["involvedObject", "name"], "cache")
        XCTAssertEqual(Rollout.state(sts, pods: [], events: [other]), .progressing("0/1 ready"))
        XCTAssertEqual(
            Rollout.state(sts, pods: [], events: [other, warning]),
            .failed("FailedCreate: create Pod db-0 failed: forbidden"))
        var ready = sts
        ready.set(["status", "readyReplicas"], 1)
        ready.set(["status", "currentRevision"], "db-2")
        XCTAssertEqual(Rollout.state(ready, pods: [], events: [warning]), .done, "an old warning of a ready set")
    }
}
