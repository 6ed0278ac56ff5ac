// Keras parity of the whole preprocessing: for each table in Fixtures/keras_feature_space.json
// (recorded by Tests/Reference/keras_feature_space.py from Keras 3.15 FeatureSpace on
// TensorFlow 2.20), the fit on the same training rows gives Keras's vocabularies (order included)
// and bin boundaries exactly, its mean and variance to 1e-6 relative, and the expanded matrix of
// every row (unseen values included) equals FeatureSpace's output: exactly where it is an index or
// a one-hot, to 1e-6 (relative above 1) where it is a number. Every table is fitted in chunks of
// several sizes, which must give the same bits.

@testable import DLPreprocessing
import Foundation
import XCTest

final class FeatureSpaceParityTests: XCTestCase {
    func testStringCategoricalMatchesKeras() throws { try check("strings") }
    func testIntegerCategoricalMatchesKeras() throws { try check("integers") }
    func testNumericKindsMatchKeras() throws { try check("floats") }
    func testHashedKindsAndCrossesMatchKeras() throws { try check("hashed_and_crosses") }
    func testDiscretizedTiesMatchKerasWithAStableMerge() throws { try check("ties") }

    private func check(_ name: String) throws {
        let fixture = try FeatureSpaceFixture.load()
        let table = try XCTUnwrap(fixture.cases.first { $0.name == name }, "no case \(name)")
        var reference: Preprocessing?
        for chunk in [1, 7, 32, 33, 1000] {
            let preprocessing = try table.fit(chunk: chunk)
            if let reference {
                XCTAssertEqual(preprocessing, reference, "\(name): chunks of \(chunk) fit another preprocessing")
            } else {
                reference = preprocessing
            }
        }
        let preprocessing = try XCTUnwrap(reference)
        XCTAssertNil(preprocessing.inconsistency())
        for column in preprocessing.columns {
            let fitted = try XCTUnwrap(table.fitted[column.name])
            if let vocabulary = fitted.vocabulary {
                let ours = column.vocabulary ?? column.integerVocabulary?.map(String.init) ?? []
                XCTAssertEqual(ours, vocabulary.map(\.text), "\(name).\(column.name) vocabulary")
            }
            if let boundaries = fitted.boundaries {
                XCTAssertEqual(column.boundaries, boundaries.map(Float.init), "\(name).\(column.name) boundaries")
            }
            if let mean = fitted.mean, let variance = fitted.variance {
                XCTAssertEqual(Double(try XCTUnwrap(column.mean)), mean, accuracy: 1e-6 * abs(mean), "\(name).\(column.name) mean")
                XCTAssertEqual(Double(try XCTUnwrap(column.variance)), variance, accuracy: 1e-6 * variance, "\(name).\(column.name) variance")
            }
        }
        XCTAssertEqual(preprocessing.outputWidth, table.width)
        XCTAssertEqual(preprocessing.outputNames.count, table.width)
        var codes: [Float] = []
        for start in stride(from: 0, to: table.rowCount, by: 10) {
            codes += try preprocessing.codes(table.cells(start..<min(start + 10, table.rowCount)), path: "t.csv")
        }
        codes.withUnsafeBufferPointer { XCTAssertNil(preprocessing.codeProblem($0).map { "\($0)" }) }
        let inputs = preprocessing.expand(codes: codes)
        let numeric = numericOutputs(preprocessing)
        var mismatches = 0
        for row in 0..<table.rowCount {
            for column in 0..<table.width {
                let ours = Double(inputs[row * table.width + column])
                let keras = table.expected[row][column]
                let close = numeric[column] ? abs(ours - keras) <= 1e-6 * max(1, abs(keras)) : ours == keras
                if !close {
                    mismatches += 1
                    if mismatches <= 5 {
                        XCTFail("\(name) row \(row) input \(column) (\(preprocessing.outputNames[column])): \(ours), Keras \(keras)")
                    }
                }
            }
        }
        XCTAssertEqual(mismatches, 0, "\(name): inputs unlike Keras's")
    }

    /// Which model inputs are numbers rather than indices or one-hot entries.
    private func numericOutputs(_ preprocessing: Preprocessing) -> [Bool] {
        var numeric: [Bool] = []
        for c in preprocessing.featureOrder {
            let column = preprocessing.columns[c]
            numeric += Array(repeating: !column.type.kind.isIndexed, count: column.outputWidth)
        }
        for x in preprocessing.crossOrder {
            let cross = preprocessing.crosses[x].cross
            numeric += Array(repeating: false, count: cross.outputMode == .oneHot ? cross.crossingDim : 1)
        }
        return numeric + preprocessing.columns.filter(\.indicator).map { _ in false }
    }
}

/// Fixtures/keras_feature_space.json.
struct FeatureSpaceFixture: Decodable {
    let keras: String
    let cases: [Table]

    static func load() throws -> FeatureSpaceFixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "keras_feature_space", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(FeatureSpaceFixture.self, from: Data(contentsOf: url))
    }

    enum Cell: Decodable {
        case text(String)
        case number(Double)

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .text(text) } else { self = .number(try container.decode(Double.self)) }
        }

        var text: String {
            switch self {
            case .text(let text): text
            case .number(let number): number.rounded() == number ? String(Int64(number)) : String(number)
            }
        }
    }

    struct Column: Decodable {
        let name: String
        let type: String
        let values: [Cell]
    }

    struct Fitted: Decodable {
        let vocabulary: [Cell]?
        let boundaries: [Double]?
        let mean: Double?
        let variance: Double?
    }

    struct Table: Decodable {
        let name: String
        let columns: [Column]
        let crosses: [String]
        let fit_rows: Int
        let width: Int
        let expected: [[Double]]
        let fitted: [String: Fitted]

        var rowCount: Int { columns[0].values.count }

        func settings() throws -> PreprocessingSettings {
            var types: [String: FeatureType] = [:]
            for column in columns { types[column.name] = try FeatureType.parse(column.type) }
            let crosses = self.crosses.isEmpty ? [] : try PreprocessingSettings.parseCrosses(self.crosses.joined(separator: ","))
            return PreprocessingSettings(featureTypes: types, crosses: crosses)
        }

        /// The fit on every row, training rows first, fed `chunk` rows at a time.
        func fit(chunk: Int) throws -> Preprocessing {
            var fit = try PreprocessingFit(settings: settings(), standardize: false, columnNames: columns.map(\.name), path: "t.csv")
            for start in stride(from: 0, to: rowCount, by: chunk) {
                let rows = start..<min(start + chunk, rowCount)
                try fit.add(cells(rows, readings: fit.readings), trainingRows: max(0, min(rows.count, fit_rows - start)))
            }
            XCTAssertEqual(fit.mixedColumns, [])
            return try fit.result()
        }

        func cells(_ rows: Range<Int>, readings: [RawReading]? = nil) -> RawCells {
            let readings = readings ?? columns.map { $0.type.hasPrefix("string") ? .text : .numberOrText }
            return RawCells(
                rowCount: rows.count,
                columns: zip(columns, readings).map { column, reading in RawColumn.make(column.values[rows].map { cell in
                    if case .number(let number) = cell, reading == .numberOrText { return .number(number) }
                    return .text(cell.text)
                }) },
                fileColumns: Array(columns.indices), lineNumbers: rows.map { Int32($0 + 2) })
        }
    }
}

/// A cell as a reader finds it.
enum TestCell {
    case number(Double)
    case text(String)
}

extension RawColumn {
    /// A column of cells, its texts in first-seen order.
    static func make(_ cells: [TestCell]) -> RawColumn {
        var codes: [Int32] = []
        var numbers: [Double] = []
        var texts: [String] = []
        for cell in cells {
            switch cell {
            case .number(let number):
                codes.append(RawColumn.number)
                numbers.append(number)
            case .text(let text):
                if let index = texts.firstIndex(of: text) { codes.append(Int32(index)) } else {
                    codes.append(Int32(texts.count))
                    texts.append(text)
                }
                numbers.append(0)
            }
        }
        return RawColumn(codes: codes, numbers: numbers, texts: texts)
    }
}
