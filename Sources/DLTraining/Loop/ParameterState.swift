// The parameters and the optimizer's state, and the one update every holder of them applies: the
// step's summed gradient divided by the global batch, then the optimizer. The coordinator, the
// single-process trainer and every worker of a distributed run keep one of these, and applying the
// same summed gradient to the same state gives the same bits everywhere.

import DLCore

public struct ParameterState: Sendable, Equatable {
    public private(set) var parameters: [Float]
    public private(set) var optimizer: Optimizer
    /// The summed, then averaged, gradient of the step being applied; kept to allocate nothing.
    private var meanGradient: [Float]

    public init(parameters: [Float], optimizer: Optimizer) {
        precondition(optimizer.parameterCount == parameters.count)
        self.parameters = parameters
        self.optimizer = optimizer
        meanGradient = [Float](repeating: 0, count: parameters.count)
    }

    public static func == (lhs: ParameterState, rhs: ParameterState) -> Bool {
        lhs.parameters == rhs.parameters && lhs.optimizer == rhs.optimizer
    }

    /// Applies a step from the shards' gradient sums: adds them in shard order (the first copied,
    /// the others added left to right, as a ring of workers adds them), then `apply`. Returns whether
    /// every parameter is still finite.
    public mutating func apply(shardGradients: [[Float]], batchSize: Int) -> Bool {
        precondition(!shardGradients.isEmpty)
        let count = parameters.count
        // Plain element-wise loops over raw buffers, which the compiler vectorizes: adding element
        // by element gives the same bits in any vector width.
        meanGradient.withUnsafeMutableBufferPointer { mean in
            mean.baseAddress!.update(from: shardGradients[0], count: count)
            for shard in shardGradients.dropFirst() {
                precondition(shard.count == count)
                shard.withUnsafeBufferPointer { shard in
                    for i in 0..<count { mean[i] += shard[i] }
                }
            }
        }
        return averageAndUpdate(batchSize: batchSize)
    }

    /// Applies a step from its gradient already summed over the shards in shard order.
    public mutating func apply(summedGradient: UnsafeBufferPointer<Float>, batchSize: Int) -> Bool {
        precondition(summedGradient.count == parameters.count)
        meanGradient.withUnsafeMutableBufferPointer { mean in
            mean.baseAddress!.update(from: summedGradient.baseAddress!, count: summedGradient.count)
        }
        return averageAndUpdate(batchSize: batchSize)
    }

    private mutating func averageAndUpdate(batchSize: Int) -> Bool {
        precondition(batchSize > 0)
        meanGradient.withUnsafeMutableBufferPointer { mean in
            let divisor = Float(batchSize)
            for i in mean.indices { mean[i] /= divisor }
        }
        meanGradient.withUnsafeBufferPointer { mean in
            parameters.withUnsafeMutableBufferPointer { p in optimizer.apply(gradient: mean, to: p) }
        }
        return parameters.withUnsafeBufferPointer(Self.allFinite)
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
}
