// A worker that still answers the coordinator but sends no usable result is dropped, not obeyed:
// one that withholds its step results or its validation sums (asked twice, the worker timeout each
// time), one whose gradient or sums are a value short, one whose gradient is not finite while the
// others' are. Each is excluded with a typed cause, its shards go to the others, and the run ends
// with the undisturbed run's weights, bit for bit, in a star and in a ring. A gradient that is not
// finite because the training diverged ends the run as diverged at the same step as one process,
// naming the step, and excludes nobody.

import DLCoordinator
import DLProtocol
import DLTestSupport
import DLTraining
import XCTest

final class UnusableResultsTests: XCTestCase {
    private let timeout = Duration.seconds(2)

    private func undisturbed(_ job: TrainingJob) throws -> [UInt32] {
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        return trainer.parameters.map(\.bitPattern)
    }

    /// Runs `job` on three workers, the third behind `forge`.
    private func run(
        _ job: TrainingJob, exchange: CoordinatorSession.Exchange, audit: Double = 0,
        forge: @escaping (Envelope) -> Envelope?
    ) -> ClusterHarness {
        let harness = ClusterHarness(
            job: job, workerCount: 3, timeouts: .init(worker: timeout), policy: .init(audit: audit), exchange: exchange)
        harness.addWorker()
        harness.addWorker()
        harness.addWorker(forge: forge)
        harness.runToCompletion()
        return harness
    }

    /// The third worker's step-done of `round`, changed.
    private func forgingStepDone(round: UInt64, _ change: @escaping (inout StepDone) -> Void) -> (Envelope) -> Envelope? {
        { envelope in
            guard envelope.round == round, case var .stepDone(done) = envelope.message else { return envelope }
            change(&done)
            return Envelope(jobId: envelope.jobId, round: envelope.round, message: .stepDone(done))
        }
    }

    func testAWorkerThatWithholdsItsStepResultsIsExcluded() throws {
        let job = try TrainingJob.seedJob(shards: 4, epochs: 2)
        let expected = try undisturbed(job)
        let withholding: (MessageType) -> (Envelope) -> Envelope? = { type in
            { envelope in envelope.round >= 5 && envelope.message.type == type ? nil : envelope }
        }
        for (exchange, audit, type) in [
            (CoordinatorSession.Exchange.star, 0.0, MessageType.stepDone), (.ring, 0, .stepDone), (.ring, 1, .auditDigests),
        ] {
            let harness = run(job, exchange: exchange, audit: audit, forge: withholding(type))
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(harness.exclusions.map(\.name), ["w3"], "\(exchange), \(type)")
            XCTAssertEqual(
                harness.exclusions.first?.cause, .noStepResult(at: TrainingPosition(epoch: 0, step: 5), timeout: timeout),
                "\(exchange), \(type)")
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected, "\(exchange), \(type)")
            XCTAssertFalse(harness.coordinator.shardOwners.contains(2), "its shard went to another worker")
        }
    }

    func testAWorkerThatWithholdsItsValidationSumsIsExcluded() throws {
        let job = try TrainingJob.seedJob(shards: 4, epochs: 3)
        let local = LocalTrainer(job: job)
        try local.train()
        for exchange in [CoordinatorSession.Exchange.star, .ring] {
            let harness = run(job, exchange: exchange) { envelope in
                if envelope.round == 1, case .validationSums = envelope.message { return nil }
                return envelope
            }
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(harness.exclusions.map(\.name), ["w3"], "\(exchange)")
            XCTAssertEqual(harness.exclusions.first?.cause, .noValidationResult(epoch: 2, timeout: timeout), "\(exchange)")
            XCTAssertTrue(harness.coordinatorEvents.contains { event in
                if case let .validationStalled(epoch, worker) = event { epoch == 2 && worker.info.name == "w3" } else { false }
            }, "it was asked once more first")
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), local.parameters.map(\.bitPattern), "\(exchange)")
            XCTAssertEqual(harness.coordinator.reports.map(\.values), local.progress.history.map(\.values), "\(exchange)")
        }
    }

    func testAResultOfTheWrongLengthExcludesItsSender() throws {
        let job = try TrainingJob.seedJob(shards: 4, epochs: 2)
        let expected = try undisturbed(job)
        let cases: [(CoordinatorSession.Exchange, (inout StepDone) -> Void)] = [
            (.star, { $0.gradients[0].removeLast() }),  // a gradient one value short
            (.ring, { $0.sums[0].removeLast() }),  // a ring's step-done carries no gradient: its sums
        ]
        for (exchange, shorten) in cases {
            let harness = run(job, exchange: exchange, forge: forgingStepDone(round: 4, shorten))
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(harness.exclusions.map(\.name), ["w3"], "\(exchange)")
            XCTAssertEqual(harness.exclusions.first?.cause, .wrongLength(.stepDone, shard: 3), "\(exchange)")
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected, "\(exchange)")
        }
    }

    /// A NaN in one worker's gradient while the others' are finite: without --audit its shard is
    /// computed again by another worker; with it, here. Either way the liar is excluded.
    func testANonFiniteGradientIsComputedAgainAndItsWorkerExcluded() throws {
        let job = try TrainingJob.seedJob(shards: 4, epochs: 2)
        let expected = try undisturbed(job)
        let position = TrainingPosition(epoch: 0, step: 7)
        let forge = forgingStepDone(round: 7) { $0.gradients[0][0] = .nan }
        // An audit that draws (almost) nothing: the NaN, not the draw, makes the coordinator compute it.
        for (audit, cause) in [(0.0, ExclusionCause.gradientNotFinite(shard: 3, at: position)), (1e-9, .gradientDiffers(shard: 3, at: position))] {
            let harness = run(job, exchange: .star, audit: audit, forge: forge)
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(harness.exclusions.map(\.name), ["w3"], "audit \(audit)")
            XCTAssertEqual(harness.exclusions.first?.cause, cause, "audit \(audit)")
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected, "audit \(audit)")
        }
    }

    /// The training itself diverging: every worker's result is as one process computes it, so the
    /// run stops where one process stops, and no worker is blamed.
    func testDivergenceStopsTheRunAtTheSameStepAndExcludesNobody() throws {
        var settings = JobSettings.seedJob
        settings.optimizer = "sgd"
        settings.learningRate = 1e30
        settings.loss = "mse"
        settings.layers = "30:relu,1:linear"
        settings.shards = 4
        let job = try TrainingJob(settings)
        var localError: JobError?
        XCTAssertThrowsError(try LocalTrainer(job: job).train()) { localError = $0 as? JobError }
        guard case let .diverged(epoch, step, _)? = localError else { return XCTFail("\(String(describing: localError))") }
        for exchange in [CoordinatorSession.Exchange.star, .ring] {
            let harness = run(job, exchange: exchange) { $0 }
            guard case let .failed(reason) = harness.coordinator.outcome else {
                XCTFail("\(exchange): \(String(describing: harness.coordinator.outcome))")
                continue
            }
            XCTAssertTrue(reason.hasPrefix("training diverged at epoch \(epoch), step \(step)"), "\(exchange): \(reason)")
            XCTAssertTrue(harness.exclusions.isEmpty, "\(exchange): \(harness.exclusions)")
        }
    }

    /// In a ring the coordinator sees only the summed gradient: one that is not finite stops the
    /// run as diverged at that step, naming it (docs/security.md says why no worker can be blamed);
    /// with --audit, after every shard of that step was computed here and found to be its owner's.
    func testANonFiniteTotalInARingStopsTheRunNamingTheStep() throws {
        let job = try TrainingJob.seedJob(shards: 4, epochs: 2)
        let poisonTotal: (Envelope) -> Envelope? = { envelope in
            guard envelope.round == 6, case var .total(chunk) = envelope.message else { return envelope }
            chunk.values[0] = .infinity
            return Envelope(jobId: envelope.jobId, round: envelope.round, message: .total(chunk))
        }
        for audit in [0, 1e-9] {
            let harness = ClusterHarness(
                job: job, workerCount: 3, timeouts: .init(worker: timeout), policy: .init(audit: audit), exchange: .ring)
            for _ in 0..<3 { harness.addWorker(forge: poisonTotal) }  // whichever sends the coordinator the total
            harness.runToCompletion()
            guard case let .failed(reason) = harness.coordinator.outcome else {
                XCTFail("audit \(audit): \(String(describing: harness.coordinator.outcome))")
                continue
            }
            XCTAssertTrue(reason.hasPrefix("training diverged at epoch 1, step 7"), reason)
            XCTAssertTrue(harness.exclusions.isEmpty, "audit \(audit): \(harness.exclusions)")
            if audit > 0 {
                XCTAssertGreaterThanOrEqual(harness.coordinator.auditedGradients ?? 0, 4, "every shard of the step")
            } else {
                XCTAssertTrue(reason.contains("--audit"), "it says what would tell: \(reason)")
            }
        }
    }
}
