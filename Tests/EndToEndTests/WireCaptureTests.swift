// What a secured run puts on the wire: a packet capture on loopback (tcpdump, as root) of the seed
// job over TCP holds none of the data's rows as the float32 bytes the coordinator sends, while the
// same capture of an `--insecure` run holds most of them (which shows the capture would see them).

import DLTestSupport
import Foundation
import XCTest

final class WireCaptureTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")

    func testASecuredRunSendsNoRowInClear() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to capture packets (tcpdump)") }
        guard let tcpdump = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("needs tcpdump (apt-get install tcpdump; deploy/install-deps.sh --test installs it)")
        }
        let rows = try seedRows()
        let clear = try capture(security: ["--insecure"], tcpdump: tcpdump)
        let seenInClear = rows.filter { clear.range(of: $0) != nil }.count
        XCTAssertGreaterThan(seenInClear, rows.count / 2, "the capture of an --insecure run shows the rows it sent")

        let secured = try capture(security: ["--secret-file", try secretFile()], tcpdump: tcpdump)
        XCTAssertGreaterThan(secured.count, clear.count / 2, "the secured run was captured too (\(secured.count) bytes)")
        XCTAssertEqual(rows.filter { secured.range(of: $0) != nil }.count, 0, "a row of the data in clear")
    }

    /// Every row's 17 features as the float32 bytes (little-endian, one after the other) a shard's
    /// rows message carries them in.
    private func seedRows() throws -> [Data] {
        let text = try String(contentsOfFile: Repository.dataset("ThoraricSurgery.csv"), encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).map { line in
            var bytes = Data()
            for field in line.split(separator: ",").dropLast() {
                withUnsafeBytes(of: Float(field)!.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            }
            return bytes
        }
    }

    /// The bytes of every packet of a seed job run (2 workers, 2 epochs) over loopback TCP.
    private func capture(security: [String], tcpdump: String) throws -> Data {
        let port = try freePort(), directory = try temporaryDirectory(self)
        let file = directory + "/wire.pcap"
        let sniffer = try RunningProcess(
            executable: URL(fileURLWithPath: tcpdump),
            arguments: ["-i", "lo", "-n", "-U", "-s", "0", "-w", file, "tcp port \(port)"], directory: directory)
        defer { _ = sniffer.wait(timeout: 0) }
        XCTAssertTrue(sniffer.waitForError(containing: "listening on", timeout: 30), sniffer.errorsSoFar)
        let coordinator = try dlcoord.start(
            ["--workers", "2", "--bind", "tcp://127.0.0.1:\(port)", "--epochs", "2", "--verbose", "0", "--run-dir", directory]
                + security)
        let workers = try (1...2).map {
            try dlworker.start(["--connect", "tcp://127.0.0.1:\(port)", "--name", "w\($0)"] + security)
        }
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
        sniffer.signal(SIGINT)
        XCTAssertFalse(sniffer.wait(timeout: 30).timedOut, "tcpdump stops on SIGINT")
        return try Data(contentsOf: URL(fileURLWithPath: file))
    }
}
