// Feature cells read raw for a preprocessed table: numbers through the number scanner, other
// cells' texts through a chunk's own table; the same cells whatever the chunk size and however the
// parallel parse cuts a chunk into parts; the header of a table of words and gaps still found.

import DLPreprocessing
import XCTest

@testable import DLData

final class RawCellTests: XCTestCase {
    /// A cell as a test compares it: its number, or its text.
    private enum Cell: Equatable {
        case number(Double)
        case text(String)
    }

    /// Every chunk's raw cells of `raw` columns, joined: per column, the cells of every row, and the rows' lines.
    private func rawCells(
        _ document: CSVDocument, _ raw: [(column: Int, reading: RawReading)]
    ) throws -> (columns: [[Cell]], lines: [Int32]) {
        let plan = try document.columnPlan(features: [], raw: raw, labels: []).plan
        let stream = try document.records(plan)
        var columns = [[Cell]](repeating: [], count: raw.count), lines: [Int32] = []
        while var records = try stream.next() {
            let cells = records.takeRawCells(plan)
            XCTAssertEqual(cells.fileColumns, raw.map(\.column))
            XCTAssertEqual(cells.lineNumbers.count, cells.rowCount)
            lines += cells.lineNumbers
            for (position, column) in cells.columns.enumerated() {
                XCTAssertEqual(column.codes.count, cells.rowCount)
                XCTAssertEqual(column.numbers.count, raw[position].reading == .text ? 0 : cells.rowCount)
                XCTAssertEqual(Set(column.texts).count, column.texts.count, "a chunk's texts are distinct")
                for row in 0..<cells.rowCount {
                    let code = column.codes[row]
                    columns[position].append(code == RawColumn.number ? .number(column.numbers[row]) : .text(column.texts[Int(code)]))
                }
            }
        }
        return (columns, lines)
    }

    private let penguins = """
        species,island,bill_length_mm,sex,year
        Adelie,Torgersen,39.1,male,2007
        Adelie,Torgersen,NA,,2007
        Gentoo,"Biscoe",46.1,female,2008
        Chinstrap,Dream,?,male,2009

        Gentoo,Biscoe,1e3,NA,2008

        """

    func testNumbersAndTextsOfEachReading() throws {
        let document = try CSVDocument(bytes: Array(penguins.utf8), path: "penguins.csv")
        XCTAssertEqual(document.columnNames, ["species", "island", "bill_length_mm", "sex", "year"])
        let read = try rawCells(document, [(2, .numberOrText), (0, .numberOrText), (1, .text), (4, .text)])
        XCTAssertEqual(read.columns[0], [.number(39.1), .text("NA"), .number(46.1), .text("?"), .number(1000)])
        XCTAssertEqual(read.columns[1], ["Adelie", "Adelie", "Gentoo", "Chinstrap", "Gentoo"].map { .text($0) })
        XCTAssertEqual(read.columns[2], ["Torgersen", "Torgersen", "Biscoe", "Dream", "Biscoe"].map { .text($0) })
        XCTAssertEqual(read.columns[3], ["2007", "2007", "2008", "2009", "2008"].map { .text($0) }, "text as the file has it")
        XCTAssertEqual(read.lines, [2, 3, 4, 5, 7])
    }

    func testEveryChunkSizeGivesTheSameCells() throws {
        let raw: [(column: Int, reading: RawReading)] = [(0, .text), (2, .numberOrText), (3, .numberOrText)]
        let whole = try rawCells(try CSVDocument(bytes: Array(penguins.utf8), path: "p.csv"), raw)
        for chunkSize in [1, 2, 3, 7, 16, 33, 64] {
            let document = try CSVDocument(bytes: Array(penguins.utf8), path: "p.csv", chunkSize: chunkSize)
            let read = try rawCells(document, raw)
            XCTAssertEqual(read.columns, whole.columns, "chunk size \(chunkSize)")
            XCTAssertEqual(read.lines, whole.lines, "chunk size \(chunkSize)")
        }
    }

    func testPartsParsedInParallelJoinWithTheirTextsRenumbered() throws {
        // About 4 MB, parsed in parts: words first seen in the later parts, numbers and gaps throughout.
        let rows = 120_000
        var text = "id,color,size\n"
        var expectedColors: [Cell] = [], expectedSizes: [Cell] = []
        for row in 0..<rows {
            let color = row < rows / 2 ? ["red", "green"][row % 2] : ["blue", "red", "teal"][row % 3]
            let size: Cell = row % 11 == 0 ? .text("NA") : row % 13 == 0 ? .text("large") : .number(Double(row) * 0.5)
            let sizeText: String
            switch size {
            case .number(let value): sizeText = "\(value)"
            case .text(let word): sizeText = word
            }
            text += "\(row),\(color),\(sizeText)\n"
            expectedColors.append(.text(color))
            expectedSizes.append(size)
        }
        let document = try CSVDocument(bytes: Array(text.utf8), path: "large.csv")
        let read = try rawCells(document, [(1, .numberOrText), (2, .numberOrText)])
        XCTAssertEqual(read.columns[0], expectedColors)
        XCTAssertEqual(read.columns[1], expectedSizes)
        XCTAssertEqual(read.lines, (0..<rows).map { Int32($0 + 2) })
    }

    func testNaNIsANumberAndAnInfinityIsRefusedUnlessAllowed() throws {
        let text = "a,b\n1,nan\n2,inf\n"
        let document = try CSVDocument(bytes: Array(text.utf8), path: "f.csv")
        XCTAssertThrowsError(try rawCells(document, [(1, .numberOrText)])) { error in
            XCTAssertEqual(error as? DataError, .nonFinite(path: "f.csv", line: 3, column: 1, columnName: "b", found: "inf"))
        }
        let allowed = try CSVDocument(bytes: Array(text.utf8), path: "f.csv", options: CSVOptions(allowNonFinite: true))
        let cells = try rawCells(allowed, [(1, .numberOrText)]).columns[0]
        guard case .number(let nan) = cells[0], case .number(let infinity) = cells[1] else { return XCTFail("\(cells)") }
        XCTAssertTrue(nan.isNaN)
        XCTAssertEqual(infinity, .infinity)
    }

    func testAWrongFieldCountIsRefusedInARawRead() throws {
        let document = try CSVDocument(bytes: Array("a,b\nx,1\ny\n".utf8), path: "f.csv")
        XCTAssertThrowsError(try rawCells(document, [(0, .text)])) { error in
            XCTAssertEqual(error as? DataError, .wrongFieldCount(path: "f.csv", line: 3, expected: 2, found: 1))
        }
    }

    // MARK: headers of tables of words and gaps

    func testHeaderAboveWordsAndGaps() throws {
        let gapInSecondRecord = try openCSV("species,island,bill\nAdelie,Torgersen,NA\nGentoo,Biscoe,46.1\n")
        XCTAssertEqual(gapInSecondRecord.columnNames, ["species", "island", "bill"])
        let emptyCells = try openCSV("name,x,y\nab,,\ncd,,2\nef,3,\n")
        XCTAssertEqual(emptyCells.columnNames, ["name", "x", "y"])
    }

    func testAGapInTheFirstRecordOfAHeaderlessFileIsData() throws {
        let csv = try openCSV("NA,3,yes\n4,5,no\n6,?,yes\n")
        XCTAssertNil(csv.columnNames)
        XCTAssertEqual(csv.columnCount, 3)
    }

    func testATextColumnOfAHeaderlessFileIsNoEvidence() throws {
        XCTAssertNil(try openCSV("red,1.5\nblue,2\nNA,x\n").columnNames)
        XCTAssertNil(try openCSV("red,NA\nblue,NA\n").columnNames)
    }

    func testAHeaderOverWordsAloneIsFoundByTheLengthsOfTheCells() throws {
        XCTAssertEqual(try openCSV("class,cap-shape,odor\np,x,n\ne,b,a\ne,x,l\n").columnNames, ["class", "cap-shape", "odor"])
        XCTAssertEqual(try openCSV("a,b\nxyz,1\nuvw,2\n").columnNames, ["a", "b"])
        XCTAssertNil(try openCSV("p,x,n\ne,b,a\ne,x,l\n").columnNames)
        XCTAssertNil(try openCSV("red,small,yes\nblue,large,no\ngreen,small,yes\n").columnNames)
    }
}
