// Job files (`--config`): what they set, what they leave at the seed job's values, and the errors
// a bad one gets.

import DLRun
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

    func testBadJobFilesSayWhatIsWrong() throws {
        let directory = try temporaryDirectory(self)
        for (content, expected) in [
            ("{\"epochs\": \"ten\"}", "\"epochs\" should be Int"),
            ("{\"epochs\": 10,", "not valid JSON"),
        ] {
            let path = directory + "/job.json"
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try JobFile.read(path)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
                XCTAssertTrue("\(error)".hasPrefix(path))
            }
        }
        XCTAssertThrowsError(try JobFile.read(directory + "/missing.json")) { error in
            XCTAssertTrue("\(error)".contains("cannot read the file"))
        }
    }
}
