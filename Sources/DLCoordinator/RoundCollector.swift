// The results of a validation pass: one slot per shard for its loss and metric sums, and who sent
// it. It refuses a result for another epoch, a shard already received, or one of the wrong length,
// so what the pass adds is exactly one result per shard, and only from the worker that owns it; the
// results of a worker found lying are forgotten, to be asked of the shards' next owners.

import DLProtocol

struct RoundCollector {
    private(set) var received: [Bool]
    private(set) var sums: [[Double]]
    /// The worker each shard's result came from.
    private(set) var senders: [Int?]
    /// The epoch whose validation results are accepted.
    private(set) var round: UInt64 = 0

    init(shardCount: Int, sumsCount: Int) {
        received = [Bool](repeating: false, count: shardCount)
        sums = Array(repeating: [Double](repeating: 0, count: sumsCount), count: shardCount)
        senders = Array(repeating: nil, count: shardCount)
    }

    /// Starts collecting `round`: no shard's result is in.
    mutating func begin(round: UInt64) {
        self.round = round
        for shard in received.indices {
            received[shard] = false
            senders[shard] = nil
        }
    }

    var isComplete: Bool { received.allSatisfy { $0 } }

    /// Those of `shards` whose result has not arrived.
    func missing(_ shards: [Int]) -> [Int] { shards.filter { !received[$0] } }

    /// Takes a shard's validation sums from `sender`; returns why not when they do not belong to
    /// this pass or were not sent by the shard's owner.
    mutating func take(_ result: ValidationSums, round: UInt64, from sender: Int, fromOwner: Bool) -> DropReason? {
        if let problem = problem(shard: result.shard, round: round, fromOwner: fromOwner) { return problem }
        guard result.sums.count == sums[result.shard].count else { return .wrongLength(shard: result.shard) }
        sums[result.shard] = result.sums
        received[result.shard] = true
        senders[result.shard] = sender
        return nil
    }

    /// Forgets every result `sender` sent in this pass; the shards they were for.
    mutating func forget(sentBy sender: Int) -> [Int] {
        let shards = received.indices.filter { received[$0] && senders[$0] == sender }
        for shard in shards {
            received[shard] = false
            senders[shard] = nil
        }
        return shards
    }

    private func problem(shard: Int, round: UInt64, fromOwner: Bool) -> DropReason? {
        if round != self.round { return .wrongRound(round, expected: self.round) }
        if shard < 0 || shard >= received.count || !fromOwner { return .notItsShard(shard) }
        if received[shard] { return .alreadyReceived(shard: shard) }
        return nil
    }
}
