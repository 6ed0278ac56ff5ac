// Failures recovered in memory, deterministically: a worker lost mid-step, a worker that leaves
// (SIGTERM), a worker that joins mid-run, a worker that comes back after being declared lost, a
// run that loses every worker and gets one back, and a resumed checkpoint. Each ends with the undisturbed run's weights, bit for bit.

import DLCoordinator
import DLCore
import DLProtocol
import DLRun
import DLTestSupport
import DLTraining
import DLWorker
import Foundation
import XCTest

final class RecoveryTests: XCTestCase {
    private func job(shards: Int = 4, epochs: Int = 4) throws -> TrainingJob {
        try .seedJob(shards: shards, epochs: epochs)
    }

    private func undisturbed(_ job: TrainingJob) throws -> [UInt32] {
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        return trainer.parameters.map(\.bitPattern)
    }


    func testALostWorkersShardsAreRecomputedElsewhere() throws {
        let job = try job()
        for exchange in [CoordinatorSession.Exchange.ring, .star] {
            let harness = ClusterHarness(job: job, workerCount: 4, timeouts: .init(worker: .seconds(2)), exchange: exchange)
            for _ in 0..<4 { harness.addWorker() }
            harness.advance(ticks: 30)
            XCTAssertNil(harness.coordinator.outcome)
            harness.silenced = [2]  // as if killed mid-step: what it was computing never arrives
            harness.runToCompletion(perTick: 6)
            XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), try undisturbed(job), "\(exchange)")
            XCTAssertEqual(harness.lostWorkers, [2])
            XCTAssertTrue(harness.coordinatorEvents.contains {
                if case let .workerLost(worker, reason) = $0 { worker.info.name == "w3" && reason.hasPrefix("has sent nothing for 2 s") }
                else { false }
            })
            XCTAssertTrue(harness.coordinatorEvents.contains {
                if case let .shardsMoved(shards, _, rebalancing) = $0 { shards == [2] && !rebalancing } else { false }
            }, "the lost worker's shard went to another worker")
            XCTAssertFalse(harness.coordinator.shardOwners.contains(2), "no shard is left with the lost worker")
        }
    }

    func testAWorkerThatLeavesHandsItsShardsOnAtOnce() throws {
        let job = try job()
        // A worker timeout longer than the run: only the worker's own word can move its shards.
        let harness = ClusterHarness(job: job, workerCount: 4, timeouts: .init(worker: .seconds(3600)))
        for _ in 0..<4 { harness.addWorker() }
        harness.advance(ticks: 30)
        XCTAssertNil(harness.coordinator.outcome)
        harness.workers[2].leave(because: "it was stopped (SIGTERM)", now: harness.now)  // as dlworker does on SIGTERM
        XCTAssertNil(harness.workers[2].outcome, "it waits for the coordinator to acknowledge its goodbye")
        harness.deliver()
        XCTAssertEqual(harness.workers[2].outcome, .left("it was stopped (SIGTERM)", .acknowledged))
        harness.runToCompletion(perTick: 6)
        XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), try undisturbed(job))
        XCTAssertEqual(harness.lostWorkers, [2])
        XCTAssertTrue(harness.coordinatorEvents.contains {
            if case let .workerLost(worker, reason) = $0 { worker.info.name == "w3" && reason == "failed: it was stopped (SIGTERM)" }
            else { false }
        }, harness.recentLog)
    }

    func testAWorkerJoiningMidRunTakesOverShards() throws {
        let job = try job(shards: 6)
        let harness = ClusterHarness(job: job, workerCount: 2)
        harness.addWorker()
        harness.addWorker()
        harness.advance(ticks: 60)
        XCTAssertNil(harness.coordinator.outcome)
        harness.addWorker()
        harness.runToCompletion(perTick: 6)
        XCTAssertEqual(harness.coordinator.outcome, .finished)
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), try undisturbed(job))
        XCTAssertEqual(harness.coordinator.shardOwners.filter { $0 == 2 }.count, 2, "the newcomer holds a third of the shards")
        XCTAssertTrue(harness.coordinatorEvents.contains {
            if case let .workerJoined(worker, expected) = $0 { worker.index == 2 && expected == nil } else { false }
        })
        let moved = harness.coordinatorEvents.compactMap {
            if case let .shardsMoved(shards, worker, true) = $0, worker.index == 2 { shards } else { nil }
        }
        XCTAssertEqual(moved.map(\.count), [2], "the newcomer was sent two shards once, by rebalancing")
    }

    func testAWorkerDeclaredLostComesBackAndIsReadmitted() throws {
        // Long enough that the run is still going when the worker comes back.
        let job = try job(epochs: 30)
        let harness = ClusterHarness(job: job, workerCount: 2, timeouts: .init(worker: .seconds(2)))
        harness.addWorker()
        harness.addWorker()
        harness.advance(ticks: 60)
        harness.silenced = [1]  // stopped (SIGSTOP) for longer than the timeout
        harness.advance(ticks: 300)
        XCTAssertEqual(harness.lostWorkers, [1])
        harness.silenced = []  // continued (SIGCONT): it is told to register again, and is
        harness.runToCompletion(perTick: 2)
        XCTAssertEqual(harness.coordinator.outcome, .finished)
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), try undisturbed(job))
        XCTAssertTrue(harness.workerEvents[1].contains { if case .askedToRegisterAgain = $0 { true } else { false } })
        XCTAssertEqual(harness.coordinator.registeredWorkers.count, 3, "it came back as a new registration")
    }

    func testARunWithoutWorkersWaitsForOneThenGoesOn() throws {
        let job = try job()
        let harness = ClusterHarness(job: job, workerCount: 1, timeouts: .init(worker: .seconds(2), rejoin: .seconds(30)))
        harness.addWorker()
        harness.advance(ticks: 20)
        XCTAssertGreaterThan(harness.coordinator.progress.position.step, 0, "the run is under way")
        XCTAssertNil(harness.coordinator.outcome)
        harness.silenced = [0]
        harness.advance(ticks: 500)
        XCTAssertNil(harness.coordinator.outcome, "still waiting")
        XCTAssertTrue(harness.coordinatorEvents.contains(.shardsWithoutWorker([0, 1, 2, 3], waiting: .seconds(30))))
        harness.addWorker()
        harness.runToCompletion(perTick: 6)
        XCTAssertEqual(harness.coordinator.outcome, .finished)
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), try undisturbed(job))
    }

    func testARunThatCannotGoOnStopsWithACheckpoint() throws {
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
        XCTAssertNil(harness.coordinator.outcome)
        harness.silenced = [0]
        harness.runToCompletion(perTick: 6)
        guard case let .failed(reason) = harness.coordinator.outcome else { return XCTFail("\(String(describing: harness.coordinator.outcome))") }
        XCTAssertTrue(reason.hasPrefix("0 worker(s) remain, the run needs 1, and none joined within 5 s"), reason)
        XCTAssertTrue(reason.contains("; checkpoint \(directory)/checkpoint-"), reason)

        // Resuming that checkpoint, with another worker, ends with the undisturbed weights.
        let (checkpoint, path) = try Checkpointer.newest(in: directory) { _ in }
        try Resumption.check(job, against: checkpoint, path: path)
        XCTAssertGreaterThan(checkpoint.position.epoch * job.schedule.stepsPerEpoch + checkpoint.position.step, 0)
        let resumed = ClusterHarness(job: job, workerCount: 1, progress: checkpoint.progress(for: job))
        resumed.addWorker()
        resumed.runToCompletion(perTick: 6)
        XCTAssertEqual(resumed.coordinator.outcome, .finished)
        XCTAssertEqual(resumed.coordinator.parameters.map(\.bitPattern), try undisturbed(job))
        XCTAssertEqual(resumed.coordinator.reports.map(\.epoch), [1, 2, 3, 4])
    }

    func testAStepStuckBetweenWorkersIsSentAgainThenEndsTheRunNamingThem() throws {
        let job = try job(epochs: 30)
        let harness = ClusterHarness(job: job, workerCount: 2, timeouts: .init(worker: .seconds(2)))
        harness.addWorker()
        harness.addWorker()
        harness.advance(ticks: 20)
        harness.peerLinksCut = true  // both still answer the coordinator: nobody is lost
        harness.runToCompletion(perTick: 6)
        guard case let .failed(reason) = harness.coordinator.outcome else { return XCTFail(harness.recentLog) }
        XCTAssertTrue(reason.contains("did not complete within 2 s, twice"), reason)
        XCTAssertTrue(reason.contains("must reach each other's peer endpoints"), reason)
        let stalls = harness.coordinatorEvents.compactMap { if case let .stepStalled(_, _, retrying) = $0 { retrying } else { nil } }
        XCTAssertEqual(stalls, [true, false], "sent once more, then given up")
        XCTAssertEqual(harness.lostWorkers, [])
    }

    func testAStepStuckBetweenWorkersGoesOnWhenTheLinkComesBack() throws {
        let job = try job()
        let harness = ClusterHarness(job: job, workerCount: 2, timeouts: .init(worker: .seconds(2)))
        harness.addWorker()
        harness.addWorker()
        harness.advance(ticks: 20)
        harness.peerLinksCut = true
        harness.advance(ticks: 100)  // the step in progress is lost between the workers
        harness.peerLinksCut = false  // back before the worker timeout, when the step is sent again
        harness.runToCompletion(perTick: 6)
        XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), try undisturbed(job))
        XCTAssertTrue(harness.coordinatorEvents.contains(where: {
            if case .stepStalled(_, _, true) = $0 { true } else { false }
        }))
    }
}
