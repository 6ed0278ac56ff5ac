// The bound the coordinator's socket puts on what a worker sends: the largest valid message is
// exactly that size, and a byte more is refused.

import DLProtocol
import XCTest

final class MessageSizeTests: XCTestCase {
    private func encode(_ message: Message) -> [UInt8] {
        MessageCodec.encode(Envelope(jobId: 5, round: 3, message: message))
    }

    /// A large model: the bound is its shard-gradient.
    func testTheBoundIsALargeModelsShardGradient() throws {
        let parameters = 40_000, slots = 404
        let largest = MessageCodec.largestMessageFromWorker(parameterCount: parameters, metricSlots: slots)
        let gradient = encode(.shardGradient(ShardGradient(
            shard: 7, computeMicroseconds: 1, gradient: [Float](repeating: 0.5, count: parameters),
            sums: [Double](repeating: 2, count: slots))))
        XCTAssertEqual(gradient.count, largest)
        XCTAssertNoThrow(try MessageCodec.decode(gradient))
        XCTAssertThrowsError(try MessageCodec.decode(gradient + [0])) {
            XCTAssertEqual($0 as? ProtocolError, .badSize(type: "shard-gradient", size: largest + 1, expected: "\(largest) bytes"))
        }
        let validation = encode(.validationSums(ValidationSums(shard: 7, sums: [Double](repeating: 2, count: slots))))
        XCTAssertLessThan(validation.count, largest)
    }

    /// A small model: the bound is a hello whose JSON is as long as the decoder accepts.
    func testTheBoundIsASmallModelsLongestHello() throws {
        let largest = MessageCodec.largestMessageFromWorker(parameterCount: 10, metricSlots: 3)
        func hello(nameLength: Int) -> [UInt8] {
            encode(.hello(WorkerInfo(name: String(repeating: "w", count: nameLength), host: "h", pid: 1, version: "1")))
        }
        let longest = MessageCodec.maximumControlPayload - (hello(nameLength: 0).count - MessageCodec.headerSize)
        XCTAssertEqual(hello(nameLength: longest).count, largest)
        XCTAssertNoThrow(try MessageCodec.decode(hello(nameLength: longest)))
        XCTAssertThrowsError(try MessageCodec.decode(hello(nameLength: longest + 1))) {
            XCTAssertEqual($0 as? ProtocolError, .badSize(
                type: "hello", size: largest + 1, expected: "at most \(MessageCodec.maximumControlPayload) bytes of JSON"))
        }
        let gradient = encode(.shardGradient(ShardGradient(
            shard: 0, computeMicroseconds: 0, gradient: [Float](repeating: 0, count: 10), sums: [0, 0, 0])))
        XCTAssertLessThan(gradient.count, largest)
    }

    /// A failure's text is cut to what the decoder accepts, so it never exceeds the bound.
    func testAFailureNeverExceedsTheBound() throws {
        let largest = MessageCodec.largestMessageFromWorker(parameterCount: 1, metricSlots: 2)
        let failure = encode(.failure(reason: String(repeating: "x", count: 100_000)))
        XCTAssertEqual(failure.count, MessageCodec.headerSize + MessageCodec.maximumReasonLength)
        XCTAssertLessThanOrEqual(failure.count, largest)
        XCTAssertNoThrow(try MessageCodec.decode(failure))
        XCTAssertThrowsError(try MessageCodec.decode(failure + Array("x".utf8)))
    }
}
