// Gzip-compressed CSV files (made by the gzip program) are read a chunk at a time like plain ones:
// the same columns, line numbers and classes whatever the chunk size, the fingerprint of the bytes
// as stored, gzip told by its first bytes and not by its name, several members read as one file.
// A damaged or cut-short file, bytes after the gzip data, and formats dltrain does not read are
// refused with the file (and the line reached), never a trap; a UTF-8 byte-order mark before the
// text, compressed or not, is dropped.

import DLTestSupport
import Foundation
import XCTest

@testable import DLData

final class CompressedFileTests: XCTestCase {
    /// A header, a blank line, a text label, CR LF line ends on some lines, no final line break.
    private func sampleCSV(rows: Int) -> String {
        var text = "x,y,species\n"
        for row in 0..<rows {
            text += "\(Double(row) * 0.25),\(row % 7),\(["setosa", "versicolor", "virginica"][row % 3])"
            text += row % 5 == 0 ? "\r\n" : "\n"
            if row % 50 == 49 { text += "\n" }
        }
        return String(text.dropLast())
    }

    private func plainRead(_ text: String) throws -> CSVColumns {
        try CSVDocument(bytes: Array(text.utf8), path: "plain.csv").read(features: [0, 1], labels: [2])
    }

    private func assertSameRows(_ read: CSVColumns, _ expected: CSVColumns, _ message: String, line: UInt = #line) {
        XCTAssertEqual(read.rowCount, expected.rowCount, message, line: line)
        XCTAssertEqual(read.features, expected.features, message, line: line)
        XCTAssertEqual(read.labels, expected.labels, message, line: line)
        XCTAssertEqual(read.lineNumbers, expected.lineNumbers, message, line: line)
    }

    func testAGzipFileReadsAsItsTextWhateverTheChunkSize() throws {
        let text = sampleCSV(rows: 3000)
        let expected = try plainRead(text)
        let compressed = try Gzip.compress(Array(text.utf8))
        XCTAssertLessThan(compressed.count, text.utf8.count / 3)
        let path = try temporaryCSV(bytes: compressed, name: "data.csv.gz")
        let stored = compressed.withUnsafeBytes { DataFingerprint(bytes: $0) }
        for chunkSize in [1, 7, 4096, GzipInflater.inputSize + 1, 1 << 22] {
            let read = try CSVDocument.open(path: path, chunkSize: chunkSize).read(features: [0, 1], labels: [2])
            assertSameRows(read, expected, "chunk \(chunkSize)")
            XCTAssertEqual(read.fingerprint, stored, "the fingerprint is of the file as stored; chunk \(chunkSize)")
            let counted = try CSVDocument.open(path: path, chunkSize: chunkSize).countRecords()
            XCTAssertEqual(counted.count, 3000)
            XCTAssertEqual(counted.fingerprint, stored)
        }
        assertSameRows(try CSVDocument(bytes: compressed, path: "memory.gz").read(features: [0, 1], labels: [2]), expected, "memory")
    }

    func testGzipIsToldByItsFirstBytesNotItsName() throws {
        let text = sampleCSV(rows: 40)
        let expected = try plainRead(text)
        let compressedAsCSV = try temporaryCSV(bytes: try Gzip.compress(Array(text.utf8)), name: "data.csv")
        assertSameRows(try CSVDocument.open(path: compressedAsCSV).read(features: [0, 1], labels: [2]), expected, ".csv")
        let plainAsGzip = try temporaryCSV(text, name: "data.csv.gz")
        assertSameRows(try CSVDocument.open(path: plainAsGzip).read(features: [0, 1], labels: [2]), expected, ".gz")
    }

    func testConcatenatedMembersReadAsOneFile() throws {
        let text = sampleCSV(rows: 200)
        let cut = text.utf8.index(text.utf8.startIndex, offsetBy: text.utf8.count / 2)
        let first = Array(text.utf8[..<cut]), second = Array(text.utf8[cut...])  // a line cut in two
        let path = try temporaryCSV(bytes: try Gzip.compress(first) + Gzip.compress(second, level: 1), name: "joined.csv.gz")
        assertSameRows(try CSVDocument.open(path: path, chunkSize: 333).read(features: [0, 1], labels: [2]), try plainRead(text), "members")
    }

    func testAByteOrderMarkIsDroppedBeforePlainOrCompressedText() throws {
        let text = sampleCSV(rows: 30)
        let expected = try plainRead(text)
        let marked = ByteSource.byteOrderMark + Array(text.utf8)
        for (name, bytes) in [("bom.csv", marked), ("bom.csv.gz", try Gzip.compress(marked))] {
            let path = try temporaryCSV(bytes: bytes, name: name)
            for chunkSize in [1, 2, 5, 1 << 20] {
                let document = try CSVDocument.open(path: path, chunkSize: chunkSize)
                XCTAssertEqual(document.columnNames, ["x", "y", "species"], name)
                XCTAssertEqual(try document.resolve(.name("x")), 0)
                let read = try document.read(features: [0, 1], labels: [2])
                assertSameRows(read, expected, "\(name), chunk \(chunkSize)")
                XCTAssertEqual(read.fingerprint, bytes.withUnsafeBytes { DataFingerprint(bytes: $0) })
                XCTAssertEqual(try document.countRecords().count, 30)
            }
        }
        // Without a header the mark would have made the first cell text.
        let headerless = try temporaryCSV(bytes: ByteSource.byteOrderMark + Array("1.5,2\n3,4\n".utf8))
        XCTAssertEqual(try CSVDocument.open(path: headerless).read(features: [0], labels: [1]).features, [1.5, 3])
        // A mark alone is an empty file.
        let alone = try temporaryCSV(bytes: ByteSource.byteOrderMark)
        XCTAssertThrowsError(try CSVDocument.open(path: alone)) { XCTAssertEqual($0 as? DataError, .emptyFile(path: alone)) }
    }

    func testEmptyCompressedFilesHaveNoDataRows() throws {
        for text in ["", "x,y\n", "\n\n"] {
            let path = try temporaryCSV(bytes: try Gzip.compress(Array(text.utf8)), name: "empty.csv.gz")
            XCTAssertThrowsError(try CSVDocument.open(path: path)) { XCTAssertEqual($0 as? DataError, .emptyFile(path: path)) }
        }
    }

    /// Every way to read a file: open it, read its rows, count them.
    private func readEveryWay(_ path: String, chunkSize: Int) throws {
        _ = try CSVDocument.open(path: path, chunkSize: chunkSize).read(features: [0, 1], labels: [2])
        _ = try CSVDocument.open(path: path, chunkSize: chunkSize).countRecords()
    }

    func testAFileCutShortNamesTheLineWhereItBreaksOff() throws {
        let text = sampleCSV(rows: 2000) + "\n"
        let lines = text.utf8.filter { $0 == 0x0A }.count
        let compressed = try Gzip.compress(Array(text.utf8))
        // Cut in the header, in the data, before the trailer (the text complete, its check missing), in the trailer.
        for cut in [5, 12, compressed.count / 3, compressed.count / 2, compressed.count - 8, compressed.count - 1] {
            let path = try temporaryCSV(bytes: Array(compressed.prefix(cut)), name: "cut.csv.gz")
            for chunkSize in [64, 1 << 20] {
                XCTAssertThrowsError(try readEveryWay(path, chunkSize: chunkSize), "cut at \(cut)") { error in
                    guard case let .damagedCompressedFile(errorPath, line, detail) = error as? DataError else {
                        return XCTFail("cut at \(cut): \(error)")
                    }
                    XCTAssertEqual(errorPath, path)
                    XCTAssertTrue(detail.contains("cut short"), detail)
                    if cut >= compressed.count - 8 {
                        XCTAssertEqual(line, lines + 1, "the whole text came out before the cut")
                    } else if cut > 12 {
                        XCTAssertTrue((2...lines).contains(line), "cut at \(cut): line \(line)")
                    }
                    XCTAssertTrue("\(error)".hasPrefix("\(path):\(line): the compressed data ends early"), "\(error)")
                }
            }
        }
    }

    func testDamagedDataAndBytesAfterItAreRefused() throws {
        let text = sampleCSV(rows: 500) + "\n"
        let compressed = try Gzip.compress(Array(text.utf8))
        var flipped = compressed
        flipped[compressed.count / 2] ^= 0x10
        var wrongCheck = compressed
        wrongCheck[compressed.count - 6] ^= 0x01  // the CRC-32 in the trailer
        for (name, bytes, expected) in [
            ("flipped", flipped, "damaged"), ("check", wrongCheck, "incorrect data check"),
            ("trailing", compressed + Array("more,text\n".utf8), "are not gzip data"),
            ("zeros", compressed + [UInt8](repeating: 0, count: 512), "are not gzip data"),
        ] {
            let path = try temporaryCSV(bytes: bytes, name: name + ".csv.gz")
            XCTAssertThrowsError(try readEveryWay(path, chunkSize: 1 << 20), name) { error in
                guard case let .damagedCompressedFile(_, line, detail) = error as? DataError else { return XCTFail("\(name): \(error)") }
                XCTAssertTrue(detail.contains(expected), "\(name): \(detail)")
                XCTAssertGreaterThanOrEqual(line, 1)
            }
        }
    }

    /// Gzip data with bytes changed, cut or added at random: read or refused with a DataError, never a trap.
    func testMutatedGzipDataNeverCrashes() throws {
        let compressed = try Gzip.compress(Array(sampleCSV(rows: 300).utf8))
        var random = SystemRandomNumberGenerator()
        for _ in 0..<400 {
            var bytes = compressed
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.removeSubrange(at...)
                default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: at)
                }
                if bytes.count < 2 { bytes = compressed }
            }
            do {
                let document = try CSVDocument(bytes: bytes, path: "mutated.gz", chunkSize: 4096)
                _ = try document.read(features: Array(0..<(document.columnCount - 1)), labels: [document.columnCount - 1])
                _ = try document.countRecords()
            } catch {
                XCTAssertNotNil(error as? DataError, "\(error)")
            }
        }
    }

    func testFormatsDltrainDoesNotReadAreRefusedWithWhatToDo() throws {
        let utf16 = [UInt8]([0xFF, 0xFE]) + Array("x,y\n1,2\n".utf8).flatMap { [$0, 0] }
        let cases: [([UInt8], UnreadableFormat, String)] = [
            (Array("PK\u{3}\u{4}rest of a workbook".utf8), .zip, "save the sheet as CSV"),
            ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0], .excelWorkbook, "save the sheet as CSV"),
            (Array("BZh91AY&SY".utf8), .bzip2, "bunzip2"),
            ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0, 0], .xz, "unxz"),
            ([0x28, 0xB5, 0x2F, 0xFD, 0, 0, 0, 0], .zstd, "unzstd"),
            (utf16, .utf16, "iconv -f UTF-16 -t UTF-8"),
            (try Gzip.compress(utf16), .utf16, "CSV UTF-8"),
            (Array("x,y,z\r1,2,3\r4,5,6\r".utf8), .carriageReturnLines, "tr '\\r' '\\n'"),
        ]
        for (bytes, format, advice) in cases {
            let path = try temporaryCSV(bytes: bytes)
            assertDataError(.unreadableFormat(path: path, format), message: "\(path): \(format)") { try CSVDocument.open(path: path) }
            XCTAssertTrue(format.description.contains(advice), format.description)
        }
        // A file whose last line ends with a lone CR is not refused.
        XCTAssertEqual(try openCSV("x,y\r\n1,2\r").read(features: [0], labels: [1]).rowCount, 1)
    }
}
