// Failures with real processes, each of which must leave the trained model byte-identical to an
// undisturbed `dlcoord --local` run with the same shards: a worker killed mid-epoch, a worker told
// to stop (SIGTERM), a worker stopped past the timeout and continued, a worker added mid-run, the coordinator killed and resumed with
// the workers still running (each with the seed model's own exchange, a star, and again with the
// gradient summed around a ring of workers), and a damaged newest checkpoint.

import DLTestSupport
import Foundation
import XCTest

final class FailureTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")

    private func workers(_ count: Int, endpoint: String, extra: [String] = []) throws -> [RunningProcess] {
        try (1...count).map { try dlworker.start(["--connect", endpoint, "--name", "w\($0)"] + extra) }
    }

    func testAWorkerKilledMidEpochChangesNothing() throws { try workerLostMidEpoch(by: SIGKILL, exchange: "auto") }
    func testAWorkerKilledMidEpochChangesNothingInARing() throws { try workerLostMidEpoch(by: SIGKILL, exchange: "ring") }
    /// SIGTERM, as Kubernetes, Slurm and podman stop a worker: it tells the coordinator, which moves
    /// its shards at once (the worker timeout here is longer than the test's bound).
    func testAWorkerToldToStopLeavesAndItsShardsMoveAtOnce() throws { try workerLostMidEpoch(by: SIGTERM, exchange: "auto") }

    private func workerLostMidEpoch(by signal: Int32, exchange: String) throws {
        let told = signal == SIGTERM
        let endpoint = try ipcEndpoint(), directory = try temporaryDirectory(self)
        let flags = ["--epochs", "150", "--exchange", exchange]
        let workers = try workers(4, endpoint: endpoint)
        let coordinator = try dlcoord.start([
            "--workers", "4", "--bind", endpoint, "--worker-timeout", told ? "3600" : "2", "--verbose", "2", "--run-dir", directory,
        ] + flags)
        XCTAssertTrue(coordinator.waitForOutput(containing: "Epoch 11/", timeout: 120), coordinator.errorsSoFar)
        workers[1].signal(signal)
        if told {
            let left = workers[1].wait(timeout: 30)
            XCTAssertEqual(left.status, 128 + SIGTERM, left.errors)
            XCTAssertTrue(left.errors.contains("dlworker: left the job: it was stopped (SIGTERM); the coordinator acknowledged it"), left.errors)
        }
        let result = coordinator.wait(timeout: 300)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.errors.contains("(w2, "), result.errors)
        let loss = told ? "is lost: failed: it was stopped (SIGTERM)" : "is lost: has sent nothing for 2 s"
        XCTAssertTrue(result.errors.contains(loss), result.errors)
        XCTAssertEqual(try model(in: directory), try localModel(["--shards", "4"] + flags))
        for (index, worker) in workers.enumerated() where index != 1 { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
    }

    func testAWorkerStoppedPastTheTimeoutIsReplacedAndComesBack() throws { try workerStoppedPastTheTimeout(exchange: "auto") }
    func testAWorkerStoppedPastTheTimeoutIsReplacedAndComesBackInARing() throws {
        try workerStoppedPastTheTimeout(exchange: "ring")
    }

    private func workerStoppedPastTheTimeout(exchange: String) throws {
        let endpoint = try ipcEndpoint(), directory = try temporaryDirectory(self)
        let flags = ["--epochs", "150", "--validation-split", "0.2", "--exchange", exchange]
        let workers = try workers(2, endpoint: endpoint)
        let coordinator = try dlcoord.start(
            ["--workers", "2", "--bind", endpoint, "--worker-timeout", "2", "--verbose", "2", "--run-dir", directory] + flags)
        XCTAssertTrue(coordinator.waitForOutput(containing: "Epoch 11/", timeout: 120), coordinator.errorsSoFar)
        workers[0].signal(SIGSTOP)
        XCTAssertTrue(coordinator.waitForError(containing: "is lost", timeout: 60), coordinator.errorsSoFar)
        workers[0].signal(SIGCONT)
        XCTAssertTrue(coordinator.waitForError(containing: "joined during the run: w1", timeout: 60), coordinator.errorsSoFar)
        let result = coordinator.wait(timeout: 300)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertEqual(try model(in: directory), try localModel(["--shards", "2"] + flags))
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
    }

    func testAFifthWorkerJoiningMidRunTakesShards() throws { try fifthWorkerJoining(exchange: "auto") }
    func testAFifthWorkerJoiningMidRunTakesShardsInARing() throws { try fifthWorkerJoining(exchange: "ring") }

    private func fifthWorkerJoining(exchange: String) throws {
        let endpoint = try ipcEndpoint(), directory = try temporaryDirectory(self)
        let flags = ["--epochs", "150", "--shards", "8", "--exchange", exchange]
        var workers = try workers(4, endpoint: endpoint)
        let coordinator = try dlcoord.start(["--workers", "4", "--bind", endpoint, "--verbose", "2", "--run-dir", directory] + flags)
        XCTAssertTrue(coordinator.waitForOutput(containing: "Epoch 11/", timeout: 120), coordinator.errorsSoFar)
        workers.append(try dlworker.start(["--connect", endpoint, "--name", "fifth"]))
        let result = coordinator.wait(timeout: 300)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.errors.contains("worker 5 joined during the run: fifth"), result.errors)
        XCTAssertTrue(result.errors.contains("rebalancing: shard(s)"), result.errors)
        XCTAssertTrue(result.errors.contains("move to worker 5 (fifth"), result.errors)
        XCTAssertEqual(try model(in: directory), try localModel(flags))
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
    }

    func testTheCoordinatorKilledAndResumedWithItsWorkersStillRunning() throws { try coordinatorKilledAndResumed(exchange: "auto") }
    func testTheCoordinatorKilledAndResumedWithItsWorkersStillRunningInARing() throws {
        try coordinatorKilledAndResumed(exchange: "ring")
    }

    private func coordinatorKilledAndResumed(exchange: String) throws {
        let endpoint = try ipcEndpoint(), directory = try temporaryDirectory(self)
        let flags = ["--epochs", "150", "--exchange", exchange]
        let workers = try workers(4, endpoint: endpoint, extra: ["--coordinator-timeout", "3"])
        let first = try dlcoord.start(
            ["--workers", "4", "--bind", endpoint, "--checkpoint-every-steps", "20", "--verbose", "2", "--run-dir", directory] + flags)
        XCTAssertTrue(first.waitForOutput(containing: "Epoch 11/", timeout: 120), first.errorsSoFar)
        first.signal(SIGKILL)
        XCTAssertEqual(first.wait(timeout: 30).status, SIGKILL)
        let resumed = try dlcoord.run(
            ["--resume", directory, "--workers", "4", "--bind", endpoint, "--exchange", exchange, "--verbose", "1"], timeout: 300)
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertTrue(resumed.output.contains("Resuming from \(directory)/checkpoint-"), resumed.output)
        XCTAssertTrue(resumed.output.contains("Epoch 150/150"))
        XCTAssertEqual(try model(in: directory), try localModel(["--shards", "4"] + flags))
        let metrics = try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(metrics.count, 150)
        for worker in workers { XCTAssertEqual(worker.wait(timeout: 30).status, 0) }
    }

    func testADamagedNewestCheckpointIsSkipped() throws {
        let directory = try temporaryDirectory(self)
        let flags = ["--epochs", "6", "--shards", "3", "--validation-split", "0.2"]
        let full = try dlcoord.run(["--local", "--verbose", "0", "--keep", "10", "--run-dir", directory] + flags)
        XCTAssertEqual(full.status, 0, full.errors)
        let undisturbed = try model(in: directory)
        let newest = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("checkpoint-") }.max())
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: directory + "/" + newest))
        try handle.truncate(atOffset: 1000)
        try handle.close()
        try FileManager.default.removeItem(atPath: directory + "/model.safetensors")

        let resumed = try dlcoord.run(["--resume", directory, "--local", "--verbose", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertTrue(resumed.errors.contains("dlcoord: skipping \(directory)/\(newest): not a usable checkpoint"), resumed.errors)
        XCTAssertTrue(resumed.output.contains("Resuming from \(directory)/checkpoint-"), resumed.output)
        XCTAssertFalse(resumed.output.contains(newest), "the damaged checkpoint is not the one resumed")
        XCTAssertEqual(try model(in: directory), undisturbed)
        XCTAssertEqual(try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").count, 6)
    }

    func testResumingWithAnotherModelIsRefused() throws {
        let directory = try temporaryDirectory(self)
        XCTAssertEqual(try dlcoord.run(["--local", "--epochs", "2", "--verbose", "0", "--run-dir", directory]).status, 0)
        let refused = try dlcoord.run(["--resume", directory, "--local", "--layers", "8:relu,1:sigmoid"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.errors.hasPrefix("dlcoord: error: cannot resume: these settings differ from the checkpoint's: layers"), refused.errors)
        let more = try dlcoord.run(["--resume", directory, "--local", "--epochs", "3", "--verbose", "0"])
        XCTAssertEqual(more.status, 0, more.errors)
        XCTAssertEqual(try model(in: directory), try localModel(["--epochs", "3"]))
    }

    /// One command line for a first start and every restart: `--resume auto` starts a run in an
    /// empty --run-dir, continues it from its checkpoint, and does not train a finished one again.
    func testResumeAutoStartsContinuesAndLeavesAFinishedRunAlone() throws {
        let directory = try temporaryDirectory(self) + "/run"
        let command = ["--local", "--run-dir", directory, "--resume", "auto", "--verbose", "2"]
        let first = try dlcoord.run(command + ["--epochs", "2"])
        XCTAssertEqual(first.status, 0, first.errors)
        XCTAssertFalse(first.output.contains("Resuming"), first.output)
        let longer = try dlcoord.run(command + ["--epochs", "4"])
        XCTAssertEqual(longer.status, 0, longer.errors)
        XCTAssertTrue(longer.output.contains("Resuming from \(directory)/checkpoint-"), longer.output)
        let trained = try model(in: directory)
        XCTAssertEqual(trained, try localModel(["--epochs", "4"]))
        let again = try dlcoord.run(command + ["--epochs", "4"])
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertTrue(again.output.contains("already trained its 4 epochs: nothing to train"), again.output)
        XCTAssertEqual(try model(in: directory), trained)
        XCTAssertEqual(try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").count, 4)

        // Distributed, the same restart tells the workers started with it that the job is done.
        let endpoint = try ipcEndpoint()
        let coordinator = try dlcoord.start(
            ["--workers", "1", "--bind", endpoint, "--run-dir", directory, "--resume", "auto", "--epochs", "4", "--verbose", "2"])
        let workers = [try dlworker.start(["--connect", endpoint, "--name", "w1"])]
        let restarted = coordinator.wait(timeout: 60)
        XCTAssertEqual(restarted.status, 0, restarted.errors)
        XCTAssertTrue(restarted.errors.contains("told 1 worker(s) the job finished"), restarted.errors)
        for worker in workers {
            let told = worker.wait(timeout: 30)
            XCTAssertEqual(told.status, 0, told.errors)
            XCTAssertTrue(told.errors.contains("the run had already trained its 4 epochs"), told.errors)
        }
        XCTAssertEqual(try model(in: directory), trained)

        let refused = try dlcoord.run(["--local", "--resume", "auto"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.errors.contains("--resume auto continues the run in --run-dir DIR"), refused.errors)
    }
}
