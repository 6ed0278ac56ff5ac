// The tests' Python runner (DLTestSupport/Python.swift) itself: a child that writes far more than a pipe holds
// to both streams finishes and is read whole, a failure carries its standard error, and one that
// never ends is killed at the bound instead of hanging the test.

import DLTestSupport
import XCTest

final class PythonRunTests: XCTestCase {
    func testLargeOutputOnBothStreamsIsReadWhole() throws {
        // 1 MB on each stream, interleaved: far past the 64 KB a pipe holds.
        let script = """
            import sys
            for _ in range(1024):
                sys.stderr.write("e" * 1023 + "\\n")
                sys.stdout.write("o" * 1023 + "\\n")
            """
        let output = try Python.run(script, arguments: [])
        XCTAssertEqual(output.utf8.count, 1 << 20)
        XCTAssertTrue(output.allSatisfy { $0 == "o" || $0 == "\n" })
    }

    func testAFailureCarriesItsStandardError() throws {
        let script = """
            import sys
            sys.stderr.write("x" * 200000 + "the end")
            sys.exit(3)
            """
        XCTAssertThrowsError(try Python.run(script, arguments: [])) { error in
            XCTAssertTrue("\(error)".hasSuffix("the end"), String("\(error)".suffix(100)))
        }
    }

    func testAChildThatNeverEndsIsKilledAtTheBound() throws {
        XCTAssertThrowsError(try Python.run("import time\ntime.sleep(600)", arguments: [], timeout: 1)) { error in
            XCTAssertTrue("\(error)".contains("did not finish within 1 s"), "\(error)")
        }
    }
}
