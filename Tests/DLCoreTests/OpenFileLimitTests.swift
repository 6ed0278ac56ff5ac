// A command raises its soft limit of open descriptors to the hard limit, and says from what.

import DLCore
import Foundation
import XCTest

final class OpenFileLimitTests: XCTestCase {
    func testTheSoftLimitIsRaisedToTheHardOne() throws {
        var limit = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit), 0)
        let saved = limit
        defer {
            var restored = saved
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &restored)
        }
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        guard limit.rlim_max != rlim_t.max, limit.rlim_max > rlim_t(open + 64) else {
            throw XCTSkip("the hard limit (\(limit.rlim_max)) leaves no room below it to lower the soft one to")
        }
        limit.rlim_cur = rlim_t(open + 64)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit), 0)

        let raised = try XCTUnwrap(OpenFileLimit.raise())
        XCTAssertEqual(raised, OpenFileLimit(soft: Int(limit.rlim_max), hard: Int(limit.rlim_max), raisedFrom: open + 64))
        XCTAssertEqual(OpenFileLimit.current(), OpenFileLimit(soft: Int(limit.rlim_max), hard: Int(limit.rlim_max)))
        XCTAssertEqual(try XCTUnwrap(OpenFileLimit.raise()).raisedFrom, nil, "already at the hard limit")
    }
}
