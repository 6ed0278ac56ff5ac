// Weight regularization distributed: the coordinator and every worker replica add the same
// penalty gradient, so any number of workers, in a ring or a star, gives the single-process weights
// and reports (loss and val_loss with the penalty) bit for bit.

import DLCoordinator
import DLCore
import DLTestSupport
import DLTraining
import XCTest

final class RegularizationClusterTests: XCTestCase {
    func testWorkersGiveTheSingleProcessWeightsAndReports() throws {
        var settings = try TrainingJob.seedJob(shards: 4, epochs: 2, validation: 0.2).settings
        settings.layers = "dropout:0.1,30:relu:l1=0.001:l2=0.01,auto"
        settings.fit.biasRegularizer = "l2:0.05"
        settings.fit.kernelInitializer = "he_normal"
        let job = try TrainingJob(settings)
        XCTAssertFalse(Regularization(job.model).isEmpty)
        let trainer = LocalTrainer(job: job)
        let reports = try trainer.train()
        for workerCount in [2, 3] {
            for exchange in [CoordinatorSession.Exchange.ring, .star] {
                let harness = ClusterHarness(job: job, workerCount: workerCount, exchange: exchange)
                for _ in 0..<workerCount { harness.addWorker() }
                harness.runToCompletion()
                XCTAssertEqual(harness.coordinator.outcome, .finished, "\(workerCount) workers, \(exchange): \(harness.recentLog)")
                XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), trainer.parameters.map(\.bitPattern))
                XCTAssertEqual(harness.coordinator.reports.map(\.values), reports.map(\.values))
            }
        }
    }
}
