// Data errors that point at their cause: a file separated by ';' or tabs read without --delimiter,
// numbers with decimal commas, and missing values (empty cells, NA, ?) in labels and in a trained
// model's numeric features. Each error stays the located DataError it was, with DataAdvice attached
// that names what to do, on every path that reads the file: at once (--local), described and
// streamed (the coordinator), and for a trained model (dlmodel).

import DLCore
import DLPreprocessing
import XCTest

@testable import DLData

final class DataAdviceTests: XCTestCase {
    /// The error reading `text` with `settings` gives, after checking that describing the file and
    /// streaming its rows gives the same.
    private func error(
        _ text: String, delimiter: String = ",", features: [ColumnReference]? = nil, types: [String: FeatureType] = [:],
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> (error: DataError?, path: String) {
        let path = try temporaryCSV(text)
        let settings = DataSettings(
            path: path, csv: CSVOptions(delimiter: UInt8(ascii: Unicode.Scalar(delimiter)!)), featureColumns: features,
            preprocessing: PreprocessingSettings(featureTypes: types))
        var atOnce: DataError?
        XCTAssertThrowsError(try DataPreparation.prepare(settings, head: .named(.meanSquaredError, outputs: 1)), file: file, line: line) {
            atOnce = $0 as? DataError
        }
        XCTAssertThrowsError(
            try {
                let described = try DataDescription.describe(settings, head: .named(.meanSquaredError, outputs: 1), chunkSize: 7)
                let stream = try described.rows(chunkSize: 7)
                while try stream.next() != nil {}
            }(), file: file, line: line
        ) { XCTAssertEqual($0 as? DataError, atOnce, "described and streamed", file: file, line: line) }
        return (atOnce, path)
    }

    func testASemicolonOrTabFileReadWithCommasIsToldItsDelimiter() throws {
        let semicolons = try error("age;weight;label\n30;70;1\n40;80;0\n")
        XCTAssertEqual(semicolons.error, .advised(.noFeatureColumns(path: semicolons.path), .delimiter(UInt8(ascii: ";"))))
        XCTAssertTrue("\(semicolons.error!)".hasSuffix("read them with --delimiter ';'"), "\(semicolons.error!)")

        // Decimal commas split some records at the comma: still told the delimiter first.
        let decimals = try error("age;weight;label\n30;70,5;1\n40;80,25;0\n", features: [.name("age")])
        XCTAssertEqual(decimals.error?.advice, .delimiter(UInt8(ascii: ";")))
        guard case .unknownColumn = decimals.error?.withoutAdvice else { return XCTFail("\(String(describing: decimals.error))") }

        let tabs = try error("a\tb\tlabel\n1\t2\t0\n3\t4\t1\n")
        XCTAssertEqual(tabs.error?.advice, .delimiter(UInt8(ascii: "\t")))
        XCTAssertTrue("\(tabs.error!)".hasSuffix("--delimiter tab"), "\(tabs.error!)")

        // A comma file read with --delimiter ';' is told to use ','.
        let commas = try error("a,b,label\n1,2,0\n3,4,1\n", delimiter: ";")
        XCTAssertEqual(commas.error?.advice, .delimiter(UInt8(ascii: ",")))

        // Text that merely holds a semicolon is a category like any other.
        let note = DataSettings(path: try temporaryCSV("a,note,label\n1,x;y,0\n2,z,1\n"))
        XCTAssertNotNil(try DataPreparation.prepare(note, head: .named(.meanSquaredError, outputs: 1)).data.preprocessing)
    }

    func testDecimalCommasGetAdvice() throws {
        // Typed from the data, such a column is a category (and its type is printed); typed float, it is refused.
        let found = try error("age;weight;label\n30;70,5;1\n40;80,25;0\n", delimiter: ";", types: ["weight": FeatureType(.float)])
        XCTAssertEqual(found.error?.advice, .decimalComma(found: "70,5"))
        guard case .preprocessing(.badCell(found.path, 2, 1, "weight", "70,5", .float, _)) = found.error?.withoutAdvice else {
            return XCTFail("\(String(describing: found.error))")
        }
        XCTAssertTrue("\(found.error!)".contains("decimal point"), "\(found.error!)")
        let label = try error("a;label\n1;0\n2;1,5\n", delimiter: ";")
        XCTAssertEqual(label.error?.advice, .decimalComma(found: "1,5"))
    }

    func testMissingLabelsAreToldToBeRemoved() throws {
        for cell in ["", "NA", "?"] {
            let label = try error("a,b,label\n1,2,0\n3,4,\(cell)\n")
            XCTAssertEqual(label.error?.advice, .missingLabel(found: cell))
            guard case .mixedLabelColumn(_, 3, 2, .some("label"), cell, 2) = label.error?.withoutAdvice else {
                return XCTFail("\(String(describing: label.error))")
            }
        }
        // An empty cell in a text label column is not a class of its own.
        let classes = try error("a,species\n1,setosa\n2,\n3,virginica\n")
        XCTAssertEqual(
            classes.error,
            .advised(.emptyLabel(path: classes.path, line: 3, column: 1, columnName: "species"), .missingLabel(found: "")))
        XCTAssertTrue("\(classes.error!)".contains(":3: column 1 (\"species\"): the label is empty; "), "\(classes.error!)")
    }

    func testATrainedModelsFileGetsAdviceWithoutFeatures() throws {
        let path = try temporaryCSV("id,a,b\nP1,1,2\nP2,NA,3\n")
        XCTAssertThrowsError(
            try ModelData.read(path: path, options: CSVOptions(), features: ["a", "b"], standardization: nil)
        ) { error in
            XCTAssertEqual(
                error as? DataError,
                .advised(.notANumber(path: path, line: 3, column: 1, columnName: "a", found: "NA"), .missingValue(found: "NA", features: nil)))
        }
        let semicolons = try temporaryCSV("a;b\n1;2\n")
        XCTAssertThrowsError(
            try ModelData.read(path: semicolons, options: CSVOptions(), features: ["a", "b"], standardization: nil)
        ) { XCTAssertEqual(($0 as? DataError)?.advice, .delimiter(UInt8(ascii: ";"))) }
    }

    func testTheFeaturesValueNamesRunsAsRanges() {
        let advisor = DataAdvisor(likelyDelimiter: nil, features: nil)
        XCTAssertEqual(advisor.leavingOut([3], of: Array(0...8)), "0-2,4-8")
        XCTAssertEqual(advisor.leavingOut([0, 8], of: Array(0...8)), "1-7")
        XCTAssertEqual(advisor.leavingOut([5], of: [7, 5, 1, 2, 3, 9]), "7,1-3,9")
        XCTAssertNil(advisor.leavingOut([4], of: [4]))
        XCTAssertTrue(DataAdvisor.hasDecimalComma("-3,14"))
        XCTAssertFalse(DataAdvisor.hasDecimalComma("3,"))
        XCTAssertFalse(DataAdvisor.hasDecimalComma("1,234,567"))
    }
}
