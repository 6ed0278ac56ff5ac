// Column references in job settings: indices, `A-B` ranges and header names, as a job file or
// --features states them; and the range of every numeric setting, refused with its key.

import DLCore
import DLData
@testable import DLTraining
import XCTest

final class JobSettingsTests: XCTestCase {
    func testFeatureListsExpandRangesAndKeepNames() throws {
        XCTAssertEqual(
            try JobSettings.columnReferences(["0", "2-4", "area"]), [.index(0), .index(2), .index(3), .index(4), .name("area")])
    }

    func testADescendingRangeIsRefused() {
        XCTAssertThrowsError(try JobSettings.columnReferences(["4-2"])) { error in
            XCTAssertEqual("\(error)", "invalid features \"4-2\": a range must go from low to high")
        }
    }

    /// A range is expanded into indices: one too wide for any CSV is refused, not allocated.
    func testAHugeRangeIsRefused() {
        XCTAssertThrowsError(try JobSettings.columnReferences(["0-99999999999"])) { error in
            XCTAssertEqual(
                error as? JobError,
                .badSetting("features", "0-99999999999", "a range spans at most \(JobSettings.largestColumnRange) columns"))
        }
    }

    /// Ranges and widths add up: a list of wide ranges is refused before any of it is expanded.
    func testAListNamingTooManyColumnsIsRefused() {
        XCTAssertThrowsError(try JobSettings.columnReferences(["0-999999", "0-999999"], setting: "features")) { error in
            XCTAssertEqual(
                error as? JobError,
                .badSetting("features", "0-999999", "the list names more than \(JobSettings.largestColumnRange) columns"))
        }
    }

    /// A layer list is checked with the other settings, so that --layers 99999999999:relu is a usage
    /// error naming the flag, not a failure once the job is built; the error gives the least size.
    func testALayerTooWideIsRefusedWithItsKeyAndSize() throws {
        var settings = JobSettings()
        settings.layers = "99999999999:relu,1:sigmoid"
        XCTAssertThrowsError(try settings.validate()) { error in
            let problem = ModelSpecError.tooManyUnits("99999999999:relu", maximum: LayerList.maximumUnits)
            XCTAssertEqual(error as? JobError, .badSetting("layers", settings.layers, "\(problem)"))
            XCTAssertEqual(MemoryNeed.bytes(99_999_999_999, of: 8), 799_999_999_992, "the size the message gives")
        }
    }

    /// Every numeric setting out of its range (NaN, infinite, negative, huge) is refused with its
    /// job-file key, so that nothing reaches arithmetic that would trap or a file that cannot be written.
    func testEveryNumericSettingOutOfRangeIsRefusedWithItsKey() {
        let cases: [(key: String, change: (inout JobSettings) -> Void)] = [
            ("epochs", { $0.epochs = 0 }),
            ("epochs", { $0.epochs = -1 }),
            ("epochs", { $0.epochs = Int.max }),
            ("batch_size", { $0.batchSize = 0 }),
            ("batch_size", { $0.batchSize = Int.max }),
            ("shards", { $0.shards = 0 }),
            ("shards", { $0.shards = JobSettings.maximumShards + 1 }),
            ("early_stopping_patience", { $0.earlyStoppingPatience = -1 }),
            ("validation_split", { $0.validationSplit = .nan }),
            ("validation_split", { $0.validationSplit = .infinity }),
            ("validation_split", { $0.validationSplit = 1 }),
            ("validation_split", { $0.validationSplit = -0.1 }),
            ("min_delta", { $0.minDelta = .nan }),
            ("min_delta", { $0.minDelta = -.infinity }),
            ("min_delta", { $0.minDelta = 1e300 }),  // infinite as float32
            ("learning_rate", { $0.learningRate = .nan }),
            ("learning_rate", { $0.learningRate = 0 }),
            ("learning_rate", { $0.learningRate = -0.1 }),
            ("learning_rate", { $0.learningRate = 1e300 }),
            ("learning_rate", { $0.learningRate = 1e-50 }),  // 0 as float32
            ("optimizer_arguments.beta_1", { $0.optimizerArguments = ["beta_1": .nan] }),
            ("features", { $0.features = ["0-99999999999"] }),
            ("label_column", { $0.labelColumn = ["5-2"] }),
        ]
        for (key, change) in cases {
            var settings = JobSettings()
            change(&settings)
            XCTAssertThrowsError(try settings.validate(), key) { error in
                guard case let .badSetting(found, _, _)? = error as? JobError else { return XCTFail("\(key): \(error)") }
                XCTAssertEqual(found, key)
            }
        }
        var valid = JobSettings()
        valid.epochs = JobSettings.maximumEpochs
        valid.minDelta = -0.01  // Keras takes its absolute value
        valid.validationSplit = 0.999
        XCTAssertNoThrow(try valid.validate())
    }
}
