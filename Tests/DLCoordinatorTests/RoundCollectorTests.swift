// What the coordinator takes for a step under a ring plan (every member's step-done and the total,
// chunk by chunk, from the last member of the broadcast) and for a validation pass (one result per
// shard from its owner), and what it refuses, with the reason it logs.

@testable import DLCoordinator
import DLProtocol
import XCTest

final class RoundCollectorTests: XCTestCase {
    /// Shards 0-1 on worker 0, 2 on worker 1, 3 on worker 2; five parameters in chunks of two.
    private let plan = RingPlan(
        version: 4, chunkSize: 2, star: false, owners: [0, 0, 1, 2], endpoints: [0: "mem://0", 1: "mem://1", 2: "mem://2"])

    private func done(_ shards: [Int], version: UInt32 = 4, sums: Int = 2) -> StepDone {
        StepDone(
            ringVersion: version, computeMicroseconds: 5, shards: shards,
            sums: shards.map { [Double](repeating: Double($0), count: sums) })
    }

    private func chunk(_ index: Int, _ values: [Float], hop: Int = 2, version: UInt32 = 4) -> GradientChunk {
        GradientChunk(ringVersion: version, hop: hop, chunk: index, values: values)
    }

    func testAStepIsCompleteWithEveryMembersReportAndTheWholeTotal() {
        var steps = StepCollector(shardCount: 4, parameterCount: 5, sumsCount: 2)
        steps.begin(round: 9, plan: plan)
        XCTAssertEqual(plan.broadcastOrder, [2, 0, 1], "the last segment's owner starts the broadcast")
        XCTAssertNil(steps.take(done([2]), round: 9, from: 1))
        XCTAssertNil(steps.take(chunk(2, [5]), round: 9, from: 1))
        XCTAssertNil(steps.take(done([0, 1]), round: 9, from: 0))
        XCTAssertNil(steps.take(chunk(0, [1, 2]), round: 9, from: 1))
        XCTAssertNil(steps.take(done([3]), round: 9, from: 2))
        XCTAssertFalse(steps.isComplete, "chunk 1 is missing")
        XCTAssertNil(steps.take(chunk(1, [3, 4]), round: 9, from: 1))
        XCTAssertTrue(steps.isComplete)
        XCTAssertEqual(steps.total, [1, 2, 3, 4, 5])
        XCTAssertEqual(steps.sums, [[0, 0], [1, 1], [2, 2], [3, 3]], "sums sit in shard order")
    }

    func testWhatDoesNotBelongToTheStepIsRefused() {
        var steps = StepCollector(shardCount: 4, parameterCount: 5, sumsCount: 2)
        steps.begin(round: 9, plan: plan)
        XCTAssertEqual(steps.take(done([2]), round: 8, from: 1), .wrongRound(8, expected: 9))
        XCTAssertEqual(steps.take(done([2], version: 3), round: 9, from: 1), .stalePlan(3, current: 4))
        XCTAssertEqual(steps.take(done([3]), round: 9, from: 1), .notItsShard(3))
        XCTAssertEqual(steps.take(done([2], sums: 3), round: 9, from: 1), .wrongLength(shard: 2))
        XCTAssertNil(steps.take(done([2]), round: 9, from: 1))
        XCTAssertEqual(steps.take(done([2]), round: 9, from: 1), .alreadyReceived(shard: 2))
        XCTAssertEqual(steps.take(chunk(0, [1, 2]), round: 9, from: 0), .unexpected, "only the broadcast's last member sends it")
        XCTAssertEqual(steps.take(chunk(0, [1, 2], hop: 1), round: 9, from: 1), .unexpected)
        XCTAssertEqual(steps.take(chunk(0, [1]), round: 9, from: 1), .wrongLength(shard: -1))
        XCTAssertEqual(steps.take(chunk(3, [1, 2]), round: 9, from: 1), .unexpected, "there are three chunks")
        steps.abandon()
        XCTAssertEqual(steps.take(done([0, 1]), round: 9, from: 0), .abandonedPlan(4), "an abandoned plan takes nothing")
        XCTAssertFalse(steps.isComplete)
    }

    func testAValidationPassTakesOneResultPerShardFromItsOwner() {
        var validation = RoundCollector(shardCount: 2, sumsCount: 2)
        validation.begin(round: 1)
        func take(_ shard: Int, _ sums: [Double], round: UInt64 = 1, from sender: Int = 0, fromOwner: Bool = true) -> DropReason? {
            validation.take(ValidationSums(shard: shard, sums: sums), round: round, from: sender, fromOwner: fromOwner)
        }
        XCTAssertEqual(take(0, [1, 2], round: 0), .wrongRound(0, expected: 1))
        XCTAssertEqual(take(0, [1, 2], fromOwner: false), .notItsShard(0))
        XCTAssertEqual(take(5, [1, 2]), .notItsShard(5))
        XCTAssertEqual(take(0, [1]), .wrongLength(shard: 0))
        XCTAssertNil(take(1, [3, 4], from: 7))
        XCTAssertEqual(validation.missing([0, 1]), [0])
        XCTAssertNil(take(0, [1, 2], from: 6))
        XCTAssertEqual(take(0, [1, 2]), .alreadyReceived(shard: 0))
        XCTAssertTrue(validation.isComplete)
        XCTAssertEqual(validation.sums, [[1, 2], [3, 4]])
        XCTAssertEqual(validation.senders, [6, 7])
    }

    /// A worker found lying: its results are forgotten, the others' kept, and its shards taken again.
    func testTheResultsOfOneSenderAreForgotten() {
        var validation = RoundCollector(shardCount: 3, sumsCount: 1)
        validation.begin(round: 0)
        for (shard, sender) in [(0, 4), (1, 5), (2, 4)] {
            XCTAssertNil(validation.take(ValidationSums(shard: shard, sums: [Double(shard)]), round: 0, from: sender, fromOwner: true))
        }
        XCTAssertEqual(validation.forget(sentBy: 4), [0, 2])
        XCTAssertEqual(validation.missing([0, 1, 2]), [0, 2])
        XCTAssertEqual(validation.senders, [nil, 5, nil])
        XCTAssertNil(validation.take(ValidationSums(shard: 0, sums: [9]), round: 0, from: 5, fromOwner: true))
        XCTAssertEqual(validation.forget(sentBy: 4), [], "nothing of it is left")
    }
}
