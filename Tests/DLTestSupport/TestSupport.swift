// Helpers every test tier shares: where the repository and its data sets are, temporary folders
// that are removed after the test, and the jobs the tests train.

import DLTraining
import Foundation
import XCTest

public enum Repository {
    /// The package root, found from this file's path (Tests/DLTestSupport/...).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static func dataset(_ name: String) -> String { root + "/dataset/" + name }
}

/// A fresh temporary directory, removed when the test ends.
public func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

extension JobSettings {
    /// The seed job with its data path made absolute.
    public static var seedJob: JobSettings {
        var settings = JobSettings()
        settings.data = Repository.dataset("ThoraricSurgery.csv")
        return settings
    }

    /// The breast-cancer job Keras's reference numbers were recorded for (Tests/Reference).
    public static var breastCancerJob: JobSettings {
        var settings = JobSettings()
        settings.data = Repository.dataset("breast_cancer.csv")
        settings.layers = "16:relu,1:sigmoid"
        settings.loss = "binary_crossentropy"
        settings.epochs = 50
        settings.validationSplit = 0.2
        settings.standardize = true
        return settings
    }
}

extension TrainingJob {
    /// The seed job on the repository's data set, with S shards and a validation split.
    public static func seedJob(shards: Int = 4, epochs: Int, validation: Double = 0.2) throws -> TrainingJob {
        var settings = JobSettings.seedJob
        settings.epochs = epochs
        settings.shards = shards
        settings.validationSplit = validation
        return try TrainingJob(settings)
    }
}

/// What a child process printed, and how it ended.
public struct ProcessResult {
    public let status: Int32
    public let output: Data
    public let errors: Data
}

public struct ProcessTimeout: Error, CustomStringConvertible {
    public let description: String
}

/// Runs `executable` with `arguments` and waits at most `timeout` seconds for it. The child writes
/// both streams to files, so neither can fill a pipe and stop it whatever it prints; one still
/// running after `timeout` is killed and reported.
public func runProcess(_ executable: String, _ arguments: [String], timeout: Double = 120) throws -> ProcessResult {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-child-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outputFile = directory.appendingPathComponent("stdout"), errorFile = directory.appendingPathComponent("stderr")
    for file in [outputFile, errorFile] {
        // One that cannot be made fails below, in FileHandle(forWritingTo:), naming the file.
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: outputFile)
    process.standardError = try FileHandle(forWritingTo: errorFile)
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    if exited.wait(timeout: .now() + timeout) == .timedOut {
        kill(process.processIdentifier, SIGKILL)
        _ = exited.wait(timeout: .now() + 10)
        throw ProcessTimeout(description: "\(executable) did not finish within \(Int(timeout)) s; killed")
    }
    return ProcessResult(
        status: process.terminationStatus, output: try Data(contentsOf: outputFile), errors: try Data(contentsOf: errorFile))
}
