// swift-tools-version:6.0
// Strata: Thanos-style long-term storage for Prometheus. Module layout: see docs/architecture.md.
import PackageDescription

let package = Package(
    name: "Strata",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "strata", targets: ["strata"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // RE2 behind a tiny extern "C" shim: linear-time regex matching with Go/Prometheus syntax.
        .target(
            name: "CRE2",
            path: "Sources/CRE2",
            linkerSettings: [.linkedLibrary("re2")]
        ),
        .target(
            name: "StrataCore",
            dependencies: [
                "CRE2",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "StrataTSDB", dependencies: ["StrataCore"]),
        .target(
            name: "StrataTools",
            dependencies: [
                "StrataCore", "StrataTSDB",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "strata", dependencies: ["StrataTools"]),
        // Helpers shared by the test targets (real tools on PATH, the built binary, scratch dirs).
        .target(name: "StrataTestSupport", dependencies: ["StrataTSDB"]),
        .testTarget(name: "StrataCoreTests", dependencies: ["StrataCore"]),
        .testTarget(name: "StrataTSDBTests", dependencies: ["StrataTSDB", "StrataCore", "StrataTestSupport"]),
        .testTarget(name: "StrataToolsTests", dependencies: ["StrataTools", "StrataTSDB", "StrataCore", "StrataTestSupport"]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
