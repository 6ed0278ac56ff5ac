// The bound the coordinator's and the workers' peer sockets put on what a worker sends: the largest
// valid message is exactly that size, and a byte more is refused.

import DLProtocol
import XCTest

final class MessageSizeTests: XCTestCase {
    private func encode(_ message: Message) -> [UInt8] {
        MessageCodec.encode(Envelope(jobId: 5, round: 3, message: message))
    }

    private func chunk(_ count: Int) -> GradientChunk {
        GradientChunk(ringVersion: 9, hop: 3, chunk: 12, values: [Float](repeating: 0.5, count: count))
    }

    private func stepDone(shards: Int, slots: Int) -> StepDone {
        StepDone(
            ringVersion: 9, computeMicroseconds: 1, shards: Array(0..<shards),
            sums: Array(repeating: [Double](repeating: 2, count: slots), count: shards))
    }

    /// Large chunks: the bound is a chunk of the total, and a partial's chunk is as large.
    func testTheBoundIsALargeChunkOfTheTotal() throws {
        let chunkSize = 40_000, shards = 8, slots = 404
        let largest = MessageCodec.largestMessageFromWorker(shardCount: shards, metricSlots: slots, chunkSize: chunkSize)
        let total = encode(.total(chunk(chunkSize)))
        XCTAssertEqual(total.count, largest)
        XCTAssertNoThrow(try MessageCodec.decode(total))
        XCTAssertThrowsError(try MessageCodec.decode(total + [0])) {
            XCTAssertEqual($0 as? ProtocolError, .badSize(type: "total", size: largest + 1, expected: "\(largest) bytes"))
        }
        XCTAssertEqual(encode(.partial(chunk(chunkSize))).count, largest)
        XCTAssertLessThan(encode(.stepDone(stepDone(shards: shards, slots: slots))).count, largest)
        XCTAssertLessThan(encode(.validationSums(ValidationSums(shard: 7, sums: [Double](repeating: 2, count: slots)))).count, largest)
    }

    /// Many shards with many sums: the bound is a step-done for every shard.
    func testTheBoundIsAStepDoneForEveryShard() throws {
        let shards = 1_000, slots = 404, chunkSize = RingPlan.defaultChunkSize
        let largest = MessageCodec.largestMessageFromWorker(shardCount: shards, metricSlots: slots, chunkSize: chunkSize)
        let done = encode(.stepDone(stepDone(shards: shards, slots: slots)))
        XCTAssertEqual(done.count, largest)
        XCTAssertNoThrow(try MessageCodec.decode(done))
        XCTAssertThrowsError(try MessageCodec.decode(done + [0])) {
            XCTAssertEqual($0 as? ProtocolError, .badSize(type: "step-done", size: largest + 1, expected: "\(largest) bytes"))
        }
        XCTAssertLessThan(encode(.total(chunk(chunkSize))).count, largest)
        XCTAssertLessThan(encode(.validationSums(ValidationSums(shard: 7, sums: [Double](repeating: 2, count: slots)))).count, largest)
    }

    /// A small model in small chunks: the bound is a hello whose JSON is as long as the decoder accepts.
    func testTheBoundIsASmallJobsLongestHello() throws {
        let largest = MessageCodec.largestMessageFromWorker(shardCount: 4, metricSlots: 3, chunkSize: 100)
        func hello(nameLength: Int) -> [UInt8] {
            encode(.hello(WorkerInfo(
                name: String(repeating: "w", count: nameLength), host: "h", pid: 1, version: "1", peerEndpoint: "tcp://h:1")))
        }
        let longest = MessageCodec.maximumControlPayload - (hello(nameLength: 0).count - MessageCodec.headerSize)
        XCTAssertEqual(hello(nameLength: longest).count, largest)
        XCTAssertNoThrow(try MessageCodec.decode(hello(nameLength: longest)))
        XCTAssertThrowsError(try MessageCodec.decode(hello(nameLength: longest + 1))) {
            XCTAssertEqual($0 as? ProtocolError, .badSize(
                type: "hello", size: largest + 1, expected: "at most \(MessageCodec.maximumControlPayload) bytes of JSON"))
        }
        XCTAssertLessThan(encode(.total(chunk(100))).count, largest)
        XCTAssertLessThan(encode(.stepDone(stepDone(shards: 4, slots: 3))).count, largest)
    }

    /// The default chunk is what the workers' peer sockets are sized for: one of the total is just
    /// over the JSON limit, so it is the bound for any job with few shards.
    func testTheDefaultChunkIsTheBoundOfASmallJob() {
        let largest = MessageCodec.largestMessageFromWorker(shardCount: 1, metricSlots: 0, chunkSize: RingPlan.defaultChunkSize)
        XCTAssertEqual(largest, MessageCodec.headerSize + 16 + 4 * RingPlan.defaultChunkSize)
        XCTAssertEqual(encode(.total(chunk(RingPlan.defaultChunkSize))).count, largest)
        XCTAssertGreaterThan(largest, MessageCodec.headerSize + MessageCodec.maximumControlPayload)
    }

    /// A failure's text is cut to what the decoder accepts, so it never exceeds the bound.
    func testAFailureNeverExceedsTheBound() throws {
        let largest = MessageCodec.largestMessageFromWorker(shardCount: 1, metricSlots: 2, chunkSize: 1)
        let failure = encode(.failure(reason: String(repeating: "x", count: 100_000)))
        XCTAssertEqual(failure.count, MessageCodec.headerSize + MessageCodec.maximumReasonLength)
        XCTAssertLessThanOrEqual(failure.count, largest)
        XCTAssertNoThrow(try MessageCodec.decode(failure))
        XCTAssertThrowsError(try MessageCodec.decode(failure + Array("x".utf8)))
    }
}
