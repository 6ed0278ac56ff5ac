// The streaming fit: typing columns from the data (all rows), statistics from the training rows
// only, missing values and their fills and indicators, the located errors and the vocabulary
// bound, and that the way rows are cut into chunks never changes a bit.

@testable import DLPreprocessing
import XCTest

final class PreprocessingFitTests: XCTestCase {
    /// A fit of `rows` (one array of cells per row; lines from 2), the first `training` of them
    /// training rows, fed `chunk` rows at a time.
    static func fit(
        _ names: [String], _ rows: [[TestCell]], training: Int? = nil, settings: PreprocessingSettings = .init(),
        standardize: Bool = false, chunk: Int = 3
    ) throws -> PreprocessingFit {
        var fit = try PreprocessingFit(settings: settings, standardize: standardize, columnNames: names, path: "d.csv")
        let training = training ?? rows.count
        for start in stride(from: 0, to: rows.count, by: chunk) {
            let end = min(start + chunk, rows.count)
            try fit.add(cells(rows, start..<end, readings: fit.readings), trainingRows: max(0, min(end - start, training - start)))
        }
        return fit
    }

    /// Cells as a reader makes them: a text column keeps a number's text.
    static func cells(_ rows: [[TestCell]], _ range: Range<Int>, readings: [RawReading]) -> RawCells {
        let columns = readings.indices.map { c in
            RawColumn.make(rows[range].map { row in
                if case .number(let number) = row[c], readings[c] == .text { return .text(numberText(number)) }
                return row[c]
            })
        }
        return RawCells(
            rowCount: range.count, columns: columns, fileColumns: readings.indices.map { $0 + 1 },
            lineNumbers: range.map { Int32($0 + 2) })
    }

    func testColumnsAreTypedFromTheData() throws {
        let rows: [[TestCell]] = [
            [.number(1.5), .text("red"), .number(3)], [.number(2.5), .text("blue"), .text("NA")],
            [.text(""), .text("red"), .number(5)], [.number(4), .text("NA"), .number(7)],
        ]
        for standardize in [false, true] {
            let result = try Self.fit(["x", "color", "n"], rows, standardize: standardize).result()
            XCTAssertEqual(result.columns.map(\.type.kind), [standardize ? .floatNormalized : .float, .stringCategorical, standardize ? .floatNormalized : .float])
            XCTAssertTrue(result.columns.allSatisfy(\.inferred))
            XCTAssertEqual(result.columns[1].vocabulary, ["red", "blue"])
            XCTAssertEqual(result.columns[0].fill, Float((1.5 + 2.5 + 4) / 3))
            XCTAssertEqual(result.columns[2].fill, 5)
        }
    }

    func testMixedColumnsAreReadAgainAsText() throws {
        // Numbers and words in one column: a category column whose categories are the file's texts.
        let rows: [[TestCell]] = [[.number(1), .number(2)], [.text("x"), .number(3)], [.number(1), .number(4)], [.number(10), .number(5)]]
        var fit = try Self.fit(["mixed", "n"], rows)
        XCTAssertEqual(fit.mixedColumns, [0])
        fit = fit.rereading([0])
        XCTAssertEqual(fit.readings, [.text, .numberOrText])
        var textRows = rows
        for i in textRows.indices { if case .number(let n) = textRows[i][0] { textRows[i][0] = .text(numberText(n)) } }
        try fit.add(Self.cells(textRows, 0..<4, readings: fit.readings), trainingRows: 4)
        XCTAssertEqual(fit.mixedColumns, [])
        let result = try fit.result()
        XCTAssertEqual(result.columns[0].type, FeatureType(.stringCategorical))
        XCTAssertTrue(result.columns[0].inferred)
        XCTAssertEqual(result.columns[0].vocabulary, ["1", "x", "10"])
        // The other column kept the first pass's statistics (it was not read twice).
        XCTAssertEqual(result.columns[1].fill, 3.5)
    }

    func testValidationRowsDecideTypesButFitNothing() throws {
        let rows: [[TestCell]] = [[.number(1), .text("a")], [.number(3), .text("a")], [.number(100), .text("b")], [.text("w"), .text("c")]]
        let fit = try Self.fit(["x", "s"], rows, training: 2)
        XCTAssertEqual(fit.mixedColumns, [0], "a word in a validation row makes the column mixed")
        let numeric = try Self.fit(["x", "s"], Array(rows.prefix(3)), training: 2).result()
        XCTAssertEqual(numeric.columns[0].fill, 2, "the validation row's 100 is not in the mean")
        XCTAssertEqual(numeric.columns[1].vocabulary, ["a"])
        // A category seen only in the validation rows is out of vocabulary.
        let codes = try numeric.codes(Self.cells(rows, 2..<3, readings: numeric.readings), path: "d.csv")
        XCTAssertEqual(codes, [100, 0])
    }

    func testMissingValuesFillsAndIndicators() throws {
        let rows: [[TestCell]] = [
            [.number(1), .number(1)], [.text("NA"), .number(2)], [.number(2), .number(.nan)], [.number(10), .number(-999)],
            [.text("?"), .number(4)],
        ]
        var settings = PreprocessingSettings(naValues: ["NA", "?", "-999"], missingIndicators: true)
        // The median is Keras's quantile summary's 50 % point, the boundary Discretization(num_bins=2)
        // would adapt: for 1, 2, 10 the cumulative weights 1/3, 2/3, 1 put 1/2 halfway from 1 to 2.
        for (fill, expected) in [(Fill.mean, Float(13.0 / 3)), (.median, 1.5), (.zero, 0), (.value(-1), -1)] {
            settings.fill = fill
            let result = try Self.fit(["a", "b"], rows, settings: settings).result()
            XCTAssertEqual(result.columns[0].fill, expected, "\(fill)")
            XCTAssertEqual(result.columns.map(\.indicator), [true, true])
            XCTAssertEqual(result.outputNames, ["a", "b", "a[missing]", "b[missing]"])
            let codes = try result.codes(Self.cells(rows, 0..<5, readings: result.readings), path: "d.csv")
            let inputs = result.expand(codes: codes)
            XCTAssertEqual(inputs[4], expected, "row 1 a takes the fill")
            XCTAssertEqual(Array(inputs[6...7]), [1, 0], "row 1's indicators")
            XCTAssertEqual(Array(inputs[14...15]), [0, 1], "row 3's b is -999, an na-value")
        }
        // Without gaps in the training rows, no indicator.
        settings.fill = .mean
        let clean = try Self.fit(["a", "b"], Array(rows.prefix(2)), training: 1, settings: settings).result()
        XCTAssertEqual(clean.columns.map(\.indicator), [false, false])
    }

    func testAColumnMissingInEveryTrainingRowIsRefused() throws {
        let rows: [[TestCell]] = [[.number(1), .text("")], [.number(2), .text("NA")], [.number(3), .text("x")]]
        XCTAssertThrowsError(try Self.fit(["a", "gone"], rows, training: 2).result()) { error in
            XCTAssertEqual(error as? PreprocessingError, .entirelyMissing(path: "d.csv", column: 2, name: "gone"))
            XCTAssertTrue("\(error)".contains("gone") && "\(error)".contains("--na-values"), "\(error)")
        }
    }

    func testAWordInANumericColumnIsLocatedWithAdvice() throws {
        let settings = PreprocessingSettings(featureTypes: ["x": FeatureType(.floatNormalized)])
        let rows: [[TestCell]] = [[.number(1)], [.number(2)], [.number(3)], [.text("n/a")]]
        XCTAssertThrowsError(try Self.fit(["x"], rows, settings: settings)) { error in
            guard case .badCell(let path, let line, let column, let name, let found, let type, _) = error as? PreprocessingError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual([path, name, found], ["d.csv", "x", "n/a"])
            XCTAssertEqual([line, column], [5, 1])
            XCTAssertEqual(type, .floatNormalized)
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("d.csv:5: column 1 (\"x\")"), message)
            XCTAssertTrue(message.contains("--feature-types x=string_categorical") && message.contains("--na-values"), message)
        }
        // The first bad cell in the file is the one reported, whichever column it is in.
        let two = PreprocessingSettings(featureTypes: ["x": FeatureType(.float), "y": FeatureType(.float)])
        for fitting in [true, false] {
            let bad: [[TestCell]] = [[.number(1), .number(1)], [.number(2), .text("first")], [.text("second"), .number(3)]]
            XCTAssertThrowsError(try {
                if fitting {
                    _ = try Self.fit(["x", "y"], bad, settings: two, chunk: 3)
                } else {
                    let p = try Self.fit(["x", "y"], Array(bad.prefix(1)), settings: two).result()
                    _ = try p.codes(Self.cells(bad, 0..<3, readings: p.readings), path: "d.csv")
                }
            }()) { error in
                guard case .badCell(_, let line, let column, _, let found, _, _) = error as? PreprocessingError else { return XCTFail("\(error)") }
                XCTAssertEqual([line, column], [3, 2], fitting ? "fit" : "codes")
                XCTAssertEqual(found, "first")
            }
        }
        let integers = PreprocessingSettings(featureTypes: ["k": FeatureType(.integerCategorical)])
        XCTAssertThrowsError(try Self.fit(["k"], [[.number(1)], [.number(2.5)]], settings: integers)) { error in
            guard case .badCell(_, let line, _, _, _, _, let expected) = error as? PreprocessingError else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 3)
            XCTAssertEqual(expected, PreprocessingError.expectedInteger)
            XCTAssertTrue("\(error)".contains("k=float"), "\(error)")
        }
        XCTAssertThrowsError(try Self.fit(["x"], [[.number(1e39)]], settings: settings)) { error in
            guard case .badCell = error as? PreprocessingError else { return XCTFail("\(error)") }
        }
        // Typed from the data, an infinity is left out of the statistics (a table of numbers that
        // needs no preprocessing may hold one under --allow-non-finite), and coding refuses it.
        let result = try Self.fit(["x"], [[.number(1)], [.number(.infinity)], [.number(3)]]).result()
        XCTAssertEqual(result.columns[0].fill, 2)
        XCTAssertThrowsError(try result.codes(Self.cells([[.number(-.infinity)]], 0..<1, readings: [.numberOrText]), path: "d.csv")) { error in
            guard case .badCell(_, _, _, _, _, _, let expected) = error as? PreprocessingError else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, PreprocessingError.expectedFiniteNumber)
        }
    }

    func testAVocabularyNeverOutgrowsItsBound() throws {
        let rows: [[TestCell]] = ["a", "b", "c", "a", "d"].map { [.text($0)] }
        XCTAssertNoThrow(try Self.fit(["s"], Array(rows.prefix(4)), settings: PreprocessingSettings(maxVocabulary: 3)))
        for settings in [PreprocessingSettings(maxVocabulary: 3), PreprocessingSettings(featureTypes: ["s": FeatureType(.stringCategorical, maxTokens: 2)], maxVocabulary: 3)] {
            XCTAssertThrowsError(try Self.fit(["s"], rows, settings: settings)) { error in
                XCTAssertEqual(error as? PreprocessingError, .vocabularyTooLarge(path: "d.csv", column: 1, name: "s", bound: 3))
                XCTAssertTrue("\(error)".contains("s=string_hashed:num_bins=") && "\(error)".contains("--max-vocabulary"), "\(error)")
            }
        }
        let integers = PreprocessingSettings(featureTypes: ["k": FeatureType(.integerCategorical)], maxVocabulary: 2)
        XCTAssertThrowsError(try Self.fit(["k"], [[.number(1)], [.number(2)], [.number(3)]], settings: integers))
        // Values beyond the bound in validation rows are not counted.
        XCTAssertNoThrow(try Self.fit(["s"], rows, training: 3, settings: PreprocessingSettings(maxVocabulary: 3)).result())
    }

    func testSettingsThatNameNoColumnOrCrossANumberAreRefused() throws {
        func refused(_ settings: PreprocessingSettings, _ option: String, line: UInt = #line) {
            XCTAssertThrowsError(try PreprocessingFit(settings: settings, standardize: false, columnNames: ["a", "b", "c"], path: "d.csv"), line: line) { error in
                switch error as? PreprocessingError {
                case .unknownColumn(let o, _, let available)?:
                    XCTAssertEqual(o, option, line: line)
                    XCTAssertEqual(available, ["a", "b", "c"], line: line)
                case .badOption(let o, _, _)?:
                    XCTAssertEqual(o, option, line: line)
                default:
                    XCTFail("\(error)", line: line)
                }
            }
        }
        refused(PreprocessingSettings(featureTypes: ["z": FeatureType(.float)]), "--feature-types")
        refused(PreprocessingSettings(featureTypes: ["a": FeatureType(.stringHashed)]), "--feature-types")
        refused(PreprocessingSettings(crosses: [FeatureCross(columns: ["a", "z"])]), "--feature-crosses")
        refused(PreprocessingSettings(featureTypes: ["a": FeatureType(.float)], crosses: [FeatureCross(columns: ["a", "b"])]), "--feature-crosses")
        refused(PreprocessingSettings(maxVocabulary: 0), "--max-vocabulary")
        refused(PreprocessingSettings(fill: .value(.infinity)), "--fill")
        // A column the data types as a number cannot be crossed either.
        let rows: [[TestCell]] = [[.number(1), .text("x")], [.number(2), .text("y")]]
        XCTAssertThrowsError(try Self.fit(["a", "b"], rows, settings: PreprocessingSettings(crosses: [FeatureCross(columns: ["a", "b"])])).result()) { error in
            guard case .badOption(let option, _, let reason) = error as? PreprocessingError else { return XCTFail("\(error)") }
            XCTAssertEqual(option, "--feature-crosses")
            XCTAssertTrue(reason.contains("a=integer_categorical"), reason)
        }
    }

    func testChunkingNeverChangesABit() throws {
        var generator = SystemRandomNumberGenerator()
        let rows: [[TestCell]] = (0..<517).map { i in
            let x = Double.random(in: -1e3...1e3, using: &generator)
            return [
                i % 37 == 0 ? .text("NA") : .number(x), .number(Double(Int.random(in: 0...9, using: &generator))),
                .text(["p", "q", "r", "s"][Int.random(in: 0...3, using: &generator)]), .number(x * x),
            ]
        }
        let settings = PreprocessingSettings(
            featureTypes: ["d": FeatureType(.floatDiscretized, numBins: 5), "k": FeatureType(.integerCategorical)], fill: .median,
            missingIndicators: true)
        let names = ["x", "k", "s", "d"]
        let reference = try Self.fit(names, rows, training: 400, settings: settings, standardize: true, chunk: 517).result()
        for chunk in [1, 2, 31, 32, 33, 100] {
            let result = try Self.fit(names, rows, training: 400, settings: settings, standardize: true, chunk: chunk).result()
            XCTAssertEqual(result, reference, "chunks of \(chunk)")
            XCTAssertEqual(result.columns[0].mean?.bitPattern, reference.columns[0].mean?.bitPattern)
        }
        XCTAssertEqual(reference.columns.map(\.type.kind), [.floatNormalized, .integerCategorical, .stringCategorical, .floatDiscretized])
        XCTAssertEqual(reference.columns[3].boundaries?.count, 4)
    }
}
