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

    func testABadRecordInTheLastChunkEndsTheRunBeforeAnyStep() throws {
        let directory = try temporaryDirectory(self)
        let path = directory + "/bad-end.csv"
        var lines = try String(contentsOfFile: JobSettings.seedJob.data, encoding: .utf8).split(separator: "\n")
        lines[lines.count - 1] = "oops," + lines[lines.count - 1].split(separator: ",").dropFirst().joined(separator: ",")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var settings = JobSettings.seedJob
        settings.data = path
        settings.shards = 2
        let harness = try distributed(settings, workers: 2, chunkSize: 4096)
        harness.runToCompletion()
        guard case let .failed(message) = harness.coordinator.outcome else {
            return XCTFail("the run did not fail: \(String(describing: harness.coordinator.outcome))")
        }
        XCTAssertTrue(message.contains("\(path):\(lines.count): column 0: expected a number, found \"oops\""), message)
        XCTAssertFalse(message.contains("checkpoint"), "nothing was trained, so nothing is kept: \(message)")
        XCTAssertEqual(harness.coordinator.progress.position, TrainingPosition(epoch: 0, step: 0))
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
}
