// swift-tools-version:6.0
import PackageDescription

// Foundation only: kip has no package dependencies, for the product or its tests.
let package = Package(
    name: "kip",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kip", targets: ["kip"]),
        .executable(name: "kip-sandbox", targets: ["kip-sandbox"]),
    ],
    targets: [
        .target(name: "KipCore"),
        .target(name: "KipCLI", dependencies: ["KipCore"]),
        .target(name: "KipSandbox", dependencies: ["KipCore"]),
        .executableTarget(name: "kip", dependencies: ["KipCLI"]),
        .executableTarget(name: "kip-sandbox", dependencies: ["KipSandbox"]),
        .target(name: "KipTestSupport", dependencies: ["KipCore"], path: "Tests/KipTestSupport"),
        .testTarget(name: "KipCoreTests", dependencies: ["KipCore", "KipTestSupport"], exclude: ["Golden"]),
        .testTarget(
            name: "KipCLITests", dependencies: ["KipCLI", "KipCore", "KipSandbox", "KipTestSupport"],
            exclude: ["Golden"]),
        .testTarget(name: "KipSandboxTests", dependencies: ["KipSandbox", "KipCore", "KipTestSupport"]),
        .testTarget(name: "E2ETests", dependencies: ["KipCore", "KipTestSupport"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v5]
)
