// The bound the coordinator's and the workers' peer sockets put on what a worker sends: the largest
// valid message is exactly that size, and a byte more is refused. In a ring it is a total's chunk
// or a step-done for every shard; in a star (a model of at most one chunk), a step-done carrying
// every shard's gradient.

import DLProtocol
import XCTest

final class MessageSizeTests: XCTestCase {
    private func encode(_ message: Message) -> [UInt8] {
        MessageCodec.encode(Envelope(jobId: 5, round: 3, message: message))
    }

    private func chunk(_ count: Int) -> GradientChunk {
        GradientChunk(ringVersion: 9, hop: 3, chunk: 12, values: [Float](repeating: 0.5, count: count))
    }

    /// A step-done for `shards` shards, with `parameters` gradient values each (a star) or none.
    private func stepDone(shards: Int, slots: Int, parameters: Int = 0) -> StepDone {
        StepDone(
            ringVersion: 9, computeMicroseconds: 1, shards: Array(0..<shards),
            sums: Array(repeating: [Double](repeating: 2, count: slots), count: shards),
            gradients: Array(repeating: [Float](repeating: 0.25, count: parameters), count: parameters > 0 ? shards : 0))
    }

    /// `bytes` decode, and one byte more is refused as a `type` message of the wrong size.
    private func assertLargestValid(_ bytes: [UInt8], _ type: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoThrow(try MessageCodec.decode(bytes), file: file, line: line)
        XCTAssertThrowsError(try MessageCodec.decode(bytes + [0]), file: file, line: line) {
            XCTAssertEqual(
                $0 as? ProtocolError, .badSize(type: type, size: bytes.count + 1, expected: "\(bytes.count) bytes"), file: file, line: line)
        }
    }

    /// A ring job: the bound is a total's chunk of the default size, however large the model, and a
    /// partial's chunk is as large.
    func testARingJobsBoundIsADefaultChunkOfTheTotal() throws {
        let shards = 8, slots = 404
        let largest = MessageCodec.largestMessageFromWorker(shardCount: shards, metricSlots: slots, parameterCount: 10_000_000, star: false)
        XCTAssertEqual(
            MessageCodec.largestMessageFromWorker(
                shardCount: shards, metricSlots: slots, parameterCount: RingPlan.defaultChunkSize + 1, star: false),
            largest)
        let total = encode(.total(chunk(RingPlan.defaultChunkSize)))
        XCTAssertEqual(total.count, largest)
        assertLargestValid(total, "total")
        XCTAssertEqual(encode(.partial(chunk(RingPlan.defaultChunkSize))).count, largest)
        XCTAssertLessThan(encode(.stepDone(stepDone(shards: shards, slots: slots))).count, largest)
        XCTAssertLessThan(encode(.validationSums(ValidationSums(shard: 7, sums: [Double](repeating: 2, count: slots)))).count, largest)
    }

    /// A ring job with many shards with many sums: the bound is a step-done for every shard, without
    /// gradients.
    func testARingJobWithManyShardsIsBoundByAStepDoneForEveryShard() throws {
        let shards = 1_000, slots = 404
        let largest = MessageCodec.largestMessageFromWorker(shardCount: shards, metricSlots: slots, parameterCount: 100_000, star: false)
        let done = encode(.stepDone(stepDone(shards: shards, slots: slots)))
        XCTAssertEqual(done.count, largest)
        XCTAssertEqual(done.count, 44 + 4 * shards + 8 * shards * slots)
        assertLargestValid(done, "step-done")
        XCTAssertLessThan(encode(.total(chunk(RingPlan.defaultChunkSize))).count, largest)
        XCTAssertLessThan(encode(.validationSums(ValidationSums(shard: 7, sums: [Double](repeating: 2, count: slots)))).count, largest)
    }

    /// A star job: the bound is a step-done carrying every shard's sums and gradient, far above the
    /// same job's in a ring.
    func testAStarJobsBoundIsAStepDoneWithEveryShardsGradient() throws {
        let shards = 8, slots = 3, parameters = RingPlan.defaultChunkSize
        let largest = MessageCodec.largestMessageFromWorker(shardCount: shards, metricSlots: slots, parameterCount: parameters, star: true)
        let done = encode(.stepDone(stepDone(shards: shards, slots: slots, parameters: parameters)))
        XCTAssertEqual(done.count, largest)
        XCTAssertEqual(done.count, 44 + 4 * shards + 8 * shards * slots + 4 * shards * parameters)
        assertLargestValid(done, "step-done")
        XCTAssertLessThan(encode(.total(chunk(parameters))).count, largest)
        XCTAssertLessThan(encode(.stepDone(stepDone(shards: shards, slots: slots))).count, largest)
        XCTAssertLessThan(
            MessageCodec.largestMessageFromWorker(shardCount: shards, metricSlots: slots, parameterCount: parameters, star: false), largest)
    }

    /// A star chosen for a model larger than a chunk (`dlcoord --exchange star`): the bound still
    /// covers a step-done with every shard's whole gradient.
    func testAStarForALargeModelIsBoundByItsWholeGradients() throws {
        let shards = 2, slots = 3, parameters = 3 * RingPlan.defaultChunkSize
        let largest = MessageCodec.largestMessageFromWorker(shardCount: shards, metricSlots: slots, parameterCount: parameters, star: true)
        let done = encode(.stepDone(stepDone(shards: shards, slots: slots, parameters: parameters)))
        XCTAssertEqual(done.count, largest)
        assertLargestValid(done, "step-done")
    }

    /// A small model in few shards: the bound is a hello whose JSON is as long as the decoder reads,
    /// longer than a step-done with every shard's gradient (a name that long is then refused as
    /// content, a longer JSON as too large).
    func testASmallJobsBoundIsTheLongestHello() throws {
        let largest = MessageCodec.largestMessageFromWorker(shardCount: 4, metricSlots: 3, parameterCount: 100, star: true)
        func hello(nameLength: Int) -> [UInt8] {
            encode(.hello(WorkerInfo(
                name: String(repeating: "w", count: nameLength), host: "h", pid: 1, version: "1", peerEndpoint: "tcp://h:1")))
        }
        let longest = MessageCodec.maximumControlPayload - (hello(nameLength: 0).count - MessageCodec.headerSize)
        XCTAssertEqual(hello(nameLength: longest).count, largest)
        XCTAssertThrowsError(try MessageCodec.decode(hello(nameLength: longest))) {
            guard case .badContent("hello", _)? = $0 as? ProtocolError else { return XCTFail("\($0)") }
        }
        XCTAssertNoThrow(try MessageCodec.decode(hello(nameLength: MessageCodec.maximumNameLength)))
        XCTAssertThrowsError(try MessageCodec.decode(hello(nameLength: longest + 1))) {
            XCTAssertEqual($0 as? ProtocolError, .badSize(
                type: "hello", size: largest + 1, expected: "at most \(MessageCodec.maximumControlPayload) bytes of JSON"))
        }
        XCTAssertLessThan(encode(.total(chunk(100))).count, largest)
        XCTAssertLessThan(encode(.stepDone(stepDone(shards: 4, slots: 3, parameters: 100))).count, largest)
    }

    /// The workers' peer sockets take partials and totals of a ring only (the bound of a ring job
    /// without shards): a default chunk of the total, just over the JSON limit.
    func testThePeerSocketsBoundIsADefaultChunk() {
        let largest = MessageCodec.largestMessageFromWorker(shardCount: 0, metricSlots: 0, parameterCount: RingPlan.defaultChunkSize, star: false)
        XCTAssertEqual(largest, MessageCodec.headerSize + 16 + 4 * RingPlan.defaultChunkSize)
        XCTAssertEqual(encode(.total(chunk(RingPlan.defaultChunkSize))).count, largest)
        XCTAssertGreaterThan(largest, MessageCodec.headerSize + MessageCodec.maximumControlPayload)
    }

    /// A failure's text is cut to what the decoder accepts, so it never exceeds the bound.
    func testAFailureNeverExceedsTheBound() throws {
        let largest = MessageCodec.largestMessageFromWorker(shardCount: 1, metricSlots: 2, parameterCount: 1, star: true)
        let failure = encode(.failure(reason: String(repeating: "x", count: 100_000)))
        XCTAssertEqual(failure.count, MessageCodec.headerSize + MessageCodec.maximumReasonLength)
        XCTAssertLessThanOrEqual(failure.count, largest)
        XCTAssertNoThrow(try MessageCodec.decode(failure))
        XCTAssertThrowsError(try MessageCodec.decode(failure + Array("x".utf8)))
    }
}
