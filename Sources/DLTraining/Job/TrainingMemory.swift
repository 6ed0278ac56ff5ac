// What a process that trains a job holds in memory, estimated from the job's sizes before any of it
// is allocated, for MemoryBudget: the parameters with their optimizer state and summed gradient, a
// gradient per shard computed here, each such shard's batch buffers (BatchEngine: the batch's rows
// and every layer's outputs), the rows held (as the model's inputs, or for a preprocessed table as
// its codes, which the shard runner expands a batch at a time), and the shard deal. It leaves out
// what is small beside these (the metric sums, a chunk of the file being read), so it is a floor: a
// job above the budget cannot train here, and the error says what it would need.

import DLCore

public enum TrainingMemory {
    /// The need of a process computing `shardsHere` of the job's shards: their gradients and batch
    /// buffers (`shardBatch` rows each), `rowsHere` rows of `targetWidth` targets and the model's
    /// inputs (or `codeWidth` codes, for a preprocessed table's rows, expanded a batch at a time),
    /// and the parameters with `optimizerSlots` state buffers and the deal of `dealtRows` training rows.
    public static func need(
        model: ModelSpec, targetWidth: Int, optimizerSlots: Int, shardsHere: Int, shardBatch: Int, rowsHere: Int,
        dealtRows: Int, codeWidth: Int = 0
    ) -> MemoryNeed {
        let float = MemoryLayout<Float>.size
        let base = [
            MemoryNeed.Part(
                "the parameters, their optimizer state and summed gradient",
                bytes: MemoryNeed.product([model.layout.count, 2 + optimizerSlots, float])),
            MemoryNeed.Part("the shard deal of \(dealtRows) rows", bytes: MemoryNeed.product([dealtRows, 2 * MemoryLayout<Int32>.size])),
        ]
        return MemoryNeed(
            base + shards(
                model: model, targetWidth: targetWidth, count: shardsHere, shardBatch: shardBatch, rows: rowsHere,
                codeWidth: codeWidth
            ).parts)
    }

    /// What `count` more shards computed here need: a gradient and batch buffers each, and their
    /// `rows` rows, held as the model's inputs or, for a preprocessed table (`codeWidth` codes per
    /// row, 0 for a table of numbers), as its codes, which are expanded a batch at a time.
    public static func shards(
        model: ModelSpec, targetWidth: Int, count: Int, shardBatch: Int, rows: Int, codeWidth: Int = 0
    ) -> MemoryNeed {
        let float = MemoryLayout<Float>.size
        let (rowWidth, held) = codeWidth > 0 ? (codeWidth, "codes") : (model.inputDim, "features")
        return MemoryNeed([
            .init("a gradient per shard computed here (\(count))", bytes: MemoryNeed.product([model.layout.count, count, float])),
            .init(
                "the batch buffers of \(shardBatch) rows per shard",
                bytes: engineFloats(model, targetWidth: targetWidth, batch: shardBatch).flatMap { MemoryNeed.product([$0, count, float]) }),
            .init("\(rows) rows of \(rowWidth) \(held)", bytes: MemoryNeed.product([rows, rowWidth + targetWidth, float])),
        ])
    }

    /// A BatchEngine's floats for batches of `batch` rows: inputs and targets, every layer's
    /// pre-activations and activations, each Dropout's multipliers and dropped values, two gradient
    /// buffers of the widest layer, a transposed kernel.
    static func engineFloats(_ model: ModelSpec, targetWidth: Int, batch: Int) -> Int? {
        let units = model.layers.reduce(0) { $0 + $1.units }  // at most layers x 2^20: no overflow
        let dropped = (model.inputDropout == nil ? 0 : model.inputDim)
            + model.layers.dropLast().reduce(0) { $0 + ($1.dropout == nil ? 0 : $1.units) }
        let perRow = model.inputDim + targetWidth + 2 * units + 2 * dropped + 2 * model.widestLayer
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
