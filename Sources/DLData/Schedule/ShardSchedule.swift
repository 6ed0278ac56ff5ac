// The shard schedule: which training rows every logical shard computes at every step.
//
// The rows are dealt into S logical shards by a seeded permutation (row i of the permutation goes to
// shard i mod S). Each epoch, every shard shuffles its own rows with a generator derived from
// (seed, epoch, shard). The epoch's positions 0..<n are interleaved over the shards (position p is
// shard p mod S's row p / S), and step t takes the positions [t*B, (t+1)*B). So every step takes
// from each shard a consecutive run of its epoch order, the shards' parts differ by at most one row,
// every row is used exactly once per epoch, and nothing depends on which process owns a shard.

import DLCore

public struct ShardSchedule: Sendable, Equatable {
    public let rowCount: Int
    public let shardCount: Int
    /// The global batch size: rows per step, summed over all shards.
    public let batchSize: Int
    public let seed: UInt64
    /// Each shard's rows (indices into the training rows) in dealt order.
    public let shardRows: [[Int32]]

    /// The most training rows a schedule deals: rows are numbered in 32 bits.
    public static let maximumRows = Int(Int32.max)

    /// Callers check the counts where they enter (a job's settings and data, a welcome message).
    public init(rowCount: Int, shardCount: Int, batchSize: Int, seed: UInt64) {
        precondition(rowCount > 0 && rowCount <= Self.maximumRows && shardCount > 0 && batchSize > 0)
        self.rowCount = rowCount
        self.shardCount = shardCount
        self.batchSize = batchSize
        self.seed = seed
        var permutation = (0..<Int32(rowCount)).map { $0 }
        var generator = SeededGenerator(seed: seed, stream: RandomStream.shardDeal)
        generator.shuffle(&permutation)
        var shards = [[Int32]](repeating: [], count: shardCount)
        for (position, row) in permutation.enumerated() {
            shards[position % shardCount].append(row)
        }
        shardRows = shards
    }

    /// Each training row's position in the deal (its shard is position mod S, its slot in the
    /// shard's dealt order position / S): where a row read from the file goes.
    public func dealtPositions() -> [Int32] {
        var positions = [Int32](repeating: 0, count: rowCount)
        for (shard, rows) in shardRows.enumerated() {
            for (slot, row) in rows.enumerated() { positions[Int(row)] = Int32(slot * shardCount + shard) }
        }
        return positions
    }

    /// The shard whose validation block holds validation row `row` (see `validationRange`); nil for
    /// a row outside the `rowCount` validation rows (a file that grew since the job began).
    public static func validationShard(ofRow row: Int, shardCount: Int, rowCount: Int) -> Int? {
        guard row >= 0, row < rowCount, shardCount > 0 else { return nil }
        // Rows and shards are both far below 2^31 (ShardSchedule, DataPreparation), so the product fits.
        return ((row + 1) * shardCount - 1) / rowCount
    }

    /// The rows over the batch size, rounded up; without adding them first, which overflows for a
    /// batch size near the largest Int (a job file or checkpoint may say so).
    public var stepsPerEpoch: Int { rowCount / batchSize + (rowCount % batchSize == 0 ? 0 : 1) }

    /// The largest number of rows any shard takes in one step: what its engine must hold.
    public var largestShardBatch: Int { (min(batchSize, rowCount) + shardCount - 1) / shardCount }

    /// The global batch of `step`: `batchSize`, or what is left at the end of the epoch.
    public func batchSize(ofStep step: Int) -> Int {
        min(batchSize, rowCount - step * batchSize)
    }

    /// Fills `order` with shard `shard`'s order in epoch `epoch` (0-based): positions into its dealt
    /// rows, shuffled for that epoch. Positions rather than row numbers, so that a process holding
    /// only the shard's rows (in dealt order) computes the same batches. Reuses `order`'s storage.
    public func fillEpochOrder(_ order: inout [Int32], shard: Int, epoch: Int) {
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: 0..<Int32(shardRows[shard].count))
        var generator = SeededGenerator(
            seed: seed, stream: RandomStream.shardShuffle, UInt64(epoch), UInt64(shard))
        generator.shuffle(&order)
    }

    /// The part of the epoch order that shard `shard` computes at `step`.
    public func stepRange(shard: Int, step: Int) -> Range<Int> {
        let start = step * batchSize
        let end = min(start + batchSize, rowCount)
        return positionsBefore(start, shard: shard)..<positionsBefore(end, shard: shard)
    }

    /// The validation rows shard `shard` evaluates: a contiguous block, block sizes differing by at most one.
    public static func validationRange(shard: Int, shardCount: Int, rowCount: Int) -> Range<Int> {
        (shard * rowCount / shardCount)..<((shard + 1) * rowCount / shardCount)
    }

    /// How many of the epoch positions 0..<position belong to `shard`.
    private func positionsBefore(_ position: Int, shard: Int) -> Int {
        position > shard ? (position - shard - 1) / shardCount + 1 : 0
    }
}
