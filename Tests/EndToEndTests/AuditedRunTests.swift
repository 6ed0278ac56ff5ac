// dlcoord --audit with the real executables: one of two workers flips a bit of one gradient (the
// test hook DLTRAIN_FAULT_FLIP_BIT); `--audit 1` catches it, the log names the worker, the worker is
// refused when it tries again and exits with the reason, and the model is byte-identical to
// `dlcoord --local` with the same shards; in a star (the seed model's default) and in a ring.

import DLTestSupport
import Foundation
import XCTest

final class AuditedRunTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")

    func testAFlippedBitIsCaughtNamedAndLeavesNoTrace() throws {
        try checkTheFlipIsCaught(exchange: "auto")
    }

    func testAFlippedBitIsCaughtInARing() throws {
        try checkTheFlipIsCaught(exchange: "ring")
    }

    private func checkTheFlipIsCaught(exchange: String) throws {
        let endpoint = try ipcEndpoint(), directory = try temporaryDirectory(self)
        let flags = ["--epochs", "3", "--shards", "2"]
        let coordinator = try dlcoord.start(
            ["--workers", "2", "--bind", endpoint, "--audit", "1", "--exchange", exchange, "--verbose", "1", "--run-dir", directory]
                + flags)
        let honest = try dlworker.start(["--connect", endpoint, "--name", "honest"])
        let faulty = try dlworker.start(["--connect", endpoint, "--name", "faulty"], environment: ["DLTRAIN_FAULT_FLIP_BIT": "2"])
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        let excluded = result.errors.split(separator: "\n").filter { $0.contains("excluded from the run") }
        XCTAssertEqual(excluded.count, 1, result.errors)
        XCTAssertTrue(excluded.first?.contains("(faulty, ") ?? false, "the log names the worker: \(excluded)")
        XCTAssertTrue(result.errors.contains("audit: computed "), result.errors)
        XCTAssertEqual(honest.wait(timeout: 30).status, 0)
        let refused = faulty.wait(timeout: 30)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.errors.contains("excluded from this run"), refused.errors)
        XCTAssertTrue(refused.errors.contains("DLTRAIN_FAULT_FLIP_BIT=2"), "the hook announces itself: \(refused.errors)")
        XCTAssertEqual(try model(in: directory), try localModel(flags))
    }

    func testTheAuditOptionIsCheckedBeforeAnythingStarts() throws {
        for (arguments, error) in [
            (["--workers", "2", "--audit", "1.5"], "--audit is a fraction from 0 to 1; got 1.5"),
            (["--local", "--audit", "0.1"], "--audit checks workers' gradients: it needs --workers N"),
        ] {
            let result = try dlcoord.run(arguments)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.errors.contains(error), "\(arguments): \(result.errors)")
        }
    }
}
