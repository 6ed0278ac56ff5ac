// --audit covers everything a worker reports, not only its gradients: a worker that holds the
// job's secret and forges its loss or metric sums of a step, or its validation sums after an
// epoch (which drive early stopping and the restored weights), is caught when the coordinator
// checks every result, excluded with a typed cause, and the run ends as the honest one does: the
// same weights, epoch reports, stopping epoch and restored weights, bit for bit. In a star and in a
// ring; without the audit the same forgery changes the run, which shows it is there to be caught.

import DLCoordinator
import DLProtocol
import DLTestSupport
import DLTraining
import XCTest

final class ForgedResultsTests: XCTestCase {
    /// The seed job with early stopping on val_loss, restoring the best epoch's weights.
    private func earlyStoppingJob() throws -> TrainingJob {
        var settings = JobSettings.seedJob
        settings.epochs = 40
        settings.shards = 4
        settings.validationSplit = 0.2
        settings.earlyStoppingPatience = 3
        settings.restoreBestWeights = true
        return try TrainingJob(settings)
    }

    /// Runs `job` on three workers, the third behind `forge`.
    private func run(
        _ job: TrainingJob, audit: Double, exchange: CoordinatorSession.Exchange, forge: @escaping (Envelope) -> Envelope?
    ) -> ClusterHarness {
        let harness = ClusterHarness(job: job, workerCount: 3, policy: .init(audit: audit), exchange: exchange)
        harness.addWorker()
        harness.addWorker()
        harness.addWorker(forge: forge)
        harness.runToCompletion()
        return harness
    }

    /// What the third worker sends, with its validation sums of `epoch` (0-based) changed by `change`.
    private func forgingValidation(epoch: UInt64, _ change: @escaping (inout [Double]) -> Void) -> (Envelope) -> Envelope? {
        { envelope in
            guard envelope.round == epoch, case var .validationSums(result) = envelope.message else { return envelope }
            change(&result.sums)
            return Envelope(jobId: envelope.jobId, round: envelope.round, message: .validationSums(result))
        }
    }

    /// What the third worker sends, with its sums of `round` changed by `change`.
    private func forgingStep(round: UInt64, _ change: @escaping (inout [Double]) -> Void) -> (Envelope) -> Envelope? {
        { envelope in
            guard envelope.round == round, case var .stepDone(done) = envelope.message else { return envelope }
            change(&done.sums[0])
            return Envelope(jobId: envelope.jobId, round: envelope.round, message: .stepDone(done))
        }
    }

    func testForgedValidationSumsAreCaughtAndEarlyStoppingIsTheHonestRuns() throws {
        let job = try earlyStoppingJob()
        let local = LocalTrainer(job: job)
        try local.train()
        let honest = local.progress
        XCTAssertNotNil(honest.earlyStopping?.stoppedEpoch, "the honest run stops early")
        // Its loss sum set to 0 after epoch 3, as a worker that wants the run to stop would.
        let forge = forgingValidation(epoch: 2) { $0[0] = 0 }
        for exchange in [CoordinatorSession.Exchange.star, .ring] {
            let harness = run(job, audit: 1, exchange: exchange, forge: forge)
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(harness.exclusions.map(\.name), ["w3"], "\(exchange)")
            XCTAssertEqual(harness.exclusions.first?.cause, .validationSumsDiffer(shard: 3, epoch: 3), "\(exchange)")
            let progress = harness.coordinator.progress
            XCTAssertEqual(progress.earlyStopping, honest.earlyStopping, "\(exchange): the same stop, best epoch and weights")
            XCTAssertEqual(progress.finalParameters.map(\.bitPattern), honest.finalParameters.map(\.bitPattern), "\(exchange)")
            XCTAssertEqual(progress.parameters.map(\.bitPattern), honest.parameters.map(\.bitPattern), "\(exchange)")
            XCTAssertEqual(progress.history.map(\.values), honest.history.map(\.values), "\(exchange): the same epoch reports")
            XCTAssertGreaterThanOrEqual(harness.coordinator.auditedValidations ?? 0, 4 * honest.history.count)
        }
        let unaudited = run(job, audit: 0, exchange: .star, forge: forge)
        XCTAssertEqual(unaudited.coordinator.outcome, .finished, unaudited.recentLog)
        XCTAssertTrue(unaudited.exclusions.isEmpty)
        XCTAssertNotEqual(unaudited.coordinator.progress.earlyStopping, honest.earlyStopping, "the forgery moves the stop")
    }

    func testForgedLossAndMetricSumsAreCaught() throws {
        let job = try TrainingJob.seedJob(shards: 4, epochs: 2)
        let local = LocalTrainer(job: job)
        try local.train()
        let steps = job.schedule.stepsPerEpoch
        let round: UInt64 = UInt64(steps) + 3
        let position = TrainingPosition(epoch: 1, step: 3)
        let slots = [0, job.metrics.slotCount - 1]  // the loss, and the last metric's
        XCTAssertGreaterThan(slots[1], 0, "the seed job has a metric")
        for slot in slots {
            let forge = forgingStep(round: round) { $0[slot] = 0 }
            for exchange in [CoordinatorSession.Exchange.star, .ring] {
                let harness = run(job, audit: 1, exchange: exchange, forge: forge)
                XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
                XCTAssertEqual(harness.exclusions.map(\.name), ["w3"], "\(exchange), slot \(slot)")
                XCTAssertEqual(harness.exclusions.first?.cause, .sumsDiffer(shard: 3, at: position), "\(exchange), slot \(slot)")
                XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), local.parameters.map(\.bitPattern))
                XCTAssertEqual(
                    harness.coordinator.reports.map(\.values), local.progress.history.map(\.values),
                    "\(exchange), slot \(slot): the same metrics")
            }
        }
        let unaudited = run(job, audit: 0, exchange: .ring, forge: forgingStep(round: round) { $0[0] = 0 })
        XCTAssertNotEqual(unaudited.coordinator.reports.map(\.values), local.progress.history.map(\.values), "the forgery shows")
    }
}
