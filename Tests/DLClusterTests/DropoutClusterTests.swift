// Dropout distributed, in memory (ClusterHarness): the masks are keyed by (seed, epoch, step,
// shard), so two workers, a worker lost mid-run whose shard another recomputes, and a run resumed
// from the coordinator's checkpoint all end with `--local --shards S`'s weights, bit for bit.
// The job's layer list has Dropout layers on the inputs and after the hidden layer.

import DLCoordinator
import DLCore
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class DropoutClusterTests: XCTestCase {
    private func job(shards: Int = 4, epochs: Int = 4) throws -> TrainingJob {
        var settings = JobSettings.seedJob
        settings.layers = "dropout:0.1,30:relu,dropout:0.3,1:sigmoid"
        settings.epochs = epochs
        settings.shards = shards
        settings.validationSplit = 0.2
        let job = try TrainingJob(settings)
        XCTAssertEqual(job.model.inputDropout, 0.1)
        XCTAssertEqual(job.model.layers.map(\.dropout), [0.3, nil])
        return job
    }

    private func local(_ job: TrainingJob) throws -> [UInt32] {
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        return trainer.parameters.map(\.bitPattern)
    }


    func testWorkersGiveTheLocalWeightsInRingAndStar() throws {
        let job = try job()
        let expected = try local(job)
        for exchange in [CoordinatorSession.Exchange.ring, .star] {
            let harness = ClusterHarness(job: job, workerCount: 2, exchange: exchange)
            harness.addWorker()
            harness.addWorker()
            harness.runToCompletion(perTick: 6)
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected, "\(exchange)")
        }
    }

    func testALostWorkersShardsRecomputedElsewhereDrawTheSameMasks() throws {
        let job = try job()
        let harness = ClusterHarness(job: job, workerCount: 3, timeouts: .init(worker: .seconds(2)))
        for _ in 0..<3 { harness.addWorker() }
        harness.advance(ticks: 30)
        XCTAssertNil(harness.coordinator.outcome)
        harness.silenced = [1]
        harness.runToCompletion(perTick: 6)
        XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
        XCTAssertEqual(harness.lostWorkers, [1])
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), try local(job))
    }

    func testAResumedCheckpointContinuesTheSameMasks() throws {
        let job = try job()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let checkpointer = Checkpointer(job: job, directory: directory, policy: CheckpointPolicy(everyEpochs: 100))
        let harness = ClusterHarness(
            job: job, workerCount: 1, timeouts: .init(worker: .seconds(2), rejoin: .seconds(5)), checkpointer: checkpointer)
        harness.addWorker()
        harness.advance(ticks: 20)
        XCTAssertGreaterThan(harness.coordinator.progress.position.step, 0, "the run is under way")
        harness.silenced = [0]
        harness.runToCompletion(perTick: 6)
        guard case .failed = harness.coordinator.outcome else { return XCTFail(harness.recentLog) }

        let (checkpoint, path) = try Checkpointer.newest(in: directory) { _ in }
        try Resumption.check(job, against: checkpoint, path: path)
        let resumed = ClusterHarness(job: job, workerCount: 2, progress: checkpoint.progress(for: job))
        resumed.addWorker()
        resumed.addWorker()
        resumed.runToCompletion(perTick: 6)
        XCTAssertEqual(resumed.coordinator.outcome, .finished)
        XCTAssertEqual(resumed.coordinator.parameters.map(\.bitPattern), try local(job))
    }
}
