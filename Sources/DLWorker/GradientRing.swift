// A worker's part in summing one step's gradient around the ring (RingPlan says the order): it adds
// its segments' shard gradients to the running sum it receives and passes it on, finishes the total
// if it owns the last segment, and forwards the total's chunks to the next member (or, as the last
// member, to the coordinator). It holds the total until the coordinator says to apply it.
//
// A round begins before this worker computes its gradients: if it starts the sum, it sends each
// chunk as soon as its part of the gradient is final (the upper layers' while the lower ones still
// compute), highest chunk first. The order each chunk's shards are added in is the same whenever
// it is sent, so this changes when the bits travel, not which.
//
// Messages for a round or plan this worker has not begun yet (a faster neighbour), or that arrive
// while it computes, are kept until it can take them; messages of an older round or plan are
// dropped. No I/O: what to send goes to `send`, with the receiving worker's index, or nil for the
// coordinator. The shard gradients are the caller's, indexed by shard, passed to each call that
// reads them.

import DLProtocol

final class GradientRing {
    private let me: Int
    private let parameterCount: Int
    private let send: (_ worker: Int?, _ message: Message) -> Void

    /// The round and plan being summed; nil before the first.
    private(set) var round: UInt64?
    private(set) var plan: RingPlan?
    /// This worker's gradients are final from this offset to the end (the parameter count before
    /// any are).
    private var readyFrom = 0
    /// The running sum of each of this worker's segments, per chunk, as it is finished.
    private var running: [Float]
    /// The total, filled chunk by chunk.
    private(set) var total: [Float]
    private var totalChunks: [Bool] = []
    /// Messages of a round or plan not begun yet: (round, message), and the values they hold.
    private var early: [(round: UInt64, message: Message)] = []
    private var earlyValues = 0

    init(me: Int, parameterCount: Int, send: @escaping (_ worker: Int?, _ message: Message) -> Void) {
        self.me = me
        self.parameterCount = parameterCount
        self.send = send
        running = [Float](repeating: 0, count: parameterCount)
        total = [Float](repeating: 0, count: parameterCount)
    }

    /// Whether the whole total of the current round has arrived (or been finished here).
    var hasTotal: Bool { round != nil && !totalChunks.isEmpty && totalChunks.allSatisfy { $0 } }

    /// Starts summing `round` under `plan`, before this worker's gradients are computed.
    func begin(round: UInt64, plan: RingPlan) {
        precondition(!plan.star, "a star is summed by the coordinator")
        self.round = round
        self.plan = plan
        readyFrom = parameterCount
        totalChunks = [Bool](repeating: false, count: plan.chunkCount(parameterCount: parameterCount))
    }

    /// This worker's `gradients` are final from `offset` to the end (0: all of them): if it starts
    /// the sum, sends the chunks that just became whole; once all are, takes the messages that
    /// came early.
    func gradientsReady(from offset: Int, gradients: UnsafeBufferPointer<[Float]>) {
        guard let plan, offset < readyFrom else { return }
        if plan.segments.first?.worker == me {
            for chunk in totalChunks.indices.reversed() {
                let start = plan.chunkRange(chunk, parameterCount: parameterCount).lowerBound
                if start >= offset && start < readyFrom { add(segment: 0, chunk: chunk, to: nil, gradients: gradients) }
            }
        }
        readyFrom = offset
        guard offset == 0 else { return }
        let waiting = early
        early = []
        earlyValues = 0
        for (earlyRound, message) in waiting { receive(message, round: earlyRound, gradients: gradients) }
    }

    /// Forgets the round in progress (its plan was abandoned, or the coordinator moved on).
    func reset() {
        round = nil
        plan = nil
        totalChunks = []
    }

    /// A partial or total from another worker. Returns false when it was dropped as stale or
    /// malformed (the caller logs it).
    @discardableResult
    func receive(_ message: Message, round: UInt64, gradients: UnsafeBufferPointer<[Float]>) -> Bool {
        let chunk: GradientChunk
        switch message {
        case let .partial(piece), let .total(piece): chunk = piece
        default: return false
        }
        guard let current = self.round, let plan else { return keepEarly(message, round: round) }
        if (round, chunk.ringVersion) > (current, plan.version) || (round, chunk.ringVersion) == (current, plan.version) && readyFrom > 0 {
            return keepEarly(message, round: round)
        }
        guard round == current, chunk.ringVersion == plan.version, totalChunks.indices.contains(chunk.chunk),
            chunk.values.count == plan.chunkRange(chunk.chunk, parameterCount: parameterCount).count
        else { return false }
        if case .partial = message {
            let segment = chunk.hop + 1
            guard plan.segments.indices.contains(segment), plan.segments[segment].worker == me else { return false }
            add(segment: segment, chunk: chunk.chunk, to: chunk.values, gradients: gradients)
        } else {
            let order = plan.broadcastOrder
            guard chunk.hop + 1 < order.count, order[chunk.hop + 1] == me, !totalChunks[chunk.chunk] else { return false }
            takeTotal(chunk.values, chunk: chunk.chunk, hop: chunk.hop + 1)
        }
        return true
    }

    /// Keeps a message of a round or plan not begun yet; false (dropped) when the values kept would
    /// be more than a faster neighbour could send a round ahead (a whole partial and a whole total,
    /// twice): a peer that sends more is not summing this job, and must not fill this worker's memory.
    private func keepEarly(_ message: Message, round: UInt64) -> Bool {
        let values: Int
        switch message {
        case let .partial(chunk), let .total(chunk): values = max(chunk.values.count, 1)
        default: return false
        }
        guard earlyValues + values <= 4 * parameterCount else { return false }
        early.append((round, message))
        earlyValues += values
        return true
    }

    /// Adds a segment's shards to the running sum `incoming` (nil: the segment starts the sum) for
    /// one chunk, then passes the result on.
    private func add(segment: Int, chunk: Int, to incoming: [Float]?, gradients: UnsafeBufferPointer<[Float]>) {
        let plan = self.plan!
        let range = plan.chunkRange(chunk, parameterCount: parameterCount)
        let shards = plan.segments[segment].shards
        running.withUnsafeMutableBufferPointer { sum in
            let base = range.lowerBound
            if let incoming {
                for i in range { sum[i] = incoming[i - base] }
            } else {
                gradients[shards[0]].withUnsafeBufferPointer { first in
                    for i in range { sum[i] = first[i] }
                }
            }
            for shard in (incoming == nil ? shards.dropFirst() : shards[...]) {
                gradients[shard].withUnsafeBufferPointer { gradient in
                    for i in range { sum[i] += gradient[i] }
                }
            }
        }
        let values = Array(running[range])
        if segment + 1 < plan.segments.count {
            send(plan.segments[segment + 1].worker, .partial(GradientChunk(
                ringVersion: plan.version, hop: segment, chunk: chunk, values: values)))
        } else {
            takeTotal(values, chunk: chunk, hop: 0)
        }
    }

    /// Keeps a chunk of the total and sends it to the next in the broadcast order; `hop` is this
    /// worker's place in that order.
    private func takeTotal(_ values: [Float], chunk: Int, hop: Int) {
        store(values, chunk: chunk)
        let plan = self.plan!
        let order = plan.broadcastOrder
        let next = hop + 1 < order.count ? order[hop + 1] : nil
        send(next, .total(GradientChunk(ringVersion: plan.version, hop: hop, chunk: chunk, values: values)))
    }

    private func store(_ values: [Float], chunk: Int) {
        let range = plan!.chunkRange(chunk, parameterCount: parameterCount)
        total.withUnsafeMutableBufferPointer { total in
            for i in range { total[i] = values[i - range.lowerBound] }
        }
        totalChunks[chunk] = true
    }
}
