// `dlcoord --audit FRACTION`: the coordinator computes a random fraction of each step's shard
// gradients itself and compares them with what the workers sent, bit for bit. A shard's gradient
// has exactly one correct value (the same parameters, rows and arithmetic give the same bits on any
// machine and any thread count), so any difference is a fault: silent corruption in a worker's
// hardware, or a worker that lies. A difference is settled by a third computation, here again.
//
// The shards to check are drawn from the system's random source after the workers have sent their
// gradients (in a star) or the step's total has arrived (in a ring), so no worker can tell which of
// its results will be checked. A star brings every shard's gradient to the coordinator; a ring keeps
// them on the workers, which send a digest of each drawn one instead (RingAudit).

import DLCore
import DLTraining

final class StepAudit {
    enum Verdict: Equatable {
        /// The worker's gradient is the coordinator's, bit for bit.
        case agrees
        /// The coordinator computed the same bits twice, and the worker's differ.
        case workerWrong
        /// The coordinator's two computations differ from each other and from the worker's: this
        /// machine cannot settle it.
        case unsettled
    }

    let fraction: Double
    private let job: TrainingJob
    /// Runners of the shards checked so far, made when a shard is first drawn.
    private var runners: [ShardRunner?]
    private var generator = SystemRandomNumberGenerator()
    private var first: [Float], second: [Float], sums: [Double]
    /// Shard gradients checked, and how many differed, for the log.
    private(set) var checked = 0

    init(fraction: Double, job: TrainingJob) {
        precondition(fraction > 0 && fraction <= 1)
        self.fraction = fraction
        self.job = job
        runners = Array(repeating: nil, count: job.schedule.shardCount)
        first = [Float](repeating: 0, count: job.model.layout.count)
        second = first
        sums = job.metrics.makeSums()
    }

    /// The shards of a step to check: each with probability `fraction`, every one at 1.
    func draw() -> [Int] {
        (0..<job.schedule.shardCount).filter { _ in
            fraction >= 1 || Double.random(in: 0..<1, using: &generator) < fraction
        }
    }

    /// Whether `reported` is the gradient of `shard` at `step` of `epoch` with `parameters`.
    func check(shard: Int, epoch: Int, step: Int, parameters: [Float], reported: [Float]) -> Verdict {
        checked += 1
        compute(shard: shard, epoch: epoch, step: step, parameters: parameters, into: &first)
        if Self.sameBits(first, reported) { return .agrees }
        compute(shard: shard, epoch: epoch, step: step, parameters: parameters, into: &second)
        if Self.sameBits(first, second) { return .workerWrong }
        return Self.sameBits(second, reported) ? .agrees : .unsettled
    }

    /// In a ring: the digest of the coordinator's computation of `shard`, for `settle` to compare.
    func expectedDigest(shard: Int, epoch: Int, step: Int, parameters: [Float]) -> [UInt8] {
        checked += 1
        compute(shard: shard, epoch: epoch, step: step, parameters: parameters, into: &first)
        return GradientDigest.of(first)
    }

    /// In a ring: whether the owner's digest `reported` is that of the gradient whose digest the
    /// coordinator computed as `expected`, settled by computing it again when they differ.
    func settle(shard: Int, epoch: Int, step: Int, parameters: [Float], expected: [UInt8], reported: [UInt8]) -> Verdict {
        if expected == reported { return .agrees }
        compute(shard: shard, epoch: epoch, step: step, parameters: parameters, into: &second)
        let again = GradientDigest.of(second)
        if again == expected { return .workerWrong }
        return again == reported ? .agrees : .unsettled
    }

    private func compute(shard: Int, epoch: Int, step: Int, parameters: [Float], into gradient: inout [Float]) {
        guard let rows = job.rows else { preconditionFailure("an audited job holds its rows") }
        let runner = runners[shard] ?? ShardRunner(
            shard: shard, schedule: job.schedule, rows: rows.training, dealtRows: job.schedule.shardRows[shard],
            validationRows: nil, model: job.model, loss: job.loss, metrics: job.metrics)
        runners[shard] = runner
        parameters.withUnsafeBufferPointer { parameters in
            gradient.withUnsafeMutableBufferPointer { gradient in
                sums.withUnsafeMutableBufferPointer { sums in
                    runner.computeStep(epoch: epoch, step: step, parameters: parameters, gradient: gradient, sums: sums.baseAddress!)
                }
            }
        }
    }

    private static func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && a.withUnsafeBytes { a in b.withUnsafeBytes { b in a.elementsEqual(b) } }
    }
}
