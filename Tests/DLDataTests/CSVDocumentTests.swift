// Reading CSV files: header decision, format variations, label columns, column references.

import Foundation
import XCTest

@testable import DLData

final class CSVDocumentTests: XCTestCase {
    // MARK: header detection

    func testDetectsAHeaderAboveNumbers() throws {
        let csv = try openCSV("x,y,label\n1,2,0\n3,4,1\n")
        XCTAssertEqual(csv.columnNames, ["x", "y", "label"])
        XCTAssertEqual(csv.columnCount, 3)
        let columns = try csv.read(features: [0, 1], labels: [2])
        XCTAssertEqual(columns.rowCount, 2)
        XCTAssertEqual(columns.features, [1, 2, 3, 4])
        XCTAssertEqual(columns.labels, [.numbers([0, 1])])
        XCTAssertEqual(columns.lineNumbers, [2, 3])
    }

    func testAllNumericFileHasNoHeader() throws {
        let csv = try openCSV("1,2,3\n4,5,6\n")
        XCTAssertNil(csv.columnNames)
        XCTAssertEqual(try csv.read(features: [0, 1, 2], labels: []).features, [1, 2, 3, 4, 5, 6])
    }

    func testTextLabelColumnWithoutHeaderIsData() throws {
        let csv = try openCSV("0.02,0.0371,R\n0.0453,0.0523,M\n0.0262,0.0582,R\n")
        XCTAssertNil(csv.columnNames)
        let columns = try csv.read(features: [0, 1], labels: [2])
        XCTAssertEqual(columns.rowCount, 3)
        XCTAssertEqual(columns.labels, [.classes(codes: [1, 0, 1], names: ["M", "R"])])
    }

    func testHeaderAboveATextLabelColumn() throws {
        let csv = try openCSV("a,b,class\n1,2,R\n3,4,M\n")
        XCTAssertEqual(csv.columnNames, ["a", "b", "class"])
        XCTAssertEqual(try csv.read(features: [0, 1], labels: [2]).rowCount, 2)
    }

    func testOneRecordIsAHeaderOnlyWhenAllText() throws {
        let data = try openCSV("1,R\n")
        XCTAssertNil(data.columnNames)
        XCTAssertEqual(try data.read(features: [0], labels: [1]).labels, [.classes(codes: [0], names: ["R"])])
        let path = try temporaryCSV("a,b\n")
        assertDataError(.emptyFile(path: path), message: "\(path): no data rows (the file is empty or holds only a header)") {
            try CSVDocument.open(path: path)
        }
    }

    func testForcedHeaderModes() throws {
        let present = try openCSV("1,2\n3,4\n", options: CSVOptions(header: .present))
        XCTAssertEqual(present.columnNames, ["1", "2"])
        XCTAssertEqual(try present.read(features: [0, 1], labels: []).features, [3, 4])

        let absent = try openCSV("a,b\n3,4\n", options: CSVOptions(header: .absent))
        XCTAssertNil(absent.columnNames)
        XCTAssertEqual(try absent.read(features: [], labels: [0]).labels, [.classes(codes: [1, 0], names: ["3", "a"])])
    }

    func testHeaderNamesAreUnquotedAndTrimmed() throws {
        let csv = try openCSV(" id , \"first, last\" ,\"say \"\"hi\"\"\",\" kept \"\n1,2,3,4\n")
        XCTAssertEqual(csv.columnNames, ["id", "first, last", "say \"hi\"", " kept "])
    }

    // MARK: format variations

    func testOtherDelimiters() throws {
        let semicolon = try openCSV("a;b\n1.5;2\n", options: CSVOptions(delimiter: UInt8(ascii: ";")))
        XCTAssertEqual(semicolon.columnNames, ["a", "b"])
        XCTAssertEqual(try semicolon.read(features: [0, 1], labels: []).features, [1.5, 2])

        let tab = try openCSV("a\tb\n 1.5 \t 2\n", options: CSVOptions(delimiter: UInt8(ascii: "\t")))
        XCTAssertEqual(try tab.read(features: [0, 1], labels: []).features, [1.5, 2])

        // A delimiter that can occur inside a number forces the separate scan-then-parse path.
        let dot = try openCSV("1.25.3\n", options: CSVOptions(delimiter: UInt8(ascii: ".")))
        XCTAssertEqual(try dot.read(features: [0, 1, 2], labels: []).features, [1, 25, 3])
    }

    func testTabDelimiterKeepsEmptyFieldsBetweenTabs() throws {
        let csv = try openCSV("1\t\t3\n", options: CSVOptions(delimiter: UInt8(ascii: "\t")))
        XCTAssertEqual(csv.columnCount, 3)
        XCTAssertEqual(try csv.read(features: [0, 2], labels: [], texts: [1]).labels, [.classes(codes: [0], names: [""])])
    }

    func testCRLFLineEnds() throws {
        let csv = try openCSV("a,b,c\r\n1,2,R\r\n3,4,M\r\n")
        XCTAssertEqual(csv.columnNames, ["a", "b", "c"])
        let columns = try csv.read(features: [0, 1], labels: [2])
        XCTAssertEqual(columns.features, [1, 2, 3, 4])
        XCTAssertEqual(columns.labels, [.classes(codes: [1, 0], names: ["M", "R"])])
    }

    func testMissingFinalNewline() throws {
        let columns = try openCSV("1,2\n3,4").read(features: [0, 1], labels: [])
        XCTAssertEqual(columns.features, [1, 2, 3, 4])
        let crlf = try openCSV("1,2\r\n3,4\r").read(features: [0, 1], labels: [])
        XCTAssertEqual(crlf.features, [1, 2, 3, 4])
    }

    func testBlankLinesAreSkippedAndLineNumbersKept() throws {
        let csv = try openCSV("\n  \nx,y\n\n1,2\n \t \n3,4\r\n\r\n\n   ")
        XCTAssertEqual(csv.columnNames, ["x", "y"])
        let columns = try csv.read(features: [0, 1], labels: [])
        XCTAssertEqual(columns.features, [1, 2, 3, 4])
        XCTAssertEqual(columns.lineNumbers, [5, 7])
    }

    func testQuotedFields() throws {
        let csv = try openCSV("\"1,5\",\"2.5\",\"say \"\"hi\"\"\"\n\"x\",3,\"\"\n", options: CSVOptions(header: .absent))
        // Column 2 read as text (a label cell may not be empty).
        let columns = try csv.read(features: [], labels: [0], texts: [2])
        XCTAssertEqual(columns.labels[0], .classes(codes: [0, 1], names: ["1,5", "x"]))
        XCTAssertEqual(columns.labels[1], .classes(codes: [1, 0], names: ["", "say \"hi\""]))
        XCTAssertEqual(try csv.read(features: [1], labels: []).features, [2.5, 3])
    }

    func testSpacesAndTabsAroundUnquotedFieldsAreTrimmed() throws {
        let columns = try openCSV("  1.5 ,\t-2\t,  big cat  \n").read(features: [0, 1], labels: [2])
        XCTAssertEqual(columns.features, [1.5, -2])
        XCTAssertEqual(columns.labels, [.classes(codes: [0], names: ["big cat"])])
    }

    func testSkippedColumnsAreNotParsed() throws {
        let columns = try openCSV("id,x,y\nrow-1,1,2\n\"row,2\",3,4\n").read(features: [1, 2], labels: [])
        XCTAssertEqual(columns.features, [1, 2, 3, 4])
    }

    func testFeaturesComeInTheRequestedOrder() throws {
        let columns = try openCSV("1,2,3\n4,5,6\n").read(features: [2, 0, 2], labels: [])
        XCTAssertEqual(columns.features, [3, 1, 3, 6, 4, 6])
    }

    func testAColumnAsFeatureAndLabelDoesNotCrash() throws {
        let columns = try openCSV("1,2\n3,4\n").read(features: [0, 1], labels: [1, 1])
        XCTAssertEqual(columns.features, [1, 2, 3, 4])
        XCTAssertEqual(columns.labels, [.numbers([2, 4]), .numbers([2, 4])])
    }

    func testAllowNonFiniteKeepsNaNAndInfinities() throws {
        let csv = try openCSV("nan,-inf,1e39,Infinity\n", options: CSVOptions(allowNonFinite: true))
        let columns = try csv.read(features: [0, 1, 2], labels: [3])
        XCTAssertTrue(columns.features[0].isNaN)
        XCTAssertEqual(Array(columns.features[1...]), [-.infinity, .infinity])
        XCTAssertEqual(columns.labels, [.numbers([.infinity])])
    }

    func testUnderflowBecomesZeroAndIsAllowed() throws {
        XCTAssertEqual(try openCSV("1e-50,-1e-50\n").read(features: [0, 1], labels: []).features, [0, -0.0])
    }

    func testFeatureValuesMatchFloatOfTheCorrectlyRoundedDouble() throws {
        var random = SystemRandomNumberGenerator()
        var texts: [String] = []
        for index in 0..<3000 {
            let value = Double.random(in: -1e6...1e6, using: &random) * Double.random(in: 0...1, using: &random)
            switch index % 4 {
            case 0: texts.append("\(value)")
            case 1: texts.append("\(Float(value))")
            case 2: texts.append(String(format: "%.17e", value))
            default: texts.append(String(format: "%.3f", value))
            }
        }
        let rows = stride(from: 0, to: texts.count, by: 3).map { texts[$0..<$0 + 3].joined(separator: ",") }
        let columns = try openCSV(rows.joined(separator: "\n")).read(features: [0, 1, 2], labels: [])
        XCTAssertEqual(columns.features.map(\.bitPattern), texts.map { Float(Double($0)!).bitPattern })
    }

    /// Cells the record loop reads on its fast path (plain numbers) and cells it leaves to the
    /// general one (blanks, quotes, exponents, CR, long digit runs) give the same Floats.
    func testEveryWayOfWritingANumberGivesTheSameFloats() throws {
        var random = SystemRandomNumberGenerator()
        var rows: [String] = [], expected: [Float] = []
        for _ in 0..<2000 {
            var cells: [String] = []
            for _ in 0..<4 {
                let digits = String(UInt64.random(in: 0...UInt64.max, using: &random)).prefix(Int.random(in: 1...19, using: &random))
                let point = Int.random(in: 0...digits.count, using: &random)
                let plain = ["", "-", "+"].randomElement(using: &random)! + digits.prefix(point) + "." + digits.dropFirst(point)
                expected.append(Float(Double(plain)!))
                switch Int.random(in: 0..<6, using: &random) {
                case 0: cells.append(" \(plain)\t")
                case 1: cells.append("\"\(plain)\"")
                case 2: cells.append(plain + "e0")
                default: cells.append(plain)
                }
            }
            rows.append(cells.joined(separator: ",") + (Bool.random(using: &random) ? "\r" : ""))
        }
        let columns = try openCSV(rows.joined(separator: "\n")).read(features: [0, 1, 2, 3], labels: [])
        XCTAssertEqual(columns.features.map(\.bitPattern), expected.map(\.bitPattern))
    }

    // MARK: label columns

    func testNumericLabelColumn() throws {
        let columns = try openCSV("1,0.5\n2,1.5\n3,-2\n").read(features: [0], labels: [1])
        XCTAssertEqual(columns.labels, [.numbers([0.5, 1.5, -2])])
    }

    func testClassNamesAreSortedByBytesAndNumbersLaterAreNames() throws {
        let columns = try openCSV("1,b\n2,B\n3,é\n4,a\n5,3\n6,b\n").read(features: [0], labels: [1])
        XCTAssertEqual(columns.labels, [.classes(codes: [3, 1, 4, 2, 0, 3], names: ["3", "B", "a", "b", "é"])])
    }

    func testSeveralLabelColumnsOfBothKinds() throws {
        let columns = try openCSV("x,kind,score\n1,cat,0.5\n2,dog,0.25\n").read(features: [0], labels: [2, 1])
        XCTAssertEqual(columns.labels, [.numbers([0.5, 0.25]), .classes(codes: [0, 1], names: ["cat", "dog"])])
    }

    func testInvalidUTF8InAClassNameDoesNotCrash() throws {
        let path = try temporaryCSV(bytes: Array("1,".utf8) + [0xFF, 0xFE] + Array("\n2,ok\n".utf8))
        let columns = try CSVDocument.open(path: path).read(features: [0], labels: [1])
        XCTAssertEqual(columns.labels, [.classes(codes: [1, 0], names: ["ok", "\u{FFFD}\u{FFFD}"])])
    }

    // MARK: column references

    func testColumnReferenceParsing() {
        XCTAssertEqual(ColumnReference(parsing: "3"), .index(3))
        XCTAssertEqual(ColumnReference(parsing: "0"), .index(0))
        XCTAssertEqual(ColumnReference(parsing: "PRE5"), .name("PRE5"))
        XCTAssertEqual(ColumnReference(parsing: "-1"), .name("-1"))
        XCTAssertEqual(ColumnReference(parsing: ""), .name(""))
        XCTAssertEqual(ColumnReference(parsing: "99999999999999999999999"), .name("99999999999999999999999"))
        XCTAssertEqual(ColumnReference.index(3).description, "3")
        XCTAssertEqual(ColumnReference.name("PRE5").description, "PRE5")
    }

    func testResolveByIndexAndName() throws {
        let csv = try openCSV("id,PRE5,label\n1,2,3\n")
        XCTAssertEqual(try csv.resolve(.index(2)), 2)
        XCTAssertEqual(try csv.resolve(.name("PRE5")), 1)
        XCTAssertEqual(try csv.resolve(ColumnReference(parsing: "label")), 2)
    }

    // MARK: robustness

    func testArbitraryBytesNeverCrash() throws {
        let alphabet = Array("0123456789,,,\"\"\n\n\r \t.e-+naifAB;".utf8) + [0xFF, 0xC3, 0x00]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0...120, using: &random)).map { _ in
                alphabet.randomElement(using: &random) ?? 0
            }
            let path = try temporaryCSV(bytes: bytes)
            for header in [HeaderMode.detect, .present, .absent] {
                guard let csv = try? CSVDocument.open(path: path, options: CSVOptions(header: header)) else { continue }
                let all = Array(0..<csv.columnCount)
                _ = try? csv.read(features: all, labels: [])
                _ = try? csv.read(features: [], labels: all)
                _ = try? csv.read(features: [0], labels: [csv.columnCount - 1])
            }
        }
    }
}
