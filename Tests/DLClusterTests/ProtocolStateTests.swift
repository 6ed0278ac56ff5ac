// The coordinator and worker state machines, driven in memory: a distributed run gives the
// single-process weights bit for bit whatever the number of workers and the arrival order, bad
// messages are refused without disturbing the run, and every wait ends in a clear failure.

import DLCoordinator
import DLCore
import DLProtocol
import DLTestSupport
import DLTraining
import DLWorker
import XCTest

final class ProtocolStateTests: XCTestCase {
    private func job(shards: Int = 4, epochs: Int = 3, validation: Double = 0.2) throws -> TrainingJob {
        try .seedJob(shards: shards, epochs: epochs, validation: validation)
    }

    private func localResult(_ job: TrainingJob) throws -> (parameters: [Float], reports: [EpochReport]) {
        let trainer = LocalTrainer(job: job)
        let reports = try trainer.train()
        return (trainer.parameters, reports)
    }

    private func run(_ harness: ClusterHarness, workers: Int) {
        for _ in 0..<workers { harness.addWorker() }
        harness.runToCompletion()
    }

    func testAnyNumberOfWorkersGivesTheSingleProcessWeights() throws {
        let job = try job(shards: 6)
        let expected = try localResult(job)
        for workerCount in 1...5 {
            for exchange in [CoordinatorSession.Exchange.ring, .star] {
                let harness = ClusterHarness(job: job, workerCount: workerCount, exchange: exchange)
                run(harness, workers: workerCount)
                XCTAssertEqual(harness.coordinator.outcome, .finished, "\(workerCount) workers: \(harness.recentLog)")
                XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected.parameters.map(\.bitPattern))
                XCTAssertEqual(harness.coordinator.reports.map(\.values), expected.reports.map(\.values))
                for worker in harness.workers {
                    XCTAssertEqual(worker.outcome, .stopped(finished: true, reason: "the job finished"))
                }
                XCTAssertTrue(harness.coordinator.isSettled, "every worker confirmed the stop")
            }
        }
    }

    func testArrivalOrderDoesNotMatter() throws {
        let job = try job()
        let expected = try localResult(job)
        for exchange in [CoordinatorSession.Exchange.ring, .star] {
            let harness = ClusterHarness(job: job, workerCount: 4, exchange: exchange)
            harness.scramble = SeededGenerator(seed: 5)
            run(harness, workers: 4)
            XCTAssertEqual(harness.coordinator.outcome, .finished, "\(exchange)")
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected.parameters.map(\.bitPattern))
        }
    }

    func testGarbageOtherJobsAndStaleMessagesAreDroppedWithoutEffect() throws {
        let job = try job()
        let expected = try localResult(job)
        let harness = ClusterHarness(job: job, workerCount: 2)
        harness.addWorker()
        harness.addWorker()
        var injected = 0
        var ticks = 0
        while harness.coordinator.outcome == nil && ticks < 100_000 {
            harness.advance(.milliseconds(10))
            ticks += 1
            if ticks % 3 == 0 && injected < 40 {
                injected += 1
                let peer = ClusterHarness.peer(injected % 2)
                let fake = GradientChunk(ringVersion: 1, hop: 1, chunk: 0, values: [Float](repeating: 1e6, count: job.model.layout.count))
                switch injected % 4 {
                case 0: harness.toCoordinator.append((peer, [UInt8]("garbage".utf8)))
                case 1: harness.toCoordinator.append((peer, MessageCodec.encode(Envelope(jobId: 0x9999, round: 0, message: .total(fake)))))
                case 2: harness.toCoordinator.append((peer, MessageCodec.encode(Envelope(jobId: 0x1234, round: 999_999, message: .total(fake)))))
                default: harness.toCoordinator.append(([9, 9], MessageCodec.encode(Envelope(jobId: 0x1234, round: 0, message: .ready))))
                }
            }
            harness.deliver(limit: 10)
        }
        XCTAssertEqual(harness.coordinator.outcome, .finished)
        XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected.parameters.map(\.bitPattern))
        let drops = harness.drops
        XCTAssertTrue(drops.contains { $0.sender == 0 && $0.reason == .undecodable(.notADltrainMessage(size: 7)) })
        XCTAssertTrue(drops.contains { $0.sender == 1 && $0.reason == .wrongJob(theirs: 0x9999, ours: 0x1234) })
        XCTAssertTrue(drops.contains {
            if case .wrongRound(999_999, _) = $0.reason { $0.type == .total } else { false }
        })
        XCTAssertTrue(drops.contains { $0.sender == nil && $0.type == .ready && $0.reason == .unregistered })
        // Other jobs and junk are warnings; a registered worker's late or misplaced message is
        // routine after a recovery, and an unknown worker's after a restart (it is asked to register).
        for event in harness.coordinatorEvents {
            guard case let .messageDropped(_, _, reason) = event else { continue }
            switch reason {
            case .undecodable, .wrongJob: XCTAssertEqual(event.level, .warning, "\(event)")
            default: XCTAssertEqual(event.level, .notice, "\(event)")
            }
        }
    }

    func testJunkFromAnotherWorkerIsLoggedOncePerIntervalAndChangesNothing() throws {
        let job = try job()
        let expected = try localResult(job)
        /// Worker 1's log lines in a ring run; with `flood`, 2,000 unreadable messages reach its peer
        /// socket as soon as the ring runs, within one logging interval (the clock moves 10 ms a tick).
        func workerLogLines(flood: Bool) throws -> Int {
            let harness = ClusterHarness(job: job, workerCount: 2, exchange: .ring)
            harness.addWorker()
            harness.addWorker()
            var ticks = 0
            var flooded = false
            while harness.coordinator.outcome == nil && ticks < 100_000 {
                harness.advance(.milliseconds(10))
                ticks += 1
                if flood, !flooded, harness.workers[1].expectsPeerTraffic {
                    flooded = true
                    for _ in 0..<2_000 { harness.betweenWorkers.append((1, [UInt8]("junk".utf8))) }
                }
                harness.deliver(limit: 100)
            }
            XCTAssertEqual(flooded, flood, "the ring never ran")
            XCTAssertEqual(harness.coordinator.outcome, .finished)
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), expected.parameters.map(\.bitPattern))
            harness.workers[1].flushDropCounts()
            return harness.workerLogs[1].count
        }
        // The first drop at once, and the count of the 1,999 others when the socket closes.
        XCTAssertEqual(try workerLogLines(flood: true) - workerLogLines(flood: false), 2)
    }

    func testAWorkerOfAnotherVersionIsRefusedAndTheRunGoesOn() throws {
        let job = try job(epochs: 1)
        let harness = ClusterHarness(job: job, workerCount: 2)
        var hello = MessageCodec.encode(Envelope(jobId: 0, round: 0, message: .hello(
            WorkerInfo(name: "old", host: "h", pid: 1, version: "9", peerEndpoint: "ipc://mem/old"))))
        hello[4] = UInt8(MessageCodec.version + 1)  // the protocol's next version
        harness.toCoordinator.append(([7, 7], hello))
        harness.deliver()
        let reply = try XCTUnwrap(harness.toWorkers[[7, 7]]?.first)
        guard case let .reject(reason) = try MessageCodec.decode(reply).message else { return XCTFail("no reject") }
        XCTAssertTrue(reason.contains("this coordinator speaks dltrain protocol version \(MessageCodec.version)"), reason)
        XCTAssertEqual(harness.coordinator.registeredWorkers.count, 0)
        run(harness, workers: 2)
        XCTAssertEqual(harness.coordinator.outcome, .finished)
    }

    func testTooFewWorkersEndTheWaitWithANamedCount() throws {
        let harness = ClusterHarness(job: try job(), workerCount: 3, timeouts: .init(registration: .seconds(5)))
        harness.addWorker()
        harness.runToCompletion()
        XCTAssertEqual(
            harness.coordinator.outcome,
            .failed("only 1 of 3 workers registered within 5 s (w1); start more dlworker processes or lower --workers"))
        XCTAssertEqual(harness.workers[0].outcome, .stopped(finished: false, reason:
            "only 1 of 3 workers registered within 5 s (w1); start more dlworker processes or lower --workers"))
    }

    func testHeartbeatsKeepIdleWorkersAlive() throws {
        // A coordinator waiting for its third worker keeps the two that came, for longer than any timeout.
        let harness = ClusterHarness(job: try job(), workerCount: 3, timeouts: .init(registration: .seconds(120), worker: .seconds(3)))
        harness.addWorker()
        harness.addWorker()
        for _ in 0..<600 { harness.advance(.milliseconds(100)); harness.deliver() }
        XCTAssertNil(harness.coordinator.outcome)
        XCTAssertTrue(harness.workers.allSatisfy { $0.outcome == nil })
        harness.addWorker()
        harness.runToCompletion()
        XCTAssertEqual(harness.coordinator.outcome, .finished)
    }

    func testAWorkerThatLosesItsCoordinatorRetriesForABoundedTime() throws {
        let harness = ClusterHarness(job: try job(epochs: 50), workerCount: 1)
        let index = harness.addWorker(timeouts: .init(reconnect: .seconds(4), coordinator: .seconds(2)))
        for _ in 0..<20 { harness.advance(.milliseconds(10)); harness.deliver(limit: 10) }
        XCTAssertNil(harness.workers[index].outcome)
        // The coordinator vanishes: nothing reaches it, nothing comes from it.
        let worker = harness.workers[index]
        var now = harness.now
        for _ in 0..<25 {
            now = now + .milliseconds(100)
            worker.tick(now: now)
        }
        XCTAssertTrue(worker.isRegistering)
        XCTAssertEqual(harness.workerEvents[index], [.coordinatorLost(silentFor: .seconds(2), registeringFor: .seconds(4))])
        for _ in 0..<50 {
            now = now + .milliseconds(100)
            worker.tick(now: now)
        }
        guard case let .unreachable(wait) = worker.outcome else { return XCTFail("\(String(describing: worker.outcome))") }
        XCTAssertGreaterThan(wait.waited, .seconds(4))
        XCTAssertEqual(wait.sighting, .nothingYet)
    }
}
