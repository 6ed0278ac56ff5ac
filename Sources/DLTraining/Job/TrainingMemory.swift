// What a process that trains a job holds in memory, estimated from the job's sizes before any of it
// is allocated, for MemoryBudget: the parameters with their optimizer state and summed gradient, a
// gradient per shard computed here, each such shard's batch buffers (BatchEngine: the batch's rows
// and every layer's outputs), the rows held, and the shard deal. It leaves out what is small beside
// these (the metric sums, a chunk of the file being read), so it is a floor: a job above the budget
// cannot train here, and the error says what it would need.

import DLCore

public enum TrainingMemory {
    /// The need of a process computing `shardsHere` of the job's shards: their gradients and batch
    /// buffers (`shardBatch` rows each), `rowsHere` rows of `rowWidth` floats (features and
    /// targets), the deal of `dealtRows` training rows; `optimizerSlots` state buffers.
    public static func need(
        model: ModelSpec, targetWidth: Int, optimizerSlots: Int, shardsHere: Int, shardBatch: Int, rowsHere: Int,
        dealtRows: Int
    ) -> MemoryNeed {
        let parameters = model.layout.count  // at most ModelSpec.maximumParameters
        let float = MemoryLayout<Float>.size
        return MemoryNeed([
            .init(
                "the parameters, their optimizer state and summed gradient",
                bytes: MemoryNeed.product([parameters, 2 + optimizerSlots, float])),
            .init(
                "a gradient per shard computed here (\(shardsHere))",
                bytes: MemoryNeed.product([parameters, shardsHere, float])),
            .init(
                "the batch buffers of \(shardBatch) rows per shard",
                bytes: engineFloats(model, targetWidth: targetWidth, batch: shardBatch).flatMap {
                    MemoryNeed.product([$0, shardsHere, float])
                }),
            .init(
                "\(rowsHere) rows of \(model.inputDim) features",
                bytes: MemoryNeed.product([rowsHere, model.inputDim + targetWidth, float])),
            .init("the shard deal of \(dealtRows) rows", bytes: MemoryNeed.product([dealtRows, 2 * MemoryLayout<Int32>.size])),
        ])
    }

    /// A BatchEngine's floats for batches of `batch` rows: inputs and targets, every layer's
    /// pre-activations and activations, two gradient buffers of the widest layer, a transposed kernel.
    static func engineFloats(_ model: ModelSpec, targetWidth: Int, batch: Int) -> Int? {
        let units = model.layers.reduce(0) { $0 + $1.units }  // at most layers x 2^20: no overflow
        let perRow = model.inputDim + targetWidth + 2 * units + 2 * model.widestLayer
        let largestKernel = zip([model.inputDim] + model.layers.map(\.units), model.layers).map { $0 * $1.units }.max() ?? 0
        return MemoryNeed.product([max(batch, 1), perRow]).flatMap { rows in
            let (sum, overflow) = rows.addingReportingOverflow(largestKernel)
            return overflow ? nil : sum
        }
    }

    /// What to change when a job does not fit, as dlcoord's flags name it.
    public static let hint = "use fewer or narrower layers (--layers), fewer feature columns (--features), "
        + "a smaller --batch-size or fewer --shards, or a machine with more memory"
}
