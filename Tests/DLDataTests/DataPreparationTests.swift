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
        let (data, rows) = try DataPreparation.prepare(settings, head: .named(loss, outputs: outputs))
        let described = try DataDescription.describe(settings, head: .named(loss, outputs: outputs), chunkSize: 5)
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

    /// A label the output layer and loss cannot represent is refused with a line that shows it and
    /// the flags that fit, the same whether the rows are read at once or streamed.
    func testLabelsOutsideWhatTheHeadTakesAreRefusedWithTheFlagsThatFit() throws {
        let path = try temporaryCSV("1,0\n2,1\n3,2\n")
        let threeClasses = "--layers 30:relu,3:softmax --loss sparse_categorical_crossentropy"
        try assertRefused(path, .named(.binaryCrossentropy, outputs: 1), HeadMismatch(
            path: path, line: 3, column: 1, columnName: nil, holds: "the whole numbers 0 to 2",
            head: "the output layer 1:sigmoid with binary_crossentropy",
            reason: "binary_crossentropy takes values from 0 to 1, not 2", advice: threeClasses))
        try assertRefused(path, .named(.sparseCategoricalCrossentropy, outputs: 2), HeadMismatch(
            path: path, line: 3, column: 1, columnName: nil, holds: "the whole numbers 0 to 2",
            head: "the output layer 2:softmax with sparse_categorical_crossentropy",
            reason: "it has 2 units, one per class, for 3 classes", advice: threeClasses))
        let fractional = try temporaryCSV("1,0\n2,0.5\n3,4\n")
        try assertRefused(fractional, .named(.categoricalCrossentropy, outputs: 3), HeadMismatch(
            path: fractional, line: 2, column: 1, columnName: nil, holds: "numbers from 0 to 4",
            head: "the output layer 3:softmax with categorical_crossentropy",
            reason: "it takes class indices, whole numbers from 0 to 2", advice: "--layers 30:relu,1:linear --loss mse --metrics mae"))
    }

    /// The seed job's default head, one sigmoid unit under mean squared error, on labels it cannot
    /// give: ten text classes, and a quantity (the two cases a new user met silently).
    func testTheDefaultHeadRefusesClassesAndQuantities() throws {
        let seedHead = HeadRequest(output: DenseSpec(units: 1, activation: .sigmoid), loss: .meanSquaredError, hiddenLayers: "30:relu")
        let classes = (0..<30).map { "\($0),\(["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen", "owl", "yak"][$0 % 10])" }
        let text = try temporaryCSV("x,animal\n" + classes.joined(separator: "\n"))
        try assertRefused(text, seedHead, HeadMismatch(
            path: text, line: nil, column: 1, columnName: "animal", holds: "10 classes (\"ant\", \"bee\", \"cat\", \"dog\", \"eel\", …)",
            head: "the output layer 1:sigmoid with mean_squared_error",
            reason: "one unit per label column would learn the class indices 0 to 9 as quantities",
            advice: "--layers 30:relu,10:softmax --loss sparse_categorical_crossentropy"))
        let prices = try temporaryCSV("rooms,price\n3,250000.5\n2,0.25\n5,22560753459\n")
        try assertRefused(prices, seedHead, HeadMismatch(
            path: prices, line: 4, column: 1, columnName: "price", holds: "numbers from 0.25 to 22560753664",
            head: "the output layer 1:sigmoid with mean_squared_error", reason: "it gives values from 0 to 1, not 22560753664",
            advice: "--layers 30:relu,1:linear --loss mse --metrics mae"))
        let oneSoftmax = HeadRequest(output: DenseSpec(units: 1, activation: .softmax), loss: .meanSquaredError, hiddenLayers: "")
        try assertRefused(try temporaryCSV("1,0\n2,1\n"), oneSoftmax, nil)
    }

    func testTheSeedJobsHeadFitsItsLabel() throws {
        let data = try prepare("1,0\n2,1\n3,0\n", loss: .meanSquaredError, outputs: 1)
        XCTAssertNil(data.data.head.choice)
    }

    /// `auto` chooses by the same rule the advice follows.
    func testAutoChoosesTheOutputLayerAndTheLossFromTheLabel() throws {
        func chosen(_ text: String, output: DenseSpec? = nil, loss: Loss? = nil) throws -> OutputHead {
            let settings = DataSettings(path: try temporaryCSV(text))
            let request = HeadRequest(output: output, loss: loss, hiddenLayers: "30:relu")
            let prepared = try DataPreparation.prepare(settings, head: request).data.head
            XCTAssertEqual(try DataDescription.describe(settings, head: request, chunkSize: 7).head, prepared)
            return prepared
        }
        let binary = try chosen("1,yes\n2,no\n3,no\n")
        XCTAssertEqual(binary.output, DenseSpec(units: 1, activation: .sigmoid))
        XCTAssertEqual(binary.loss, .binaryCrossentropy)
        XCTAssertEqual(binary.choice?.isRegression, false)
        let species = try chosen("1,setosa\n2,virginica\n3,versicolor\n")
        XCTAssertEqual(species.output, DenseSpec(units: 3, activation: .softmax))
        XCTAssertEqual(species.loss, .sparseCategoricalCrossentropy)
        let digits = try chosen("1,0\n2,4\n3,7\n")
        XCTAssertEqual(digits.output, DenseSpec(units: 8, activation: .softmax))
        let price = try chosen("1,0.5\n2,4\n3,700\n")
        XCTAssertEqual(price.output, DenseSpec(units: 1, activation: .linear))
        XCTAssertEqual(price.loss, .meanSquaredError)
        XCTAssertEqual(price.choice?.isRegression, true)
        XCTAssertEqual(price.choice?.summary, "1:linear and mean_squared_error for column 1 (numbers from 0.5 to 700)")
        // One of the two left to the label: chosen to fit the other.
        XCTAssertEqual(try chosen("1,a\n2,b\n3,c\n", loss: .categoricalCrossentropy).output, DenseSpec(units: 3, activation: .softmax))
        XCTAssertEqual(try chosen("1,a\n2,b\n3,c\n", output: DenseSpec(units: 3, activation: .softmax)).loss, .sparseCategoricalCrossentropy)
        XCTAssertEqual(try chosen("1,0\n2,1\n", output: DenseSpec(units: 1, activation: .sigmoid)).loss, .binaryCrossentropy)
        XCTAssertEqual(try chosen("1,0\n2,5\n", output: DenseSpec(units: 1, activation: .relu)).loss, .meanSquaredError)
        // What cannot fit is still refused: a softmax loss on a quantity.
        XCTAssertThrowsError(try chosen("1,0.5\n2,3.25\n", loss: .sparseCategoricalCrossentropy))
    }

    /// Refused by `prepare`, by `describe` when it surveys the labels, or else by the stream of the
    /// rows, with the same error (nil: any head mismatch).
    private func assertRefused(
        _ path: String, _ head: HeadRequest, _ expected: HeadMismatch?, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let settings = DataSettings(path: path)
        func check(_ error: Error) {
            guard case let .headDoesNotFitLabel(mismatch) = error as? DataError else {
                return XCTFail("\(error)", file: file, line: line)
            }
            if let expected { XCTAssertEqual(mismatch, expected, file: file, line: line) }
        }
        XCTAssertThrowsError(try DataPreparation.prepare(settings, head: head), file: file, line: line) { check($0) }
        XCTAssertThrowsError(try {
            let stream = try DataDescription.describe(settings, head: head, chunkSize: 5).rows(chunkSize: 5)
            while try stream.next() != nil {}
        }(), file: file, line: line) { check($0) }
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
        XCTAssertThrowsError(try DataPreparation.prepare(settings, head: .named(.meanSquaredError, outputs: 1))) { error in
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

extension HeadRequest {
    /// A head given by its loss and width, with the activation Keras users pair with the loss.
    static func named(_ loss: Loss, outputs: Int) -> HeadRequest {
        let activation: Activation = switch loss {
        case .binaryCrossentropy: .sigmoid
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy: .softmax
        case .meanSquaredError, .meanAbsoluteError: .linear
        }
        return HeadRequest(output: DenseSpec(units: outputs, activation: activation), loss: loss, hiddenLayers: "30:relu")
    }
}
