// --class-weight: `balanced` as scikit-learn's compute_class_weight over the training rows, classes
// named as the model file lists them, the refusals (a class the label lacks, a label of quantities,
// together with a weight column, a bad weight), the same weights whether the rows are held or
// streamed, and training that weighs only the training rows.

import DLCore
import DLData
@testable import DLTraining
import DLTestSupport
import Foundation
import XCTest

final class ClassWeightsTests: XCTestCase {
    /// The seed data's 470 training rows hold 400 of class 0 and 70 of class 1.
    func testBalancedIsScikitLearnsOverTheTrainingRows() throws {
        var settings = JobSettings.seedJob
        settings.fit.classWeight = "balanced"
        let job = try TrainingJob(settings)
        XCTAssertEqual(job.classWeights?.weights, [Float(470.0 / (2 * 400)), Float(470.0 / (2 * 70))])
        // With a validation split, only the training rows count.
        settings.validationSplit = 0.2
        let split = try TrainingJob(settings)
        let targets = try XCTUnwrap(split.rows).training.targets
        let positives = targets.filter { $0 == 1 }.count, rows = targets.count
        XCTAssertEqual(
            split.classWeights?.weights,
            [Float(Double(rows) / Double(2 * (rows - positives))), Float(Double(rows) / Double(2 * positives))])
        // A coordinator, which holds no rows, reads the same counts from the file.
        let described = try TrainingJob(settings, loadsRows: false)
        XCTAssertEqual(described.classWeights, split.classWeights)
    }

    func testGivenWeightsNameTheLabelsClasses() throws {
        var settings = JobSettings.seedJob
        settings.fit.classWeight = "1:5.5"
        XCTAssertEqual(try TrainingJob(settings).classWeights?.weights, [1, 5.5])
        settings.fit.classWeight = "2:3"
        assertRefused(settings, naming: ["class_weight", "has no class 2", "0, 1"])

        let path = try threeClasses()
        var text = JobSettings()
        text.data = path
        text.labelColumn = ["kind"]
        text.features = ["a", "b"]
        text.layers = "3:softmax"
        text.loss = "sparse_categorical_crossentropy"
        text.fit.classWeight = "mid:2,high:0.5"
        // Classes in sorted order: high, low, mid.
        XCTAssertEqual(try TrainingJob(text).classWeights?.weights, [0.5, 1, 2])
        text.fit.classWeight = "0:4"
        XCTAssertEqual(try TrainingJob(text).classWeights?.weights, [4, 1, 1], "an index names a text class too")
        text.fit.classWeight = "midd:2"
        assertRefused(text, naming: ["class_weight", "no class midd", "did you mean mid?"])
    }

    func testRefusedForALabelOfQuantities() throws {
        var settings = JobSettings()
        settings.data = try threeClasses()
        settings.labelColumn = ["size"]
        settings.features = ["a", "b"]
        settings.layers = "1:linear"
        settings.loss = "mse"
        settings.fit.classWeight = "balanced"
        assertRefused(settings, naming: ["class_weight", "quantities", "--sample-weight-column"])
    }

    func testBadTextIsRefusedBeforeTheDataIsRead() {
        for bad in ["0:x", "0:-1", "0:inf", "heavy", "0:1,0:2", ":3"] {
            var settings = JobSettings.seedJob
            settings.data = "/nonexistent.csv"
            settings.fit.classWeight = bad
            XCTAssertThrowsError(try settings.validate(), bad) { error in
                guard case let JobError.badSetting(key, value, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(key, "class_weight")
                XCTAssertEqual(value, bad)
            }
        }
        var both = JobSettings.seedJob
        both.fit.classWeight = "balanced"
        both.fit.sampleWeightColumn = "weight"
        XCTAssertThrowsError(try both.validate()) { error in
            guard case let JobError.badSetting(key, _, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "class_weight")
            XCTAssertTrue(reason.contains("sample_weight_column"), reason)
        }
    }

    /// Class weights change the training loss and the weights, never the validation values at the
    /// same parameters: a weight of 1 for every class trains exactly as no weights do.
    func testWeightsOfOneTrainAsNoWeights() throws {
        var settings = JobSettings.seedJob
        settings.epochs = 2
        settings.shards = 2
        settings.validationSplit = 0.2
        let plain = try LocalTrainer(job: TrainingJob(settings)).train()
        settings.fit.classWeight = "0:1,1:1"
        let ones = try LocalTrainer(job: TrainingJob(settings)).train()
        XCTAssertEqual(plain.map(\.values), ones.map(\.values))
        settings.fit.classWeight = "balanced"
        let balanced = try LocalTrainer(job: TrainingJob(settings)).train()
        XCTAssertNotEqual(try XCTUnwrap(balanced[0].value("loss")), try XCTUnwrap(plain[0].value("loss")))
    }

    private func threeClasses() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("class-weights-\(getpid()).csv").path
        try SyntheticData.writeThreeClasses(to: path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func assertRefused(_ settings: JobSettings, naming parts: [String], line: UInt = #line) {
        XCTAssertThrowsError(try TrainingJob(settings), line: line) { error in
            for part in parts { XCTAssertTrue("\(error)".contains(part), "\(error) lacks \(part)", line: line) }
        }
    }
}
