// An in-memory cluster: one CoordinatorSession and several WorkerSessions whose messages travel
// through queues the test controls, on a clock the test advances. No sockets, no threads, no
// timing: every protocol test is deterministic, and a bug fails a test instead of hanging it.

import DLCore
import DLCoordinator
import DLProtocol
import DLRun
import DLTraining
import DLTestSupport
import DLWorker
import Foundation

final class ClusterHarness {
    let clock = ContinuousClock()
    private(set) var now: ContinuousClock.Instant
    private(set) var coordinator: CoordinatorSession!
    private(set) var workers: [WorkerSession] = []
    /// Messages on their way to the coordinator: sender and bytes.
    var toCoordinator: [(peer: [UInt8], bytes: [UInt8])] = []
    /// Messages on their way to each worker, by the worker's peer id.
    var toWorkers: [[UInt8]: [[UInt8]]] = [:]
    /// Messages from worker to worker (the ring's partials and totals): the receiver and the bytes.
    var betweenWorkers: [(to: Int, bytes: [UInt8])] = []
    /// Drops every message between workers (as if they cannot reach each other's peer endpoints)
    /// while they still talk to the coordinator.
    var peerLinksCut = false
    /// Workers whose messages are lost (as if the process stopped).
    var silenced: Set<Int> = []
    /// Messages from the coordinator lost on their way to a worker, when this says so (worker index, message).
    var lostToWorker: ((Int, Message) -> Bool)?
    /// Every message the sessions send, in the order they send them (the coordinator is nil),
    /// once a test sets it to [] to record them.
    var traffic: [(sender: Int?, receiver: Int?, message: Message)]?
    private(set) var coordinatorEvents: [CoordinatorEvent] = []
    private(set) var workerLogs: [[String]] = []
    /// Each worker's typed events, in order.
    private(set) var workerEvents: [[WorkerEvent]] = []
    /// Delivers the coordinator's queue and the workers' messages to each other in a scrambled
    /// order when set.
    var scramble: SeededGenerator?

    init(
        job: TrainingJob, workerCount: Int, timeouts: CoordinatorSession.Timeouts = .init(),
        policy: CoordinatorSession.Policy = .init(), exchange: CoordinatorSession.Exchange = .ring, progress: TrainingProgress? = nil,
        checkpointer: Checkpointer? = nil
    ) {
        var policy = policy
        policy.exchange = exchange
        now = clock.now
        coordinator = CoordinatorSession(
            job: job, workerCount: workerCount, jobId: 0x1234, timeouts: timeouts, policy: policy, progress: progress,
            checkpointer: checkpointer, now: now,
            send: { [unowned self] peer, envelope in
                if self.lostToWorker?(Int(peer[1]), envelope.message) == true { return }
                self.traffic?.append((nil, Int(peer[1]), envelope.message))
                self.toWorkers[peer, default: []].append(MessageCodec.encode(envelope))
            },
            events: { [unowned self] in self.coordinatorEvents.append($0) })
    }

    static func peer(_ index: Int) -> [UInt8] { [0, UInt8(index)] }

    /// Adds a worker session (it says hello on its first tick); `faultFlipRound` as
    /// DLTRAIN_FAULT_FLIP_BIT sets it. `forge` stands between the worker and the coordinator, as a
    /// worker that holds the job's secret and lies would: it gets every message the worker sends
    /// the coordinator and returns what goes instead (nil: nothing).
    @discardableResult
    func addWorker(
        timeouts: WorkerSession.Timeouts = .init(), faultFlipRound: UInt64? = nil, forge: ((Envelope) -> Envelope?)? = nil
    ) -> Int {
        let index = workers.count
        workerLogs.append([])
        workerEvents.append([])
        let info = WorkerInfo(
            name: "w\(index + 1)", host: "test", pid: Int32(100 + index), version: "test", peerEndpoint: "ipc://mem/\(index)")
        workers.append(WorkerSession(
            info: info, timeouts: timeouts, faultFlipRound: faultFlipRound, now: now,
            send: { [unowned self] original in
                var envelope = original
                if let forge {
                    guard let forged = forge(original) else { return true }
                    envelope = forged
                }
                self.traffic?.append((index, nil, envelope.message))
                self.toCoordinator.append((Self.peer(index), MessageCodec.encode(envelope)))
                return true
            },
            sendToPeer: { [unowned self] endpoint, envelope in
                guard let target = Int(endpoint.dropFirst("ipc://mem/".count)), self.workers.indices.contains(target) else {
                    return false
                }
                if !self.silenced.contains(index) { self.betweenWorkers.append((target, MessageCodec.encode(envelope))) }
                return true
            },
            log: { [unowned self] _, line in self.workerLogs[index].append(line) },
            events: { [unowned self] in self.workerEvents[index].append($0) }))
        return index
    }

    /// Moves the clock and lets every session notice.
    /// Runs `ticks` ticks of 10 ms delivering at most `perTick` messages each, so that a run
    /// stands mid-way.
    func advance(ticks: Int, perTick: Int = 6) {
        for _ in 0..<ticks {
            advance(.milliseconds(10))
            deliver(limit: perTick)
        }
    }

    func advance(_ duration: Duration) {
        now = now + duration
        coordinator.tick(now: now)
        for worker in workers { worker.tick(now: now) }
    }

    /// Whether a message waits for the coordinator or a harness worker (messages to other peers
    /// stay in `toWorkers` for the test to read).
    private var pending: Bool {
        !toCoordinator.isEmpty || !betweenWorkers.isEmpty
            || workers.indices.contains { !(toWorkers[Self.peer($0)]?.isEmpty ?? true) }
    }

    /// The next message to deliver of a queue: the first, or any when scrambling.
    private func nextIndex(below count: Int) -> Int {
        guard var generator = scramble else { return 0 }
        defer { scramble = generator }
        return generator.nextIndex(below: count)
    }

    /// Delivers messages until none are left or `limit` deliveries happened; returns how many.
    @discardableResult
    func deliver(limit: Int = 1_000_000) -> Int {
        var delivered = 0
        while delivered < limit, pending {
            if !toCoordinator.isEmpty {
                let (peer, bytes) = toCoordinator.remove(at: nextIndex(below: toCoordinator.count))
                if !silenced.contains(Int(peer[1])) { bytes.withUnsafeBytes { coordinator.receive($0, from: peer, now: now) } }
                delivered += 1
            }
            if !betweenWorkers.isEmpty {
                let (target, bytes) = betweenWorkers.remove(at: nextIndex(below: betweenWorkers.count))
                if !silenced.contains(target) && !peerLinksCut {
                    bytes.withUnsafeBytes { workers[target].receiveFromPeer($0, now: now) }
                }
                delivered += 1
            }
            for (index, worker) in workers.enumerated() {
                let peer = Self.peer(index)
                while let bytes = toWorkers[peer]?.first {
                    toWorkers[peer]!.removeFirst()
                    if !silenced.contains(index) { bytes.withUnsafeBytes { worker.receive($0, now: now) } }
                    delivered += 1
                }
            }
        }
        return delivered
    }

    /// Ticks and delivers (at most `perTick` messages a tick, so that a run spans many ticks) until
    /// the coordinator is done or `maximumTicks` ticks have passed.
    func runToCompletion(tick: Duration = .milliseconds(10), perTick: Int = 1_000_000, maximumTicks: Int = 100_000) {
        var ticks = 0
        while coordinator.outcome == nil && ticks < maximumTicks {
            advance(tick)
            deliver(limit: perTick)
            ticks += 1
        }
        deliver()
    }
}

extension ClusterHarness {
    /// The coordinator's last events as its log would print them, for failure messages.
    var recentLog: String { coordinatorEvents.suffix(5).map(\.description).joined(separator: "\n") }

    /// The workers the coordinator declared lost, by index, in order.
    var lostWorkers: [Int] {
        coordinatorEvents.compactMap { if case let .workerLost(worker, _) = $0 { worker.index } else { nil } }
    }

    /// The workers the coordinator excluded, by name, with the cause, in order.
    var exclusions: [(name: String, cause: ExclusionCause)] {
        coordinatorEvents.compactMap { if case let .workerExcluded(worker, cause) = $0 { (worker.info.name, cause) } else { nil } }
    }

    /// The reasons of the messages the coordinator dropped, with the sender's index (nil: a stranger).
    var drops: [(sender: Int?, type: MessageType?, reason: DropReason)] {
        coordinatorEvents.compactMap {
            if case let .messageDropped(sender, type, reason) = $0 { (sender?.index, type, reason) } else { nil }
        }
    }
}

