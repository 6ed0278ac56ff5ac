// The codec's validation: every message survives encoding and decoding unchanged (GoldenBytesTests
// pins the bytes themselves), JSON is read whatever its key order, and every kind of bad input
// (truncated, padded, foreign, another version, lying counts, bad JSON, random bytes) is refused
// with a reason rather than misread or crashing.

import DLCore
import DLProtocol
import XCTest

final class MessageCodecTests: XCTestCase {
    static let model = try! ModelSpec(inputDim: 3, layers: [DenseSpec(units: 4, activation: .relu), DenseSpec(units: 1, activation: .sigmoid)])

    static let examples: [Message] = [
        .hello(WorkerInfo(name: "w1", host: "node-a", pid: 1234, version: "1.2.3")),
        .welcome(WorkerJob(
            workerIndex: 2, model: model, loss: "binary_crossentropy", metrics: ["accuracy", "auc"], trainingRows: 470,
            shardCount: 4, batchSize: 10, seed: 3, featureCount: 3, targetWidth: 1, shards: [2])),
        .shardRows(ShardRows(
            shard: 1, featureCount: 2, targetWidth: 1, trainingFeatures: [1, 2, 3, 4], trainingTargets: [0, 1],
            validationFeatures: [5, 6], validationTargets: [1])),
        .ready,
        .computeStep(ShardRequest(shards: [1, 5], parameters: [0.5, -0.25, .leastNonzeroMagnitude, -0.0])),
        .shardGradient(ShardGradient(shard: 3, computeMicroseconds: 77, gradient: [1, 2, 3], sums: [0.5, 10, 7])),
        .evaluate(ShardRequest(shards: [], parameters: [1, 2])),
        .assign(shards: [3, 7]),
        .validationSums(ValidationSums(shard: 0, sums: [1.5, 2])),
        .heartbeat,
        .stop(StopNotice(finished: false, reason: "interrupted")),
        .stop(StopNotice(finished: false, reason: "unknown worker", rejoin: true)),
        .failure(reason: "out of memory"),
        .reject(reason: "protocol version 3, but this process speaks version 2"),
    ]

    func testEveryMessageRoundTrips() throws {
        for message in Self.examples {
            let envelope = Envelope(jobId: 0xDEAD_BEEF, round: 42, message: message)
            let bytes = MessageCodec.encode(envelope)
            XCTAssertEqual(Array(bytes[0..<4]), Array("DLTR".utf8))
            XCTAssertEqual(try MessageCodec.decode(bytes), envelope, "\(message.type)")
        }
    }

    func testFloatsAreRawLittleEndian() {
        let bytes = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .computeStep(ShardRequest(shards: [2], parameters: [1.0]))))
        XCTAssertEqual(bytes.count, MessageCodec.headerSize + 12)
        XCTAssertEqual(Array(bytes[24...]), [1, 0, 0, 0, 2, 0, 0, 0, 0x00, 0x00, 0x80, 0x3F])
    }

    func testForeignAndShortMessagesAreRefused() {
        XCTAssertThrowsError(try MessageCodec.decode([UInt8]("hello".utf8))) {
            XCTAssertEqual($0 as? ProtocolError, .notADltrainMessage(size: 5))
        }
        XCTAssertThrowsError(try MessageCodec.decode([UInt8](repeating: 0, count: 64))) {
            XCTAssertEqual($0 as? ProtocolError, .notADltrainMessage(size: 64))
        }
    }

    func testAnotherVersionIsRefusedButItsRejectIsRead() {
        let next = MessageCodec.version + 1
        var bytes = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .heartbeat))
        bytes[4] = UInt8(next)
        XCTAssertThrowsError(try MessageCodec.decode(bytes)) {
            XCTAssertEqual($0 as? ProtocolError, .versionMismatch(theirs: next, ours: MessageCodec.version))
        }
        var reject = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .reject(reason: "go away")))
        reject[4] = 9
        XCTAssertEqual(try MessageCodec.decode(reject).message, .reject(reason: "go away"))
    }

    func testSizesMustMatchTheirCounts() {
        let gradient = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .shardGradient(
            ShardGradient(shard: 0, computeMicroseconds: 0, gradient: [1, 2], sums: [3]))))
        XCTAssertThrowsError(try MessageCodec.decode(Array(gradient.dropLast()))) { XCTAssertTrue("\($0)".contains("shard-gradient message")) }
        XCTAssertThrowsError(try MessageCodec.decode(gradient + [0])) { XCTAssertTrue("\($0)".contains("expected")) }
        var lying = gradient
        lying[32] = 0xFF  // gradient count claims 255 floats
        XCTAssertThrowsError(try MessageCodec.decode(lying))
        var huge = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .shardRows(ShardRows(
            shard: 0, featureCount: 1, targetWidth: 1, trainingFeatures: [1], trainingTargets: [1],
            validationFeatures: [], validationTargets: []))))
        for i in 28..<32 { huge[i] = 0xFF }  // 4 billion training rows
        XCTAssertThrowsError(try MessageCodec.decode(huge))
        XCTAssertThrowsError(try MessageCodec.decode(MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .ready)) + [1]))
        var unknown = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .ready))
        unknown[6] = 77
        XCTAssertThrowsError(try MessageCodec.decode(unknown)) { XCTAssertEqual($0 as? ProtocolError, .unknownType(77)) }
        let badJSON = Array(MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .ready))) + Array("{\"name\":1}".utf8)
        var hello = badJSON
        hello[6] = UInt8(MessageType.hello.rawValue)
        XCTAssertThrowsError(try MessageCodec.decode(hello)) { XCTAssertTrue("\($0)".hasPrefix("hello message with invalid content")) }
    }

    func testJSONIsReadInAnyKeyOrderAndUnknownKeysAreIgnored() throws {
        let json = #"{ "version": "1.2.3", "pid": 1234, "threads": 4, "name": "w1", "host": "node-a" }"#
        let bytes = Array(MessageCodec.encode(Envelope(jobId: 0, round: 0, message: .hello(WorkerInfo(
            name: "", host: "", pid: 0, version: ""))))[..<MessageCodec.headerSize]) + Array(json.utf8)
        XCTAssertEqual(try MessageCodec.decode(bytes).message, .hello(WorkerInfo(name: "w1", host: "node-a", pid: 1234, version: "1.2.3")))
    }

    /// Every key is required, under its snake_case name, and a welcome's model must be one a worker can build.
    func testJSONWithoutItsKeysOrWithAnImpossibleModelIsRefused() throws {
        func decode(_ type: MessageType, _ json: String) throws -> Message {
            var bytes = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .heartbeat)) + Array(json.utf8)
            bytes[6] = UInt8(type.rawValue)
            return try MessageCodec.decode(bytes).message
        }
        XCTAssertThrowsError(try decode(.stop, #"{"finished":true,"reason":"done"}"#)) {
            XCTAssertTrue("\($0)".hasPrefix("stop message with invalid content"), "\($0)")
        }
        XCTAssertEqual(try decode(.stop, #"{"finished":true,"reason":"done","rejoin":false}"#), .stop(StopNotice(finished: true, reason: "done")))
        XCTAssertThrowsError(try decode(.hello, #"{"name":"w1","host":"h","pid":1,"dltrainVersion":"1"}"#))

        let example = try XCTUnwrap(Self.examples.first { $0.type == .welcome })
        let welcome = String(
            decoding: MessageCodec.encode(Envelope(jobId: 1, round: 0, message: example))[MessageCodec.headerSize...], as: UTF8.self)
        XCTAssertNoThrow(try decode(.welcome, welcome))
        XCTAssertThrowsError(try decode(.welcome, welcome.replacingOccurrences(of: "worker_index", with: "workerIndex")))
        let noLayers = welcome.replacing(#/"layers":\[.*?\]\}/#, with: #""layers":[]}"#)
        XCTAssertNotEqual(noLayers, welcome)
        XCTAssertThrowsError(try decode(.welcome, noLayers)) {
            XCTAssertTrue("\($0)".hasPrefix("welcome message with invalid content"), "\($0)")
        }
        XCTAssertThrowsError(try decode(.welcome, welcome.replacingOccurrences(of: #""relu""#, with: #""swish""#)))
    }

    /// Random mutations of valid messages and random bytes: decoding returns or throws, never crashes.
    func testRandomBytesNeverCrash() {
        var generator = SeededGenerator(seed: 99)
        var decoded = 0
        for _ in 0..<20_000 {
            var bytes = MessageCodec.encode(Envelope(
                jobId: 7, round: 1, message: Self.examples[generator.nextIndex(below: Self.examples.count)]))
            for _ in 0..<(1 + generator.nextIndex(below: 4)) {
                switch generator.nextIndex(below: 3) {
                case 0 where !bytes.isEmpty: bytes[generator.nextIndex(below: bytes.count)] = UInt8(truncatingIfNeeded: generator.next())
                case 1 where !bytes.isEmpty: bytes.removeLast(generator.nextIndex(below: bytes.count))
                default: bytes.append(UInt8(truncatingIfNeeded: generator.next()))
                }
            }
            if (try? MessageCodec.decode(bytes)) != nil { decoded += 1 }
        }
        XCTAssertGreaterThan(decoded, 0, "some mutations (of payload values) still decode")
    }
}
