// `dlcoord --audit` on a ring, where the shard gradients stay on the workers: once a step's total
// has arrived, the coordinator asks the owners of the drawn shards for their gradients' digests
// (audit), computes those gradients (and their sums, which the owners' step-dones brought) itself
// meanwhile, and goes on only when every digest has come back and matches (StepAudit settles a
// mismatch). The members hold the total unapplied until the next compute-step, so a step that fails
// its audit is simply run again without the worker. A total that is not finite has every shard of
// its step audited, to tell a worker's fault from the training's divergence.
//
// This collects the digests of one step's audit, refusing any of another round, for a shard not
// drawn or not the sender's, or repeated.

import DLProtocol

struct RingAudit {
    let round: UInt64
    /// The shards drawn, each with its owner and the coordinator's computation.
    let expected: [Int: (owner: Int, expected: StepAudit.Expectation)]
    /// Whether the audit is of a step whose total is not finite (every shard drawn).
    let totalNotFinite: Bool
    /// The owners' digests, as they arrive.
    private(set) var reported: [Int: [UInt8]] = [:]

    init(round: UInt64, expected: [Int: (owner: Int, expected: StepAudit.Expectation)], totalNotFinite: Bool) {
        self.round = round
        self.expected = expected
        self.totalNotFinite = totalNotFinite
    }

    var isComplete: Bool { reported.count == expected.count }

    /// An owner's digests; why not, when they do not belong to this audit.
    mutating func take(_ digests: AuditDigests, round: UInt64, from worker: Int) -> DropReason? {
        guard round == self.round else { return .wrongRound(round, expected: self.round) }
        for shard in digests.shards {
            guard expected[shard]?.owner == worker else { return .notItsShard(shard) }
            guard reported[shard] == nil else { return .alreadyReceived(shard: shard) }
        }
        for (shard, digest) in zip(digests.shards, digests.digests) { reported[shard] = digest }
        return nil
    }
}
