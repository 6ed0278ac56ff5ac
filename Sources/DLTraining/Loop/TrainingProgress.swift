// Where a run stands and the arithmetic that moves it on: parameters and optimizer state, the
// position (epoch and step), the running sums of the epoch in progress, and the reports of the
// finished epochs. Every trainer (one process, or a coordinator of workers) advances its run with
// these same operations, which is why they all produce the same bits; a checkpoint saves exactly
// this state, which is why a resumed run does too.

import DLCore

/// The next step to run: `step` of `epoch`, both 0-based. `step == stepsPerEpoch` means every step
/// of the epoch is applied and the epoch is not yet reported (its validation is pending).
public struct TrainingPosition: Sendable, Equatable, Codable, CustomStringConvertible {
    public var epoch: Int
    public var step: Int

    public init(epoch: Int, step: Int) {
        self.epoch = epoch
        self.step = step
    }

    public var description: String { "epoch \(epoch + 1), step \(step + 1)" }
}

public struct TrainingProgress: Sendable, Equatable {
    public let metrics: MetricSet
    public let stepsPerEpoch: Int
    public private(set) var parameters: [Float]
    public private(set) var optimizer: Optimizer
    public private(set) var position: TrainingPosition
    /// The loss and metric sums of the epoch in progress, over its applied steps.
    public private(set) var epochSums: [Double]
    /// The reports of the finished epochs.
    public private(set) var history: [EpochReport]
    private var meanGradient: [Float]
    private var stepSums: [Double]

    /// The start of a fresh run: the job's seeded initial weights, a new optimizer.
    public init(job: TrainingJob) {
        let parameters = job.model.initialParameters(seed: job.settings.seed)
        self.init(
            metrics: job.metrics, stepsPerEpoch: job.schedule.stepsPerEpoch, parameters: parameters,
            optimizer: Optimizer(job.optimizer, parameterCount: parameters.count),
            position: TrainingPosition(epoch: 0, step: 0), epochSums: job.metrics.makeSums(), history: [])
    }

    public init(
        metrics: MetricSet, stepsPerEpoch: Int, parameters: [Float], optimizer: Optimizer, position: TrainingPosition,
        epochSums: [Double], history: [EpochReport]
    ) {
        precondition(epochSums.count == metrics.slotCount && optimizer.parameterCount == parameters.count)
        self.metrics = metrics
        self.stepsPerEpoch = stepsPerEpoch
        self.parameters = parameters
        self.optimizer = optimizer
        self.position = position
        self.epochSums = epochSums
        self.history = history
        meanGradient = [Float](repeating: 0, count: parameters.count)
        stepSums = metrics.makeSums()
    }

    /// Whether every step of the current epoch has been applied.
    public var epochStepsDone: Bool { position.step == stepsPerEpoch }

    /// Applies the current step: adds the shards' gradient sums in shard order, divides by the
    /// step's global batch, lets the optimizer update the parameters, and adds the shards' loss and
    /// metric sums (in shard order) to the epoch's. The elementwise parts run in ranges of indices
    /// on `pool`'s threads, which changes no bit.
    public mutating func applyStep(
        shardGradients: [[Float]], shardSums: [[Double]], batchSize: Int, pool: ComputePool = .shared
    ) throws {
        precondition(!shardGradients.isEmpty && batchSize > 0 && !epochStepsDone)
        let count = parameters.count
        precondition(shardGradients.allSatisfy { $0.count == count })
        let parts = pool.parts(elements: count * shardGradients.count)
        // Plain element-wise loops over raw buffers, which the compiler vectorizes: adding and
        // dividing element by element give the same bits in any vector width.
        meanGradient.withUnsafeMutableBufferPointer { mean in
            shardGradients.withUnsafeBufferPointer { shards in
                pool.run(ShardMean(shards: shards, mean: mean, divisor: Float(batchSize), parts: parts))
            }
        }
        meanGradient.withUnsafeBufferPointer { mean in
            parameters.withUnsafeMutableBufferPointer { p in optimizer.apply(gradient: mean, to: p, pool: pool) }
        }
        metrics.total(of: shardSums, into: &stepSums)
        for i in epochSums.indices { epochSums[i] += stepSums[i] }
        guard parameters.withUnsafeBufferPointer(Self.allFinite) else {
            throw JobError.diverged(epoch: position.epoch + 1, step: position.step + 1)
        }
        position.step += 1
    }

    /// mean[i] = (shard 0's [i] + shard 1's [i] + ...) / divisor, in ranges of the indices.
    private struct ShardMean: ComputeTask {
        let shards: UnsafeBufferPointer<[Float]>
        let mean: UnsafeMutableBufferPointer<Float>
        let divisor: Float
        let parts: Int

        func run(part: Int) {
            let range = ComputePool.range(part, of: parts, count: mean.count, multiple: 16)
            guard !range.isEmpty else { return }
            let target = mean.baseAddress! + range.lowerBound
            shards[0].withUnsafeBufferPointer { target.update(from: $0.baseAddress! + range.lowerBound, count: range.count) }
            for shard in shards.dropFirst() {
                shard.withUnsafeBufferPointer { shard in
                    let source = shard.baseAddress! + range.lowerBound
                    for i in 0..<range.count { target[i] += source[i] }
                }
            }
            for i in 0..<range.count { target[i] /= divisor }
        }
    }

    /// Whether no value is infinite or NaN (exponent bits all ones). It runs over every parameter
    /// after every step, so it tests eight at a time and without an early exit.
    private static func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
        let exponent = SIMD8<UInt32>(repeating: 0x7F80_0000)
        var nonFinite = SIMDMask<SIMD8<Int32>>(repeating: false)
        let vectors = values.count / 8
        if let base = values.baseAddress {
            let raw = UnsafeRawPointer(base)
            for vector in 0..<vectors {
                nonFinite .|= raw.loadUnaligned(fromByteOffset: vector * 32, as: SIMD8<UInt32>.self) & exponent .== exponent
            }
        }
        return !any(nonFinite) && values[(vectors * 8)...].allSatisfy(\.isFinite)
    }

    /// Closes the epoch whose steps are all applied: its report (with the validation sums, if
    /// any), and the start of the next epoch.
    public mutating func finishEpoch(validationSums: [Double]?, seconds: Double) -> EpochReport {
        precondition(epochStepsDone)
        let report = EpochReport(
            epoch: position.epoch + 1, seconds: seconds, steps: stepsPerEpoch, metrics: metrics,
            training: epochSums, validation: validationSums)
        history.append(report)
        epochSums = metrics.makeSums()
        position = TrainingPosition(epoch: position.epoch + 1, step: 0)
        return report
    }
}

extension MetricSet {
    /// The shards' loss and metric sums of one step (or validation round), added in shard order,
    /// starting from zero: the one order every trainer uses, so their reports agree to the bit.
    public func total(of shardSums: [[Double]]) -> [Double] {
        var total = makeSums()
        self.total(of: shardSums, into: &total)
        return total
    }

    /// The same, into a buffer of `slotCount` values, without allocating.
    public func total(of shardSums: [[Double]], into total: inout [Double]) {
        for i in total.indices { total[i] = 0 }
        for sums in shardSums {
            for i in total.indices { total[i] += sums[i] }
        }
    }
}
