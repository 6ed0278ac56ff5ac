// Codes and expansion beyond the Keras tables: the concat order and names, out-of-vocabulary and
// missing categories, the checks of codes and of a preprocessing that came from outside (a model
// file, a message), and the JSON a model file stores.

@testable import DLPreprocessing
import Foundation
import XCTest

final class PreprocessingCodingTests: XCTestCase {
    private func sample() -> Preprocessing {
        Preprocessing(
            columns: [
                FittedColumn(name: "é", type: FeatureType(.float), inferred: true, fill: 0.5, indicator: true),
                FittedColumn(name: "b", type: FeatureType(.stringCategorical, numOOVIndices: 2), inferred: false, vocabulary: ["x", "y"]),
                FittedColumn(name: "B", type: FeatureType(.floatDiscretized, numBins: 3), inferred: false, fill: 1, boundaries: [0, 2]),
                FittedColumn(name: "k", type: FeatureType(.integerCategorical, numOOVIndices: 0, outputMode: .int), inferred: false, integerVocabulary: [7, 3]),
            ],
            crosses: [], naValues: ["", "NA"])
    }

    func testInputsAreInFeatureSpaceOrderWithNames() throws {
        let p = sample()
        // Python's sorted: "B" < "b" < "k" < "é" (code points), then the indicators in feature order.
        XCTAssertEqual(p.outputNames, ["B[bin 0]", "B[bin 1]", "B[bin 2]", "b=[OOV0]", "b=[OOV1]", "b=x", "b=y", "k", "é", "é[missing]"])
        XCTAssertEqual(p.outputWidth, 10)
        XCTAssertEqual(p.codeWidth, 4)
        XCTAssertNil(p.inconsistency())
        XCTAssertEqual(p.readings, [.numberOrText, .text, .numberOrText, .numberOrText])
        let cells = RawCells(
            rowCount: 2,
            columns: [RawColumn.make([.number(3), .text("NA")]), RawColumn.make([.text("y"), .text("x")]),
                      RawColumn.make([.number(2), .text("")]), RawColumn.make([.number(3), .number(7)])],
            fileColumns: [0, 1, 2, 3], lineNumbers: [2, 3])
        let codes = try p.codes(cells, path: "d.csv")
        XCTAssertEqual(codes[0], 3)
        XCTAssertTrue(codes[4].isNaN)
        XCTAssertEqual(Array(codes[1...3]), [3, 2, 1])
        XCTAssertEqual(codes[5], 2)
        XCTAssertTrue(codes[6].isNaN)
        XCTAssertEqual(codes[7], 0)
        XCTAssertEqual(p.expand(codes: codes), [
            0, 0, 1, 0, 0, 0, 1, 1, 3, 0,  // bin of 2 is 2 (boundaries <= 2: both); y is index 3
            0, 1, 0, 0, 0, 1, 0, 0, 0.5, 1,  // a missing B takes its fill 1 (bin 1); é is missing: 0.5 and its indicator
        ])
    }

    func testAOneHotOfOneIndexIsOneAndAnIntIndexIsItself() throws {
        let p = Preprocessing(
            columns: [
                FittedColumn(name: "a", type: FeatureType(.floatDiscretized, numBins: 1), inferred: false, fill: 0, boundaries: []),
                FittedColumn(name: "b", type: FeatureType(.stringCategorical, numOOVIndices: 0, outputMode: .int), inferred: false, vocabulary: ["u", "v", "w"]),
                FittedColumn(name: "c", type: FeatureType(.stringCategorical, numOOVIndices: 0), inferred: false, vocabulary: ["u"]),
            ],
            crosses: [], naValues: [])
        XCTAssertNil(p.inconsistency())
        XCTAssertEqual(p.outputNames, ["a[bin 0]", "b", "c=u"])
        XCTAssertEqual(p.expand(codes: [5, 2, 0, -3, 1, 0]), [1, 2, 1, 1, 1, 1])
    }

    func testAnUnseenValueWithoutOOVIndicesIsLocated() throws {
        let p = sample()
        let cells = RawCells(
            rowCount: 1,
            columns: [RawColumn.make([.number(1)]), RawColumn.make([.text("x")]), RawColumn.make([.number(1)]), RawColumn.make([.number(4)])],
            fileColumns: [0, 1, 2, 5], lineNumbers: [9])
        XCTAssertThrowsError(try p.codes(cells, path: "d.csv")) { error in
            guard case .badCell(_, let line, let column, let name, let found, _, let expected) = error as? PreprocessingError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual([line, column], [9, 5])
            XCTAssertEqual([name, found, expected], ["k", "4", PreprocessingError.expectedKnownValue])
            XCTAssertTrue("\(error)".contains("num_oov_indices=1"), "\(error)")
        }
    }

    func testCodesThatNoCodingGivesAreFound() {
        let p = sample()
        func problem(_ codes: [Float]) -> (row: Int, position: Int, problem: String)? {
            codes.withUnsafeBufferPointer { p.codeProblem($0) }
        }
        XCTAssertNil(problem([.nan, 3, .nan, 1, 2, 0, 5, 0]))
        XCTAssertEqual(problem([1, 3, 1, 1, 1, 4, 1, 0])?.position, 1, "index 4 of 4")
        XCTAssertEqual(problem([1, 3, 1, 1, 1, 1.5, 1, 0]).map { [$0.row, $0.position] }, [1, 1])
        XCTAssertEqual(problem([1, -1, 1, 1])?.position, 1)
        XCTAssertEqual(problem([1, .nan, 1, 1])?.position, 1, "an index is never missing")
        XCTAssertEqual(problem([1, 0, 1, 2])?.position, 3, "k has two indices and no OOV")
        XCTAssertEqual(problem([.infinity, 0, 1, 1])?.position, 0)
        XCTAssertNotNil(problem([1, 0, 1]), "not whole rows")
    }

    func testAPreprocessingNoFitGivesIsFound() {
        let good = sample()
        var forged: [(String, Preprocessing)] = []
        func forge(_ what: String, _ change: (inout Preprocessing) -> Void) {
            var p = good
            change(&p)
            forged.append((what, p))
        }
        forge("no columns") { $0.columns = [] }
        forge("two columns alike") { $0.columns[1].name = "é" }
        forge("a repeated value") { $0.columns[1].vocabulary = ["x", "x"] }
        forge("the OOV token") { $0.columns[1].vocabulary = ["[UNK]"] }
        forge("an integer OOV token") { $0.columns[3].integerVocabulary = [-1] }
        forge("no vocabulary") { $0.columns[1].vocabulary = nil }
        forge("a vocabulary on a number") { $0.columns[0].vocabulary = ["x"] }
        forge("unsorted boundaries") { $0.columns[2].boundaries = [2, 0] }
        forge("too many boundaries") { $0.columns[2].boundaries = [0, 1, 2] }
        forge("a NaN boundary") { $0.columns[2].boundaries = [.nan] }
        forge("no fill") { $0.columns[0].fill = nil }
        forge("an infinite fill") { $0.columns[0].fill = .infinity }
        forge("an indicator on a category") { $0.columns[1].indicator = true }
        forge("a huge bin count") { $0.columns[2].type.numBins = 1 << 40 }
        forge("an option of another kind") { $0.columns[0].type.scale = 2 }
        forge("a negative variance") {
            $0.columns[0].type = FeatureType(.floatNormalized)
            $0.columns[0].mean = 0
            $0.columns[0].variance = -1
        }
        forge("max_tokens below the vocabulary") { $0.columns[1].type.maxTokens = 3 }
        forge("a cross of a number") { $0.crosses = [FittedCross(cross: FeatureCross(columns: ["é", "b"]), columnIndices: [0, 1])] }
        forge("a cross out of range") { $0.crosses = [FittedCross(cross: FeatureCross(columns: ["b", "k"]), columnIndices: [1, 9])] }
        forge("a cross of three") { $0.crosses = [FittedCross(cross: FeatureCross(columns: ["b", "k", "B"]), columnIndices: [1, 3, 2])] }
        forge("a cross named as a column") {
            $0.columns[0].name = "b_X_k"
            $0.crosses = [FittedCross(cross: FeatureCross(columns: ["b", "k"]), columnIndices: [1, 3])]
        }
        forge("too many inputs") {
            $0.columns += (0..<20).map {
                FittedColumn(name: "h\($0)", type: FeatureType(.stringHashed, numBins: 1 << 24), inferred: false)
            }
        }
        for (what, p) in forged {
            XCTAssertNotNil(p.inconsistency(), what)
        }
    }

    func testAPreprocessingSurvivesJSON() throws {
        var p = sample()
        p.crosses = [FittedCross(cross: FeatureCross(columns: ["b", "k"], crossingDim: 4), columnIndices: [1, 3])]
        let data = try JSONEncoder().encode(p)
        XCTAssertEqual(try JSONDecoder().decode(Preprocessing.self, from: data), p)
    }

    func testMessagesSayWhatToDo() {
        let unknown = PreprocessingError.unknownColumn(option: "--feature-types", name: "islnd", available: ["island", "sex"])
        XCTAssertTrue("\(unknown)".contains("--feature-types") && "\(unknown)".contains("\"island\""), "\(unknown)")
        let long = PreprocessingError.badCell(
            path: "d.csv", line: 3, column: 0, name: "x", found: String(repeating: "w", count: 100), type: .float,
            expected: PreprocessingError.expectedNumber)
        XCTAssertLessThan("\(long)".count, 400, "a long cell is cut")
        let empty = PreprocessingError.badCell(path: "d.csv", line: 3, column: 0, name: "x", found: "", type: .float, expected: PreprocessingError.expectedNumber)
        XCTAssertTrue("\(empty)".contains("an empty field") && "\(empty)".contains("--na-values"), "\(empty)")
    }
}
