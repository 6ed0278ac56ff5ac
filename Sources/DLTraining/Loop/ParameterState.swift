// The parameters and the optimizer's state, and the one update every holder of them applies: the
// step's summed gradient divided by the global batch, plus the gradient of the model's weight
// regularization at the parameters before the update, then the optimizer. The coordinator, the
// single-process trainer and every worker of a distributed run keep one of these, and applying the
// same summed gradient to the same state gives the same bits everywhere.

import DLCore

public struct ParameterState: Sendable, Equatable {
    public private(set) var parameters: [Float]
    public private(set) var optimizer: Optimizer
    /// The model's kernel and bias regularizers, whose gradient joins the mean gradient.
    public let regularization: Regularization
    /// The summed, then averaged, gradient of the step being applied; kept to allocate nothing.
    private var meanGradient: [Float]

    public init(parameters: [Float], optimizer: Optimizer, regularization: Regularization) {
        precondition(optimizer.parameterCount == parameters.count)
        precondition(regularization.terms.allSatisfy { $0.range.upperBound <= parameters.count })
        self.parameters = parameters
        self.optimizer = optimizer
        self.regularization = regularization
        meanGradient = [Float](repeating: 0, count: parameters.count)
    }

    /// The regularization penalty R(θ) at the current parameters; nil for a model without regularizers.
    public var penalty: Float? { regularization.isEmpty ? nil : regularization.penalty(parameters) }

    public static func == (lhs: ParameterState, rhs: ParameterState) -> Bool {
        lhs.parameters == rhs.parameters && lhs.optimizer == rhs.optimizer
    }

    /// Sets the optimizer's base learning rate for the steps that follow (ReduceLROnPlateau's
    /// decision, or the coordinator's, which every replica follows).
    public mutating func setLearningRate(_ rate: Float) {
        optimizer.setLearningRate(rate)
    }

    /// Applies a step from the shards' gradient sums: adds them in shard order (the first copied,
    /// the others added left to right, as a ring of workers adds them), divides by the global batch,
    /// and lets the optimizer update the parameters; the elementwise parts run in ranges of indices
    /// on `pool`'s threads, which changes no bit. Returns whether every parameter is still finite.
    public mutating func apply(shardGradients: [[Float]], batchSize: Int, pool: ComputePool = .shared) -> Bool {
        precondition(!shardGradients.isEmpty && batchSize > 0)
        let count = parameters.count
        precondition(shardGradients.allSatisfy { $0.count == count })
        let parts = pool.parts(elements: count * shardGradients.count)
        meanGradient.withUnsafeMutableBufferPointer { mean in
            shardGradients.withUnsafeBufferPointer { shards in
                pool.run(ShardMean(shards: shards, mean: mean, divisor: Float(batchSize), parts: parts))
            }
        }
        return update(pool: pool)
    }

    /// Applies a step from its gradient already summed over the shards in shard order.
    public mutating func apply(summedGradient: UnsafeBufferPointer<Float>, batchSize: Int, pool: ComputePool = .shared) -> Bool {
        precondition(summedGradient.count == parameters.count && batchSize > 0)
        let parts = pool.parts(elements: summedGradient.count)
        meanGradient.withUnsafeMutableBufferPointer { mean in
            pool.run(SumMean(sum: summedGradient, mean: mean, divisor: Float(batchSize), parts: parts))
        }
        return update(pool: pool)
    }

    private mutating func update(pool: ComputePool) -> Bool {
        if !regularization.isEmpty {
            parameters.withUnsafeBufferPointer { p in
                meanGradient.withUnsafeMutableBufferPointer { regularization.addGradient(of: p, to: $0) }
            }
        }
        meanGradient.withUnsafeMutableBufferPointer { mean in
            parameters.withUnsafeMutableBufferPointer { p in optimizer.apply(gradient: mean, to: p, pool: pool) }
        }
        return parameters.withUnsafeBufferPointer(Self.allFinite)
    }

    /// mean[i] = (shard 0's [i] + shard 1's [i] + ...) / divisor, in ranges of the indices: plain
    /// element-wise loops, which the compiler vectorizes and which give the same bits in any vector
    /// width and any split.
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

    /// mean[i] = sum[i] / divisor, likewise.
    private struct SumMean: ComputeTask {
        let sum: UnsafeBufferPointer<Float>
        let mean: UnsafeMutableBufferPointer<Float>
        let divisor: Float
        let parts: Int

        func run(part: Int) {
            let range = ComputePool.range(part, of: parts, count: mean.count, multiple: 16)
            for i in range { mean[i] = sum[i] / divisor }
        }
    }

    /// Whether no value is infinite or NaN (exponent bits all ones). It runs over every parameter
    /// after every step (and a coordinator over every step's summed gradient), so it tests eight at
    /// a time and without an early exit.
    public static func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
        let exponent = SIMD8<UInt32>(repeating: 0x7F80_0000)
        var nonFinite = SIMDMask<SIMD8<Int32>>(repeating: false)
        let vectors = values.count / 8
        if let base = values.baseAddress {
            let raw = UnsafeRawPointer(base)
            for vector in 0..<vectors {
                nonFinite .|= raw.loadUnaligned(fromByteOffset: vector * 32, as: SIMD8<UInt32>.self) & exponent .== exponent
            }
        }
        return !any(nonFinite) && values[(vectors * 8)...].allSatisfy { $0.isFinite }
    }
}
