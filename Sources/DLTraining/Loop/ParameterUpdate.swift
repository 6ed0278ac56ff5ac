// The synchronous update: the shards' gradient sums added in shard order, divided by the step's
// global batch size, and applied by the optimizer. Adding in a fixed order is what makes the result
// independent of which process computed which shard and when its sum arrived.

import DLCore

public struct ParameterUpdate: Sendable {
    public private(set) var parameters: [Float]
    public private(set) var optimizer: Optimizer
    private var meanGradient: [Float]

    public init(parameters: [Float], optimizer: Optimizer) {
        self.parameters = parameters
        self.optimizer = optimizer
        meanGradient = [Float](repeating: 0, count: parameters.count)
    }

    /// Applies one step from the shards' gradient sums, given in shard order.
    public mutating func apply(shardGradients: [[Float]], batchSize: Int) {
        precondition(!shardGradients.isEmpty && batchSize > 0)
        let count = parameters.count
        meanGradient.withUnsafeMutableBufferPointer { mean in
            mean.baseAddress!.update(from: shardGradients[0], count: count)
            for shard in shardGradients.dropFirst() {
                precondition(shard.count == count)
                for i in 0..<count { mean[i] += shard[i] }
            }
            let divisor = Float(batchSize)
            for i in 0..<count { mean[i] /= divisor }
        }
        meanGradient.withUnsafeBufferPointer { mean in
            parameters.withUnsafeMutableBufferPointer { p in optimizer.apply(gradient: mean, to: p) }
        }
    }

    /// Whether every parameter is a finite number.
    public var isFinite: Bool { parameters.allSatisfy(\.isFinite) }
}

extension MetricSet {
    /// The shards' loss and metric sums of one step (or validation round), added in shard order,
    /// starting from zero: the one order every trainer uses, so their reports agree to the bit.
    public func total(of shardSums: [[Double]]) -> [Double] {
        var total = makeSums()
        for sums in shardSums {
            for i in total.indices { total[i] += sums[i] }
        }
        return total
    }
}
