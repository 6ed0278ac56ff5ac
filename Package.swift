// swift-tools-version:6.0
// dltrain: a distributed data-parallel trainer for dense networks on tabular data.
// Modules from the bottom up; none imports one above it:
//   DLCore       dense-network math (layers, losses, optimizers, metrics, RNG); no dependencies
//   DLData       CSV reading, feature/label encoding, standardization, the shard schedule
//   DLTraining   the step loop, epoch metrics, progress output, model files
//   CZeroMQ, DLTransport   libzmq and the project's Swift wrapper over it
//   dlcoord      the command-line front end
import PackageDescription

let package = Package(
    name: "dltrain",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "DLCore", targets: ["DLCore"]),
        .library(name: "DLData", targets: ["DLData"]),
        .library(name: "DLTraining", targets: ["DLTraining"]),
        .executable(name: "dlcoord", targets: ["dlcoord"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(name: "DLCore"),
        .target(name: "DLData", dependencies: ["DLCore"]),
        .target(
            name: "DLTraining",
            dependencies: ["DLCore", "DLData", .product(name: "Logging", package: "swift-log")]),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "DLTransport", dependencies: ["CZeroMQ"]),
        .executableTarget(
            name: "dlcoord",
            dependencies: [
                "DLTraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "DLCoreTests", dependencies: ["DLCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DLDataTests", dependencies: ["DLData"]),
        .testTarget(name: "DLTrainingTests", dependencies: ["DLTraining"]),
        .testTarget(name: "DLTransportTests", dependencies: ["DLTransport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["DLTraining", "dlcoord"]),
    ]
)
