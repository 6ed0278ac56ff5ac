// swift-tools-version:6.0
// dltrain: a distributed data-parallel trainer for dense networks on tabular data.
// Modules from the bottom up; none imports one above it:
//   CKernels     the matrix products, in C with AVX2 variants (same bits as the plain ones)
//   DLCore       dense-network math (layers, losses, optimizers, metrics, RNG); nothing outside this package
//   CInflate     zlib, for gzip-compressed CSV files
//   DLData       CSV reading (plain or gzip), feature/label encoding, standardization, the shard schedule
//   DLTraining   the job, the shard runner and the step every trainer applies (TrainingProgress),
//                the single-process trainer; what a worker needs and nothing else
//   DLRun        a run as dlcoord performs it: job files, Keras-style output, metrics.jsonl,
//                model and checkpoint files, resuming
//   CZeroMQ, DLTransport   libzmq and the project's Swift wrapper over it
//   DLProtocol   the messages between coordinator and workers, and their byte layout
//   DLCoordinator, DLWorker   the two sides of a distributed run
//   DLMetrics    the run's state for Prometheus to scrape (dlcoord --metrics-address)
//   dlcoord, dlworker         their command lines
//   dlbench      the benchmarks' own measurements (bench/run.py drives them beside Keras and PyTorch)
import PackageDescription

let package = Package(
    name: "dltrain",
    // No Apple platforms are declared: the package is built and tested on Linux only (README.md,
    // "Builds on"); x86-64 uses AVX2 and the SHA extensions when the CPU has them.
    products: [
        .library(name: "DLCore", targets: ["DLCore"]),
        .library(name: "DLData", targets: ["DLData"]),
        .library(name: "DLTraining", targets: ["DLTraining"]),
        .library(name: "DLRun", targets: ["DLRun"]),
        .executable(name: "dlcoord", targets: ["dlcoord"]),
        .executable(name: "dlworker", targets: ["dlworker"]),
        .executable(name: "dlmodel", targets: ["dlmodel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // SHA-256 for the data fingerprint, HKDF and X25519 for the CURVE keys derived from a job's
        // secret (BoringSSL underneath, on the CPU's SHA extensions where it has them).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // /metrics: the Prometheus text format (its HTTP server is DLMetrics's own: docs/design.md).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The runtime of the ONNX and TensorBoard message types generated from their .proto files.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // The zip archive a Keras 3 .keras file is.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .target(name: "CKernels"),
        .target(name: "DLCore", dependencies: ["CKernels"]),
        // zlib from Debian: gzip-compressed CSV files, inflated a buffer at a time as they are read.
        .systemLibrary(name: "CInflate", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "DLPreprocessing"),
        .target(name: "DLData", dependencies: ["DLCore", "DLPreprocessing", "CInflate", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "DLTraining", dependencies: ["DLCore", "DLData", "DLPreprocessing"]),
        .target(name: "DLRun", dependencies: ["DLCore", "DLData", "DLPreprocessing", "DLTraining", "TensorBoardFormat", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Message types generated once from onnx.proto and TensorBoard's event protos (deploy/generate-formats.sh).
        .target(name: "ONNXFormat", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "TensorBoardFormat", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        // A trained model in other tools' formats: ONNX, and Keras 3's .keras.
        .target(
            name: "DLExport",
            dependencies: [
                "DLCore", "DLPreprocessing", "DLRun", "ONNXFormat", "CHDF5", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "DLTransport", dependencies: ["CZeroMQ", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "DLProtocol", dependencies: ["DLCore", "DLPreprocessing"]),
        .target(
            name: "DLWorker",
            dependencies: [
                "DLCore", "DLData", "DLPreprocessing", "DLTraining", "DLProtocol", "DLTransport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "DLCoordinator",
            dependencies: [
                "DLCore", "DLData", "DLTraining", "DLProtocol", "DLTransport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "DLMetrics",
            dependencies: [
                "DLCore", "DLTraining", "DLCoordinator", .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        // What more than one command line shares: the CSV format options, and how a usage error is reported.
        .target(
            name: "DLCommandLine",
            dependencies: ["DLCore", "DLTraining", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "dlcoord",
            dependencies: [
                "DLCore", "DLData", "DLPreprocessing", "DLTraining", "DLRun", "DLCoordinator", "DLTransport", "DLMetrics",
                "DLCommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "dlworker",
            dependencies: [
                "DLCore", "DLTransport", "DLWorker", "DLCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "dlbench",
            dependencies: [
                "DLCore", "DLData", "DLTraining", "DLTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Using a trained model: its summary, predictions, evaluation and export; runs' curves.
        .executableTarget(
            name: "dlmodel",
            dependencies: [
                "DLCore", "DLTraining", "DLRun", "DLExport", "DLCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Hostile bytes for every reader of outside input (messages as the worker and coordinator
        // sessions receive them): a corpus replayer, and with -D FUZZING a libFuzzer binary (Tests/Fuzz/run.sh).
        .executableTarget(
            name: "dlfuzz", dependencies: ["DLCore", "DLData", "DLTraining", "DLProtocol", "DLRun", "DLCoordinator", "DLWorker"]),
        // Helpers every test tier shares: the repository's data sets, temporary folders, the jobs the tests train.
        .target(name: "DLTestSupport", dependencies: ["DLTraining", "CTestWatchdog"], path: "Tests/DLTestSupport"),
        // Ends a test binary that hangs past any bound, printing its threads, so CI shows the stuck test.
        .target(name: "CTestWatchdog", path: "Tests/CTestWatchdog"),
        .testTarget(name: "DLCoreTests", dependencies: ["DLCore", "CKernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DLPreprocessingTests", dependencies: ["DLPreprocessing"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DLDataTests", dependencies: ["DLCore", "DLData", "DLPreprocessing", "DLTestSupport"]),
        .testTarget(
            name: "DLTrainingTests", dependencies: ["DLCore", "DLData", "DLTraining", "DLTestSupport"],
            exclude: ["Fixtures/record_keras_early_stopping.py"],
            resources: [.copy("Fixtures/keras_early_stopping.json"), .copy("Fixtures/keras_regularizers.json")]),
        .testTarget(name: "DLRunTests", dependencies: ["DLCore", "DLData", "DLPreprocessing", "DLTraining", "DLRun", "DLTestSupport"]),
        .testTarget(name: "DLExportTests", dependencies: ["DLCore", "DLData", "DLExport", "DLPreprocessing", "DLRun", "DLTraining", "DLTestSupport"]),
        .testTarget(name: "DLTransportTests", dependencies: ["DLTransport"]),
        .testTarget(name: "DLProtocolTests", dependencies: ["DLCore", "DLPreprocessing", "DLProtocol", "DLTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DLCoordinatorTests", dependencies: ["DLProtocol", "DLCoordinator"]),
        .testTarget(name: "DLMetricsTests", dependencies: ["DLMetrics", "DLCoordinator", "DLProtocol", "DLTraining", "DLTestSupport"]),
        // The coordinator and workers together, as state machines in memory.
        .testTarget(
            name: "DLClusterTests",
            dependencies: [
                "DLCore", "DLData", "DLTraining", "DLRun", "DLProtocol", "DLTransport", "DLCoordinator", "DLWorker", "DLTestSupport",
            ]),
        // The package as a whole: its declared module graph against the sources' imports and docs/design.md.
        .testTarget(name: "PackageTests", dependencies: ["DLTestSupport"]),
        // The real executables, started as processes.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "DLPreprocessing", "DLRun", "DLProtocol", "DLTransport", "DLTestSupport", "dlcoord", "dlworker", "dlmodel",
                "dlbench", "dlfuzz",
            ],
            exclude: ["adapt-k8s.py"]),
    ]
)
