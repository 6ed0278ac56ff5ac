// Every data error, raised by a real file, with the exact located message a user sees.

import Foundation
import XCTest

@testable import DLData

final class DataErrorTests: XCTestCase {
    func testFileNotFound() throws {
        let path = try temporaryCSV("1\n") + ".missing"
        assertDataError(.fileNotFound(path: path), message: "\(path): no such file; check the path") {
            try CSVDocument.open(path: path)
        }
    }

    func testUnreadableDirectory() throws {
        let path = (try temporaryCSV("1\n") as NSString).deletingLastPathComponent
        assertDataError(
            .unreadable(path: path, reason: "Is a directory"), message: "\(path): cannot read the file: Is a directory"
        ) {
            try CSVDocument.open(path: path)
        }
    }

    func testEmptyFiles() throws {
        for text in ["", "\n\n", " \t\r\n  ", "a,b\n", "a,b\n\n  \n"] {
            let path = try temporaryCSV(text)
            assertDataError(.emptyFile(path: path), message: "\(path): no data rows (the file is empty or holds only a header)") {
                try CSVDocument.open(path: path)
            }
        }
        let headerOnly = try temporaryCSV("1,2\n")
        XCTAssertThrowsError(try CSVDocument.open(path: headerOnly, options: CSVOptions(header: .present))) {
            XCTAssertEqual($0 as? DataError, .emptyFile(path: headerOnly))
        }
    }

    func testNotANumberNamesLineColumnAndHeader() throws {
        let path = try temporaryCSV("id,PRE4,PRE5\n1,2,3\n\n4,5,abc\n")
        assertDataError(
            .notANumber(path: path, line: 4, column: 2, columnName: "PRE5", found: "abc"),
            message: "\(path):4: column 2 (\"PRE5\"): expected a number, found \"abc\""
        ) {
            try CSVDocument.open(path: path).read(features: [1, 2], labels: [])
        }
    }

    /// Cells that begin like a number, in the middle of a line and at its end, where a number
    /// followed by a delimiter would be read without the general path.
    func testTextThatBeginsLikeANumberIsNotANumber() throws {
        for cell in ["1.5x", "-", "+.", "1e", "1.2.3", "--1", "12345678.5.5", "0.123456789x", "1_000"] {
            for (text, column) in [("0.25,\(cell),0.5\n", 1), ("0.25,0.5,\(cell)\n", 2), ("0.25,0.5,\(cell)", 2)] {
                let path = try temporaryCSV(text)
                assertDataError(
                    .notANumber(path: path, line: 1, column: column, columnName: nil, found: cell),
                    message: "\(path):1: column \(column): expected a number, found \"\(cell)\""
                ) {
                    try CSVDocument.open(path: path, options: CSVOptions(header: .absent)).read(features: [0, 1, 2], labels: [])
                }
            }
        }
    }

    func testNotANumberWithoutHeaderAndEmptyCell() throws {
        let path = try temporaryCSV("1,2\n3, \n")
        assertDataError(
            .notANumber(path: path, line: 2, column: 1, columnName: nil, found: ""),
            message: "\(path):2: column 1: expected a number, found an empty field"
        ) {
            try CSVDocument.open(path: path).read(features: [0, 1], labels: [])
        }
    }

    func testFoundTextIsCutAndInvalidUTF8Replaced() throws {
        let long = String(repeating: "x", count: 50)
        let path = try temporaryCSV("1,2\n3,\(long)\n")
        assertDataError(
            .notANumber(path: path, line: 2, column: 1, columnName: nil, found: String(repeating: "x", count: 40) + "…"),
            message: "\(path):2: column 1: expected a number, found \"\(String(repeating: "x", count: 40))…\""
        ) {
            try CSVDocument.open(path: path).read(features: [0, 1], labels: [])
        }
        let invalid = try temporaryCSV(bytes: Array("1\n".utf8) + [0xFF, 0x41, 0x0A])
        assertDataError(
            .notANumber(path: invalid, line: 2, column: 0, columnName: nil, found: "\u{FFFD}A"),
            message: "\(invalid):2: column 0: expected a number, found \"\u{FFFD}A\""
        ) {
            try CSVDocument.open(path: invalid).read(features: [0], labels: [])
        }
    }

    func testWrongFieldCount() throws {
        let short = try temporaryCSV("1,2,3\n4,5\n")
        assertDataError(
            .wrongFieldCount(path: short, line: 2, expected: 3, found: 2),
            message: "\(short):2: expected 3 fields like the first record, found 2"
        ) {
            try CSVDocument.open(path: short).read(features: [0], labels: [])
        }
        let long = try temporaryCSV("a,b\n1,2\n3,4,\n")
        assertDataError(
            .wrongFieldCount(path: long, line: 3, expected: 2, found: 3),
            message: "\(long):3: expected 2 fields like the first record, found 3"
        ) {
            try CSVDocument.open(path: long).read(features: [0, 1], labels: [])
        }
    }

    func testWrongFieldCountIsReportedBeforeABadCell() throws {
        let path = try temporaryCSV("1,2,3\nx,5\n")
        XCTAssertThrowsError(try CSVDocument.open(path: path).read(features: [0, 1, 2], labels: [])) {
            XCTAssertEqual($0 as? DataError, .wrongFieldCount(path: path, line: 2, expected: 3, found: 2))
        }
    }

    func testNonFiniteIsRejectedByDefault() throws {
        for (cell, name) in [("nan", "NaN"), ("-inf", "-inf"), ("1e39", "1e39")] {
            let path = try temporaryCSV("a,b\n1,2\n3,\(cell)\n", name: "\(name).csv")
            assertDataError(
                .nonFinite(path: path, line: 3, column: 1, columnName: "b", found: cell),
                message: "\(path):3: column 1 (\"b\"): \"\(cell)\" is not a finite 32-bit float "
                    + "(NaN, infinity, or beyond ±3.4e38) and non-finite values are not allowed"
            ) {
                try CSVDocument.open(path: path).read(features: [0, 1], labels: [])
            }
        }
        let label = try temporaryCSV("1,2\n3,inf\n")
        XCTAssertThrowsError(try CSVDocument.open(path: label).read(features: [0], labels: [1])) {
            XCTAssertEqual($0 as? DataError, .nonFinite(path: label, line: 2, column: 1, columnName: nil, found: "inf"))
        }
    }

    func testUnterminatedQuote() throws {
        let path = try temporaryCSV("a,b\n1,2\n3,\"4\n5\",6\n")
        assertDataError(
            .unterminatedQuote(path: path, line: 3),
            message: "\(path):3: a quoted field is not closed on this line "
                + "(line breaks inside quoted fields are not supported)"
        ) {
            try CSVDocument.open(path: path).read(features: [0], labels: [])
        }
        let inHeader = try temporaryCSV("\"a,b\n1,2\n")
        XCTAssertThrowsError(try CSVDocument.open(path: inHeader)) {
            XCTAssertEqual($0 as? DataError, .unterminatedQuote(path: inHeader, line: 1))
        }
    }

    func testTextAfterClosingQuote() throws {
        let path = try temporaryCSV("1,2\n3,\"4\"x \n")
        assertDataError(
            .textAfterClosingQuote(path: path, line: 2, column: 1, found: "\"4\"x"),
            message: "\(path):2: column 1: text after the closing quote in \"\"4\"x\"; "
                + "write a quote inside a quoted field as \"\""
        ) {
            try CSVDocument.open(path: path).read(features: [0], labels: [])
        }
    }

    func testUnknownColumn() throws {
        let path = try temporaryCSV("id,PRE5\n1,2\n")
        assertDataError(
            .unknownColumn(path: path, name: "PRE6", available: ["id", "PRE5"]),
            message: "\(path): no column named \"PRE6\"; the header has \"id\", \"PRE5\""
        ) {
            try CSVDocument.open(path: path).resolve(.name("PRE6"))
        }
        let headerless = try temporaryCSV("1,2\n")
        assertDataError(
            .unknownColumn(path: headerless, name: "PRE5", available: []),
            message: "\(headerless): no column named \"PRE5\": the file has no header row, so give columns by 0-based index"
        ) {
            try CSVDocument.open(path: headerless).resolve(.name("PRE5"))
        }
    }

    func testColumnOutOfRange() throws {
        let path = try temporaryCSV("1,2,3\n")
        let message = "\(path): column 3 does not exist; records have 3 fields, so columns are 0...2"
        assertDataError(.columnOutOfRange(path: path, index: 3, columnCount: 3), message: message) {
            try CSVDocument.open(path: path).resolve(.index(3))
        }
        assertDataError(.columnOutOfRange(path: path, index: 3, columnCount: 3), message: message) {
            try CSVDocument.open(path: path).read(features: [0], labels: [3])
        }
        XCTAssertThrowsError(try CSVDocument.open(path: path).read(features: [-1], labels: [])) {
            XCTAssertEqual($0 as? DataError, .columnOutOfRange(path: path, index: -1, columnCount: 3))
        }
    }

    func testMixedLabelColumn() throws {
        let path = try temporaryCSV("x,y\n\n1,0\n2,1\n3,R\n")
        assertDataError(
            .mixedLabelColumn(path: path, line: 5, column: 1, columnName: "y", found: "R", firstDataLine: 3),
            message: "\(path):5: column 1 (\"y\"): label column mixes numbers and text: "
                + "line 3 holds a number, this line holds \"R\""
        ) {
            try CSVDocument.open(path: path).read(features: [0], labels: [1])
        }
    }
}
