// The codec's validation: every message survives encoding and decoding unchanged (GoldenBytesTests
// pins the bytes themselves), JSON is read whatever its key order, and every kind of bad input
// (truncated, padded, foreign, another version, lying counts, bad JSON, random bytes) is refused
// with a reason rather than misread or crashing.

import DLCore
import DLProtocol
import Foundation
import XCTest

final class MessageCodecTests: XCTestCase {
    static let model = try! ModelSpec(inputDim: 3, layers: [DenseSpec(units: 4, activation: .relu), DenseSpec(units: 1, activation: .sigmoid)])

    static let plan = RingPlan(
        version: 7, chunkSize: 16_384, star: false,
        segments: [RingPlan.Segment(worker: 2, shards: [0, 1, 2]), RingPlan.Segment(worker: 0, shards: [3])],
        peers: [RingPlan.Peer(worker: 2, endpoint: "ipc:///tmp/w2.peer"), RingPlan.Peer(worker: 0, endpoint: "tcp://[::1]:41000")])

    static let examples: [Message] = [
        .hello(WorkerInfo(name: "w1", host: "node-a", pid: 1234, version: "1.2.3", peerEndpoint: "tcp://10.0.0.5:40123")),
        .welcome(WorkerJob(
            workerIndex: 2, model: model, loss: "binary_crossentropy", metrics: ["accuracy", "auc"], trainingRows: 470,
            validationRows: 0, shardCount: 4, batchSize: 10, seed: 3, featureCount: 3, targetWidth: 1, optimizer: "sgd",
            optimizerArguments: ["learning_rate": 0.5, "momentum": 0, "nesterov": 1], shards: [2], standardizes: false)),
        .shardRows(ShardRows(
            shard: 1, part: .training, featureCount: 2, targetWidth: 1, places: [7, 0], features: [1, 2, 3, 4], targets: [0, 1])),
        .shardRows(ShardRows(shard: 3, part: .validation, featureCount: 2, targetWidth: 1, places: [2], features: [5, 6], targets: [1])),
        .ready,
        .rowsReceived,
        .standardization(mean: [0.5, -2, 1e30], scale: [1, 0.25, 3]),
        .computeStep(ringVersion: 0xFFFF_FFFF, learningRate: .greatestFiniteMagnitude, total: []),
        .computeStep(ringVersion: 3, learningRate: .leastNonzeroMagnitude, total: [0.5, -0.25, .leastNonzeroMagnitude]),
        .stepDone(StepDone(ringVersion: 3, computeMicroseconds: 77, shards: [1, 5], sums: [[0.5, 10, 7], [-0.0, 1e300, 2]])),
        .stepDone(StepDone(ringVersion: 3, computeMicroseconds: 0, shards: [4], sums: [[]])),
        .stepDone(StepDone(
            ringVersion: 3, computeMicroseconds: 12, shards: [0, 2, 3], sums: [[0.5, 10], [1, 10], [2, 9]],
            gradients: [[1, -2, 0.5, 4], [-0.0, 3, 2, 1], [0.25, 0.125, -1, 8]])),
        .stepDone(StepDone(ringVersion: 3, computeMicroseconds: 0, shards: [4], sums: [[]], gradients: [[7]])),
        .evaluate(shards: [0, 2, 9]),
        .evaluate(shards: []),
        .assign(shards: [3, 7]),
        .validationSums(ValidationSums(shard: 0, sums: [1.5, 2])),
        .heartbeat,
        .stop(StopNotice(finished: false, reason: "interrupted")),
        .stop(StopNotice(finished: false, reason: "unknown worker", rejoin: true)),
        .failure(reason: "out of memory"),
        .ring(plan),
        .ring(RingPlan(
            version: 8, chunkSize: 16_384, star: true, segments: [RingPlan.Segment(worker: 1, shards: [0, 1])],
            peers: [RingPlan.Peer(worker: 1, endpoint: "tcp://h:2")])),
        .partial(GradientChunk(ringVersion: 7, hop: 0, chunk: 3, values: [0.5, -0.25, .leastNonzeroMagnitude])),
        .total(GradientChunk(ringVersion: 7, hop: 1, chunk: 0, values: [1])),
        .total(GradientChunk(ringVersion: 7, hop: 0, chunk: 0, values: [])),
        .state(ReplicaState(optimizerIterations: 1 << 40, learningRate: 0.001, parameters: [1, 2, 3], optimizerState: [4, 5, 6, 7, 8, 9])),
        .state(ReplicaState(optimizerIterations: 0, learningRate: 1e-30, parameters: [1, 2], optimizerState: [])),
        .audit(shards: [1, 4]),
        .auditDigests(AuditDigests(shards: [1, 4], digests: [[UInt8](repeating: 7, count: 32), [UInt8](0..<32)])),
        .auditDigests(AuditDigests(shards: [], digests: [])),
        .reject(reason: "protocol version 4, but this process speaks version 3"),
    ]

    private func encode(_ message: Message, round: UInt64 = 0) -> [UInt8] {
        MessageCodec.encode(Envelope(jobId: 1, round: round, message: message))
    }

    /// `bytes` with the UInt32 at `offset` replaced.
    private func replacing(_ bytes: [UInt8], uint32 value: UInt32, at offset: Int) -> [UInt8] {
        var bytes = bytes
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        return bytes
    }

    private func assertRefused(
        _ bytes: [UInt8], _ expected: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try MessageCodec.decode(bytes), file: file, line: line) {
            XCTAssertTrue("\($0)".hasPrefix(expected), "\($0)", file: file, line: line)
        }
    }

    func testEveryMessageRoundTrips() throws {
        XCTAssertEqual(Set(Self.examples.map(\.type)), Set(MessageType.allCases))
        for message in Self.examples {
            let envelope = Envelope(jobId: 0xDEAD_BEEF, round: 42, message: message)
            let bytes = MessageCodec.encode(envelope)
            XCTAssertEqual(Array(bytes[0..<4]), Array("DLTR".utf8))
            XCTAssertEqual(OutgoingMessage(envelope).count, bytes.count, "\(message.type)")
            XCTAssertEqual(try MessageCodec.decode(bytes), envelope, "\(message.type)")
        }
    }

    func testFloatsAreRawLittleEndian() {
        let bytes = encode(.partial(GradientChunk(ringVersion: 2, hop: 1, chunk: 5, values: [1.0])))
        XCTAssertEqual(bytes.count, MessageCodec.headerSize + 20)
        XCTAssertEqual(Array(bytes[24...]), [2, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0x00, 0x00, 0x80, 0x3F])
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
        var bytes = encode(.heartbeat)
        bytes[4] = UInt8(next)
        XCTAssertThrowsError(try MessageCodec.decode(bytes)) {
            XCTAssertEqual($0 as? ProtocolError, .versionMismatch(theirs: next, ours: MessageCodec.version))
        }
        var reject = encode(.reject(reason: "go away"))
        reject[4] = 9
        XCTAssertEqual(try MessageCodec.decode(reject).message, .reject(reason: "go away"))
    }

    /// Every binary message is refused one byte short, one byte long, and cut inside its fixed fields
    /// (step-done's five counts are the longest).
    func testEveryBinaryMessageMustBeExactlyItsSize() {
        for message in Self.examples {
            switch message {
            case .computeStep, .stepDone, .evaluate, .shardRows, .validationSums, .partial, .total, .state, .standardization: break
            default: continue
            }
            let bytes = encode(message)
            assertRefused(Array(bytes.dropLast()), "\(message.type) message of \(bytes.count - 1) bytes, expected at least")
            XCTAssertThrowsError(try MessageCodec.decode(bytes + [0])) {
                XCTAssertEqual($0 as? ProtocolError, .badSize(type: "\(message.type)", size: bytes.count + 1, expected: "\(bytes.count) bytes"))
            }
            for size in MessageCodec.headerSize..<min(bytes.count, MessageCodec.headerSize + 20) {
                assertRefused(Array(bytes[..<size]), "\(message.type) message of \(size) bytes")
            }
        }
        assertRefused(encode(.ready) + [1], "ready message of 25 bytes, expected 24 bytes")
        assertRefused(encode(.heartbeat) + [1], "heartbeat message of 25 bytes, expected 24 bytes")
    }

    /// A count that claims more values than the message holds is refused before anything is read or
    /// allocated, however large it is.
    func testCountsLargerThanTheBytesAreRefused() {
        let chunk = GradientChunk(ringVersion: 1, hop: 0, chunk: 0, values: [1, 2])
        for message in [Message.partial(chunk), .total(chunk)] {
            let bytes = encode(message)
            for count: UInt32 in [3, 0x4000_0000, 0xFFFF_FFFF] {
                assertRefused(replacing(bytes, uint32: count, at: 36), "\(message.type) message of \(bytes.count) bytes, expected at least")
            }
            assertRefused(replacing(bytes, uint32: 1, at: 36), "\(message.type) message of \(bytes.count) bytes, expected \(bytes.count - 4) bytes")
        }

        let state = encode(.state(ReplicaState(optimizerIterations: 3, learningRate: 0.5, parameters: [1, 2], optimizerState: [3, 4])))
        for (offset, count) in [(36, UInt32(5)), (36, 0xFFFF_FFFF), (40, 3), (40, 0xFFFF_FFFF)] {
            assertRefused(replacing(state, uint32: count, at: offset), "state message of \(state.count) bytes, expected at least")
        }
        // Parameters and state split differently: the sizes still add up, so the counts decide.
        XCTAssertEqual(
            try MessageCodec.decode(replacing(replacing(state, uint32: 3, at: 36), uint32: 1, at: 40)).message,
            .state(ReplicaState(optimizerIterations: 3, learningRate: 0.5, parameters: [1, 2, 3], optimizerState: [4])))

        let done = encode(.stepDone(StepDone(ringVersion: 1, computeMicroseconds: 5, shards: [0, 1], sums: [[1, 2], [3, 4]])))
        for (offset, count) in [
            (32, UInt32(3)), (32, 0xFFFF_FFFF), (36, 3), (36, 0x2000_0000), (36, 0xFFFF_FFFF), (40, 1), (40, 0xFFFF_FFFF),
        ] {
            assertRefused(replacing(done, uint32: count, at: offset), "step-done message of \(done.count) bytes, expected at least")
        }

        let evaluate = encode(.evaluate(shards: [4, 5]))
        for count: UInt32 in [3, 0xFFFF_FFFF] {
            assertRefused(replacing(evaluate, uint32: count, at: 24), "evaluate message of \(evaluate.count) bytes, expected at least")
        }
        assertRefused(replacing(evaluate, uint32: 1, at: 24), "evaluate message of \(evaluate.count) bytes, expected \(evaluate.count - 4) bytes")

        let rows = encode(.shardRows(ShardRows(
            shard: 0, part: .training, featureCount: 1, targetWidth: 1, places: [0], features: [1], targets: [1])))
        var huge = rows
        for i in 32..<36 { huge[i] = 0xFF }  // 4 billion rows
        XCTAssertThrowsError(try MessageCodec.decode(huge))
        assertRefused(replacing(rows, uint32: 2, at: 28), "shard-rows message with invalid content: part 2 is neither 0 (training) nor 1 (validation)")

        let validation = encode(.validationSums(ValidationSums(shard: 0, sums: [1, 2])))
        assertRefused(replacing(validation, uint32: 0xFFFF_FFFF, at: 28), "validation-sums message of \(validation.count) bytes, expected at least")
    }

    /// A star's compute-step and step-done: a total or gradient length (T, G) that claims more values
    /// than the message holds is refused before anything is allocated, one that claims fewer leaves
    /// bytes over, and a message without them is refused when its length says it has some.
    func testAStarsTotalAndGradientsMustBeExactlyTheirCounts() {
        let step = encode(.computeStep(ringVersion: 1, learningRate: 0.001, total: [1, 2]))
        XCTAssertEqual(step.count, MessageCodec.headerSize + 20)
        for count: UInt32 in [3, 0x4000_0000, 0xFFFF_FFFF] {
            assertRefused(replacing(step, uint32: count, at: 32), "compute-step message of 44 bytes, expected at least")
        }
        assertRefused(replacing(step, uint32: 1, at: 32), "compute-step message of 44 bytes, expected 40 bytes")
        assertRefused(replacing(step, uint32: 0, at: 32), "compute-step message of 44 bytes, expected 36 bytes")
        assertRefused(
            replacing(encode(.computeStep(ringVersion: 1, learningRate: 0.001, total: [])), uint32: 1, at: 32),
            "compute-step message of 36 bytes, expected at least")

        // 44 bytes of header and counts, 2 shard numbers, 2 x 2 sums, 2 x 3 gradient values.
        let done = encode(.stepDone(StepDone(
            ringVersion: 1, computeMicroseconds: 5, shards: [0, 1], sums: [[1, 2], [3, 4]], gradients: [[5, 6, 7], [8, 9, 10]])))
        XCTAssertEqual(done.count, 44 + 8 + 32 + 24)
        for count: UInt32 in [4, 0x4000_0000, 0xFFFF_FFFF] {
            assertRefused(replacing(done, uint32: count, at: 40), "step-done message of 108 bytes, expected at least")
        }
        assertRefused(replacing(done, uint32: 2, at: 40), "step-done message of 108 bytes, expected 100 bytes")
        assertRefused(replacing(done, uint32: 0, at: 40), "step-done message of 108 bytes, expected 84 bytes")
        // Sums and gradients split differently (1 sum and 5 values per shard, 28 bytes either way):
        // the sizes still add up, so the counts decide what is read.
        guard case let .stepDone(split) = try? MessageCodec.decode(replacing(replacing(done, uint32: 1, at: 36), uint32: 5, at: 40)).message
        else { return XCTFail("not a step-done") }
        XCTAssertEqual(split.sums, [[1], [2]])
        XCTAssertEqual(split.gradients.map(\.count), [5, 5])
    }

    func testAStateWithMoreIterationsThanAnIntHoldsIsRefused() {
        var state = encode(.state(ReplicaState(optimizerIterations: 1, learningRate: 0.001, parameters: [1], optimizerState: [])))
        for i in 24..<32 { state[i] = 0xFF }
        XCTAssertThrowsError(try MessageCodec.decode(state)) {
            XCTAssertEqual($0 as? ProtocolError, .badContent(type: "state", reason: "optimizer iterations \(UInt64.max) out of range"))
        }
    }

    /// A replica must never train with a rate no job has: NaN, infinite, 0 or negative is refused in
    /// compute-step and state alike.
    func testALearningRateThatIsNotAFiniteNumberAboveZeroIsRefused() {
        let step = encode(.computeStep(ringVersion: 1, learningRate: 0.001, total: []))
        let state = encode(.state(ReplicaState(optimizerIterations: 1, learningRate: 0.001, parameters: [1], optimizerState: [])))
        for (bytes, offset, type) in [(step, 28, "compute-step"), (state, 32, "state")] {
            for bad: Float in [.nan, .infinity, -.infinity, 0, -0.0, -0.001] {
                XCTAssertThrowsError(try MessageCodec.decode(replacing(bytes, uint32: bad.bitPattern, at: offset)), "\(type) \(bad)") {
                    guard case let .badContent(refused, reason)? = $0 as? ProtocolError else { return XCTFail("\($0)") }
                    XCTAssertEqual(refused, type)
                    XCTAssertTrue(reason.contains("learning rate"), reason)
                }
            }
        }
    }

    func testUnknownTypesAndJSONOfTheWrongShapeAreRefused() {
        var unknown = encode(.ready)
        unknown[6] = 77
        XCTAssertThrowsError(try MessageCodec.decode(unknown)) { XCTAssertEqual($0 as? ProtocolError, .unknownType(77)) }
        var hello = encode(.ready) + Array("{\"name\":1}".utf8)
        hello[6] = UInt8(MessageType.hello.rawValue)
        assertRefused(hello, "hello message with invalid content")
    }

    func testJSONIsReadInAnyKeyOrderAndUnknownKeysAreIgnored() throws {
        let json = #"{ "version": "1.2.3", "pid": 1234, "threads": 4, "name": "w1", "peer_endpoint": "ipc:///p", "host": "node-a" }"#
        XCTAssertEqual(
            try decode(.hello, json),
            .hello(WorkerInfo(name: "w1", host: "node-a", pid: 1234, version: "1.2.3", peerEndpoint: "ipc:///p")))
        let ring = #"{"peers":[{"worker":0,"endpoint":"e","port":1}],"version":3,"segments":[{"worker":0,"shards":[0]}],"#
            + #""chunk_size":2,"star":false,"checksum":"x"}"#
        XCTAssertEqual(
            try decode(.ring, ring),
            .ring(RingPlan(version: 3, chunkSize: 2, star: false, segments: [RingPlan.Segment(worker: 0, shards: [0])],
                peers: [RingPlan.Peer(worker: 0, endpoint: "e")])))
    }

    /// A JSON payload of `type`, after a header.
    private func decode(_ type: MessageType, _ json: String) throws -> Message {
        var bytes = encode(.heartbeat) + Array(json.utf8)
        bytes[6] = UInt8(type.rawValue)
        return try MessageCodec.decode(bytes).message
    }

    /// The JSON payload of `message`, re-serialized without the key at `path` (`segments.0.worker`:
    /// the key `worker` of the first segment); nil removes nothing.
    private func json(of message: Message, removing path: String?) throws -> String {
        func removed(_ path: ArraySlice<Substring>, from value: Any) throws -> Any {
            if var object = value as? [String: Any], let key = path.first.map(String.init) {
                if path.count == 1 {
                    XCTAssertNotNil(object.removeValue(forKey: key), "no key \(key)")
                } else {
                    object[key] = try removed(path.dropFirst(), from: try XCTUnwrap(object[key], "no key \(key)"))
                }
                return object
            }
            var array = try XCTUnwrap(value as? [Any], "neither an object nor an array at \(path)")
            let index = try XCTUnwrap(path.first.flatMap { Int($0) }, "not an index: \(path)")
            array[index] = try removed(path.dropFirst(), from: array[index])
            return array
        }
        var value = try JSONSerialization.jsonObject(with: Data(encode(message)[MessageCodec.headerSize...]))
        if let path { value = try removed(path.split(separator: ".")[...], from: value) }
        return String(decoding: try JSONSerialization.data(withJSONObject: value), as: UTF8.self)
    }

    /// `message`'s JSON decodes as it is, and is refused as invalid content without any of `paths`.
    private func assertEveryKeyIsRequired(
        _ message: Message, _ paths: [String], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(try decode(message.type, try json(of: message, removing: nil)), message, file: file, line: line)
        for path in paths {
            XCTAssertThrowsError(try decode(message.type, try json(of: message, removing: path)), path, file: file, line: line) {
                XCTAssertTrue("\($0)".hasPrefix("\(message.type) message with invalid content"), "\(path): \($0)", file: file, line: line)
            }
        }
    }

    /// `text` with `old` replaced, failing the test when `text` has no `old`.
    private func replacing(_ old: String, with new: String, in text: String) -> String {
        XCTAssertTrue(text.contains(old), "no \(old) in \(text)")
        return text.replacingOccurrences(of: old, with: new)
    }

    /// Every key is required, under its snake_case name, and a welcome's model must be one a worker can build.
    func testJSONWithoutItsKeysOrWithAnImpossibleModelIsRefused() throws {
        try assertEveryKeyIsRequired(.stop(StopNotice(finished: true, reason: "done")), ["finished", "reason", "rejoin"])

        let helloExample = try XCTUnwrap(Self.examples.first { $0.type == .hello })
        try assertEveryKeyIsRequired(helloExample, ["name", "host", "pid", "version", "peer_endpoint"])
        let hello = try json(of: helloExample, removing: nil)
        XCTAssertThrowsError(try decode(.hello, replacing("peer_endpoint", with: "peerEndpoint", in: hello)))

        let example = try XCTUnwrap(Self.examples.first { $0.type == .welcome })
        try assertEveryKeyIsRequired(example, [
            "batch_size", "feature_count", "loss", "metrics", "model", "model.input_dim", "model.layers",
            "model.layers.0.activation", "model.layers.0.bias_initializer", "model.layers.0.kernel_initializer",
            "model.layers.0.units", "optimizer", "optimizer_arguments", "seed", "shard_count", "shards", "target_width",
            "training_rows", "worker_index",
        ])
        let welcome = String(decoding: encode(example)[MessageCodec.headerSize...], as: UTF8.self)
        XCTAssertThrowsError(try decode(.welcome, replacing("worker_index", with: "workerIndex", in: welcome)))
        XCTAssertThrowsError(try decode(.welcome, replacing(#""learning_rate":0.5"#, with: #""learning_rate":"fast""#, in: welcome)))
        let noLayers = welcome.replacing(#/"layers":\[.*?\]\}/#, with: #""layers":[]}"#)
        XCTAssertNotEqual(noLayers, welcome)
        XCTAssertThrowsError(try decode(.welcome, noLayers)) {
            XCTAssertTrue("\($0)".hasPrefix("welcome message with invalid content"), "\($0)")
        }
        XCTAssertThrowsError(try decode(.welcome, replacing(#""relu""#, with: #""swish""#, in: welcome)))
    }

    /// A ring plan needs every key, in its segments and peers too; a decoded plan is not yet a valid
    /// one (RingPlanTests check that), but it must be complete.
    func testARingPlanMissingAKeyIsRefused() throws {
        try assertEveryKeyIsRequired(.ring(Self.plan), [
            "version", "chunk_size", "star", "segments", "peers", "segments.0.shards", "segments.1.worker", "peers.0.endpoint",
            "peers.1.worker",
        ])
        let ring = String(decoding: encode(.ring(Self.plan))[MessageCodec.headerSize...], as: UTF8.self)
        XCTAssertThrowsError(try decode(.ring, replacing("chunk_size", with: "chunkSize", in: ring)))
        XCTAssertThrowsError(try decode(.ring, replacing(#""version":7"#, with: #""version":-1"#, in: ring)))
        XCTAssertThrowsError(try decode(.ring, replacing(#""version":7"#, with: #""version":4294967296"#, in: ring)))
        XCTAssertThrowsError(try decode(.ring, "[]"))
        XCTAssertThrowsError(try decode(.ring, ""))
    }

    /// A JSON payload of `type` of exactly `size` bytes: `json` padded with spaces after it.
    private func padded(_ type: MessageType, _ json: [UInt8], to size: Int) -> [UInt8] {
        var bytes = encode(.heartbeat) + json + [UInt8](repeating: 0x20, count: size - json.count)
        bytes[6] = UInt8(type.rawValue)
        return bytes
    }

    /// JSON is accepted up to 64 KiB, except a ring plan's, which names every member and is
    /// accepted up to 16 MiB; a byte more is refused before it is parsed.
    func testAJSONPayloadLargerThanItsLimitIsRefused() throws {
        let stop = Array(encode(.stop(StopNotice(finished: true, reason: "done")))[MessageCodec.headerSize...])
        XCTAssertEqual(try MessageCodec.decode(padded(.stop, stop, to: MessageCodec.maximumControlPayload)).message,
            .stop(StopNotice(finished: true, reason: "done")))
        let tooLong = padded(.stop, stop, to: MessageCodec.maximumControlPayload + 1)
        XCTAssertThrowsError(try MessageCodec.decode(tooLong)) {
            XCTAssertEqual($0 as? ProtocolError, .badSize(
                type: "stop", size: tooLong.count, expected: "at most \(MessageCodec.maximumControlPayload) bytes of JSON"))
        }

        let workers = 1_000
        let large = RingPlan(
            version: 1, chunkSize: RingPlan.defaultChunkSize, star: false, owners: Array(0..<workers),
            endpoints: Dictionary(uniqueKeysWithValues: (0..<workers).map { ($0, "tcp://10.0.\($0 / 256).\($0 % 256):40123") }))
        let ring = encode(.ring(large))
        XCTAssertGreaterThan(ring.count, MessageCodec.headerSize + MessageCodec.maximumControlPayload)
        XCTAssertEqual(try MessageCodec.decode(ring).message, .ring(large))

        let json = Array(encode(.ring(Self.plan))[MessageCodec.headerSize...])
        XCTAssertEqual(try MessageCodec.decode(padded(.ring, json, to: MessageCodec.maximumRingPayload)).message, .ring(Self.plan))
        let tooLarge = padded(.ring, json, to: MessageCodec.maximumRingPayload + 1)
        XCTAssertThrowsError(try MessageCodec.decode(tooLarge)) {
            XCTAssertEqual($0 as? ProtocolError, .badSize(
                type: "ring", size: tooLarge.count, expected: "at most \(MessageCodec.maximumRingPayload) bytes of JSON"))
        }
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
