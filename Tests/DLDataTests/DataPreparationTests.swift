// From CSV to training rows: label encodings for each loss, label checks with located errors, the
// Keras validation split, and standardization fitted on the training rows only.

import DLCore
import XCTest

@testable import DLData

final class DataPreparationTests: XCTestCase {
    /// A file's data prepared at once, after checking that describing it and reading its rows a
    /// chunk at a time (chunks smaller than one record) gives the same description and rows: the
    /// streamed rows raw, and standardized by the fit the stream made, to the same bits.
    private func prepare(
        _ text: String, loss: Loss, outputs: Int, labels: [ColumnReference]? = nil, split: Double = 0,
        standardize: Bool = false, file: StaticString = #filePath, line: UInt = #line
    ) throws -> Prepared {
        let settings = DataSettings(
            path: try temporaryCSV(text), labelColumns: labels, validationSplit: split, standardize: standardize)
        let (data, rows) = try DataPreparation.prepare(settings, loss: loss, outputs: outputs)
        let described = try DataDescription.describe(settings, loss: loss, outputs: outputs, chunkSize: 5)
        XCTAssertEqual(described.labels, data.labels, file: file, line: line)
        XCTAssertEqual(described.featureNames, data.featureNames, file: file, line: line)
        XCTAssertNil(described.standardization, "fitted by the first read of the rows", file: file, line: line)
        XCTAssertEqual(described.fingerprint, data.fingerprint, file: file, line: line)
        XCTAssertEqual(described.trainingCount, rows.training.count, file: file, line: line)
        XCTAssertEqual(described.validationCount, rows.validation?.count ?? 0, file: file, line: line)
        var features: [Float] = [], targets: [Float] = []
        let stream = try described.rows(chunkSize: 5)
        while let chunk = try stream.next() {
            XCTAssertEqual(chunk.firstRow * data.featureCount, features.count, file: file, line: line)
            features += chunk.rows.features
            targets += chunk.rows.targets
        }
        XCTAssertEqual(described.standardization, data.standardization, file: file, line: line)
        if let standardization = described.standardization {
            features.withUnsafeMutableBufferPointer { standardization.apply(to: $0) }
        }
        XCTAssertEqual(features, rows.training.features + (rows.validation?.features ?? []), file: file, line: line)
        XCTAssertEqual(targets, rows.training.targets + (rows.validation?.targets ?? []), file: file, line: line)
        return Prepared(data: data, rows: rows)
    }

    private struct Prepared {
        let data: DataDescription
        let rows: PreparedRows

        var training: TabularRows { rows.training }
        var validation: TabularRows? { rows.validation }
        var labels: LabelEncoding { data.labels }
        var featureNames: [String] { data.featureNames }
        var standardization: Standardization? { data.standardization }
    }

    func testTextClassesBecomeSortedIndices() throws {
        let data = try prepare("1,2,M\n3,4,B\n5,6,M\n", loss: .binaryCrossentropy, outputs: 1)
        XCTAssertEqual(data.labels, LabelEncoding(kind: .values, columns: ["column 2"], classes: ["B", "M"]))
        XCTAssertEqual(data.training.targets, [1, 0, 1])
        XCTAssertEqual(data.training.features, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(data.featureNames, ["column 0", "column 1"])
    }

    func testOneLabelColumnIsOneHotForSeveralOutputs() throws {
        let data = try prepare("a,b,species\n1,2,virginica\n3,4,setosa\n5,6,versicolor\n", loss: .categoricalCrossentropy, outputs: 3)
        XCTAssertEqual(data.labels.kind, .oneHot)
        XCTAssertEqual(data.labels.classes, ["setosa", "versicolor", "virginica"])
        XCTAssertEqual(data.training.targets, [0, 0, 1, 1, 0, 0, 0, 1, 0])
        XCTAssertEqual(data.featureNames, ["a", "b"])
    }

    func testSparseLabelsAreClassIndices() throws {
        let data = try prepare("1,2,3\n3,4,0\n", loss: .sparseCategoricalCrossentropy, outputs: 4)
        XCTAssertEqual(data.labels.kind, .classIndex)
        XCTAssertEqual(data.training.targetWidth, 1)
        XCTAssertEqual(data.training.targets, [3, 0])
    }

    func testSeveralLabelColumnsForSeveralOutputs() throws {
        let data = try prepare("1,2,3,4\n5,6,7,8\n", loss: .meanAbsoluteError, outputs: 2, labels: [.index(2), .index(3)])
        XCTAssertEqual(data.training.targets, [3, 4, 7, 8])
        XCTAssertEqual(data.training.featureCount, 2)
    }

    func testLabelsOutsideWhatTheLossTakesAreLocated() throws {
        let path = try temporaryCSV("1,0\n2,1\n3,2\n")
        assertDataError(
            .labelOutOfRange(path: path, line: 3, column: 1, name: nil, found: 2, expected: "a value from 0 to 1 for binary_crossentropy"),
            message: "\(path):3: column 1: label 2.0 is out of range: expected a value from 0 to 1 for binary_crossentropy"
        ) { try DataPreparation.prepare(DataSettings(path: path), loss: .binaryCrossentropy, outputs: 1) }
        assertDataError(
            .labelOutOfRange(path: path, line: 3, column: 1, name: nil, found: 2, expected: "a class index from 0 to 1"),
            message: "\(path):3: column 1: label 2.0 is out of range: expected a class index from 0 to 1"
        ) { try DataPreparation.prepare(DataSettings(path: path), loss: .sparseCategoricalCrossentropy, outputs: 2) }
        let fractional = try temporaryCSV("1,0\n2,0.5\n")
        XCTAssertThrowsError(try DataPreparation.prepare(DataSettings(path: fractional), loss: .categoricalCrossentropy, outputs: 3)) {
            XCTAssertTrue("\($0)".contains(":2: column 1: label 0.5 is out of range"), "\($0)")
        }
    }

    func testTooManyClassesForTheOutputLayer() throws {
        let path = try temporaryCSV("1,a\n2,b\n3,c\n")
        XCTAssertThrowsError(try DataPreparation.prepare(DataSettings(path: path), loss: .binaryCrossentropy, outputs: 1)) { error in
            XCTAssertEqual(
                "\(error)",
                "\(path): column 1: 3 classes (\"a\", \"b\", \"c\"), but binary_crossentropy with this output layer takes at most 2; "
                    + "give the last layer one unit per class")
        }
    }

    func testLabelColumnsMustFitTheOutputs() throws {
        XCTAssertThrowsError(try prepare("1,2,3\n", loss: .meanSquaredError, outputs: 3, labels: [.index(1), .index(2)])) { error in
            XCTAssertEqual(error as? DataError, .labelsDoNotFitOutputs(labelColumns: 2, outputs: 3, loss: "mean_squared_error"))
        }
    }

    func testValidationSplitTakesTheLastRowsAsKerasDoes() throws {
        let rows = (0..<10).map { "\($0),\($0 % 2)" }.joined(separator: "\n")
        let data = try prepare(rows, loss: .binaryCrossentropy, outputs: 1, split: 0.25)
        // floor(10 * 0.75) = 7 training rows, the last 3 for validation.
        XCTAssertEqual(data.training.features, [0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(data.validation?.features, [7, 8, 9])
        XCTAssertThrowsError(try prepare("1,0\n", loss: .binaryCrossentropy, outputs: 1, split: 0.5)) { error in
            XCTAssertEqual("\(error)", "validation split 0.5 of 1 rows leaves no training or no validation rows")
        }
        XCTAssertThrowsError(try prepare("1,0\n", loss: .binaryCrossentropy, outputs: 1, split: 1))
    }

    func testStandardizationIsFittedOnTrainingRowsOnly() throws {
        let data = try prepare("1,5,0\n3,5,1\n100,5,0\n", loss: .binaryCrossentropy, outputs: 1, split: 0.3, standardize: true)
        let standardization = try XCTUnwrap(data.standardization)
        XCTAssertEqual(standardization.mean, [2, 5])
        XCTAssertEqual(standardization.scale, [1, 1], "population deviation of 1 and 3 is 1; a constant column keeps scale 1")
        XCTAssertEqual(data.training.features, [-1, 0, 1, 0])
        XCTAssertEqual(data.validation?.features, [98, 0])
    }

    /// The one-pass fit on values far from zero with a small spread (timestamps, say), where a sum
    /// of squares would cancel: equal, to float32's precision, to the two-pass fit in Double.
    func testStandardizationOfLargeValuesWithASmallSpreadKeepsItsPrecision() throws {
        let values = (0..<1000).map { 100_000 + Float($0 % 37) * 0.25 }
        let data = try prepare(values.map { "\($0),1" }.joined(separator: "\n"), loss: .meanSquaredError, outputs: 1, standardize: true)
        let mean = values.reduce(0.0) { $0 + Double($1) } / 1000
        let deviation = (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / 1000).squareRoot()
        let standardization = try XCTUnwrap(data.standardization)
        XCTAssertEqual(standardization.mean, [Float(mean)])
        XCTAssertEqual(Double(standardization.scale[0]), deviation, accuracy: deviation * 1e-6)
    }

    func testFeatureAndLabelMustDiffer() throws {
        let settings = DataSettings(path: try temporaryCSV("1,2\n"), labelColumns: [.index(1)], featureColumns: [.index(0), .index(1)])
        XCTAssertThrowsError(try DataPreparation.prepare(settings, loss: .meanSquaredError, outputs: 1)) { error in
            XCTAssertTrue("\(error)".hasSuffix("column 1 is both a feature and a label"))
        }
    }

    func testPlaceSliceAndGatherMoveRowsInOrder() {
        var rows = TabularRows(zeroRows: 3, featureCount: 2, targetWidth: 1)
        rows.place(features: [20, 21, 0, 1], targets: [2, 0], at: [2, 0])
        rows.place(features: [10, 11], targets: [1], at: [1])
        XCTAssertEqual(rows.features, [0, 1, 10, 11, 20, 21])
        XCTAssertEqual(rows.slice(1..<3).targets, [1, 2])
        var features = [Float](repeating: 0, count: 4), targets = [Float](repeating: 0, count: 2)
        rows.gather([1, 2], features: &features, targets: &targets)
        XCTAssertEqual(features, [10, 11, 20, 21])
        XCTAssertEqual(targets, [1, 2])
    }
}
