// The shard schedule: every row once per epoch, shard parts that differ by at most one row, a
// trajectory fixed by (rows, S, batch, seed), and per-shard orders that do not depend on any other
// shard (what lets a worker compute its shards alone).

import DLData
import XCTest

final class ShardScheduleTests: XCTestCase {
    func testEveryRowOncePerEpochInBalancedParts() {
        for (rows, shards, batch) in [(470, 1, 10), (470, 4, 10), (23, 4, 5), (10, 3, 2), (7, 4, 3), (5, 5, 1), (9, 2, 100)] {
            let schedule = ShardSchedule(rowCount: rows, shardCount: shards, batchSize: batch, seed: 3)
            XCTAssertEqual(schedule.shardRows.map(\.count).reduce(0, +), rows)
            XCTAssertLessThanOrEqual(schedule.shardRows.map(\.count).max()! - schedule.shardRows.map(\.count).min()!, 1)
            XCTAssertEqual(schedule.stepsPerEpoch, (rows + batch - 1) / batch)
            for epoch in 0..<2 {
                var seen: [Int32] = []
                for step in 0..<schedule.stepsPerEpoch {
                    let parts = (0..<shards).map { schedule.stepRange(shard: $0, step: step) }
                    XCTAssertEqual(parts.map(\.count).reduce(0, +), schedule.batchSize(ofStep: step))
                    XCTAssertLessThanOrEqual(parts.map(\.count).max()! - parts.map(\.count).min()!, 1)
                    XCTAssertLessThanOrEqual(parts.map(\.count).max()!, schedule.largestShardBatch)
                    for (shard, range) in parts.enumerated() {
                        var order: [Int32] = []
                        schedule.fillEpochOrder(&order, shard: shard, epoch: epoch)
                        seen += order[range].map { schedule.shardRows[shard][Int($0)] }
                    }
                }
                XCTAssertEqual(seen.sorted(), (0..<Int32(rows)).map { $0 }, "rows \(rows), S \(shards), batch \(batch)")
            }
        }
    }

    func testOrdersDependOnSeedEpochAndShardOnly() {
        let a = ShardSchedule(rowCount: 100, shardCount: 4, batchSize: 10, seed: 3)
        let b = ShardSchedule(rowCount: 100, shardCount: 4, batchSize: 10, seed: 3)
        XCTAssertEqual(a, b)
        var first: [Int32] = [], second: [Int32] = [], nextEpoch: [Int32] = []
        a.fillEpochOrder(&first, shard: 2, epoch: 5)
        b.fillEpochOrder(&second, shard: 2, epoch: 5)
        a.fillEpochOrder(&nextEpoch, shard: 2, epoch: 6)
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(first, nextEpoch)
        XCTAssertNotEqual(a.shardRows, ShardSchedule(rowCount: 100, shardCount: 4, batchSize: 10, seed: 4).shardRows)
    }

    /// Found by fuzzing job files: a batch of the largest Int overflowed counting the steps.
    func testABatchOfTheLargestIntIsOneStep() {
        let schedule = ShardSchedule(rowCount: 10, shardCount: 2, batchSize: .max, seed: 1)
        XCTAssertEqual(schedule.stepsPerEpoch, 1)
        XCTAssertEqual(schedule.batchSize(ofStep: 0), 10)
        XCTAssertEqual(schedule.stepRange(shard: 1, step: 0), 0..<5)
        XCTAssertEqual(ShardSchedule(rowCount: 10, shardCount: 2, batchSize: 3, seed: 1).stepsPerEpoch, 4)
    }

    func testValidationBlocksCoverTheRowsInOrder() {
        for (rows, shards) in [(114, 4), (3, 4), (10, 1)] {
            let ranges = (0..<shards).map { ShardSchedule.validationRange(shard: $0, shardCount: shards, rowCount: rows) }
            XCTAssertEqual(ranges.first!.lowerBound, 0)
            XCTAssertEqual(ranges.last!.upperBound, rows)
            for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
            for (shard, range) in ranges.enumerated() {
                for row in range { XCTAssertEqual(ShardSchedule.validationShard(ofRow: row, shardCount: shards, rowCount: rows), shard) }
            }
        }
    }

    /// A row past the validation rows (a file that grew) has no shard, even when there are no
    /// validation rows at all: no division by zero.
    func testARowOutsideTheValidationRowsHasNoShard() {
        XCTAssertNil(ShardSchedule.validationShard(ofRow: 0, shardCount: 4, rowCount: 0))
        XCTAssertNil(ShardSchedule.validationShard(ofRow: 10, shardCount: 4, rowCount: 10))
        XCTAssertNil(ShardSchedule.validationShard(ofRow: -1, shardCount: 4, rowCount: 10))
    }
}
