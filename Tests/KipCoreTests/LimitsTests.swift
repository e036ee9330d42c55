import KipCore
import XCTest

final class LimitsTests: XCTestCase {
    func testOrdinarySizesPass() {
        XCTAssertEqual(
            Limits.unusual(
                replicas: 50, autoscaleMax: 100,
                resources: Resources(cpuRequest: "500m", cpuLimit: "32", memoryRequest: "1Gi", memoryLimit: "64Gi"),
                storage: "1Ti"), [])
    }

    func testEachSizeBeyondTheLimitsIsNamed() {
        XCTAssertEqual(
            Limits.unusual(
                replicas: 300, autoscaleMax: 1000,
                resources: Resources(cpuRequest: "64", cpuLimit: "33000m", memoryRequest: "65Gi", memoryLimit: "1Ti"),
                storage: "1.5Ti"),
            [
                "300 replicas", "up to 1000 replicas", "64 CPU (--cpu-request)", "33000m CPU (--cpu-limit)",
                "65Gi of memory (--memory-request)", "1Ti of memory (--memory-limit)", "1.5Ti of storage",
            ])
    }
}
