// Waits between a worker and its coordinator that must say what they wait for, in memory: a
// registering worker reports every few seconds what its socket's monitor saw (nothing listening, a
// handshake refused, no answer, a name that does not resolve), at once when a handshake is refused,
// and gives up naming the address, port and secret file; a worker told to stop waits for the
// coordinator to acknowledge its goodbye, sends it again when it was lost, and says so when no
// acknowledgement comes; a coordinator still waiting for its workers says whom it has and whom it
// turned away, and names them when it gives up.

import DLCoordinator
import DLCore
import DLProtocol
import DLTestSupport
import DLTraining
import DLTransport
import DLWorker
import XCTest

final class ConnectionWaitTests: XCTestCase {
    private let clock = ContinuousClock()
    private let address = CoordinatorAddress(endpoint: "tcp://10.0.0.5:5755", secretFile: "/home/me/.dltrain-secret")

    /// A worker with no coordinator behind its socket (nothing it sends is taken), and its events.
    private func lonelyWorker(holdsSecret: Bool = true, reconnect: Duration = .seconds(60))
        -> (WorkerSession, () -> [WorkerEvent])
    {
        var events: [WorkerEvent] = []
        let info = WorkerInfo(name: "w1", host: "test", pid: 1, version: "test", peerEndpoint: "ipc://mem/0")
        let worker = WorkerSession(
            info: info, address: address, holdsSecret: holdsSecret, timeouts: .init(reconnect: reconnect), now: clock.now,
            send: { _ in false }, sendToPeer: { _, _ in false }, log: { _, _ in }, events: { events.append($0) })
        return (worker, { events })
    }

    /// Ticks `worker` every 100 ms for `duration` from `start`, feeding `each` tick's connection
    /// events; returns the time reached.
    @discardableResult
    private func wait(
        _ worker: WorkerSession, from start: ContinuousClock.Instant, for duration: Duration,
        each events: [ConnectionEvent] = []
    ) -> ContinuousClock.Instant {
        var now = start
        while now - start < duration && worker.outcome == nil {
            now = now + .milliseconds(100)
            worker.observe(events, now: now)
            worker.tick(now: now)
        }
        return now
    }

    private func sightings(_ events: [WorkerEvent]) -> [CoordinatorSighting] {
        events.compactMap { if case let .waitingForCoordinator(wait) = $0 { wait.sighting } else { nil } }
    }

    func testAWorkerFindingNothingListeningSaysSoEveryFewSecondsAndNamesTheAddressWhenItGivesUp() {
        let (worker, events) = lonelyWorker(reconnect: .seconds(12))
        let refused: [ConnectionEvent] = [.attemptStarted, .attemptClosed, .retryScheduled]
        wait(worker, from: clock.now, for: .seconds(11), each: refused)
        XCTAssertNil(worker.outcome)
        XCTAssertEqual(sightings(events()).count, 2, "at 5 and 10 s: \(events())")
        for event in events() {
            guard case let .waitingForCoordinator(wait) = event, case let .nothingListening(attempts) = wait.sighting else {
                return XCTFail("\(event)")
            }
            XCTAssertGreaterThan(attempts, 40)
            XCTAssertEqual(event.level, .notice, "a worker may well start before its coordinator")
            XCTAssertTrue("\(event)".contains("connection refused"), "\(event)")
        }
        wait(worker, from: clock.now + .seconds(11), for: .seconds(2), each: refused)
        guard case let .unreachable(wait) = worker.outcome else { return XCTFail("\(String(describing: worker.outcome))") }
        guard case .nothingListening = wait.sighting else { return XCTFail("\(wait.sighting)") }
        for part in ["tcp://10.0.0.5:5755", "10.0.0.5 port 5755", "connection refused", "/home/me/.dltrain-secret"] {
            XCTAssertTrue(wait.failure.contains(part), "\(part) in: \(wait.failure)")
        }
    }

    /// A coordinator of another secret hangs up in the handshake: said at once, as a warning.
    func testAHandshakeOfAnotherSecretIsReportedWithinASecond() {
        let (worker, events) = lonelyWorker()
        let start = clock.now
        worker.observe([.attemptStarted, .connected, .handshakeFailed(.noDetail), .disconnected, .retryScheduled], now: start)
        XCTAssertEqual(sightings(events()), [.handshakeRefused(times: 1)])
        XCTAssertEqual(events().first?.level, .warning)
        XCTAssertTrue("\(events()[0])".contains("the coordinator holds another secret (or this worker lacks it)"), "\(events()[0])")
        // Further refusals wait for the next status.
        wait(worker, from: start, for: .seconds(4.5), each: [.attemptStarted, .connected, .handshakeFailed(.noDetail), .retryScheduled])
        XCTAssertEqual(sightings(events()).count, 1)
    }

    /// One side encrypts and the other does not: libzmq never tries again, so neither does the worker.
    func testASecretAgainstNoneEndsTheWaitAtOnceWithWhatToDo() {
        for holdsSecret in [false, true] {
            let (worker, _) = lonelyWorker(holdsSecret: holdsSecret)
            worker.observe([.attemptStarted, .connected, .handshakeFailed(.mechanismMismatch), .disconnected], now: clock.now)
            guard case let .unreachable(wait) = worker.outcome else { return XCTFail("\(String(describing: worker.outcome))") }
            XCTAssertEqual(wait.sighting, .encryptionMismatch)
            XCTAssertTrue(wait.failure.contains(holdsSecret ? "give dlcoord the same --secret-file" : "with --secret-file"), wait.failure)
        }
    }

    func testEachStageAConnectionReachesIsNamed() {
        let cases: [([ConnectionEvent], [ConnectionEvent], CoordinatorSighting)] = [
            ([], [.retryScheduled], .nameDoesNotResolve(attempts: 50)),
            ([.attemptStarted], [], .noAnswer),
            ([.attemptStarted, .connected], [], .silentListener),
            ([.attemptStarted, .connected, .handshakeSucceeded], [], .helloUnanswered),
            ([.attemptStarted, .connected, .handshakeFailed(.protocolError(code: 0x1000_0000))], [], .notACoordinator),
        ]
        for (first, each, expected) in cases {
            let (worker, events) = lonelyWorker()
            worker.observe(first, now: clock.now)
            wait(worker, from: clock.now, for: .seconds(5), each: each)
            let seen = expected.isFinal ? (worker.outcome.flatMap { if case let .unreachable(wait) = $0 { [wait.sighting] } else { nil } } ?? [])
                : sightings(events())
            XCTAssertEqual(seen, [expected], "\(first)")
        }
    }

    /// A worker registered with a coordinator that waits for more workers hears its heartbeats, and
    /// has nothing to report.
    func testARegisteredWorkerWaitingForTheOthersSaysNothing() throws {
        let harness = ClusterHarness(job: try .seedJob(shards: 2, epochs: 1, validation: 0), workerCount: 2)
        harness.addWorker()
        for _ in 0..<150 {
            harness.advance(.milliseconds(100))
            harness.deliver()
        }
        XCTAssertNil(harness.workers[0].outcome)
        XCTAssertEqual(harness.workerEvents[0], [])
    }

    // MARK: Goodbyes

    private func harnessInTraining() throws -> ClusterHarness {
        // A worker timeout longer than the test: only the worker's own word can move its shards.
        let harness = ClusterHarness(job: try .seedJob(shards: 2, epochs: 20, validation: 0), workerCount: 2, timeouts: .init(worker: .seconds(3600)))
        harness.addWorker()
        harness.addWorker()
        for _ in 0..<30 {
            harness.advance(.milliseconds(10))
            harness.deliver(limit: 6)
        }
        XCTAssertNil(harness.coordinator.outcome)
        return harness
    }

    private func isGoodbye(_ message: (peer: [UInt8], bytes: [UInt8])) -> Bool {
        if case .failure = try? MessageCodec.decode(message.bytes).message { true } else { false }
    }

    /// The first goodbye is lost: the worker sends it again, and the acknowledgement ends its wait.
    func testALostGoodbyeIsSentAgainUntilAcknowledged() throws {
        let harness = try harnessInTraining()
        harness.workers[1].leave(because: "it was stopped (Ctrl-C)", now: harness.now)
        XCTAssertEqual(harness.toCoordinator.filter(isGoodbye).count, 1)
        harness.toCoordinator.removeAll(where: isGoodbye)  // lost on the way
        harness.workers[1].tick(now: harness.now + .milliseconds(300))
        XCTAssertEqual(harness.toCoordinator.filter(isGoodbye).count, 1, "sent again")
        harness.deliver(limit: 50)
        XCTAssertEqual(harness.workers[1].outcome, .left("it was stopped (Ctrl-C)", .acknowledged))
        XCTAssertEqual(harness.lostWorkers, [1])
    }

    /// The acknowledgement is lost: the repeated goodbye, from a worker the coordinator let go, is
    /// acknowledged again, and the worker is lost once.
    func testAGoodbyeWhoseAcknowledgementWasLostIsAcknowledgedAgain() throws {
        let harness = try harnessInTraining()
        harness.workers[1].leave(because: "it was stopped (Ctrl-C)", now: harness.now)
        // The coordinator takes the goodbye; its acknowledgement is lost.
        for goodbye in harness.toCoordinator.filter(isGoodbye) {
            goodbye.bytes.withUnsafeBytes { harness.coordinator.receive($0, from: goodbye.peer, now: harness.now) }
        }
        harness.toCoordinator.removeAll(where: isGoodbye)
        harness.toWorkers[ClusterHarness.peer(1)] = []
        XCTAssertEqual(harness.lostWorkers, [1])
        XCTAssertNil(harness.workers[1].outcome)
        harness.workers[1].tick(now: harness.now + .milliseconds(300))
        harness.deliver(limit: 50)
        XCTAssertEqual(harness.workers[1].outcome, .left("it was stopped (Ctrl-C)", .acknowledged))
        XCTAssertEqual(harness.lostWorkers, [1])
        harness.runToCompletion()
        XCTAssertEqual(harness.coordinator.outcome, .finished, harness.recentLog)
    }

    /// Nothing comes back: within the bound the worker stops waiting and says the coordinator may not know.
    func testAGoodbyeNeverAcknowledgedEndsTheWaitAndSaysSo() throws {
        let harness = try harnessInTraining()
        let worker = harness.workers[1]
        worker.leave(because: "it was stopped (SIGTERM)", now: harness.now)
        var now = harness.now, sent = 0
        while worker.outcome == nil && now - harness.now < .seconds(5) {
            now = now + .milliseconds(50)
            worker.tick(now: now)
            sent += harness.toCoordinator.count
            harness.toCoordinator.removeAll()
        }
        XCTAssertEqual(worker.outcome, .left("it was stopped (SIGTERM)", .unacknowledged(waited: .seconds(2))))
        XCTAssertGreaterThanOrEqual(now - harness.now, .seconds(2))
        XCTAssertLessThan(now - harness.now, .seconds(3))
        XCTAssertGreaterThanOrEqual(sent, 5, "the goodbye was sent again meanwhile")
    }

    // MARK: The coordinator's side

    func testTooFewWorkersNameThePeersTurnedAwayAndWhy() throws {
        let harness = ClusterHarness(job: try .seedJob(shards: 2, epochs: 1, validation: 0), workerCount: 2,
            timeouts: .init(registration: .seconds(5)))
        harness.addWorker()
        harness.coordinator.peerRefused(address: "10.0.0.7", reason: .handshake(.cryptographic))
        harness.coordinator.peerRefused(address: "10.0.0.7", reason: .handshake(.cryptographic))
        var hello = MessageCodec.encode(Envelope(jobId: 0, round: 0, message: .hello(
            WorkerInfo(name: "old", host: "node-b", pid: 9, version: "0.1", peerEndpoint: "ipc://mem/old"))))
        hello[4] = UInt8(MessageCodec.version + 1)
        harness.toCoordinator.append(([7, 7], hello))
        harness.toCoordinator.append(([8, 8], [UInt8]("GET / HTTP/1.1\r\n\r\n".utf8)))
        harness.runToCompletion()
        XCTAssertEqual(harness.coordinator.peersTurnedAway.map(\.peer), [.address("10.0.0.7"), .worker(name: "old", host: "node-b"), .unnamed])
        XCTAssertEqual(harness.coordinator.peersTurnedAway.map(\.reason), [
            .refused(.handshake(.cryptographic)), .protocolVersion(MessageCodec.version + 1),
            .undecodable("\(ProtocolError.notADltrainMessage(size: 18))"),
        ])
        XCTAssertEqual(harness.coordinator.peersTurnedAway.first?.times, 2)
        guard case let .failed(message) = harness.coordinator.outcome else { return XCTFail(harness.recentLog) }
        XCTAssertTrue(message.hasPrefix("only 1 of 2 workers registered within 5 s (w1); turned away: "), message)
        for part in ["10.0.0.7 (2 times): its handshake cannot be decrypted with this job's keys (another secret)",
                     "old (node-b): it speaks protocol version \(MessageCodec.version + 1)"] {
            XCTAssertTrue(message.contains(part), "\(part) in: \(message)")
        }
    }

    /// While it waits, the coordinator says every 10 s whom it has and whom it turned away.
    func testAGatheringCoordinatorSaysWhomItWaitsFor() throws {
        let harness = ClusterHarness(job: try .seedJob(shards: 2, epochs: 1, validation: 0), workerCount: 2,
            timeouts: .init(registration: .seconds(25)))
        harness.addWorker()
        harness.coordinator.peerRefused(address: "10.0.0.7", reason: .notZeroMQ)
        for _ in 0..<210 {
            harness.advance(.milliseconds(100))
            harness.deliver()
        }
        let statuses = harness.coordinatorEvents.filter { if case .waitingForWorkers = $0 { true } else { false } }
        XCTAssertEqual(statuses.count, 2, "at 10 and 20 s: \(statuses)")
        guard case let .waitingForWorkers(registered, expected, _, limit, turnedAway) = statuses.last else { return XCTFail() }
        XCTAssertEqual(registered, ["w1"])
        XCTAssertEqual(expected, 2)
        XCTAssertEqual(limit, .seconds(25))
        XCTAssertEqual(turnedAway.map(\.peer), [.address("10.0.0.7")])
        XCTAssertEqual(statuses.last?.level, .notice)
    }

    /// A worker that registered and then left before the job began is named with why.
    func testAWorkerLostWhileGatheringIsNamed() throws {
        let harness = ClusterHarness(job: try .seedJob(shards: 2, epochs: 1, validation: 0), workerCount: 2,
            timeouts: .init(registration: .seconds(5)))
        harness.addWorker()
        harness.advance(.milliseconds(10))
        harness.deliver()
        harness.advance(.seconds(1))  // the coordinator's heartbeat: it is registered
        harness.deliver()
        harness.workers[0].leave(because: "it was stopped (Ctrl-C)", now: harness.now)
        harness.deliver()
        XCTAssertEqual(harness.workers[0].outcome, .left("it was stopped (Ctrl-C)", .acknowledged))
        harness.coordinator.workerProcessExited(pid: 4242, description: "its process (pid 4242) exited with status 1", now: harness.now)
        harness.runToCompletion()
        XCTAssertEqual(harness.coordinator.peersTurnedAway.map(\.reason), [
            .lost("failed: it was stopped (Ctrl-C)"), .exitedBeforeRegistering("its process (pid 4242) exited with status 1"),
        ])
        XCTAssertEqual(harness.coordinator.peersTurnedAway.first?.peer, .worker(name: "w1", host: "test"))
        guard case let .failed(message) = harness.coordinator.outcome else { return XCTFail(harness.recentLog) }
        XCTAssertTrue(message.hasPrefix("only 0 of 2 workers registered within 5 s; turned away: w1 (test): registered, then lost"), message)
    }
}
