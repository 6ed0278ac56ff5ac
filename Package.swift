// swift-tools-version:6.0
// dltrain: a distributed data-parallel trainer for dense networks on tabular data.
// Modules from the bottom up; none imports one above it:
//   CKernels     the matrix products, in C with AVX2 variants (same bits as the plain ones)
//   CDigest      SHA-256's rounds (on the CPU's SHA extensions where present), for fingerprinting data files
//   DLCore       dense-network math (layers, losses, optimizers, metrics, RNG); nothing outside this package
//   DLData       CSV reading, feature/label encoding, standardization, the shard schedule
//   DLTraining   the step loop, epoch metrics, progress output, model files
//   CZeroMQ, DLTransport   libzmq and the project's Swift wrapper over it
//   DLProtocol   the messages between coordinator and workers, and their byte layout
//   DLCoordinator, DLWorker   the two sides of a distributed run
//   dlcoord, dlworker         their command lines
//   dlbench      the benchmarks' own measurements (bench/run.py drives them beside Keras and PyTorch)
import PackageDescription

let package = Package(
    name: "dltrain",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "DLCore", targets: ["DLCore"]),
        .library(name: "DLData", targets: ["DLData"]),
        .library(name: "DLTraining", targets: ["DLTraining"]),
        .executable(name: "dlcoord", targets: ["dlcoord"]),
        .executable(name: "dlworker", targets: ["dlworker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(name: "CKernels"),
        .target(name: "CDigest"),
        .target(name: "DLCore", dependencies: ["CKernels"]),
        .target(name: "DLData", dependencies: ["DLCore", "CDigest"]),
        .target(
            name: "DLTraining",
            dependencies: ["DLCore", "DLData"]),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "DLTransport", dependencies: ["CZeroMQ"]),
        .target(name: "DLProtocol", dependencies: ["DLCore"]),
        .target(
            name: "DLWorker",
            dependencies: ["DLTraining", "DLProtocol", "DLTransport", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "DLCoordinator",
            dependencies: ["DLTraining", "DLProtocol", "DLTransport", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "dlcoord",
            dependencies: [
                "DLCoordinator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "dlworker",
            dependencies: ["DLWorker", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "dlbench",
            dependencies: [
                "DLTraining", "DLTransport", "DLProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "DLCoreTests", dependencies: ["DLCore", "CKernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DLDataTests", dependencies: ["DLData"]),
        .testTarget(name: "DLTrainingTests", dependencies: ["DLTraining"]),
        .testTarget(name: "DLTransportTests", dependencies: ["DLTransport"]),
        .testTarget(name: "DLProtocolTests", dependencies: ["DLProtocol"]),
        .testTarget(name: "DLClusterTests", dependencies: ["DLCore", "DLTraining", "DLProtocol", "DLCoordinator", "DLWorker"]),
        .testTarget(name: "EndToEndTests", dependencies: ["DLTraining", "DLProtocol", "DLTransport", "dlcoord", "dlworker"]),
    ]
)
