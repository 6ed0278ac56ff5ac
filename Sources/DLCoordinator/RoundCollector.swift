// The results of the round in progress (a training step, or a validation pass): one slot per shard
// for its gradient sum and its loss and metric sums. It refuses a result for another round, a shard
// already received, or one of the wrong length, so what the step adds is exactly one result per
// shard, and only from the worker that owns it.

import DLProtocol

struct RoundCollector {
    private(set) var received: [Bool]
    private(set) var gradients: [[Float]]
    private(set) var sums: [[Double]]
    /// The round whose results are accepted: the global step, or the epoch for a validation pass.
    private(set) var round: UInt64 = 0

    init(shardCount: Int, parameterCount: Int, sumsCount: Int) {
        received = [Bool](repeating: false, count: shardCount)
        gradients = Array(repeating: [Float](repeating: 0, count: parameterCount), count: shardCount)
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

    /// Takes a shard's training result; returns why not when it does not belong to this round or
    /// was not sent by the shard's owner.
    mutating func take(_ result: ShardGradient, round: UInt64, fromOwner: Bool) -> DropReason? {
        if let problem = problem(shard: result.shard, round: round, fromOwner: fromOwner) { return problem }
        guard result.gradient.count == gradients[result.shard].count, result.sums.count == sums[result.shard].count else {
            return .wrongLength(shard: result.shard)
        }
        gradients[result.shard] = result.gradient
        sums[result.shard] = result.sums
        received[result.shard] = true
        return nil
    }

    /// Takes a shard's validation sums, likewise.
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
