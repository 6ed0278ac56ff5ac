// A normal run logs nothing that asks for a person: `--workers 2 --spawn` (the seed model, a
// star), the same stopped with Ctrl-C and resumed, and a ring (`--exchange ring`); on the
// coordinator and on every worker (their logs in the run directory), no line at warning level or
// above. The check reads the level field swift-log's StreamLogHandler writes after the timestamp,
// not the wording, so a new warning anywhere in these runs fails it.

import DLTestSupport
import Foundation
import XCTest

final class QuietRunTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")

    /// The log lines of `text` at warning level or above.
    private func warnings(in text: String) -> [Substring] {
        let loud: Set<Substring> = ["warning", "error", "critical"]
        return text.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ", maxSplits: 2)
            return fields.count == 3 && fields[0].contains("T") && loud.contains(fields[1])
        }
    }

    /// The coordinator's standard error and every worker's log of a run in `directory`.
    private func logs(_ errors: String, in directory: String) throws -> [(String, String)] {
        let workerLogs = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("worker-") }.sorted()
        XCTAssertEqual(workerLogs.count, 2, "\(workerLogs)")
        return [("coordinator", errors)] + (try workerLogs.map { ($0, try String(contentsOfFile: directory + "/" + $0, encoding: .utf8)) })
    }

    private func assertQuiet(_ logs: [(String, String)], _ run: String) {
        for (process, text) in logs {
            XCTAssertEqual(warnings(in: text), [], "\(run): \(process) logged:\n\(text)")
            XCTAssertTrue(text.contains(" info ") || text.contains(" notice "), "\(run): \(process)'s log has levels to read: \(text)")
        }
    }

    func testANormalRunAndItsResumeLogNoWarning() throws {
        let directory = try temporaryDirectory(self)
        let flags = ["--workers", "2", "--spawn", "--verbose", "2", "--run-dir", directory]
        let first = try dlcoord.start(flags + ["--epochs", "200"])
        XCTAssertTrue(first.waitForOutput(containing: "Epoch 20/", timeout: 120), first.errorsSoFar)
        first.signal(SIGINT)  // Ctrl-C: a terminal sends it to the coordinator alone (its workers have their own sessions)
        let stopped = first.wait(timeout: 60)
        XCTAssertEqual(stopped.status, 1, stopped.errors)
        XCTAssertTrue(stopped.errors.contains("the coordinator was interrupted (Ctrl-C); checkpoint "), stopped.errors)
        assertQuiet(try logs(stopped.errors, in: directory), "stopped with Ctrl-C")

        let resumed = try dlcoord.run(["--resume", directory] + flags, timeout: 300)
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertTrue(resumed.output.contains("Epoch 200/200"), resumed.output)
        assertQuiet(try logs(resumed.errors, in: directory), "resumed")
    }

    func testANormalRingRunLogsNoWarning() throws {
        let directory = try temporaryDirectory(self)
        let result = try dlcoord.run(
            ["--workers", "2", "--spawn", "--exchange", "ring", "--epochs", "30", "--verbose", "2", "--run-dir", directory], timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        assertQuiet(try logs(result.errors, in: directory), "ring")
    }
}
