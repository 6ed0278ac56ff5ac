// Tables with words, gaps and types given: described with the fit of their preprocessing, streamed
// as codes, prepared at once as the model's inputs, to the same bits whatever the chunk size; a
// table of numbers keeps no preprocessing; bad cells are located errors; a category seen only in
// the validation rows is out of vocabulary, not an error.

import DLCore
import DLPreprocessing
import XCTest

@testable import DLData

final class PreprocessedDataTests: XCTestCase {
    private let penguins = """
        species,island,bill,sex,label
        Adelie,Torgersen,39.1,male,0
        Adelie,Torgersen,NA,female,1
        Gentoo,Biscoe,46.1,,0
        Adelie,Biscoe,40.5,female,1
        Chinstrap,Dream,49,male,0

        """

    private func settings(
        _ text: String, split: Double = 0, standardize: Bool = false, _ preprocessing: PreprocessingSettings = PreprocessingSettings()
    ) throws -> DataSettings {
        DataSettings(path: try temporaryCSV(text), validationSplit: split, standardize: standardize, preprocessing: preprocessing)
    }

    private let head = HeadRequest.named(.binaryCrossentropy, outputs: 1)

    /// The data prepared at once (its rows as codes), after checking that describing it and
    /// streaming its codes at every chunk size (one smaller than a record included) gives the same
    /// fit and codes of the same bits.
    @discardableResult
    private func prepare(_ settings: DataSettings, file: StaticString = #filePath, line: UInt = #line) throws -> (
        data: DataDescription, rows: PreparedRows
    ) {
        let prepared = try DataPreparation.prepare(settings, head: head, chunkSize: 64)
        XCTAssertEqual(prepared.rows.training.featureCount, prepared.data.rowWidth, file: file, line: line)
        let expected = prepared.rows.training.features + (prepared.rows.validation?.features ?? [])
        for chunkSize in [1, 7, 33, CSVDocument.defaultChunkSize] {
            let described = try DataDescription.describe(settings, head: head, chunkSize: chunkSize)
            XCTAssertEqual(described.preprocessing, prepared.data.preprocessing, "chunk \(chunkSize)", file: file, line: line)
            XCTAssertEqual(described.featureCount, prepared.data.featureCount, file: file, line: line)
            XCTAssertEqual(described.featureNames, prepared.data.featureNames, file: file, line: line)
            var codes: [Float] = []
            let stream = try described.rows(chunkSize: chunkSize)
            while let chunk = try stream.next() {
                XCTAssertEqual(chunk.rows.featureCount, described.rowWidth, file: file, line: line)
                XCTAssertEqual(chunk.firstRow * described.rowWidth, codes.count, file: file, line: line)
                XCTAssertEqual(described.expand(chunk.rows).featureCount, described.featureCount, file: file, line: line)
                codes += chunk.rows.features
            }
            if let standardization = described.standardization {
                codes.withUnsafeMutableBufferPointer { standardization.apply(to: $0) }
            }
            XCTAssertEqual(codes.map(\.bitPattern), expected.map(\.bitPattern), "chunk \(chunkSize)", file: file, line: line)
        }
        return prepared
    }

    func testWordsAndGapsArePreprocessed() throws {
        let (data, rows) = try prepare(try settings(penguins))
        let preprocessing = try XCTUnwrap(data.preprocessing)
        XCTAssertEqual(preprocessing.columns.map(\.name), ["species", "island", "bill", "sex"])
        XCTAssertEqual(
            preprocessing.columns.map(\.type.kind), [.stringCategorical, .stringCategorical, .float, .stringCategorical])
        XCTAssertTrue(preprocessing.columns.allSatisfy(\.inferred))
        XCTAssertEqual(data.rowWidth, 4)
        XCTAssertEqual(data.featureCount, preprocessing.outputWidth)
        XCTAssertEqual(data.featureNames, preprocessing.outputNames)
        XCTAssertFalse(data.standardizes)
        XCTAssertEqual(rows.training.count, 5)
        XCTAssertEqual(rows.training.featureCount, 4)
        XCTAssertEqual(rows.training.targets, [0, 1, 0, 1, 0])
        XCTAssertTrue(rows.training.features[1 * 4 + 2].isNaN, "a gap's code")
        // Expanded, the gap in bill is the training rows' mean.
        let inputs = data.expand(rows.training)
        XCTAssertEqual(inputs.featureCount, preprocessing.outputWidth)
        let bill = try XCTUnwrap(data.featureNames.firstIndex(of: "bill"))
        XCTAssertEqual(inputs.features[1 * data.featureCount + bill], Float((39.1 + 46.1 + 40.5 + 49) / 4), accuracy: 1e-4)
    }

    func testATableOfNumbersKeepsNoPreprocessingAndItsBits() throws {
        let text = "x,y,label\n1.5,2,0\n3,-4.25,1\n5,6e-3,0\n7,8,1\n"
        for standardize in [false, true] {
            let (data, rows) = try prepare(try settings(text, split: 0.25, standardize: standardize))
            XCTAssertNil(data.preprocessing)
            XCTAssertEqual(data.featureCount, 2)
            XCTAssertEqual(data.rowWidth, 2)
            XCTAssertEqual(data.featureNames, ["x", "y"])
            XCTAssertEqual(data.standardizes, standardize)
            if !standardize {
                XCTAssertEqual(rows.training.features, [1.5, 2, 3, -4.25, 5, Float(6e-3)])
                XCTAssertEqual(rows.validation?.features, [7, 8])
            }
        }
    }

    func testAGapInANumericTableMakesItPreprocessed() throws {
        let (data, rows) = try prepare(try settings("x,y,label\n1,2,0\n,4,1\n5,6,0\n"))
        let preprocessing = try XCTUnwrap(data.preprocessing)
        XCTAssertEqual(preprocessing.columns.map(\.type.kind), [.float, .float])
        XCTAssertEqual(data.expand(rows.training).features, [1, 2, 3, 4, 5, 6])
    }

    func testATypeGivenMakesATableOfNumbersPreprocessed() throws {
        let types = ["y": FeatureType(.stringCategorical)]
        let (data, _) = try prepare(try settings("x,y,label\n1,2,0\n3,4,1\n5,2,0\n", PreprocessingSettings(featureTypes: types)))
        let preprocessing = try XCTUnwrap(data.preprocessing)
        XCTAssertEqual(preprocessing.columns.map(\.type.kind), [.float, .stringCategorical])
        XCTAssertEqual(preprocessing.columns.map(\.inferred), [true, false])
        XCTAssertEqual(preprocessing.readings, [.numberOrText, .text])
    }

    func testACategorySeenOnlyInValidationRowsIsOutOfVocabulary() throws {
        let (data, rows) = try prepare(try settings(penguins, split: 0.2))
        let preprocessing = try XCTUnwrap(data.preprocessing)
        XCTAssertEqual(data.trainingCount, 4)
        XCTAssertFalse(preprocessing.columns[0].vocabulary?.contains("Chinstrap") ?? true, "fitted on the training rows")
        XCTAssertEqual(rows.validation?.count, 1)
        // Its codes: species and island out of vocabulary (Keras's index 0).
        let stream = try data.rows()
        var codes: [Float] = []
        while let chunk = try stream.next() { codes += chunk.rows.features }
        XCTAssertEqual(codes[4 * data.rowWidth + 0], 0)
        XCTAssertEqual(codes[4 * data.rowWidth + 1], 0)
    }

    func testAWordInANumericTypedColumnIsALocatedError() throws {
        let text = "a,b,label\n1,2,0\n3,x y,1\n"
        let settings = try settings(text, PreprocessingSettings(featureTypes: ["b": FeatureType(.float)]))
        XCTAssertThrowsError(try DataDescription.describe(settings, head: head)) { error in
            guard case let .preprocessing(.badCell(path, line, column, name, found, type, _)) = (error as? DataError)?.withoutAdvice else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual([path, name, found], [settings.path, "b", "x y"])
            XCTAssertEqual([line, column], [3, 1])
            XCTAssertEqual(type, .float)
            XCTAssertTrue("\(error)".contains("string_categorical"), "\(error)")
        }
    }

    func testAVocabularyOverItsBoundIsRefused() throws {
        let settings = try settings(penguins, PreprocessingSettings(maxVocabulary: 2))
        XCTAssertThrowsError(try DataPreparation.prepare(settings, head: head)) { error in
            guard case let .preprocessing(.vocabularyTooLarge(_, column, name, bound)) = (error as? DataError)?.withoutAdvice else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(column, 0)
            XCTAssertEqual(name, "species")
            XCTAssertEqual(bound, 2)
        }
    }

    func testAnEntirelyMissingColumnIsRefusedByName() throws {
        let settings = try settings("a,b,label\n1,NA,0\n2,,1\n3,?,0\n")
        XCTAssertThrowsError(try DataDescription.describe(settings, head: head)) { error in
            guard case let .preprocessing(.entirelyMissing(_, column, name)) = (error as? DataError)?.withoutAdvice else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(column, 1)
            XCTAssertEqual(name, "b")
        }
    }

    func testAColumnOfNumbersAndWordsIsCategoricalWithTheFilesTexts() throws {
        let (data, _) = try prepare(try settings("a,b,label\n1,2.50,0\n2,x,1\n3,2.50,0\n4,07,1\n"))
        let column = try XCTUnwrap(data.preprocessing?.columns[1])
        XCTAssertEqual(column.type.kind, .stringCategorical)
        XCTAssertEqual(Set(column.vocabulary ?? []), ["2.50", "x", "07"])
    }

    func testALargerTableGivesTheSameFitAndBitsWhereverItsChunksAreCut() throws {
        // About 250 kB (RawCellTests checks the cells of parts parsed in parallel): words first seen
        // late, gaps throughout, a column of numbers and words, a category seen only in validation rows.
        var text = "size,color,code,weight,label\n"
        for row in 0..<12_000 {
            let color = row < 4_000 ? ["red", "green"][row % 2] : ["blue", "red", "teal", "green"][row % 4]
            let size = row % 17 == 0 ? "NA" : "\(Double(row % 1000) / 8)"
            let code = row % 5 == 0 ? "x\(row % 3)" : "\(row % 7)"
            let weight = row % 23 == 0 ? "" : "\(row % 91)"
            text += "\(size),\(row >= 11_400 && row % 2 == 0 ? "violet" : color),\(code),\(weight),\(row % 2)\n"
        }
        let settings = try settings(text, split: 0.05)
        let prepared = try DataPreparation.prepare(settings, head: head)
        let preprocessing = try XCTUnwrap(prepared.data.preprocessing)
        XCTAssertEqual(preprocessing.columns.map(\.type.kind), [.float, .stringCategorical, .stringCategorical, .float])
        XCTAssertFalse(preprocessing.columns[1].vocabulary?.contains("violet") ?? true)
        let expected = prepared.data.expand(prepared.rows.training).features
            + (prepared.rows.validation.map { prepared.data.expand($0).features } ?? [])
        for chunkSize in [4_099, 65_537, CSVDocument.defaultChunkSize] {
            let described = try DataDescription.describe(settings, head: head, chunkSize: chunkSize)
            XCTAssertEqual(described.preprocessing, preprocessing, "chunk \(chunkSize)")
            var inputs: [Float] = []
            let stream = try described.rows(chunkSize: chunkSize)
            while let chunk = try stream.next() { inputs += described.expand(chunk.rows).features }
            XCTAssertTrue(inputs.elementsEqual(expected) { $0.bitPattern == $1.bitPattern }, "chunk \(chunkSize)")
        }
    }

    // MARK: a trained model's raw rows

    func testModelDataReadsRawRowsAsTrainingDid() throws {
        let (data, rows) = try prepare(try settings(penguins))
        let preprocessing = try XCTUnwrap(data.preprocessing)
        // Columns in another order, one more, and the label left out.
        let path = try temporaryCSV("""
            id,sex,bill,island,species
            a,male,39.1,Torgersen,Adelie
            b,female,NA,Torgersen,Adelie
            c,,49,Mars,Emperor

            """)
        let read = try ModelData.read(
            path: path, options: CSVOptions(), features: data.featureNames, standardization: nil, preprocessing: preprocessing,
            keep: [.name("id")])
        XCTAssertEqual(read.rowCount, 3)
        let width = data.featureCount
        XCTAssertEqual(Array(read.features[0..<(2 * width)]), Array(data.expand(rows.training).features[0..<(2 * width)]))
        let unseen = preprocessing.expand(codes: [0, 0, 49, 0])
        XCTAssertEqual(Array(read.features[(2 * width)...]), unseen, "unseen categories and a gap are out of vocabulary")
        XCTAssertEqual((0..<3).map { read.keptColumns[0].value(row: $0) }, ["a", "b", "c"])
    }

    func testAHeaderlessTablesColumnsAreFoundByPosition() throws {
        let (data, rows) = try prepare(try settings("red,1.5,0\nblue,NA,1\nred,2.5,0\n"))
        let preprocessing = try XCTUnwrap(data.preprocessing)
        XCTAssertEqual(preprocessing.columns.map(\.name), ["column 0", "column 1"])
        let path = try temporaryCSV("red,1.5,1\nblue,NA,0\nred,2.5,1\n")
        let read = try ModelData.read(
            path: path, options: CSVOptions(), features: data.featureNames, standardization: nil, preprocessing: preprocessing)
        XCTAssertEqual(read.features, data.expand(rows.training).features)
    }

    func testModelDataRefusesAWordInANumericColumnWithItsPlace() throws {
        let (data, _) = try prepare(try settings(penguins))
        let path = try temporaryCSV("species,island,bill,sex\nAdelie,Dream,long,male\n")
        XCTAssertThrowsError(
            try ModelData.read(
                path: path, options: CSVOptions(), features: data.featureNames, standardization: nil, preprocessing: data.preprocessing)
        ) { error in
            guard case let .preprocessing(.badCell(_, line, column, name, found, _, _)) = (error as? DataError)?.withoutAdvice else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual([line, column], [2, 2])
            XCTAssertEqual([name, found], ["bill", "long"])
        }
    }

    func testModelDataNamesAMissingColumn() throws {
        let (data, _) = try prepare(try settings(penguins))
        let path = try temporaryCSV("species,bill,sex\nAdelie,1,male\n")
        XCTAssertThrowsError(
            try ModelData.read(
                path: path, options: CSVOptions(), features: data.featureNames, standardization: nil, preprocessing: data.preprocessing)
        ) { error in
            guard case let .unknownColumn(_, name, _) = (error as? DataError)?.withoutAdvice else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "island")
        }
    }
}
