// Data errors as users meet them, through the real dlcoord started from a directory other than the
// checkout: each names its file, line and column and the flag that fixes it (--delimiter for a
// file separated by ';' or tabs, the decimal point for a column typed as numbers that has decimal
// commas, what to do with a row without a label), in one process and on a coordinator; running the
// command the advice gives works. Words and gaps in feature columns are not errors: such tables train.

import DLTestSupport
import Foundation
import XCTest

final class DataAdviceRunTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")

    func testEachDataErrorNamesTheFlagThatFixesIt() throws {
        let directory = try temporaryDirectory(self)
        let cases: [(name: String, csv: String, flags: [String], located: String, advice: String)] = [
            ("semicolons", "age;weight;label\n30;70;1\n40;80;0\n", [], ": no feature columns", "--delimiter ';'"),
            ("tabs", "age\tweight\tlabel\n30\t70\t1\n40\t80\t0\n", ["--features", "age"], ": no column named \"age\"",
             "--delimiter tab"),
            ("decimal-commas", "age;weight;label\n30;70,5;1\n40;80,25;0\n", ["--delimiter", ";", "--feature-types", "weight=float"],
             ":2: column 1 (\"weight\")", "decimal point"),
            ("missing-label", "a,b,label\n1,2,0\n3,4,\n", [], ":3: column 2 (\"label\"): label column mixes numbers and text",
             "remove the rows without a label"),
        ]
        for testCase in cases {
            let path = directory + "/\(testCase.name).csv"
            try testCase.csv.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try dlcoord.run(
                ["--local", "--data", path, "--epochs", "1", "--run-dir", directory + "/run"] + testCase.flags, in: directory)
            XCTAssertEqual(result.status, 1, testCase.name)
            XCTAssertTrue(result.errors.hasPrefix("dlcoord: error: \(path)\(testCase.located)"), "\(testCase.name): \(result.errors)")
            XCTAssertTrue(result.errors.contains("; ") && result.errors.contains(testCase.advice), "\(testCase.name): \(result.errors)")
            XCTAssertEqual(result.errors.split(separator: "\n").count, 1, "one line: \(result.errors)")
        }
        // The coordinator, which describes and streams the file, gives the same advice.
        let commas = directory + "/decimal-commas.csv"
        let distributed = try dlcoord.run(
            ["--workers", "2", "--spawn", "--data", commas, "--delimiter", ";", "--feature-types", "weight=float",
             "--run-dir", directory + "/run"], in: directory)
        XCTAssertEqual(distributed.status, 1)
        XCTAssertTrue(distributed.errors.contains("decimal point"), distributed.errors)
        // An identifier, an empty cell, NA and ? train: a category and gaps.
        for (index, csv) in [
            "id,age,weight,label\nP001,30,70,1\nP002,40,80,0\n", "a,b,c,label\n1,2,3,0\n4,,6,1\n",
            "a,b,c,label\n1,2,3,0\n4,5,NA,1\n", "a,b,c,label\n1,2,3,0\n?,5,6,1\n",
        ].enumerated() {
            let path = directory + "/trains-\(index).csv"
            try csv.write(toFile: path, atomically: true, encoding: .utf8)
            let trained = try dlcoord.run(
                ["--local", "--data", path, "--epochs", "1", "--verbose", "0", "--run-dir", directory + "/ok-\(index)"], in: directory)
            XCTAssertEqual(trained.status, 0, "\(csv): \(trained.errors)")
        }
        let semicolons = try dlcoord.run(
            ["--local", "--data", directory + "/semicolons.csv", "--delimiter", ";", "--epochs", "1", "--verbose", "0",
             "--run-dir", directory + "/ok2"], in: directory)
        XCTAssertEqual(semicolons.status, 0, semicolons.errors)
    }

    func testAWorkbookOrAnotherCompressionIsRefusedWithWhatToDo() throws {
        let directory = try temporaryDirectory(self)
        let workbook = directory + "/data.xlsx"
        try Data("PK\u{3}\u{4}not really a workbook".utf8).write(to: URL(fileURLWithPath: workbook))
        let result = try dlcoord.run(["--local", "--data", workbook, "--run-dir", directory + "/run"], in: directory)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.errors.hasPrefix("dlcoord: error: \(workbook): this is a zip archive"), result.errors)
        XCTAssertTrue(result.errors.contains("save the sheet as CSV"), result.errors)
    }
}
