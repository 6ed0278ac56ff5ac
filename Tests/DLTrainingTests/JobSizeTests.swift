// Jobs too large for the machine, or for any machine, refused before anything is allocated for
// them, each with the size it would need: a model past the parameter bound, a job past the memory
// budget, a file too wide to be a model's input, a data path that is a device.

import DLCore
import DLData
import DLTestSupport
@testable import DLTraining
import Foundation
import XCTest

final class JobSizeTests: XCTestCase {
    /// --layers 1048576:relu,1048576:relu,1:sigmoid would be 4.4 TB per copy of the weights.
    func testAModelPastTheParameterBoundIsRefusedWithItsSize() {
        var settings = JobSettings.seedJob
        settings.layers = "1048576:relu,1048576:relu,1:sigmoid"
        XCTAssertThrowsError(try TrainingJob(settings)) { error in
            guard case let .tooManyParameters(count?, maximum)? = error as? ModelSpecError else { return XCTFail("\(error)") }
            XCTAssertEqual(count, (1 << 20) * 18 + (1 << 20) * ((1 << 20) + 1) + (1 << 20) + 1)
            XCTAssertEqual(maximum, ModelSpec.maximumParameters)
        }
    }

    /// A job whose training state does not fit the memory budget is refused with what it needs.
    func testAJobPastTheMemoryBudgetIsRefusedWithItsNeed() throws {
        MemoryBudget.cap = 4 << 20
        defer { MemoryBudget.cap = nil }
        XCTAssertEqual(MemoryBudget.available(), 4 << 20)
        var settings = JobSettings.seedJob
        settings.layers = "1000:relu,1000:relu,1:sigmoid"  // about 1 M parameters: 20 MB with Adam's state
        XCTAssertThrowsError(try TrainingJob(settings)) { error in
            guard let shortage = error as? MemoryShortage else { return XCTFail("\(error)") }
            XCTAssertEqual(shortage.available, 4 << 20)
            XCTAssertGreaterThan(shortage.need.total ?? 0, 4 * 1_019_001 * 4)
            XCTAssertTrue(shortage.hint.contains("--layers"), shortage.hint)
        }
        settings.layers = "30:relu,1:sigmoid"
        XCTAssertNoThrow(try TrainingJob(settings), "the seed job fits in 4 MB")
    }

    /// Rows that would not fit are refused before they are read, with the size the file's first
    /// record and its length say they would take.
    func testRowsPastTheMemoryBudgetAreRefusedBeforeTheyAreRead() {
        MemoryBudget.cap = 16 << 10
        defer { MemoryBudget.cap = nil }
        XCTAssertThrowsError(try TrainingJob(JobSettings.seedJob)) { error in
            guard let shortage = error as? MemoryShortage else { return XCTFail("\(error)") }
            XCTAssertTrue(shortage.what.contains("ThoraricSurgery.csv"), shortage.what)
            XCTAssertGreaterThan(shortage.need.total ?? 0, 470 * 18 * 4, "\(shortage.need)")
        }
    }

    /// A file wider than any model's input is refused before its rows are read, with its width.
    func testAFileTooWideForAModelIsRefusedBeforeItsRowsAreRead() throws {
        let path = try temporaryDirectory(self) + "/wide.csv"
        let columns = LayerList.maximumUnits + 2
        try Data((String(repeating: "0,", count: columns - 1) + "1\n").utf8).write(to: URL(fileURLWithPath: path))
        var settings = JobSettings()
        settings.data = path
        settings.header = false
        XCTAssertThrowsError(try TrainingJob(settings)) { error in
            XCTAssertEqual(error as? ModelSpecError, .tooManyInputs(columns - 1, maximum: LayerList.maximumUnits))
        }
    }

    /// /dev/zero never ends, and a job reads its data more than once: a device is refused at once.
    func testADeviceAsTheDataIsRefused() {
        var settings = JobSettings.seedJob
        settings.data = "/dev/zero"
        XCTAssertThrowsError(try TrainingJob(settings)) { error in
            XCTAssertEqual(error as? DataError, .notARegularFile(path: "/dev/zero", kind: "a character device"))
        }
    }

    /// Sizes are counted with overflow checks: past Int.max is "more than can be counted".
    func testNeedsAreCountedWithoutOverflow() {
        XCTAssertNil(MemoryNeed.product([1 << 40, 1 << 40]))
        XCTAssertNil(MemoryNeed.product([-1, 4]))
        XCTAssertEqual(MemoryNeed.product([3, 4, 5]), 60)
        let need = MemoryNeed([.init("a", bytes: Int.max), .init("b", bytes: 1)])
        XCTAssertNil(need.total)
        XCTAssertEqual(MemoryBudget.format(17_600_000_000_000), "17.6 TB")
        XCTAssertEqual(MemoryBudget.format(812_000_000), "812 MB")
        XCTAssertEqual(MemoryBudget.format(nil), "more bytes than can be counted")
        XCTAssertGreaterThan(MemoryBudget.available(), 0)
    }
}
