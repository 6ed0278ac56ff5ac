// Column references in job settings: indices, `A-B` ranges and header names, as a job file or
// --features states them.

import DLData
@testable import DLTraining
import XCTest

final class JobSettingsTests: XCTestCase {
    func testFeatureListsExpandRangesAndKeepNames() throws {
        XCTAssertEqual(
            try JobSettings.columnReferences(["0", "2-4", "area"]), [.index(0), .index(2), .index(3), .index(4), .name("area")])
    }

    func testADescendingRangeIsRefused() {
        XCTAssertThrowsError(try JobSettings.columnReferences(["4-2"])) { error in
            XCTAssertEqual("\(error)", "invalid features \"4-2\": a range must go from low to high")
        }
    }

    /// A range is expanded into indices: one too wide for any CSV is refused, not allocated.
    func testAHugeRangeIsRefused() {
        XCTAssertThrowsError(try JobSettings.columnReferences(["0-99999999999"])) { error in
            XCTAssertEqual(
                error as? JobError,
                .badSetting("features", "0-99999999999", "a range spans at most \(JobSettings.largestColumnRange) columns"))
        }
    }
}
