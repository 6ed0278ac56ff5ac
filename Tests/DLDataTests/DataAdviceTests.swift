// Data errors that point at their cause: a file separated by ';' or tabs read without --delimiter,
// numbers with decimal commas, text columns such as an identifier among the features, and missing
// values (empty cells, NA, ?, nan) in features and labels. Each error stays the located DataError
// it was, with DataAdvice attached that names the flag to use (the exact --features value that
// leaves a column out, checked by training with it), on every path that reads the file: at once
// (--local), described and streamed (the coordinator), and for a trained model (dlmodel).

import DLCore
import XCTest

@testable import DLData

final class DataAdviceTests: XCTestCase {
    /// The error reading `text` with `settings` gives, after checking that describing the file and
    /// streaming its rows gives the same.
    private func error(
        _ text: String, delimiter: String = ",", features: [ColumnReference]? = nil, file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> (error: DataError?, path: String) {
        let path = try temporaryCSV(text)
        let settings = DataSettings(
            path: path, csv: CSVOptions(delimiter: UInt8(ascii: Unicode.Scalar(delimiter)!)), featureColumns: features)
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

        // Text that merely holds a semicolon gets no such advice.
        let note = try error("a,note,label\n1,x;y,0\n2,z,1\n")
        XCTAssertNil(note.error?.advice.flatMap { if case .delimiter = $0 { $0 } else { nil } })
    }

    func testDecimalCommasGetAdvice() throws {
        let found = try error("age;weight;label\n30;70,5;1\n40;80,25;0\n", delimiter: ";")
        XCTAssertEqual(
            found.error,
            .advised(.notANumber(path: found.path, line: 2, column: 1, columnName: "weight", found: "70,5"), .decimalComma(found: "70,5")))
        XCTAssertTrue("\(found.error!)".contains("decimal point"), "\(found.error!)")
        let label = try error("a;label\n1;0\n2;1,5\n", delimiter: ";")
        XCTAssertEqual(label.error?.advice, .decimalComma(found: "1,5"))
    }

    func testTextColumnsAmongTheFeaturesAreToldTheFeaturesThatLeaveThemOut() throws {
        let identifier = try error("id,age,weight,label\nP001,30,70,1\nP002,40,80,0\n")
        XCTAssertEqual(
            identifier.error,
            .advised(
                .notANumber(path: identifier.path, line: 2, column: 0, columnName: "id", found: "P001"),
                .textColumns([0], names: ["id"], features: "1-2")))
        XCTAssertTrue("\(identifier.error!)".hasSuffix("leave it out with --features 1-2"), "\(identifier.error!)")

        let text = "id,age,city,weight,size,label\nP001,30,Oslo,70,3,1\nP002,40,Rome,80,4,0\n"
        let two = try error(text)
        XCTAssertEqual(two.error?.advice, .textColumns([0, 2], names: ["id", "city"], features: "1,3-4"))
        // The advice works: training with it reads the file.
        let settings = DataSettings(path: two.path, featureColumns: [.index(1), .index(3), .index(4)])
        XCTAssertEqual(try DataPreparation.prepare(settings, head: .named(.meanSquaredError, outputs: 1)).data.featureNames, ["age", "weight", "size"])
        // Features given in another order keep it.
        let ordered = try error(text, features: [.name("weight"), .name("id"), .name("age")])
        XCTAssertEqual(ordered.error?.advice, .textColumns([0], names: ["id"], features: "3,1"))

        // A bad cell further down is not a text column.
        let stray = try error("id,age,label\n1,30,1\n2,abc,0\n")
        XCTAssertNil(stray.error?.advice)
    }

    func testMissingValuesAreToldToBeRemovedOrTheirColumnLeftOut() throws {
        for (cell, found) in [("", ""), ("NA", "NA"), ("?", "?"), ("nan", "nan"), (" N/A ", "N/A")] {
            let missing = try error("a,b,c,label\n1,2,3,0\n4,\(cell),6,1\n")
            XCTAssertEqual(missing.error?.advice, .missingValue(found: found, features: "0,2"), "\"\(cell)\"")
            let message = "\(missing.error!)"
            XCTAssertTrue(message.contains("missing value") && message.hasSuffix("--features 0,2"), message)
        }
        // In the first data row too (not taken for a text column).
        let first = try error("a,b,label\n1,NA,0\n2,3,1\n")
        XCTAssertEqual(first.error?.advice, .missingValue(found: "NA", features: "0"))
        // The only feature: no --features is left to give.
        let only = try error("a,label\n?,0\n")
        XCTAssertEqual(only.error?.advice, .missingValue(found: "?", features: nil))
        XCTAssertTrue("\(only.error!)".hasSuffix("(pandas: dropna() or fillna())"), "\(only.error!)")

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
        let advisor = DataAdvisor(likelyDelimiter: nil, textInFirstRecord: [], columnNames: nil, features: nil)
        XCTAssertEqual(advisor.leavingOut([3], of: Array(0...8)), "0-2,4-8")
        XCTAssertEqual(advisor.leavingOut([0, 8], of: Array(0...8)), "1-7")
        XCTAssertEqual(advisor.leavingOut([5], of: [7, 5, 1, 2, 3, 9]), "7,1-3,9")
        XCTAssertNil(advisor.leavingOut([4], of: [4]))
        XCTAssertTrue(DataAdvisor.hasDecimalComma("-3,14"))
        XCTAssertFalse(DataAdvisor.hasDecimalComma("3,"))
        XCTAssertFalse(DataAdvisor.hasDecimalComma("1,234,567"))
    }
}
