// `dlcoord --audit FRACTION`: the coordinator computes a random fraction of each step's shard
// results itself (gradients with their loss and metric sums) and of each epoch's shard validation
// sums, and compares them with what the workers sent, bit for bit. A shard's result has exactly one
// correct value (the same parameters, rows and arithmetic give the same bits on any machine and any
// thread count), so any difference is a fault: silent corruption in a worker's hardware, or a worker
// that lies. A difference is settled by a third computation, here again.
//
// The shards to check are drawn from the system's random source after the workers have sent their
// results (in a star, and for validation) or the step's total has arrived (in a ring), so no worker
// can tell which of its results will be checked. A star brings every shard's gradient to the
// coordinator; a ring keeps them on the workers, which send a digest of each drawn one instead
// (RingAudit). The sums always come to the coordinator.

import DLCore
import DLData
import DLTraining

final class StepAudit {
    enum Verdict: Equatable {
        /// The worker's result is the coordinator's, bit for bit.
        case agrees
        /// The coordinator computed the same bits twice, and the worker's gradient (or, the gradient
        /// agreeing, its sums) differ.
        case workerWrong(Part)
        /// The coordinator's two computations differ from each other and from the worker's: this
        /// machine cannot settle it.
        case unsettled
    }

    enum Part: Equatable { case gradient, sums }

    /// In a ring: what the coordinator computed of a shard at a step, for `settle` to compare with
    /// the owner's digest and sums.
    struct Expectation {
        let digest: [UInt8]
        let sums: [Double]
        /// Whether every value of the gradient is finite.
        let finite: Bool
    }

    let fraction: Double
    private let job: TrainingJob
    /// Runners of the shards checked so far, made when a shard is first drawn.
    private var runners: [ShardRunner?]
    private var generator = SystemRandomNumberGenerator()
    private var first: [Float], second: [Float], firstSums: [Double], secondSums: [Double]
    /// Shard results of steps, and of validation passes, checked so far, for the log.
    private(set) var checked = 0
    private(set) var checkedValidations = 0

    init(fraction: Double, job: TrainingJob) {
        precondition(fraction > 0 && fraction <= 1)
        self.fraction = fraction
        self.job = job
        runners = Array(repeating: nil, count: job.schedule.shardCount)
        first = [Float](repeating: 0, count: job.model.layout.count)
        second = first
        firstSums = job.metrics.makeSums()
        secondSums = firstSums
    }

    /// The shards of a step to check: each with probability `fraction`, every one at 1.
    func draw() -> [Int] {
        (0..<job.schedule.shardCount).filter { _ in
            fraction >= 1 || Double.random(in: 0..<1, using: &generator) < fraction
        }
    }

    /// Whether `gradient` and `sums` are those of `shard` at `step` of `epoch` with `parameters`.
    func check(shard: Int, epoch: Int, step: Int, parameters: [Float], gradient: [Float], sums: [Double]) -> Verdict {
        checked += 1
        compute(shard: shard, epoch: epoch, step: step, parameters: parameters, into: &first, sums: &firstSums)
        let gradientAgrees = Self.same(first, gradient)
        if gradientAgrees && Self.same(firstSums, sums) { return .agrees }
        compute(shard: shard, epoch: epoch, step: step, parameters: parameters, into: &second, sums: &secondSums)
        if Self.same(first, second) && Self.same(firstSums, secondSums) { return .workerWrong(gradientAgrees ? .sums : .gradient) }
        return Self.same(second, gradient) && Self.same(secondSums, sums) ? .agrees : .unsettled
    }

    /// In a ring: the coordinator's computation of `shard`, for `settle` to compare.
    func expectation(shard: Int, epoch: Int, step: Int, parameters: [Float]) -> Expectation {
        checked += 1
        compute(shard: shard, epoch: epoch, step: step, parameters: parameters, into: &first, sums: &firstSums)
        return Expectation(
            digest: GradientDigest.of(first), sums: firstSums,
            finite: first.withUnsafeBufferPointer(ParameterState.allFinite))
    }

    /// In a ring: whether the owner's `digest` and `sums` are those of the shard the coordinator
    /// computed as `expected`, settled by computing it again when they differ.
    func settle(
        shard: Int, epoch: Int, step: Int, parameters: [Float], expected: Expectation, digest: [UInt8], sums: [Double]
    ) -> Verdict {
        let digestAgrees = expected.digest == digest
        if digestAgrees && Self.same(expected.sums, sums) { return .agrees }
        compute(shard: shard, epoch: epoch, step: step, parameters: parameters, into: &second, sums: &secondSums)
        let again = GradientDigest.of(second)
        if again == expected.digest && Self.same(secondSums, expected.sums) { return .workerWrong(digestAgrees ? .sums : .gradient) }
        return again == digest && Self.same(secondSums, sums) ? .agrees : .unsettled
    }

    /// Whether `sums` are `shard`'s validation sums with `parameters` (those after an epoch's last step).
    func checkValidation(shard: Int, parameters: [Float], sums: [Double]) -> Verdict {
        checkedValidations += 1
        evaluate(shard: shard, parameters: parameters, into: &firstSums)
        if Self.same(firstSums, sums) { return .agrees }
        evaluate(shard: shard, parameters: parameters, into: &secondSums)
        if Self.same(firstSums, secondSums) { return .workerWrong(.sums) }
        return Self.same(secondSums, sums) ? .agrees : .unsettled
    }

    private func runner(of shard: Int) -> ShardRunner {
        if let runner = runners[shard] { return runner }
        let runner = ShardRunner(shard: shard, of: job)
        runners[shard] = runner
        return runner
    }

    private func compute(
        shard: Int, epoch: Int, step: Int, parameters: [Float], into gradient: inout [Float], sums: inout [Double]
    ) {
        let runner = runner(of: shard)
        for i in sums.indices { sums[i] = 0 }
        parameters.withUnsafeBufferPointer { parameters in
            gradient.withUnsafeMutableBufferPointer { gradient in
                sums.withUnsafeMutableBufferPointer { sums in
                    runner.computeStep(epoch: epoch, step: step, parameters: parameters, gradient: gradient, sums: sums.baseAddress!)
                }
            }
        }
    }

    private func evaluate(shard: Int, parameters: [Float], into sums: inout [Double]) {
        let runner = runner(of: shard)
        for i in sums.indices { sums[i] = 0 }
        parameters.withUnsafeBufferPointer { parameters in
            sums.withUnsafeMutableBufferPointer { runner.evaluateValidation(parameters: parameters, sums: $0.baseAddress!) }
        }
    }

    /// Whether `a` and `b` hold the same values bit for bit, NaNs aside: any NaN equals any NaN (a
    /// NaN's payload bits depend on the processor that made it, not on the arithmetic).
    static func same<Value: BinaryFloatingPoint>(_ a: [Value], _ b: [Value]) -> Bool {
        guard a.count == b.count else { return false }
        if a.withUnsafeBytes({ a in b.withUnsafeBytes { b in a.elementsEqual(b) } }) { return true }
        return zip(a, b).allSatisfy { $0.isNaN ? $1.isNaN : $0 == $1 && $0.sign == $1.sign }
    }
}
