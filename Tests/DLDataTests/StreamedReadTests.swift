// A CSV is read a chunk at a time: whatever the chunk size (smaller than one record, about one
// record, larger than the file), the columns, line numbers, classes and fingerprint are those of
// the whole file parsed at once, an error in the last chunk names its line, and a file that changes
// under the reader is refused.

import Foundation
import XCTest

@testable import DLData

final class StreamedReadTests: XCTestCase {
    /// A header, blank lines, a text label that first appears late, a last record without a line break.
    private func sampleCSV(rows: Int, badLine: Int? = nil) -> String {
        var text = "\n x,y,species\n"
        for row in 0..<rows {
            let line = text.filter { $0 == "\n" }.count + 1
            let x = line == badLine ? "oops" : String(Double(row) * 0.5)
            let species = row < rows / 2 ? "setosa" : (row % 2 == 0 ? "virginica" : "versicolor")
            text += "\(x),\(row % 7),\(species)\n"
            if row % 10 == 9 { text += " \t\n" }
        }
        return String(text.dropLast())
    }

    func testEveryChunkSizeReadsWhatOneReadGives() throws {
        let text = sampleCSV(rows: 400)
        let path = try temporaryCSV(text)
        let whole = try CSVDocument(bytes: Array(text.utf8), path: path, chunkSize: text.utf8.count * 4)
            .read(features: [0, 1], labels: [2])
        XCTAssertEqual(whole.rowCount, 400)
        XCTAssertEqual(whole.fingerprint, Array(text.utf8).withUnsafeBytes { DataFingerprint(bytes: $0) })
        for chunkSize in [1, 3, 11, 16, 17, 4096, text.utf8.count - 1, text.utf8.count, 1 << 20] {
            let streamed = try CSVDocument.open(path: path, chunkSize: chunkSize).read(features: [0, 1], labels: [2])
            XCTAssertEqual(streamed.features, whole.features, "chunk \(chunkSize)")
            XCTAssertEqual(streamed.labels, whole.labels, "chunk \(chunkSize)")
            XCTAssertEqual(streamed.lineNumbers, whole.lineNumbers, "chunk \(chunkSize)")
            XCTAssertEqual(streamed.fingerprint, whole.fingerprint, "chunk \(chunkSize)")
            let counted = try CSVDocument.open(path: path, chunkSize: chunkSize).countRecords()
            XCTAssertEqual(counted.count, 400, "chunk \(chunkSize)")
            XCTAssertEqual(counted.fingerprint, whole.fingerprint, "chunk \(chunkSize)")
        }
        XCTAssertEqual(whole.lineNumbers.prefix(11), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14])
        guard case let .classes(_, names) = whole.labels[0] else { return XCTFail("not classes") }
        XCTAssertEqual(names, ["setosa", "versicolor", "virginica"])
    }

    func testAnErrorInTheLastChunkNamesItsLine() throws {
        let text = sampleCSV(rows: 300, badLine: 330)
        let path = try temporaryCSV(text)
        for chunkSize in [5, 64, 1 << 20] {
            let document = try CSVDocument.open(path: path, chunkSize: chunkSize)
            XCTAssertThrowsError(try document.read(features: [0, 1], labels: [2]), "chunk \(chunkSize)") { error in
                XCTAssertEqual(error as? DataError, .notANumber(path: path, line: 330, column: 0, columnName: "x", found: "oops"))
            }
        }
    }

    func testAFileChangedAfterItsHeaderWasReadIsRefused() throws {
        let path = try temporaryCSV("x,y\n1,2\n3,4\n")
        let document = try CSVDocument.open(path: path)
        try Data("x,y\n1,2\n3,4\n5,6\n".utf8).write(to: URL(fileURLWithPath: path))
        assertDataError(
            .fileChanged(path: path, detail: "it is not the file whose header was read"),
            message: "\(path): the file changed: it is not the file whose header was read; leave it unchanged while a job uses it"
        ) { try document.read(features: [0], labels: [1]) }
    }

    func testAFileChangedWhileItIsReadIsRefused() throws {
        let path = try temporaryCSV((0..<2000).map { "\($0),\($0 % 7),0.5\n" }.joined())
        let source = try ByteSource(path: path)
        let stream = RecordStream(
            source: source, chunkSize: 1000, dataStart: 0, dataStartLine: 1,
            plan: ColumnPlan(columnCount: 3, features: [0, 1, 2], labels: []), options: CSVOptions(),
            columnNames: nil)
        var chunks = 0
        XCTAssertThrowsError(
            try stream.forEachChunk { _ in
                chunks += 1
                if chunks == 2 {
                    // Appending moves the modification time and the size.
                    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                    try handle.seekToEnd()
                    try handle.write(contentsOf: Data("1,2,3\n".utf8))
                    try handle.close()
                }
            }
        ) { error in
            XCTAssertEqual(error as? DataError, .fileChanged(path: path, detail: "it changed while it was being read"))
        }
        XCTAssertGreaterThan(chunks, 2)
    }

    func testAFileWithoutASizeIsReadToItsEnd() throws {
        #if os(Linux)
            // /proc files report size 0 but have content.
            let document = try CSVDocument.open(path: "/proc/self/statm", options: CSVOptions(delimiter: UInt8(ascii: " ")))
            let columns = try document.read(features: [0, 1, 2], labels: [])
            XCTAssertEqual(columns.rowCount, 1)
            XCTAssertGreaterThan(columns.features[0], 0)
        #endif
    }
}
