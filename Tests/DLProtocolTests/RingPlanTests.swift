// The ring plan as docs/protocol.md describes it: segments of consecutive shards with the same
// owner, the members in the order of their first segment, the total's broadcast starting at the last
// segment's owner, the chunks, which models the coordinator sums (a star), and which plans a worker
// accepts.

import DLProtocol
import XCTest

final class RingPlanTests: XCTestCase {
    private let endpoints = [0: "tcp://a:1", 1: "tcp://b:2", 2: "ipc:///tmp/c"]

    func testSegmentsAreRunsOfConsecutiveShardsWithOneOwner() {
        let plan = RingPlan(version: 4, chunkSize: 8, star: false, owners: [0, 0, 1, 1, 0, 2], endpoints: endpoints)
        XCTAssertEqual(plan.segments, [
            RingPlan.Segment(worker: 0, shards: [0, 1]), RingPlan.Segment(worker: 1, shards: [2, 3]),
            RingPlan.Segment(worker: 0, shards: [4]), RingPlan.Segment(worker: 2, shards: [5]),
        ])
        XCTAssertEqual(plan.members, [0, 1, 2])
        XCTAssertEqual(plan.peers, [
            RingPlan.Peer(worker: 0, endpoint: "tcp://a:1"), RingPlan.Peer(worker: 1, endpoint: "tcp://b:2"),
            RingPlan.Peer(worker: 2, endpoint: "ipc:///tmp/c"),
        ])
        XCTAssertEqual(plan.segments(of: 0), [0, 2])
        XCTAssertEqual(plan.segments(of: 2), [3])
        XCTAssertEqual(plan.segments(of: 7), [])
        XCTAssertEqual(plan.endpoint(of: 1), "tcp://b:2")
        XCTAssertNil(plan.endpoint(of: 7))
        XCTAssertEqual(plan.version, 4)
        XCTAssertTrue(plan.isValid(shardCount: 6))
    }

    /// The last segment's owner finishes the total and sends it first; the others follow in ring
    /// order after it, and the last of them sends it to the coordinator.
    func testTheBroadcastStartsAtTheLastSegmentsOwner() {
        XCTAssertEqual(RingPlan(version: 1, chunkSize: 8, star: false, owners: [0, 0, 1, 1, 0, 2], endpoints: endpoints).broadcastOrder, [2, 0, 1])
        XCTAssertEqual(RingPlan(version: 1, chunkSize: 8, star: false, owners: [2, 0, 1], endpoints: endpoints).broadcastOrder, [1, 2, 0])
        XCTAssertEqual(RingPlan(version: 1, chunkSize: 8, star: false, owners: [1, 0, 1], endpoints: endpoints).broadcastOrder, [1, 0])
        XCTAssertEqual(RingPlan(version: 1, chunkSize: 8, star: false, owners: [2, 2, 2], endpoints: endpoints).broadcastOrder, [2])
        XCTAssertEqual(RingPlan(version: 1, chunkSize: 8, star: false, segments: [], peers: []).broadcastOrder, [])
    }

    func testChunksCoverTheParametersInOrder() {
        let plan = RingPlan(version: 1, chunkSize: 4, star: false, owners: [0], endpoints: endpoints)
        XCTAssertEqual(plan.chunkCount(parameterCount: 10), 3)
        XCTAssertEqual((0..<3).map { plan.chunkRange($0, parameterCount: 10) }, [0..<4, 4..<8, 8..<10])
        XCTAssertEqual(plan.chunkCount(parameterCount: 8), 2)
        XCTAssertEqual(plan.chunkRange(1, parameterCount: 8), 4..<8)
        XCTAssertEqual(plan.chunkCount(parameterCount: 1), 1)
        // A model has parameters, but a plan still has one (empty) chunk without them.
        XCTAssertEqual(plan.chunkCount(parameterCount: 0), 1)
        XCTAssertEqual(plan.chunkRange(0, parameterCount: 0), 0..<0)
    }

    func testOnlyAPlanThatCoversEveryShardOnceInOrderIsValid() {
        func plan(_ segments: [(Int, [Int])], peers: [Int] = [0, 1], chunkSize: Int = 4) -> RingPlan {
            RingPlan(version: 1, chunkSize: chunkSize, star: false, segments: segments.map { RingPlan.Segment(worker: $0.0, shards: $0.1) },
                peers: peers.map { RingPlan.Peer(worker: $0, endpoint: "tcp://w\($0):1") })
        }
        XCTAssertTrue(plan([(0, [0, 1]), (1, [2])]).isValid(shardCount: 3))
        XCTAssertFalse(plan([(0, [0, 1]), (1, [2])]).isValid(shardCount: 4), "a shard missing")
        XCTAssertFalse(plan([(0, [0, 1]), (1, [2])]).isValid(shardCount: 2), "a shard too many")
        XCTAssertFalse(plan([(0, [1, 0]), (1, [2])]).isValid(shardCount: 3), "out of order")
        XCTAssertFalse(plan([(0, [0, 1]), (1, [1, 2])]).isValid(shardCount: 3), "a shard twice")
        XCTAssertFalse(plan([(0, [0, 1]), (1, []), (0, [2])]).isValid(shardCount: 3), "an empty segment")
        XCTAssertFalse(plan([(0, [0, 1]), (2, [2])]).isValid(shardCount: 3), "an owner without an endpoint")
        XCTAssertFalse(plan([(0, [0, 1]), (1, [2])], peers: [0, 1, 0]).isValid(shardCount: 3), "a peer twice")
        XCTAssertFalse(plan([(0, [0, 1, 2])]).isValid(shardCount: 3), "a peer owning no segment")
        XCTAssertTrue(plan([(0, [0, 1, 2])], peers: [0]).isValid(shardCount: 3))
        XCTAssertTrue(plan([(0, [0, 1]), (1, [2])], peers: [1, 0]).isValid(shardCount: 3), "the peers in another order")
        XCTAssertFalse(plan([(0, [0, 1]), (1, [2])], chunkSize: 0).isValid(shardCount: 3), "no chunk size")
        XCTAssertFalse(plan([(0, [0, 1]), (1, [2])], chunkSize: -4).isValid(shardCount: 3), "a negative chunk size")
    }

    /// A chunk of the default size is the largest a worker's peer socket accepts, so a plan with
    /// larger chunks could never be summed.
    func testAPlanWithChunksLargerThanTheDefaultIsInvalid() {
        func plan(chunkSize: Int) -> RingPlan {
            RingPlan(version: 1, chunkSize: chunkSize, star: false, owners: [0, 1], endpoints: endpoints)
        }
        XCTAssertTrue(plan(chunkSize: RingPlan.defaultChunkSize).isValid(shardCount: 2))
        XCTAssertTrue(plan(chunkSize: 1).isValid(shardCount: 2))
        XCTAssertFalse(plan(chunkSize: RingPlan.defaultChunkSize + 1).isValid(shardCount: 2))
        XCTAssertFalse(plan(chunkSize: .max).isValid(shardCount: 2))
    }

    /// The coordinator sums a model of at most one default chunk; the plan says so in `star`.
    func testSmallModelsAreSummedByTheCoordinator() {
        XCTAssertTrue(RingPlan.usesStar(parameterCount: 1))
        XCTAssertTrue(RingPlan.usesStar(parameterCount: RingPlan.defaultChunkSize))
        XCTAssertFalse(RingPlan.usesStar(parameterCount: RingPlan.defaultChunkSize + 1))
        let star = RingPlan(version: 2, chunkSize: RingPlan.defaultChunkSize, star: true, owners: [0, 1], endpoints: endpoints)
        XCTAssertTrue(star.star)
        XCTAssertTrue(star.isValid(shardCount: 2))
    }
}
