// Distributed training with real processes on one machine: dlworker and dlcoord started by the
// test over ipc:// and tcp://, in either order, with the seed model (summed by the coordinator) and
// a larger one (summed in a ring of workers). The result must equal `dlcoord --local` with the
// same --shards byte for byte; intruders (garbage, another job, another protocol version) must
// not disturb a run; and a run that cannot go on must end promptly with a message that says why.

import DLTestSupport
import DLProtocol
import DLTransport
import Foundation
import XCTest

final class DistributedTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")


    func testSpawnedWorkersGiveTheLocalResultByteForByte() throws {
        let directory = try temporaryDirectory(self)
        let result = try dlcoord.run(["--workers", "4", "--spawn", "--verbose", "2", "--run-dir", directory])
        XCTAssertFalse(result.timedOut)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("Epoch 100/100\n47/47 - "), result.output)
        for worker in 1...4 {
            XCTAssertTrue(result.errors.contains("worker \(worker)/4 joined: worker-"), result.errors)
        }
        XCTAssertTrue(result.errors.contains("per-worker compute in the last epoch: worker-"))
        let distributed = try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors"))
        XCTAssertEqual(distributed, try localModel(["--shards", "4"]))
        let metrics = try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").count, 100)
    }

    func testWorkersStartedFirstOverIPC() throws {
        let endpoint = try ipcEndpoint()
        let workers = try (1...4).map { try dlworker.start(["--connect", endpoint, "--name", "hand-\($0)"]) }
        let directory = try temporaryDirectory(self)
        let flags = ["--epochs", "20", "--validation-split", "0.2"]
        // The file is streamed to the workers in chunks of a few rows: the weights do not change.
        let coordinator = try dlcoord.start(
            ["--workers", "4", "--bind", endpoint, "--verbose", "0", "--run-dir", directory, "--read-chunk", "500"] + flags)
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        for worker in workers {
            let outcome = worker.wait(timeout: 30)
            XCTAssertEqual(outcome.status, 0, outcome.errors)
        }
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors")),
            try localModel(["--shards", "4"] + flags))
    }

    /// With a model of 21,721 parameters (two chunks), so the workers sum each step in a ring over
    /// TCP, each reaching the others at the address it advertises. On one thread a worker computes
    /// its two shards one after the other, so the upper chunk, final once the second layer's
    /// gradient is, leaves while the first layer's computes.
    func testCoordinatorStartedFirstOverTCPWithMoreShardsThanWorkers() throws {
        let port = try freePort()
        let directory = try temporaryDirectory(self)
        let flags = ["--epochs", "5", "--shards", "6", "--layers", "40:relu,500:relu,1:sigmoid"]
        let coordinator = try dlcoord.start(
            ["--workers", "3", "--bind", "tcp://127.0.0.1:\(port)", "--verbose", "0", "--run-dir", directory] + flags)
        XCTAssertTrue(coordinator.waitForError(containing: "listening on tcp://127.0.0.1:\(port)", timeout: 30), coordinator.errorsSoFar)
        let workers = try (1...3).map { try dlworker.start(["--connect", "tcp://127.0.0.1:\(port)", "--name", "tcp-\($0)", "--threads", "1"]) }
        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors")), try localModel(flags))
    }

    /// During a run, an intruder sends garbage, a message of another job, and a hello of another
    /// protocol version. Each is refused (the last with a reject it can read) and the result is
    /// unchanged.
    func testIntrudersAreRefusedWithoutDisturbingTheRun() throws {
        let endpoint = try ipcEndpoint()
        let directory = try temporaryDirectory(self)
        let flags = ["--epochs", "60"]
        let coordinator = try dlcoord.start(["--workers", "2", "--bind", endpoint, "--verbose", "1", "--run-dir", directory] + flags)
        let workers = try (1...2).map { try dlworker.start(["--connect", endpoint, "--name", "w\($0)"]) }
        XCTAssertTrue(coordinator.waitForError(containing: "worker 2/2 joined", timeout: 30), coordinator.errorsSoFar)

        let context = try ZMQContext()
        let intruder = try ZMQSocket(.dealer, context: context)
        try intruder.connect(endpoint)
        func send(_ bytes: [UInt8]) throws {
            XCTAssertTrue(try intruder.send(prefix: nil, count: bytes.count, timeout: .seconds(30)) { $0.copyBytes(from: bytes) })
        }
        try send([UInt8]("GET / HTTP/1.1\r\n\r\n".utf8))
        try send(MessageCodec.encode(Envelope(jobId: 42, round: 3, message: .total(
            GradientChunk(ringVersion: 1, hop: 0, chunk: 0, values: [Float](repeating: 1e9, count: 571))))))
        var hello = MessageCodec.encode(Envelope(jobId: 0, round: 0, message: .hello(
            WorkerInfo(name: "future", host: "h", pid: 1, version: "9", peerEndpoint: "tcp://127.0.0.1:1"))))
        hello[4] = UInt8(MessageCodec.version + 1)  // the protocol's next version
        try send(hello)
        // The message of another job is answered with "register again"; the hello of another version with a reject.
        var replies: [Message] = []
        var reply: [UInt8] = []
        while try intruder.receive(timeout: .seconds(30), { bytes, _, _ in reply = Array(bytes) }) {
            replies.append(try MessageCodec.decode(reply).message)
            if case .reject = replies.last { break }
        }
        guard case let .reject(reason) = replies.last else { return XCTFail("no reject for the other version: \(replies)") }
        XCTAssertTrue(reason.contains("protocol version \(MessageCodec.version + 1), but this process speaks version \(MessageCodec.version)"), reason)
        XCTAssertTrue(replies.contains { if case let .stop(notice) = $0 { notice.rejoin } else { false } })

        let result = coordinator.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.errors.contains("dropped a message from an unregistered peer: not a dltrain message"), result.errors)
        XCTAssertTrue(result.errors.contains("dropped a total message from an unregistered peer"), result.errors)
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors")),
            try localModel(["--shards", "2"] + flags))
    }

    func testABadRecordAtTheEndOfTheFileStopsTheRunBeforeTraining() throws {
        let directory = try temporaryDirectory(self)
        var lines = try String(contentsOfFile: Repository.dataset("ThoraricSurgery.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        // One field too many: a word would be a category, but a record of the wrong width is bad whatever the types.
        lines[lines.count - 1] += ",1"
        let data = directory + "/damaged.csv"
        try lines.joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let result = try dlcoord.run([
            "--workers", "2", "--spawn", "--data", data, "--read-chunk", "4096", "--run-dir", directory + "/run",
        ])
        XCTAssertEqual(result.status, 1, result.errors)
        XCTAssertTrue(result.errors.contains("dlcoord: error: \(data):\(lines.count): expected 18 fields like the first record, found 19"),
                      result.errors)
        XCTAssertFalse(result.errors.contains("checkpoint"), result.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/run/model.safetensors"))
    }

    func testTooFewWorkersEndTheWaitWithAMessage() throws {
        let endpoint = try ipcEndpoint()
        let worker = try dlworker.start(["--connect", endpoint, "--name", "lonely"])
        let directory = try temporaryDirectory(self)
        let result = try dlcoord.run(["--workers", "2", "--bind", endpoint, "--wait-timeout", "3", "--run-dir", directory])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.errors.contains(
            "dlcoord: error: the run stopped: only 1 of 2 workers registered within 3 s (lonely); start more dlworker processes or lower --workers"),
            result.errors)
        let told = worker.wait(timeout: 30)
        XCTAssertEqual(told.status, 3, told.errors)
        XCTAssertTrue(told.errors.contains("the coordinator stopped the job: only 1 of 2 workers registered"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/model.safetensors"))
    }

    func testCtrlCStopsTheRunAndTellsTheWorkers() throws {
        let directory = try temporaryDirectory(self)
        let coordinator = try dlcoord.start(["--workers", "2", "--spawn", "--epochs", "100000", "--run-dir", directory])
        XCTAssertTrue(coordinator.waitForError(containing: "worker 2/2 joined", timeout: 30), coordinator.errorsSoFar)
        coordinator.signal(SIGINT)
        let result = coordinator.wait(timeout: 30)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.errors.contains("the run stopped: the coordinator was interrupted (Ctrl-C)"), result.errors)
        for worker in 1...2 {
            let log = try String(contentsOfFile: "\(directory)/worker-\(worker).log", encoding: .utf8)
            XCTAssertTrue(log.contains("the coordinator ended the job: the coordinator was interrupted (Ctrl-C)"), log)
        }
    }

    func testAKeepRunningWorkerServesOneJobAfterAnother() throws {
        let endpoint = try ipcEndpoint()
        let worker = try dlworker.start(["--connect", endpoint, "--name", "stayer", "--keep-running", "--reconnect-timeout", "30"])
        for (index, epochs) in ["3", "5"].enumerated() {
            let directory = try temporaryDirectory(self)
            let result = try dlcoord.run(["--workers", "1", "--bind", endpoint, "--epochs", epochs, "--run-dir", directory])
            XCTAssertEqual(result.status, 0, "job \(index + 1): \(result.errors)")
            XCTAssertTrue(result.errors.contains("worker 1/1 joined: stayer"), result.errors)
        }
        XCTAssertTrue(worker.process.isRunning, "a --keep-running worker waits for the next job")
        worker.signal(SIGTERM)
        _ = worker.wait(timeout: 10)
    }

    func testWorkerHelpAndAMissingCoordinator() throws {
        let help = try dlworker.run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.output.contains("--connect"))
        XCTAssertTrue(help.output.contains("--reconnect-timeout"))
        let endpoint = try ipcEndpoint()
        let alone = try dlworker.run(["--connect", endpoint, "--reconnect-timeout", "1"], timeout: 30)
        XCTAssertEqual(alone.status, 1)
        XCTAssertTrue(alone.errors.contains("dlworker: error: no coordinator answered at \(endpoint)"), alone.errors)
        XCTAssertTrue(alone.errors.contains("within 1 s: no socket at "), alone.errors)
    }

    /// A coordinator whose host name does not resolve yet (its container or pod not started) is
    /// waited for, for the reconnect timeout, before the worker gives up and says why.
    func testAWorkerWaitsForTheCoordinatorsNameToResolve() throws {
        let unknown = "dltrain-coordinator-not-started.invalid"
        let waited = try dlworker.run(
            ["--connect", "tcp://\(unknown):5555", "--insecure", "--reconnect-timeout", "1"], timeout: 30)
        XCTAssertEqual(waited.status, 1)
        XCTAssertTrue(waited.errors.contains("waiting for the coordinator at tcp://\(unknown):5555 (0 s of 1): the name \(unknown) does not resolve"), waited.errors)
        XCTAssertTrue(waited.errors.contains("dlworker: error: no coordinator answered at tcp://\(unknown):5555 (\(unknown) port 5555) within 1 s: the name \(unknown) does not resolve"), waited.errors)
    }
}
