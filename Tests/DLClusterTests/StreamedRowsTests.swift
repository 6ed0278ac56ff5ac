// The coordinator streams the data file to the workers a chunk at a time and keeps none of it:
// whatever the chunk size (smaller than one record, about one, larger than the file) and the number
// of workers, the weights are the single-process trainer's for the same S, bit for bit; a bad
// record in the file's last chunk ends the run before any step, naming its line; a file that
// changed since the job was described is refused, before training and before a re-read.

import DLCoordinator
import DLCore
import DLProtocol
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class StreamedRowsTests: XCTestCase {
    /// The breast-cancer job (text classes, a validation split, standardization) with S shards.
    private func settings(shards: Int, epochs: Int = 2) -> JobSettings {
        var settings = JobSettings.breastCancerJob
        settings.shards = shards
        settings.epochs = epochs
        return settings
    }

    private func localWeights(_ settings: JobSettings) throws -> [UInt32] {
        let trainer = LocalTrainer(job: try TrainingJob(settings))
        try trainer.train()
        return trainer.parameters.map(\.bitPattern)
    }

    private func distributed(
        _ settings: JobSettings, workers: Int, chunkSize: Int, timeouts: CoordinatorSession.Timeouts = .init()
    ) throws -> ClusterHarness {
        let job = try TrainingJob(settings, loadsRows: false, chunkSize: chunkSize)
        XCTAssertNil(job.rows, "a coordinator's job holds no rows")
        let harness = ClusterHarness(
            job: job, workerCount: workers, timeouts: timeouts, policy: .init(rowChunkSize: chunkSize))
        for _ in 0..<workers { harness.addWorker() }
        return harness
    }

    func testEveryChunkSizeAndWorkerCountTrainsTheLocalWeights() throws {
        let settings = settings(shards: 4)
        let expected = try localWeights(settings)
        let fileSize = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: settings.data)[.size] as? Int)
        for (workers, chunkSize) in [(4, 1), (2, 97), (3, 4096), (1, fileSize * 2)] {
            let harness = try distributed(settings, workers: workers, chunkSize: chunkSize)
            harness.runToCompletion()
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(
                harness.coordinator.parameters.map(\.bitPattern), expected, "\(workers) workers, chunks of \(chunkSize) bytes")
        }
    }

    /// The coordinator fits the standardization as it streams the rows, so the rows leave as the
    /// file has them; each worker gets the standardization after its last row and says ready only
    /// then, with its rows standardized in place (the weights are the local ones, bit for bit).
    func testTheRowsLeaveRawAndEachWorkerStandardizesItsOwn() throws {
        let settings = settings(shards: 3)
        let expected = try localWeights(settings)
        let harness = try distributed(settings, workers: 2, chunkSize: 4096)
        harness.traffic = []
        harness.runToCompletion()
        XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected)

        let traffic = try XCTUnwrap(harness.traffic)
        let largestSent = traffic.compactMap { if case let .shardRows(rows) = $0.message { rows.features.map(abs).max() } else { nil } }.max()
        XCTAssertEqual(largestSent, 4254, "the largest value in the file (an area), not a standardized one")
        let local = try TrainingJob(settings)
        for worker in 0..<2 {
            let received = traffic.indices.filter { traffic[$0].receiver == worker }
            let standardizations = received.filter { if case .standardization = traffic[$0].message { true } else { false } }
            XCTAssertEqual(standardizations.count, 1, "worker \(worker)")
            let standardization = try XCTUnwrap(standardizations.first)
            XCTAssertEqual(
                traffic[standardization].message,
                .standardization(mean: local.data.standardization!.mean, scale: local.data.standardization!.scale))
            let lastRows = try XCTUnwrap(received.last { if case .shardRows = traffic[$0].message { true } else { false } })
            XCTAssertLessThan(lastRows, standardization, "worker \(worker): the standardization follows its rows")
            let ready = try XCTUnwrap(traffic.indices.first { traffic[$0].sender == worker && traffic[$0].message == .ready })
            XCTAssertGreaterThan(ready, standardization, "worker \(worker): ready only once it can standardize")
        }
    }

    /// A standardization that does not fit the job, or unlike the one a worker holds, is dropped
    /// with the reason in the worker's log and changes nothing.
    func testAWorkerRefusesAStandardizationThatDoesNotFit() throws {
        let settings = settings(shards: 2)
        let expected = try localWeights(settings)
        let harness = try distributed(settings, workers: 2, chunkSize: 4096)
        harness.traffic = []
        harness.advance(.milliseconds(10))
        for _ in 0..<10_000 where !(harness.traffic!.contains { $0.message.type == .computeStep }) {
            harness.deliver(limit: 1)
        }
        XCTAssertEqual(harness.coordinator.outcome, nil, "training has begun, and goes on")
        let width = try TrainingJob(settings).data.featureCount
        let ones = [Float](repeating: 1, count: width)
        for message: Message in [
            .standardization(mean: [0, 0], scale: [1, 1]), .standardization(mean: ones, scale: ones),
            .standardization(mean: ones, scale: [0] + ones.dropFirst()),
        ] {
            harness.toWorkers[ClusterHarness.peer(0), default: []].append(MessageCodec.encode(Envelope(jobId: 0x1234, round: 0, message: message)))
        }
        harness.runToCompletion()
        XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected)
        let dropped = harness.workerLogs[0].filter { $0.hasPrefix("dropped a standardization message") }
        XCTAssertEqual(dropped, [
            "dropped a standardization message: a standardization of 2 features for a job of \(width)",
            "dropped a standardization message: a standardization unlike the one received before",
            "dropped a standardization message: a standardization with a mean that is not finite or a scale that is 0 or not finite",
        ])
    }

    /// The coordinator's describing pass parses every record (the types of the columns need them), so a
    /// record of the wrong width in the last chunk is refused there, before a worker is sent a row.
    func testABadRecordInTheLastChunkIsRefusedBeforeAnyRowIsSent() throws {
        let directory = try temporaryDirectory(self)
        let path = directory + "/bad-end.csv"
        var lines = try String(contentsOfFile: JobSettings.seedJob.data, encoding: .utf8).split(separator: "\n")
        // One field too many: a word would be a category, but a record of the wrong width is bad whatever the types.
        lines[lines.count - 1] += ",1"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var settings = JobSettings.seedJob
        settings.data = path
        settings.shards = 2
        XCTAssertThrowsError(try distributed(settings, workers: 2, chunkSize: 4096)) { error in
            XCTAssertTrue("\(error)".contains("\(path):\(lines.count): expected 18 fields like the first record, found 19"), "\(error)")
        }
    }

    func testAFileChangedSinceTheJobWasDescribedIsRefusedBeforeTraining() throws {
        let path = try temporaryDirectory(self) + "/data.csv"
        try FileManager.default.copyItem(atPath: JobSettings.seedJob.data, toPath: path)
        var settings = JobSettings.seedJob
        settings.data = path
        settings.shards = 2
        let harness = try distributed(settings, workers: 2, chunkSize: 4096)
        // The same size, one digit different: only the content tells.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let digit = try XCTUnwrap(bytes.lastIndex(of: UInt8(ascii: "1")))
        bytes[digit] = UInt8(ascii: "2")
        try bytes.write(to: URL(fileURLWithPath: path))
        harness.runToCompletion()
        guard case let .failed(message) = harness.coordinator.outcome else {
            return XCTFail("the run did not fail: \(String(describing: harness.coordinator.outcome))")
        }
        XCTAssertTrue(message.contains("\(path): the file changed"), message)
        XCTAssertEqual(harness.coordinator.progress.position, TrainingPosition(epoch: 0, step: 0))
    }

    func testALostWorkersRowsAreReadAgainAndAChangedFileRefusedThen() throws {
        let path = try temporaryDirectory(self) + "/data.csv"
        try FileManager.default.copyItem(atPath: JobSettings.breastCancerJob.data, toPath: path)
        var settings = settings(shards: 4, epochs: 3)
        settings.data = path
        let expected = try localWeights(settings)

        // Recovered: the lost worker's shards are read again from the file, the weights unchanged.
        let recovered = try distributed(settings, workers: 3, chunkSize: 2048, timeouts: .init(worker: .seconds(2)))
        for _ in 0..<40 {
            recovered.advance(.milliseconds(10))
            recovered.deliver(limit: 6)
        }
        XCTAssertEqual(recovered.coordinator.outcome, nil)
        recovered.silenced = [1]
        recovered.runToCompletion(perTick: 6)
        XCTAssertEqual(recovered.coordinator.outcome, .finished, recovered.recentLog)
        XCTAssertEqual(recovered.lostWorkers, [1])
        XCTAssertEqual(recovered.coordinator.parameters.map(\.bitPattern), expected)

        // The file changed before the re-read: refused, with a checkpoint of what was trained.
        let refused = try distributed(settings, workers: 3, chunkSize: 2048, timeouts: .init(worker: .seconds(2)))
        for _ in 0..<40 {
            refused.advance(.milliseconds(10))
            refused.deliver(limit: 6)
        }
        try (String(contentsOfFile: path, encoding: .utf8) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        refused.silenced = [1]
        refused.runToCompletion(perTick: 6)
        guard case let .failed(message) = refused.coordinator.outcome else {
            return XCTFail("the run did not fail: \(String(describing: refused.coordinator.outcome))")
        }
        XCTAssertTrue(message.contains("\(path): the file changed"), message)
    }

    /// Rows appended to the file during the run, then a worker lost: the re-read of its shards meets
    /// the new rows before the end of the file and refuses the file there, instead of routing them (without validation rows they had no shard: the coordinator divided by zero).
    func testRowsAppendedDuringTheRunAreRefusedBeforeTheyAreRouted() throws {
        let path = try temporaryDirectory(self) + "/data.csv"
        try FileManager.default.copyItem(atPath: JobSettings.seedJob.data, toPath: path)
        var settings = JobSettings.seedJob
        settings.data = path
        settings.shards = 2
        settings.epochs = 3
        let harness = try distributed(settings, workers: 2, chunkSize: 2048, timeouts: .init(worker: .seconds(2)))
        for _ in 0..<400 where harness.coordinator.progress.position == TrainingPosition(epoch: 0, step: 0) {
            harness.advance(.milliseconds(10))
            harness.deliver(limit: 6)
        }
        XCTAssertEqual(harness.coordinator.outcome, nil)
        XCTAssertNotEqual(harness.coordinator.progress.position, TrainingPosition(epoch: 0, step: 0), "training began")
        let lastLine = try XCTUnwrap(String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").last)
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        file.seekToEndOfFile()
        file.write(Data(String(repeating: lastLine + "\n", count: 50).utf8))
        try file.close()
        harness.silenced = [1]
        harness.runToCompletion(perTick: 6)
        guard case let .failed(message) = harness.coordinator.outcome else {
            return XCTFail("the run did not fail: \(String(describing: harness.coordinator.outcome))")
        }
        XCTAssertTrue(message.contains("\(path): the file changed: it has more than the 470 rows"), message)
        XCTAssertEqual(harness.lostWorkers, [1])
    }

    /// A worker that holds every row it was sent but never says ready (here: its standardization is
    /// lost on the way) does not hold the run up for ever: after --worker-timeout it is lost, its
    /// shards go to the other, and the weights are the local ones.
    func testAWorkerThatNeverSaysReadyIsLostAfterTheWorkerTimeout() throws {
        let settings = settings(shards: 2)
        let expected = try localWeights(settings)
        var timeouts = CoordinatorSession.Timeouts()
        timeouts.worker = .seconds(2)
        let harness = try distributed(settings, workers: 2, chunkSize: 4096, timeouts: timeouts)
        harness.lostToWorker = { worker, message in
            if worker == 1, case .standardization = message { true } else { false }
        }
        harness.runToCompletion(tick: .milliseconds(100))
        XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
        XCTAssertEqual(harness.lostWorkers, [1])
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected)
    }
}
