// Helpers every test tier shares: where the repository and its data sets are, temporary folders
// that are removed after the test, and the jobs the tests train.

import CTestWatchdog  // for its constructor alone: the watchdog of a hung test binary
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
