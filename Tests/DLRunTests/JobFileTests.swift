// Job files (`--config`): what they set, what they leave at the seed job's values, and the errors
// a bad one gets.

@testable import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class JobFileTests: XCTestCase {
    func testJobFileSetsWhatItNamesAndKeepsTheSeedJobElsewhere() throws {
        let path = try temporaryDirectory(self) + "/job.json"
        try Data("""
            {"data": "x.csv", "label_column": "diagnosis", "features": [0, "2-4", "area"],
             "layers": "16:relu,1:sigmoid", "batch_size": 32, "validation_split": 0.2,
             "standardize": true, "optimizer_arguments": {"beta_1": 0.8}}
            """.utf8).write(to: URL(fileURLWithPath: path))
        let settings = try JobFile.read(path)
        XCTAssertEqual(settings.data, "x.csv")
        XCTAssertEqual(settings.labelColumn, ["diagnosis"])
        XCTAssertEqual(settings.features, ["0", "2-4", "area"])
        XCTAssertEqual(settings.batchSize, 32)
        XCTAssertEqual(settings.optimizerArguments, ["beta_1": 0.8])
        XCTAssertEqual(settings.epochs, 100)
        XCTAssertEqual(settings.loss, "mean_squared_error")
    }

    /// Tests/Fixtures/jobs: each file's one mistake, refused at its line and column with its key.
    func testEveryMistakeIsLocatedAndTyped() throws {
        let directory = Repository.root + "/Tests/Fixtures/jobs/"
        let expected: [(file: String, error: (String) -> RunError, reason: String)] = [
            ("fractional-epochs.json", { .badJobFileEntry(path: $0, line: 3, column: 15, key: "epochs", reason: "1.5 is not a whole number") }, ""),
            ("huge-epochs.json", { .badJobFileEntry(path: $0, line: 2, column: 15, key: "epochs", reason: "") }, "out of range"),
            ("misspelled-key.json", { .unknownJobFileKey(path: $0, line: 3, column: 5, key: "epoch", meant: "epochs") }, ""),
            ("split-out-of-range.json", { .badJobFileEntry(path: $0, line: 3, column: 25, key: "validation_split", reason: "") }, "up to, not including, 1"),
            ("missing-comma.json", { .badJobFileEntry(path: $0, line: 4, column: 5, key: nil, reason: "") }, "expected ',' or '}'"),
            ("nested-type.json", { .badJobFileEntry(path: $0, line: 3, column: 19, key: "optimizer_arguments.beta_1", reason: "should be a number") }, ""),
            ("repeated-key.json", { .badJobFileEntry(path: $0, line: 1, column: 16, key: "epochs", reason: "the key is given twice") }, ""),
        ]
        for (file, error, reason) in expected {
            let path = directory + file
            XCTAssertThrowsError(try JobFile.read(path), file) { thrown in
                guard let thrown = thrown as? RunError else { return XCTFail("\(file): \(thrown)") }
                let wanted = error(path)
                if case let .badJobFileEntry(_, line, column, key, found) = thrown, !reason.isEmpty,
                    case let .badJobFileEntry(_, wantedLine, wantedColumn, wantedKey, _) = wanted
                {
                    XCTAssertEqual([line, column], [wantedLine, wantedColumn], file)
                    XCTAssertEqual(key, wantedKey, file)
                    XCTAssertTrue(found.contains(reason), "\(file): \(found)")
                } else {
                    XCTAssertEqual(thrown, wanted, file)
                }
                XCTAssertTrue("\(thrown)".hasPrefix(path + ":"), "names the file, line and column: \(thrown)")
            }
        }
    }

    /// A job file is read only when it is a regular file, of a bounded size: `--config /dev/zero`
    /// is refused at once instead of read for ever.
    func testADeviceOrAnOversizedFileIsRefusedUnread() throws {
        for path in ["/dev/zero", "/dev/null"] {
            XCTAssertThrowsError(try JobFile.read(path)) { error in
                XCTAssertEqual(error as? RunError, .badJobFile(path: path, reason: "\(FileBytes.Failure.unreadable("it is not a regular file"))"))
            }
        }
        let big = try temporaryDirectory(self) + "/big.json"
        try Data(repeating: UInt8(ascii: " "), count: JobFile.largestFile + 1).write(to: URL(fileURLWithPath: big))
        XCTAssertThrowsError(try JobFile.read(big)) { error in
            guard case let .badJobFile(path, reason) = error as? RunError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, big)
            let tooLarge = FileBytes.Failure.tooLarge(size: JobFile.largestFile + 1, maximum: JobFile.largestFile, bound: "a job file may have")
            XCTAssertEqual(reason, "\(tooLarge)")
        }
        XCTAssertThrowsError(try JobFile.read(big + ".missing")) { error in
            guard case .badJobFile = error as? RunError else { return XCTFail("\(error)") }
        }
    }

    /// A byte-order mark (as some editors write one) is skipped, and not counted in columns.
    func testAByteOrderMarkIsSkipped() throws {
        let settings = try JobFile.decode(Data([0xEF, 0xBB, 0xBF] + Array("{\"epochs\": 7}".utf8)), path: "j.json")
        XCTAssertEqual(settings.epochs, 7)
        XCTAssertThrowsError(try JobFile.decode(Data([0xEF, 0xBB, 0xBF] + Array("{\"epochs\": 0}".utf8)), path: "j.json")) {
            guard case .badJobFileEntry("j.json", 1, 12, "epochs", _)? = $0 as? RunError else { return XCTFail("\($0)") }
        }
    }

    func testTheTopLevelIsAnObject() {
        XCTAssertThrowsError(try JobFile.decode(Data("[1, 2]".utf8), path: "j.json")) { error in
            guard case .badJobFile(path: "j.json", _) = error as? RunError else { return XCTFail("\(error)") }
        }
    }
}
