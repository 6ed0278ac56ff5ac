// Temporary CSV files for the DLData tests, removed when each test ends.

import Foundation
import XCTest

@testable import DLData

extension XCTestCase {
    /// Writes `bytes` to a fresh file under the temporary directory and returns its path.
    func temporaryCSV(bytes: [UInt8], name: String = "data.csv") throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("dldata-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    func temporaryCSV(_ text: String, name: String = "data.csv") throws -> String {
        try temporaryCSV(bytes: Array(text.utf8), name: name)
    }

    /// Opens `text` as a CSV file with `options`.
    func openCSV(_ text: String, options: CSVOptions = CSVOptions()) throws -> CSVDocument {
        try CSVDocument.open(path: try temporaryCSV(text), options: options)
    }

    /// Asserts that `body` throws exactly `expected`, and that its message is `message`.
    func assertDataError<T>(
        _ expected: DataError, message: String, file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> T
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? DataError, expected, file: file, line: line)
            XCTAssertEqual((error as? DataError)?.description, message, file: file, line: line)
        }
    }
}
