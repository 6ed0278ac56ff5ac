// Files large enough to be parsed in parts on several threads give exactly what a sequential parse
// gives: the same rows in order, line numbers, text classes (sorted across parts), and the first
// error in file order with its true line.

import Foundation
import XCTest

@testable import DLData

final class ParallelParseTests: XCTestCase {
    /// About 3 MB: a header, then `rows` records whose text label first appears late in the file.
    private func largeCSV(rows: Int, badLine: Int? = nil) -> String {
        var text = "id,x,y,species\n"
        text.reserveCapacity(rows * 40)
        for row in 0..<rows {
            let line = row + 2
            let species = row < rows / 2 ? (row % 2 == 0 ? "virginica" : "setosa") : (row % 3 == 0 ? "versicolor" : "setosa")
            let x = line == badLine ? "oops" : String(Double(row) * 0.25)
            text += "\(row),\(x),\(Double(row % 97) / 7),\(species)\n"
            if row % 5000 == 4999 { text += "\n" }  // blank lines shift line numbers against row numbers
        }
        return text
    }

    func testPartsJoinAsOneSequentialParse() throws {
        let rows = 100_000
        let document = try openCSV(largeCSV(rows: rows))
        let columns = try document.read(features: [0, 1, 2], labels: [3])
        XCTAssertEqual(columns.rowCount, rows)
        // Counted while hashed on another thread, in pieces of megabytes: the same count and fingerprint.
        let counted = try document.countRecords()
        XCTAssertEqual(counted.count, rows)
        XCTAssertEqual(counted.fingerprint, columns.fingerprint)
        for row in [0, 1, 4999, 5000, 49_999, 50_000, 77_777, rows - 1] {
            XCTAssertEqual(columns.features[row * 3], Float(row))
            XCTAssertEqual(columns.features[row * 3 + 1], Float(Double(row) * 0.25))
            XCTAssertEqual(Int(columns.lineNumbers[row]), row + 2 + row / 5000, "row \(row)")
        }
        guard case let .classes(codes, names) = columns.labels[0] else { return XCTFail("not classes") }
        XCTAssertEqual(names, ["setosa", "versicolor", "virginica"])
        XCTAssertEqual(codes[0], 2)
        XCTAssertEqual(codes[1], 0)
        XCTAssertEqual(codes[rows - 1], (rows - 1) % 3 == 0 ? 1 : 0)
    }

    func testAnErrorInALaterPartNamesItsTrueLine() throws {
        let rows = 100_000, badRow = 90_000
        let badLine = badRow + 2
        let path = try temporaryCSV(largeCSV(rows: rows, badLine: badLine))
        let document = try CSVDocument.open(path: path)
        XCTAssertThrowsError(try document.read(features: [0, 1, 2], labels: [3])) { error in
            let fileLine = badLine + badRow / 5000
            XCTAssertEqual(
                error as? DataError,
                .notANumber(path: path, line: fileLine, column: 1, columnName: "x", found: "oops"))
        }
    }
}
