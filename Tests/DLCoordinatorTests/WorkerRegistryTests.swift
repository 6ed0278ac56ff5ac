// The registry of workers, and how the events about them read and rank: what a person sees in
// the coordinator's log is each event's description at its level.

@testable import DLCoordinator
import DLProtocol
import XCTest

final class WorkerRegistryTests: XCTestCase {
    private let clock = ContinuousClock()

    private func info(_ name: String) -> WorkerInfo { WorkerInfo(name: name, host: "node-a", pid: 42, version: "0.2.0", peerEndpoint: "tcp://10.0.0.1:4000") }

    func testALostWorkerKeepsItsIndexAndItsPeerBecomesAStranger() {
        var registry = WorkerRegistry()
        let first = registry.register(peer: [1], info: info("a"), now: clock.now)
        let second = registry.register(peer: [2], info: info("b"), now: clock.now)
        XCTAssertEqual([first.index, second.index], [0, 1])
        XCTAssertTrue(registry.worker(for: [2]) === second)
        XCTAssertTrue(registry.hasNewcomer)

        registry.markLost(second)
        XCTAssertNil(registry.worker(for: [2]))
        XCTAssertEqual(registry.live.map(\.index), [0])
        XCTAssertEqual(registry.all.count, 2)

        let again = registry.register(peer: [2], info: info("b"), now: clock.now)
        XCTAssertEqual(again.index, 2, "a worker that comes back registers anew")
    }

    func testWhatAPersonHasToActOnIsAWarning() {
        let worker = WorkerRecord(index: 2, info: info("w3"))
        XCTAssertEqual(CoordinatorEvent.workerJoined(worker, expected: 4).level, .info)
        XCTAssertEqual(CoordinatorEvent.workerLost(worker, reason: "failed").level, .warning)
        XCTAssertEqual(CoordinatorEvent.peerRejected(theirVersion: 1).level, .warning)
        XCTAssertEqual(CoordinatorEvent.messageDropped(from: nil, type: .ready, reason: .undecodable(.unknownType(99))).level, .warning)
        // A worker of a restarted coordinator: asked to register, which it does.
        XCTAssertEqual(CoordinatorEvent.messageDropped(from: nil, type: .heartbeat, reason: .unregistered).level, .notice)
        XCTAssertEqual(
            CoordinatorEvent.messageDropped(from: worker, type: .stepDone, reason: .wrongRound(3, expected: 4)).level,
            .notice)
        XCTAssertEqual(CoordinatorEvent.paused(liveWorkers: 1, needed: 2, waiting: .seconds(60)).level, .warning)
        XCTAssertEqual(CoordinatorEvent.shardsMoved([1], to: worker, rebalancing: true).level, .notice)
    }

    func testEventsReadAsLogLinesNamingTheWorker() {
        let worker = WorkerRecord(index: 2, info: info("w3"))
        XCTAssertEqual("\(CoordinatorEvent.workerJoined(worker, expected: 4))", "worker 3/4 joined: w3 (node-a pid 42, dltrain 0.2.0)")
        XCTAssertEqual(
            "\(CoordinatorEvent.messageDropped(from: worker, type: .stepDone, reason: .wrongRound(3, expected: 4)))",
            "dropped a step-done message from worker 3 (w3, node-a pid 42): round 3, expected 4")
        XCTAssertEqual(
            "\(CoordinatorEvent.shardsWithoutWorker([0, 3], waiting: .seconds(30)))",
            "no worker left for shard(s) 0,3; waiting up to 30 s for workers to join")
    }
}
