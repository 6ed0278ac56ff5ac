// The workers a coordinator knows, by registration order and by peer: each one's status, whether it
// has loaded the rows it was sent, when it was last heard from and last sent to, and its compute
// time this epoch. Lost workers keep their index (so logs and events name them consistently); their
// peer is forgotten, so a message from it is treated as a stranger's.

import DLProtocol

/// A class, not a struct: its fields are read for every message and every tick, and reading one
/// field of a struct in an array held by a class copies the whole struct.
final class Worker {
    enum Status { case registered, joined, lost }

    let peer: [UInt8]
    let info: WorkerInfo
    let index: Int
    var status = Status.registered
    /// Whether all the rows it was sent have arrived (it said ready since the last assignment).
    var loaded = false
    /// Shard-rows messages sent to it that it has not yet said it received.
    var unacknowledgedRows = 0
    /// Since when every row it was sent (and the standardization) went and was acknowledged, while
    /// its ready is still to come; nil while rows are on their way, or once it said ready.
    var rowsDeliveredAt: ContinuousClock.Instant?
    var lastHeard: ContinuousClock.Instant
    var lastSent: ContinuousClock.Instant
    /// Compute time reported for this epoch's shard gradients, and the steps it covers.
    var epochMicroseconds: UInt64 = 0
    var epochSteps = 0

    /// Its compute time per step over the epoch so far.
    var millisecondsPerStep: Double { epochSteps == 0 ? 0 : Double(epochMicroseconds) / Double(epochSteps) / 1000 }
    /// The round its copy of the parameters is for (it was sent them, or took part in every step
    /// since); nil when it has none that is current.
    var stateRound: UInt64?
    /// During a validation pass: when it was last asked to evaluate shards, and whether it was
    /// asked again for not answering.
    var evaluateAsked: ContinuousClock.Instant?
    var evaluateRetried = false

    init(peer: [UInt8], info: WorkerInfo, index: Int, now: ContinuousClock.Instant) {
        self.peer = peer
        self.info = info
        self.index = index
        lastHeard = now
        lastSent = now
    }

    var isLive: Bool { status != .lost }

    var record: WorkerRecord { WorkerRecord(index: index, info: info) }
}

struct WorkerRegistry {
    /// In registration order; lost ones stay.
    private(set) var all: [Worker] = []
    private var indexByPeer: [[UInt8]: Int] = [:]

    subscript(index: Int) -> Worker { all[index] }

    /// The registered worker behind `peer`, if it is known and not lost.
    func worker(for peer: [UInt8]) -> Worker? { indexByPeer[peer].map { all[$0] } }

    /// Registers a new peer as the next worker.
    mutating func register(peer: [UInt8], info: WorkerInfo, now: ContinuousClock.Instant) -> Worker {
        let worker = Worker(peer: peer, info: info, index: all.count, now: now)
        all.append(worker)
        indexByPeer[peer] = worker.index
        return worker
    }

    /// Marks a worker lost and forgets its peer.
    mutating func markLost(_ worker: Worker) {
        worker.status = .lost
        indexByPeer[worker.peer] = nil
    }

    var live: [Worker] { all.filter(\.isLive) }

    /// Whether a worker registered during the run and has no shards yet.
    var hasNewcomer: Bool { all.contains { $0.status == .registered } }
}
