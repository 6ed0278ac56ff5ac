// One result per shard per round, from its owner, of the job's length: what the collector takes
// and what it refuses, with the reason the coordinator logs.

@testable import DLCoordinator
import DLProtocol
import XCTest

final class RoundCollectorTests: XCTestCase {
    private func gradient(_ shard: Int, count: Int = 3, sums: Int = 2) -> ShardGradient {
        ShardGradient(
            shard: shard, computeMicroseconds: 1, gradient: [Float](repeating: Float(shard), count: count),
            sums: [Double](repeating: 1, count: sums))
    }

    func testTheRoundIsCompleteWithOneResultPerShard() {
        var collector = RoundCollector(shardCount: 3, parameterCount: 3, sumsCount: 2)
        collector.begin(round: 7)
        XCTAssertNil(collector.take(gradient(2), round: 7, fromOwner: true))
        XCTAssertNil(collector.take(gradient(0), round: 7, fromOwner: true))
        XCTAssertFalse(collector.isComplete)
        XCTAssertEqual(collector.missing([0, 1, 2]), [1])
        XCTAssertNil(collector.take(gradient(1), round: 7, fromOwner: true))
        XCTAssertTrue(collector.isComplete)
        XCTAssertEqual(collector.gradients.map { $0[0] }, [0, 1, 2], "results sit in shard order, whatever their arrival")

        collector.begin(round: 8)
        XCTAssertFalse(collector.isComplete)
        XCTAssertEqual(collector.missing([0, 1, 2]), [0, 1, 2])
    }

    func testResultsThatDoNotBelongAreRefusedWithTheirReason() {
        var collector = RoundCollector(shardCount: 2, parameterCount: 3, sumsCount: 2)
        collector.begin(round: 4)
        XCTAssertEqual(collector.take(gradient(0), round: 3, fromOwner: true), .wrongRound(3, expected: 4))
        XCTAssertEqual(collector.take(gradient(0), round: 4, fromOwner: false), .notItsShard(0))
        XCTAssertEqual(collector.take(gradient(5), round: 4, fromOwner: true), .notItsShard(5))
        XCTAssertEqual(collector.take(gradient(-1), round: 4, fromOwner: true), .notItsShard(-1))
        XCTAssertEqual(collector.take(gradient(0, count: 2), round: 4, fromOwner: true), .wrongLength(shard: 0))
        XCTAssertEqual(collector.take(gradient(0, sums: 3), round: 4, fromOwner: true), .wrongLength(shard: 0))
        XCTAssertNil(collector.take(gradient(0), round: 4, fromOwner: true))
        XCTAssertEqual(collector.take(gradient(0), round: 4, fromOwner: true), .alreadyReceived(shard: 0))
        XCTAssertEqual(collector.missing([0, 1]), [1], "no refused result filled a slot")
    }

    func testValidationSumsAreCollectedLikewise() {
        var collector = RoundCollector(shardCount: 2, parameterCount: 3, sumsCount: 2)
        collector.begin(round: 1)
        XCTAssertEqual(collector.take(ValidationSums(shard: 0, sums: [1]), round: 1, fromOwner: true), .wrongLength(shard: 0))
        XCTAssertNil(collector.take(ValidationSums(shard: 0, sums: [1, 2]), round: 1, fromOwner: true))
        XCTAssertNil(collector.take(ValidationSums(shard: 1, sums: [3, 4]), round: 1, fromOwner: true))
        XCTAssertTrue(collector.isComplete)
        XCTAssertEqual(collector.sums, [[1, 2], [3, 4]])
    }
}
