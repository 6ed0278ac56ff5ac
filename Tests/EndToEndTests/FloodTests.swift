// A secured run under attack: while the seed job trains with two workers on loopback TCP with a
// secret, `dlbench flood` opens up to 2,000 connections to the coordinator's port, 10 kB of junk in
// each (half of it behind a valid greeting asking for CURVE, so it reaches the handshake), until the
// run ends. The
// model is byte-identical to `--local`'s, the coordinator's peak resident memory stays bounded, and
// its log gains one line for the flood's address: no stranger gets past the handshake, so none is
// registered or answered, and refusals are logged once per address (then counted, once per interval).

import DLTestSupport
import Foundation
import XCTest

final class FloodTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")
    let dlbench = Executable(name: "dlbench")

    func testAFloodOfConnectionsAndJunkChangesNothing() throws {
        let port = try freePort(), secret = try secretFile(), directory = try temporaryDirectory(self)
        let endpoint = "tcp://127.0.0.1:\(port)"
        let flags = ["--epochs", "150", "--shards", "2"]
        let coordinator = try dlcoord.start(
            ["--workers", "2", "--bind", endpoint, "--secret-file", secret, "--verbose", "1", "--run-dir", directory] + flags)
        let workers = try (1...2).map {
            try dlworker.start(["--connect", endpoint, "--secret-file", secret, "--name", "w\($0)"])
        }
        XCTAssertTrue(coordinator.waitForError(containing: "worker 2/2 joined", timeout: 30), coordinator.errorsSoFar)
        let flood = try dlbench.start(["flood", "--target", endpoint, "--connections", "2000", "--junk-bytes", "20000000"])
        let pid = coordinator.process.processIdentifier
        var peakKiB = 0
        // Memory has no event to wait for: it is sampled every 20 ms while the run lasts (bounded).
        let deadline = Date().addingTimeInterval(120)
        while coordinator.process.isRunning && Date() < deadline {
            peakKiB = max(peakKiB, Self.peakResidentKiB(of: pid) ?? 0)
            usleep(20_000)
        }
        let flooded = flood.wait(timeout: 120)
        XCTAssertEqual(flooded.status, 0, flooded.errors)
        let made = flooded.output.split(separator: "\n").first { $0.hasPrefix("RESULT ") }.flatMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.dropFirst("RESULT ".count).utf8)) as? [String: Any]
        }
        XCTAssertGreaterThanOrEqual(made?["connections"] as? Int ?? 0, 100, "the flood reached the run: \(flooded.output)")
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
        XCTAssertEqual(try model(in: directory), try localModel(flags))
        XCTAssertGreaterThan(peakKiB, 0, "the coordinator's memory was read")
        XCTAssertLessThan(peakKiB, 150 * 1024, "peak resident memory \(peakKiB) KiB")
        // One line per refused address when it is first refused, and one with its count per 30 s and
        // at the end (all of the flood comes from 127.0.0.1; a connection gone before its address could
        // be read counts as one more), whatever the number of connections.
        let logLines = result.errors.split(separator: "\n").filter { $0.contains(" dlcoord: ") }
        let refusals = logLines.filter { $0.contains("refused a peer at") }
        let firsts = refusals.filter { !$0.contains(" more from this peer in the last ") }
        XCTAssertTrue((1...2).contains(firsts.count), "the flood is logged once: \(logLines.joined(separator: "\n"))")
        XCTAssertLessThanOrEqual(refusals.count, 3 * firsts.count, "and counted: \(logLines.joined(separator: "\n"))")
        XCTAssertLessThanOrEqual(logLines.count, 11, "the log stays short: \(logLines.joined(separator: "\n"))")
    }

    /// VmHWM from /proc: the process's peak resident memory so far, in KiB.
    private static func peakResidentKiB(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    }
}
