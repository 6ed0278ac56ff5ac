// ReduceLROnPlateau distributed: the coordinator decides on the same epoch reports as one process,
// and the lowered rate reaches every worker's copy of the optimizer with the epoch's first
// compute-step (or in the state a worker that takes over shards is sent), so a run with workers
// (star and ring, losing a worker on the way) trains with the same rates and ends with the same
// weights as `--local` with the same shards, bit for bit; so does a coordinator resumed from a
// checkpoint taken after a reduction, whose workers get the lowered rate in their first state.

import DLCoordinator
import DLCore
import DLProtocol
import DLRun
import DLTestSupport
import DLTraining
import XCTest

final class PlateauClusterTests: XCTestCase {
    private func job() throws -> TrainingJob {
        var settings = JobSettings.breastCancerJob
        settings.epochs = 6
        settings.shards = 4
        // Gains below min_delta from the start: the rate is halved after the second epoch, then
        // (a cooldown of 2 counting down to 0 in the second) every other epoch.
        settings.fit.reduceLROnPlateau = "factor=0.5,patience=1,min_delta=10,cooldown=2"
        return try TrainingJob(settings)
    }

    func testWorkersTrainWithTheCoordinatorsLoweredRate() throws {
        let job = try job()
        let local = LocalTrainer(job: job)
        try local.train()
        let rates = local.progress.history.map { $0.value("learning_rate") }
        let configured = Double(job.optimizer.learningRate)
        XCTAssertEqual(rates, [1, 1, 0.5, 0.5, 0.25, 0.25].map { configured * $0 })
        for exchange in [CoordinatorSession.Exchange.star, .ring] {
            let harness = ClusterHarness(job: job, workerCount: 3, timeouts: .init(worker: .seconds(2)), exchange: exchange)
            harness.traffic = []
            for _ in 0..<3 { harness.addWorker() }
            // Lost in the third epoch, after the first reduction: its shards move to workers that
            // must already train at the lowered rate.
            for _ in 0..<10_000 where harness.coordinator.progress.position.epoch < 2 || harness.coordinator.progress.position.step < 3 {
                harness.advance(.milliseconds(10))
                harness.deliver(limit: 6)
            }
            harness.silenced = [1]
            harness.runToCompletion(perTick: 6)
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(harness.coordinator.progress.history.map(\.values), local.progress.history.map(\.values), "\(exchange)")
            XCTAssertEqual(harness.coordinator.progress.reduceLROnPlateau, local.progress.reduceLROnPlateau, "\(exchange)")
            XCTAssertEqual(harness.coordinator.progress.optimizer.learningRate, local.progress.optimizer.learningRate)
            XCTAssertEqual(
                harness.coordinator.progress.parameters.map(\.bitPattern), local.parameters.map(\.bitPattern), "\(exchange)")
            // The compute-steps carried each rate the epochs trained with, and no other.
            let sent = Set((harness.traffic ?? []).compactMap { traffic -> Float? in
                guard case let .computeStep(_, rate, _) = traffic.message else { return nil }
                return rate
            })
            XCTAssertEqual(sent, Set(rates.compactMap { $0.map(Float.init) }), "\(exchange)")
        }
    }

    func testACoordinatorResumedAfterAReductionSendsTheLoweredRate() throws {
        let job = try job()
        let local = LocalTrainer(job: job)
        try local.train()
        // Stopped mid-way through the fourth epoch, after the first reduction; checkpointed and read back.
        let stopped = LocalTrainer(job: job)
        try stopped.train(stopRequested: { stopped.progress.position == TrainingPosition(epoch: 3, step: 5) })
        let path = try temporaryDirectory(self) + "/c.safetensors"
        try Checkpoint(job: job, progress: stopped.progress).write(to: path)
        let checkpoint = try Checkpoint.read(path: path)
        XCTAssertEqual(checkpoint.optimizer.learningRate, job.optimizer.learningRate / 2)
        try Resumption.check(job, against: checkpoint, path: path)

        let resumed = ClusterHarness(job: job, workerCount: 2, progress: checkpoint.progress(for: job))
        resumed.traffic = []
        resumed.addWorker()
        resumed.addWorker()
        resumed.runToCompletion(perTick: 6)
        XCTAssertEqual(resumed.coordinator.outcome, .finished, resumed.recentLog)
        XCTAssertEqual(resumed.coordinator.parameters.map(\.bitPattern), local.parameters.map(\.bitPattern))
        let states = (resumed.traffic ?? []).compactMap { traffic -> Float? in
            if case let .state(state) = traffic.message { state.learningRate } else { nil }
        }
        // Each worker's first state is the checkpoint's, with its lowered rate.
        XCTAssertEqual(Array(states.prefix(2)), [job.optimizer.learningRate / 2, job.optimizer.learningRate / 2])
    }
}
