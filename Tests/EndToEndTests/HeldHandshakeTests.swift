// A secured run under strangers who start a ZeroMQ handshake and never finish it. The coordinator
// runs with 1,024 descriptors, soft and hard limit alike (so raising its soft limit cannot help), and
// `dlbench hold-handshakes` opens 5,000 connections to its port, 100 a second, each sending 20 bytes
// of a greeting and then nothing. A coordinator that held each for libzmq's 30 s handshake timeout
// would run out of descriptors after ten seconds, and then neither accept a worker nor write a
// checkpoint. Here the workers start only after 4,000 of them were made, join, and train with a
// checkpoint every epoch while the rest arrive; the model is byte-identical to `--local`'s, and the
// attacker never held more connections open at once than the coordinator's bound on handshakes in
// progress (PendingHandshakes) and those still on their way to it.

import DLTestSupport
import Foundation
import XCTest

final class HeldHandshakeTests: XCTestCase {
    let dlworker = Executable(name: "dlworker")
    let dlbench = Executable(name: "dlbench")

    /// The coordinator's limit of descriptors, soft and hard.
    let coordinatorLimit = 1_024

    func testStrangersHoldingHandshakesCannotStopASecuredRun() throws {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_max >= coordinatorLimit else {
            throw XCTSkip("the coordinator is run with \(coordinatorLimit) descriptors, above this process's hard limit")
        }
        let port = try freePort(), secret = try secretFile(), directory = try temporaryDirectory(self)
        let endpoint = "tcp://127.0.0.1:\(port)"
        let flags = ["--epochs", "100", "--shards", "2"]
        let dlcoord = Executable.productsDirectory.appendingPathComponent("dlcoord").path
        let coordinator = try RunningProcess(
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "ulimit -n \(coordinatorLimit) && exec \"$0\" \"$@\"", dlcoord, "--workers", "2", "--bind", endpoint,
                "--secret-file", secret, "--wait-timeout", "120", "--run-dir", directory] + flags,
            directory: Repository.root)
        let attack = try dlbench.start(["hold-handshakes", "--target", endpoint, "--connections", "5000", "--rate", "100"])
        XCTAssertTrue(
            attack.waitForOutput(timeout: 80) { (Self.lastProgress(in: $0)?["made"] as? Int ?? 0) >= 4_000 },
            "the attack made 4,000 connections: \(attack.wait(timeout: 1).output)")
        let workers = try (1...2).map {
            try dlworker.start(["--connect", endpoint, "--secret-file", secret, "--name", "w\($0)"])
        }
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
        let attacked = attack.wait(timeout: 60)
        XCTAssertEqual(attacked.status, 0, attacked.errors)
        XCTAssertEqual(try model(in: directory), try localModel(flags))

        let made = try XCTUnwrap(Self.lines("RESULT", in: attacked.output).last, attacked.output)
        XCTAssertGreaterThanOrEqual(made["connections"] as? Int ?? 0, 4_000, attacked.output)
        // The bound of 256 handshakes in progress, and what reached the coordinator's socket since it
        // last looked (a second of the attack is 100).
        XCTAssertLessThanOrEqual(made["peak_open"] as? Int ?? .max, 400, attacked.output)
    }

    /// The JSON objects of the lines `PREFIX {json}` of `output`, in order.
    private static func lines(_ prefix: String, in output: String) -> [[String: Any]] {
        output.split(separator: "\n").filter { $0.hasPrefix(prefix + " ") }.compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.dropFirst(prefix.count + 1).utf8)) as? [String: Any]
        }
    }

    private static func lastProgress(in output: String) -> [String: Any]? {
        lines("PROGRESS", in: output).last
    }
}
