// The optimizer options distributed: the welcome carries the schedule and every argument, each
// worker's replica applies the same clipping, decay, update and moving average as the coordinator,
// so workers (star and ring, one lost on the way) end with the weights and the averaged model of
// one process, bit for bit.

import DLCoordinator
import DLCore
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class OptimizerClusterTests: XCTestCase {
    func testWorkersTrainTheLocalWeightsWithEveryOptimizerOption() throws {
        var settings = JobSettings.breastCancerJob
        settings.epochs = 3
        settings.shards = 4
        settings.optimizer = "adamw"
        settings.optimizerArguments = ["amsgrad": 1, "use_ema": 1, "ema_overwrite_frequency": 7, "global_clipnorm": 0.5]
        settings.fit.lrSchedule = "cosine_decay:decay_steps=30,warmup_target=0.01,warmup_steps=5"
        let job = try TrainingJob(settings)
        let local = LocalTrainer(job: job)
        try local.train()
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
            XCTAssertEqual(
                harness.coordinator.progress.parameters.map(\.bitPattern), local.progress.parameters.map(\.bitPattern), "\(exchange)")
            XCTAssertEqual(
                harness.coordinator.progress.finalParameters.map(\.bitPattern), local.progress.finalParameters.map(\.bitPattern),
                "\(exchange)")
        }
    }
}
