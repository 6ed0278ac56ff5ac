// What the coordinator collects for a training step under a ring plan: every member's step-done
// (its shards' loss and metric sums) and the step's summed gradient, chunk by chunk, from the last
// member of the total's broadcast; in a star, every shard's gradient instead (in the step-dones),
// which it adds in shard order itself. It refuses anything of another round or plan, from a worker that is not the one
// expected, repeated, or of the wrong length, so the step it applies is exactly the shards' sum and
// one set of sums per shard.

import DLProtocol
import DLTraining

struct StepCollector {
    private(set) var round: UInt64 = 0
    private(set) var plan: RingPlan?
    /// The summed gradient, filled chunk by chunk.
    private(set) var total: [Float]
    private var chunks: [Bool] = []
    /// Each shard's sums, in shard order.
    private(set) var sums: [[Double]]
    private var done: Set<Int> = []
    /// Each member's shards under the current plan.
    private var shardsOfMember: [Int: [Int]] = [:]
    /// In a star: each shard's gradient.
    private var shardGradients: [[Float]] = []
    /// Compute time each member reported for this step, by worker.
    private(set) var computeMicroseconds: [Int: UInt32] = [:]

    init(shardCount: Int, parameterCount: Int, sumsCount: Int) {
        total = [Float](repeating: 0, count: parameterCount)
        sums = Array(repeating: [Double](repeating: 0, count: sumsCount), count: shardCount)
    }

    /// Every step begins one, so it reuses what it can: a plan's shards per member are worked out
    /// once per plan, and the flags are cleared in place.
    mutating func begin(round: UInt64, plan: RingPlan) {
        self.round = round
        if self.plan?.version != plan.version || self.plan == nil {
            shardsOfMember = Dictionary(uniqueKeysWithValues: plan.members.map { member in
                (member, plan.segments(of: member).flatMap { plan.segments[$0].shards })
            })
            chunks = [Bool](repeating: false, count: plan.chunkCount(parameterCount: total.count))
        }
        self.plan = plan
        for chunk in chunks.indices { chunks[chunk] = false }
        done.removeAll(keepingCapacity: true)
        if plan.star && shardGradients.isEmpty {
            shardGradients = Array(repeating: [Float](repeating: 0, count: total.count), count: sums.count)
        }
        computeMicroseconds.removeAll(keepingCapacity: true)
    }

    /// The members whose step-done has not arrived.
    var missingMembers: [Int] { (plan?.members ?? []).filter { !done.contains($0) } }

    /// Forgets the plan (a member was lost): nothing more is accepted until the next `begin`.
    mutating func abandon() { plan = nil }

    var isComplete: Bool {
        guard let plan, done.count == plan.members.count else { return false }
        return plan.star || hasTotal
    }

    /// In a ring: whether every chunk of the total has arrived (so every member has passed it on).
    var hasTotal: Bool { plan != nil && !chunks.isEmpty && chunks.allSatisfy { $0 } }

    /// In a star, once complete: the shards whose gradient holds a value that is not finite.
    var nonFiniteGradients: [Int] {
        shardGradients.indices.filter { !shardGradients[$0].withUnsafeBufferPointer(ParameterState.allFinite) }
    }

    /// A member's shards under the step's plan.
    func shards(of member: Int) -> [Int] { shardsOfMember[member] ?? [] }

    /// In a star, once complete: the shards' gradients added in shard order, the first copied and
    /// the others added left to right, as every trainer adds them.
    mutating func sumShards() {
        let count = total.count
        total.withUnsafeMutableBufferPointer { sum in
            sum.baseAddress!.update(from: shardGradients[0], count: count)
            for shard in shardGradients.dropFirst() {
                shard.withUnsafeBufferPointer { shard in
                    for i in 0..<count { sum[i] += shard[i] }
                }
            }
        }
    }

    /// In a star, once complete: the gradient `shard`'s owner sent, and who that is.
    func gradient(ofShard shard: Int) -> (values: [Float], sender: Int?) {
        (shardGradients[shard], member(owning: shard))
    }

    /// The member that computes `shard` under the step's plan.
    func member(owning shard: Int) -> Int? {
        shardsOfMember.first { $0.value.contains(shard) }?.key
    }

    /// A member's step-done; why not, when it does not belong to this step.
    mutating func take(_ report: StepDone, round: UInt64, from worker: Int) -> DropReason? {
        guard round == self.round else { return .wrongRound(round, expected: self.round) }
        guard let plan else { return .abandonedPlan(report.ringVersion) }
        guard report.ringVersion == plan.version else { return .stalePlan(report.ringVersion, current: plan.version) }
        let shards = shardsOfMember[worker] ?? []
        guard !shards.isEmpty, report.shards == shards else { return .notItsShard(report.shards.first ?? -1) }
        guard !done.contains(worker) else { return .alreadyReceived(shard: shards[0]) }
        guard report.sums.allSatisfy({ $0.count == sums[0].count }),
            plan.star ? report.gradients.count == shards.count && report.gradients.allSatisfy({ $0.count == total.count })
                : report.gradients.isEmpty
        else { return .wrongLength(shard: shards[0]) }
        for (shard, values) in zip(report.shards, report.sums) { sums[shard] = values }
        for (shard, gradient) in zip(report.shards, report.gradients) { shardGradients[shard] = gradient }
        done.insert(worker)
        computeMicroseconds[worker] = report.computeMicroseconds
        return nil
    }

    /// A chunk of the total from the last member of the broadcast; why not, when it does not belong.
    mutating func take(_ chunk: GradientChunk, round: UInt64, from worker: Int) -> DropReason? {
        guard round == self.round else { return .wrongRound(round, expected: self.round) }
        guard let plan else { return .abandonedPlan(chunk.ringVersion) }
        guard chunk.ringVersion == plan.version else { return .stalePlan(chunk.ringVersion, current: plan.version) }
        guard !plan.star, plan.broadcastOrder.last == worker, chunk.hop == plan.members.count - 1 else { return .unexpected }
        guard chunks.indices.contains(chunk.chunk), !chunks[chunk.chunk] else { return .unexpected }
        let range = plan.chunkRange(chunk.chunk, parameterCount: total.count)
        guard chunk.values.count == range.count else { return .wrongLength(shard: -1) }
        total.withUnsafeMutableBufferPointer { total in
            for i in range { total[i] = chunk.values[i - range.lowerBound] }
        }
        chunks[chunk.chunk] = true
        return nil
    }
}
