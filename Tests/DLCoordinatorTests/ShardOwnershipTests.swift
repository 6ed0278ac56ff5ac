// The rules of who computes which shard, on the value alone: the initial deal, adopting shards a
// lost worker leaves, handing shards over at a step boundary, and moving shards to a newcomer.

@testable import DLCoordinator
import XCTest

final class ShardOwnershipTests: XCTestCase {
    /// Six shards dealt to three workers, each of which has loaded its rows.
    private func settled() -> ShardOwnership {
        var ownership = ShardOwnership(shardCount: 6)
        _ = ownership.deal(among: [0, 1, 2])
        for worker in 0..<3 { _ = ownership.adoptUnowned(by: worker) }
        return ownership
    }

    func testTheDealGivesConsecutiveBlocksAndNothingIsOwnedUntilLoaded() {
        var ownership = ShardOwnership(shardCount: 6)
        XCTAssertEqual(ownership.deal(among: [0, 1, 2]), [[0, 1], [2, 3], [4, 5]])
        XCTAssertEqual(ownership.owners, Array(repeating: nil, count: 6))
        XCTAssertFalse(ownership.isComplete)
        XCTAssertEqual(ownership.adoptUnowned(by: 1), [2, 3])
        XCTAssertEqual(ownership.owned(by: 1), [2, 3])
        XCTAssertEqual(ownership.incoming(to: 1), [])
        _ = ownership.adoptUnowned(by: 0)
        XCTAssertFalse(ownership.isComplete)
        _ = ownership.adoptUnowned(by: 2)
        XCTAssertTrue(ownership.isComplete)
        XCTAssertEqual(ownership.owners, [0, 0, 1, 1, 2, 2])
    }

    func testTheDealSkipsWorkersThatAreNotListedAndSpreadsTheRemainder() {
        var ownership = ShardOwnership(shardCount: 5)
        XCTAssertEqual(ownership.deal(among: [0, 2]), [[0, 1, 2], [3, 4]])
        XCTAssertEqual(ownership.load(of: 1), 0)
    }

    func testALostWorkersShardsGoToTheLeastLoadedLowestIndexFirst() {
        var ownership = settled()
        ownership.release(1)
        XCTAssertEqual(ownership.orphans, [2, 3])
        XCTAssertEqual(ownership.owners, [0, 0, nil, nil, 2, 2])
        let given = ownership.assignOrphans(to: [0, 2])
        XCTAssertEqual(given.map(\.worker), [0, 2])
        XCTAssertEqual(given.map(\.shards), [[2], [3]])
        XCTAssertEqual(ownership.orphans, [], "given shards are on their way, not orphaned")
        XCTAssertFalse(ownership.isComplete, "they are owned only once loaded")
        XCTAssertEqual(ownership.adoptUnowned(by: 2), [3])
        XCTAssertEqual(ownership.adoptUnowned(by: 0), [2])
        XCTAssertEqual(ownership.owners, [0, 0, 0, 2, 2, 2])
    }

    func testWithNoCandidateOrphansStayOrphaned() {
        var ownership = settled()
        ownership.release(0)
        XCTAssertTrue(ownership.assignOrphans(to: []).isEmpty)
        XCTAssertEqual(ownership.orphans, [0, 1])
    }

    func testLosingTheWorkerAShardWasOnItsWayToLeavesTheOwnerInPlace() {
        var ownership = settled()
        _ = ownership.rebalance(among: [0, 1, 2, 3])  // worker 3 is a newcomer: shards are on their way to it
        let moving = ownership.incoming(to: 3)
        XCTAssertFalse(moving.isEmpty)
        ownership.release(3)
        XCTAssertEqual(ownership.incoming(to: 3), [])
        XCTAssertEqual(ownership.owners, [0, 0, 1, 1, 2, 2], "the shards it was being sent stay with their owners")
        XCTAssertEqual(ownership.orphans, [])
    }

    func testANewcomerTakesShardsFromTheBusiestAtTheNextHandover() {
        var ownership = ShardOwnership(shardCount: 6)
        _ = ownership.deal(among: [0, 1])
        _ = ownership.adoptUnowned(by: 0)
        _ = ownership.adoptUnowned(by: 1)
        let given = ownership.rebalance(among: [0, 1, 2])
        // Loads 3, 3, 0: worker 0 (busiest, lowest index) gives its highest shard, then worker 1.
        XCTAssertEqual(given.map(\.worker), [2])
        XCTAssertEqual(given.map(\.shards), [[2, 5]])
        XCTAssertEqual(ownership.owners, [0, 0, 0, 1, 1, 1], "nothing changes hands before the newcomer has the rows")

        ownership.completeHandovers { _ in false }
        XCTAssertEqual(ownership.owners, [0, 0, 0, 1, 1, 1])
        ownership.completeHandovers { $0 == 2 }
        XCTAssertEqual(ownership.owners, [0, 0, 2, 1, 1, 2])
        XCTAssertEqual(ownership.owned(by: 2), [2, 5])
        XCTAssertEqual(ownership.incoming(to: 2), [])
    }

    func testBalancedWorkersAreLeftAlone() {
        var ownership = settled()
        XCTAssertTrue(ownership.rebalance(among: [0, 1, 2]).isEmpty)
    }
}
