// Early stopping distributed: the coordinator applies Keras's rule to the same epoch reports as
// one process does, so a run with workers (star and ring, losing a worker on the way) stops after
// the same epoch and ends with the same best-epoch weights, bit for bit; and a run resumed from a
// checkpoint taken mid-way keeps the rule's state (best, wait, best weights).

import DLCoordinator
import DLCore
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class EarlyStoppingClusterTests: XCTestCase {
    private func job() throws -> TrainingJob {
        var settings = JobSettings.breastCancerJob
        settings.epochs = 200
        settings.shards = 4
        settings.earlyStoppingPatience = 3
        settings.restoreBestWeights = true
        return try TrainingJob(settings)
    }

    func testWorkersStopAfterTheSameEpochWithTheSameWeights() throws {
        let job = try job()
        let local = LocalTrainer(job: job)
        try local.train()
        let stopped = try XCTUnwrap(local.progress.earlyStopping?.stoppedEpoch)
        for exchange in [CoordinatorSession.Exchange.star, .ring] {
            let harness = ClusterHarness(job: job, workerCount: 3, timeouts: .init(worker: .seconds(2)), exchange: exchange)
            for _ in 0..<3 { harness.addWorker() }
            for _ in 0..<40 {
                harness.advance(.milliseconds(10))
                harness.deliver(limit: 6)
            }
            harness.silenced = [1]  // lost mid-run: its shards move, nothing else changes
            harness.runToCompletion(perTick: 6)
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(harness.coordinator.progress.earlyStopping, local.progress.earlyStopping, "\(exchange)")
            XCTAssertEqual(harness.coordinator.progress.position.epoch, stopped + 1)
            XCTAssertEqual(
                harness.coordinator.progress.finalParameters.map(\.bitPattern), local.progress.finalParameters.map(\.bitPattern),
                "\(exchange)")
        }
    }

    func testAResumedRunKeepsTheRulesState() throws {
        let job = try job()
        let local = LocalTrainer(job: job)
        try local.train()
        let stopping = try XCTUnwrap(local.progress.earlyStopping)

        // The same run stopped one epoch past its best (so the rule's wait is 1), its last
        // checkpoint written and read back, then trained to the end.
        let directory = try temporaryDirectory(self)
        var settings = job.settings
        settings.epochs = stopping.bestEpoch + 2
        let shortened = try TrainingJob(settings)
        let checkpointer = Checkpointer(job: shortened, directory: directory, policy: CheckpointPolicy())
        try LocalTrainer(job: shortened).train(checkpointer: checkpointer)
        try checkpointer.finish()
        let (checkpoint, _) = try Checkpointer.newest(in: directory) { _ in }
        XCTAssertEqual(checkpoint.earlyStopping?.wait, 1)
        XCTAssertNotNil(checkpoint.earlyStopping?.bestParameters)
        let resumed = LocalTrainer(job: job, progress: checkpoint.progress(for: job))
        try resumed.train()
        XCTAssertEqual(resumed.progress.earlyStopping, stopping)
        XCTAssertEqual(resumed.progress.finalParameters.map(\.bitPattern), local.progress.finalParameters.map(\.bitPattern))
    }
}
