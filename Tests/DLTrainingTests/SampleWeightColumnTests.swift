// --sample-weight-column: the column is no feature, travels as the last target value of each row,
// weighs training and validation; a column of weights 1 trains exactly as no column; a bad cell
// (a word, a gap, a negative number) is refused with its line and column, in a table of numbers and
// in a preprocessed one, as is a weight column that is also a feature or a label.

import DLCore
import DLData
@testable import DLTraining
import Foundation
import XCTest

final class SampleWeightColumnTests: XCTestCase {
    /// 60 rows: x1, x2, a 0/1 label y and a weight w (`weight` per row, or 0.5, 1.5, 0 in turn).
    private func write(_ name: String, weight: ((Int) -> String)? = { ["0.5", "1.5", "0"][$0 % 3] }, text: Bool = false) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sample-weights-\(getpid())-\(name).csv").path
        var csv = "x1,x2,\(text ? "kind," : "")y\(weight == nil ? "" : ",w")\n"
        for row in 0..<60 {
            let x1 = Double(row % 7) / 7 - 0.4, x2 = Double((row * 5) % 11) / 11 - 0.5
            csv += "\(x1),\(x2),\(text ? ["red", "blue"][row % 2] + "," : "")\(x1 + x2 > 0 ? 1 : 0)"
            csv += weight.map { ",\($0(row))" } ?? ""
            csv += "\n"
        }
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func settings(_ path: String, column: String? = "w") -> JobSettings {
        var settings = JobSettings()
        settings.data = path
        settings.labelColumn = ["y"]
        settings.layers = "4:relu,1:sigmoid"
        settings.loss = "binary_crossentropy"
        settings.epochs = 2
        settings.shards = 2
        settings.validationSplit = 0.25
        settings.fit.sampleWeightColumn = column
        return settings
    }

    func testTheColumnIsNoFeatureAndEndsEachRowsTargets() throws {
        let job = try TrainingJob(settings(try write("layout")))
        XCTAssertEqual(job.data.featureNames, ["x1", "x2"])
        XCTAssertEqual(job.data.sampleWeightColumn, "w")
        let rows = try XCTUnwrap(job.rows)
        XCTAssertEqual(rows.training.targetWidth, 2)
        XCTAssertEqual(Array(rows.training.targets.prefix(6)).enumerated().filter { $0.offset % 2 == 1 }.map(\.element), [0.5, 1.5, 0])
        XCTAssertEqual(rows.validation?.targets.count, 2 * 15)
        // A coordinator's stream gives the same rows.
        let chunk = try XCTUnwrap(try TrainingJob(settings(try write("layout")), loadsRows: false).data.rows().next())
        XCTAssertEqual(Array(chunk.rows.targets.prefix(rows.training.targets.count)), rows.training.targets)
    }

    /// Weights of 1 train bit for bit as no weight column; other weights change the loss and the
    /// weights, and val_loss, but not the (unweighted) accuracy at the same parameters.
    func testWeightsOfOneTrainAsNoColumn() throws {
        let plain = try LocalTrainer(job: TrainingJob(settings(try write("plain", weight: nil), column: nil))).train()
        let ones = try LocalTrainer(job: TrainingJob(settings(try write("ones", weight: { _ in "1" })))).train()
        XCTAssertEqual(plain.map(\.values), ones.map(\.values))
        let weighted = try LocalTrainer(job: TrainingJob(settings(try write("weighted")))).train()
        XCTAssertNotEqual(try XCTUnwrap(weighted[0].value("loss")), try XCTUnwrap(plain[0].value("loss")))
        XCTAssertNotEqual(try XCTUnwrap(weighted[0].value("val_loss")), try XCTUnwrap(plain[0].value("val_loss")))
    }

    func testTheSameInATableThatIsPreprocessed() throws {
        let job = try TrainingJob(settings(try write("text", text: true)))
        XCTAssertNotNil(job.data.preprocessing)
        XCTAssertEqual(try XCTUnwrap(job.rows).training.targetWidth, 2)
        XCTAssertFalse(job.data.preprocessing?.columns.map(\.name).contains("w") ?? true)
        _ = try LocalTrainer(job: job).train()
    }

    func testBadCellsAreRefusedWithTheirLineAndColumn() throws {
        for (name, cell) in [("word", "heavy"), ("negative", "-1"), ("empty", ""), ("nan", "nan")] {
            for text in [false, true] {
                let path = try write("\(name)-\(text)", weight: { $0 == 6 ? cell : "1" }, text: text)
                XCTAssertThrowsError(try TrainingJob(settings(path)), "\(name) \(text)") { error in
                    guard case let .badSampleWeight(_, line, column, columnName, _) = (error as? DataError)?.withoutAdvice else {
                        return XCTFail("\(name) \(text): \(error)")
                    }
                    XCTAssertEqual(line, 8, "\(name) \(text): the header is line 1, row 6 line 8")
                    XCTAssertEqual(column, text ? 4 : 3)
                    XCTAssertEqual(columnName, "w")
                    XCTAssertTrue("\(error)".contains("--sample-weight-column"), "\(error)")
                }
            }
        }
        // The first cell a word: the column reads as text, and its first non-number is named.
        let first = try write("first-word", weight: { $0 < 2 ? "n/a" : "1" })
        XCTAssertThrowsError(try TrainingJob(settings(first))) { error in
            guard case let .badSampleWeight(_, line, _, _, found) = (error as? DataError)?.withoutAdvice else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 2)
            XCTAssertEqual(found, "n/a")
        }
    }

    func testAWeightColumnThatIsAlsoAFeatureOrTheLabelIsRefused() throws {
        let path = try write("reused")
        var feature = settings(path)
        feature.features = ["x1", "w"]
        XCTAssertThrowsError(try TrainingJob(feature)) { error in
            XCTAssertEqual((error as? DataError)?.withoutAdvice, .sampleWeightColumnReused(path: path, column: 3, name: "w", role: "feature"))
        }
        var label = settings(path, column: "y")
        label.labelColumn = ["y"]
        XCTAssertThrowsError(try TrainingJob(label)) { error in
            XCTAssertEqual((error as? DataError)?.withoutAdvice, .sampleWeightColumnReused(path: path, column: 2, name: "y", role: "label"))
        }
        var missing = settings(path, column: "weight")
        missing.epochs = 1
        XCTAssertThrowsError(try TrainingJob(missing)) { XCTAssertTrue("\($0)".contains("weight"), "\($0)") }
    }
}
