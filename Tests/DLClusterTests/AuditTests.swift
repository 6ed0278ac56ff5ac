// --audit in memory, in a star (the coordinator compares the gradients it adds) and in a ring (it
// compares the digests the owners send): a worker that flips one bit of one gradient (the
// DLTRAIN_FAULT_FLIP_BIT hook) is caught when the coordinator checks every gradient, named and
// excluded (and told why), and the step runs again without it, so the weights are the
// single-process ones; without the audit the same flip changes them, which shows the flip is there
// to be caught.

import DLCoordinator
import DLTestSupport
import DLTraining
import XCTest

final class AuditTests: XCTestCase {
    /// Early in the run, while the seed model's gradients still move its weights.
    private let flipRound: UInt64 = 2

    private func run(audit: Double, exchange: CoordinatorSession.Exchange) throws
        -> (harness: ClusterHarness, expected: [UInt32], steps: Int)
    {
        let job = try TrainingJob.seedJob(shards: 4, epochs: 2)
        let trainer = LocalTrainer(job: job)
        _ = try trainer.train()
        let harness = ClusterHarness(job: job, workerCount: 3, policy: .init(audit: audit), exchange: exchange)
        harness.addWorker()
        harness.addWorker()
        harness.addWorker(faultFlipRound: flipRound)
        harness.runToCompletion()
        XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
        return (harness, trainer.parameters.map(\.bitPattern), job.schedule.stepsPerEpoch)
    }

    func testAFlippedBitIsCaughtTheWorkerExcludedAndTheWeightsKept() throws {
        try checkTheFlipIsCaught(exchange: .star)
    }

    func testAFlippedBitIsCaughtInARingByItsDigest() throws {
        try checkTheFlipIsCaught(exchange: .ring)
    }

    private func checkTheFlipIsCaught(exchange: CoordinatorSession.Exchange) throws {
        let (harness, expected, steps) = try run(audit: 1, exchange: exchange)
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected)
        XCTAssertEqual(harness.exclusions.map(\.name), ["w3"], "only the worker that flipped a bit is excluded")
        XCTAssertEqual(harness.lostWorkers, [], "and no other is lost")
        let flipped = TrainingPosition(epoch: Int(flipRound) / steps, step: Int(flipRound) % steps)
        XCTAssertEqual(harness.exclusions.first?.cause, .gradientDiffers(shard: 3, at: flipped), "w3's first shard, round \(flipRound)")
        guard case let .failed(reason) = harness.workers[2].outcome else { return XCTFail("w3 goes on: \(String(describing: harness.workers[2].outcome))") }
        XCTAssertTrue(reason.hasPrefix("the coordinator refused this worker: excluded from this run: its gradient"), reason)
        XCTAssertGreaterThanOrEqual(harness.coordinator.auditedGradients ?? 0, 4 * 2 * steps, "every shard of every step")
    }

    func testWithoutTheAuditTheFlipChangesTheWeights() throws {
        for exchange in [CoordinatorSession.Exchange.star, .ring] {
            let (harness, expected, _) = try run(audit: 0, exchange: exchange)
            let differing = zip(harness.coordinator.parameters.map(\.bitPattern), expected).filter { $0 != $1 }.count
            XCTAssertGreaterThan(differing, 0, "\(exchange): the flip changes the weights")
            XCTAssertNil(harness.coordinator.auditedGradients)
        }
    }

    /// A partial audit draws some shards each step, and an honest run is left as it would be.
    func testAPartialAuditOfHonestWorkersChangesNothing() throws {
        let job = try TrainingJob.seedJob(shards: 4, epochs: 2)
        let trainer = LocalTrainer(job: job)
        _ = try trainer.train()
        for exchange in [CoordinatorSession.Exchange.star, .ring] {
            let harness = ClusterHarness(job: job, workerCount: 2, policy: .init(audit: 0.25), exchange: exchange)
            harness.addWorker()
            harness.addWorker()
            harness.runToCompletion()
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), trainer.parameters.map(\.bitPattern), "\(exchange)")
            XCTAssertTrue(harness.exclusions.isEmpty && harness.lostWorkers.isEmpty, "\(exchange): no honest worker is excluded: \(harness.exclusions)")
            let audited = harness.coordinator.auditedGradients ?? 0
            let all = 4 * 2 * job.schedule.stepsPerEpoch
            XCTAssertTrue(audited > 0 && audited < all, "\(exchange): \(audited) of \(all) gradients audited")
        }
    }
}
