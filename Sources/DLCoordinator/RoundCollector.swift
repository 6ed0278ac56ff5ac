// The results of a validation pass: one slot per shard for its loss and metric sums. It refuses a
// result for another epoch, a shard already received, or one of the wrong length, so what the pass
// adds is exactly one result per shard, and only from the worker that owns it.

import DLProtocol

struct RoundCollector {
    private(set) var received: [Bool]
    private(set) var sums: [[Double]]
    /// The epoch whose validation results are accepted.
    private(set) var round: UInt64 = 0

    init(shardCount: Int, sumsCount: Int) {
        received = [Bool](repeating: false, count: shardCount)
        sums = Array(repeating: [Double](repeating: 0, count: sumsCount), count: shardCount)
    }

    /// Starts collecting `round`: no shard's result is in.
    mutating func begin(round: UInt64) {
        self.round = round
        for shard in received.indices { received[shard] = false }
    }

    var isComplete: Bool { received.allSatisfy { $0 } }

    /// Those of `shards` whose result has not arrived.
    func missing(_ shards: [Int]) -> [Int] { shards.filter { !received[$0] } }

    /// Takes a shard's validation sums; returns why not when they do not belong to this pass or
    /// were not sent by the shard's owner.
    mutating func take(_ result: ValidationSums, round: UInt64, fromOwner: Bool) -> DropReason? {
        if let problem = problem(shard: result.shard, round: round, fromOwner: fromOwner) { return problem }
        guard result.sums.count == sums[result.shard].count else { return .wrongLength(shard: result.shard) }
        sums[result.shard] = result.sums
        received[result.shard] = true
        return nil
    }

    private func problem(shard: Int, round: UInt64, fromOwner: Bool) -> DropReason? {
        if round != self.round { return .wrongRound(round, expected: self.round) }
        if shard < 0 || shard >= received.count || !fromOwner { return .notItsShard(shard) }
        if received[shard] { return .alreadyReceived(shard: shard) }
        return nil
    }
}
