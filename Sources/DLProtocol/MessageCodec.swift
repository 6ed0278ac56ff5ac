// The byte layout of messages, and its validation.
//
// Every message is one frame: a 24-byte little-endian header (magic "DLTR", protocol version, type,
// job id, round), then the payload. Control messages carry small JSON objects (keys sorted, no
// whitespace); the ones that carry numbers carry raw little-endian float32 (float64 for metric
// sums) after a few UInt32 counts. Decoding checks the magic, the version and every size before
// reading anything, so a truncated, oversized or foreign message is refused with a reason instead
// of being misread; then what the message holds (MessageChecks.swift), so that no decoded message
// carries a round, count, index or name that could trap the code that uses it.
//
// docs/protocol.md gives every field; the golden fixtures in Tests/DLProtocolTests/Fixtures pin
// every message type byte for byte, and a test checks the document against this code.

import Foundation

public enum MessageCodec {
    public static let magic: UInt32 = 0x5254_4C44  // "DLTR" as little-endian bytes
    /// Version 2 put the JSON keys in snake_case and dropped the hello's `threads`; version 3 sums
    /// the gradient around a ring of workers (or, for small models, at the coordinator) and keeps a
    /// copy of the parameters on every worker (ring, partial, total, state, step-done); version 4
    /// audits a ring (audit, audit-digests); version 5 streams the rows from the file in pieces
    /// (shard-rows with places, rows-received, the welcome's validation_rows); version 6 sends the
    /// rows unstandardized and the standardization after them (standardization, the welcome's
    /// standardizes); version 7 carries the optimizer's learning rate in compute-step and state, which
    /// ReduceLROnPlateau lowers between epochs.
    public static let version: UInt16 = 7
    public static let headerSize = 24
    /// The largest JSON payload accepted (hello, stop, assign, and a welcome without a preprocessing).
    public static let maximumControlPayload = 64 * 1024
    /// The largest welcome accepted: a raw table's preprocessing holds its vocabularies (up to
    /// `--max-vocabulary` texts a column), as much as a model file's metadata may (100 MB); it comes once.
    public static let maximumWelcomePayload = 128 * 1024 * 1024
    /// The largest ring plan accepted: it names every member's endpoint, so it grows with the
    /// number of workers (about 80 bytes each); only the coordinator sends it.
    public static let maximumRingPayload = 16 * 1024 * 1024
    /// The largest reject or failure text kept.
    public static let maximumReasonLength = 4096

    /// The size of the largest message a worker may send the coordinator (or another worker) in a
    /// job of `shardCount` shards whose sums have `metricSlots` values and whose model has
    /// `parameterCount` parameters: a chunk of a total, a step-done for every shard (in a star, with
    /// their gradients), or a hello as large as the decoder accepts. A socket refuses anything
    /// larger before allocating it.
    public static func largestMessageFromWorker(shardCount: Int, metricSlots: Int, parameterCount: Int, star: Bool) -> Int {
        let chunkSize = min(parameterCount, RingPlan.defaultChunkSize)
        let chunk = GradientChunk(ringVersion: 0, hop: 0, chunk: 0, values: [Float](repeating: 0, count: chunkSize))
        let done = StepDone(
            ringVersion: 0, computeMicroseconds: 0, shards: Array(0..<shardCount),
            sums: Array(repeating: [Double](repeating: 0, count: metricSlots), count: shardCount),
            gradients: star ? Array(repeating: [Float](repeating: 0, count: parameterCount), count: shardCount) : [])
        let digests = AuditDigests(
            shards: Array(0..<shardCount),
            digests: Array(repeating: [UInt8](repeating: 0, count: AuditDigests.digestSize), count: shardCount))
        // Every other message a worker sends is no larger than one of these: validation-sums than a
        // step-done, a partial than a total's chunk, a failure's text than a hello's JSON.
        return max(
            OutgoingMessage(Envelope(jobId: 0, round: 0, message: .total(chunk))).count,
            OutgoingMessage(Envelope(jobId: 0, round: 0, message: .stepDone(done))).count,
            OutgoingMessage(Envelope(jobId: 0, round: 0, message: .auditDigests(digests))).count,
            headerSize + maximumControlPayload)
    }

    public static func encode(_ envelope: Envelope) -> [UInt8] {
        let message = OutgoingMessage(envelope)
        return [UInt8](unsafeUninitializedCapacity: message.count) { buffer, initialized in
            message.write(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = message.count
        }
    }

    /// Writes (or, with a counting writer, measures) a message; `text` is its JSON or reason payload.
    fileprivate static func write(_ envelope: Envelope, text: [UInt8], to writer: inout ByteWriter) {
        writer.append(magic)
        writer.append(version)
        writer.append(envelope.message.type.rawValue)
        writer.append(envelope.jobId)
        writer.append(envelope.round)
        switch envelope.message {
        case .hello, .welcome, .stop, .assign, .ring, .failure, .reject:
            text.withUnsafeBytes { writer.append(raw: $0) }
        case .ready, .heartbeat, .rowsReceived:
            break
        case let .computeStep(ringVersion, learningRate, total):
            writer.append(ringVersion)
            writer.append(learningRate.bitPattern)
            writer.append(UInt32(total.count))
            writer.append(total)
        case let .evaluate(shards), let .audit(shards):
            writer.append(UInt32(shards.count))
            for shard in shards { writer.append(UInt32(shard)) }
        case let .auditDigests(audited):
            writer.append(UInt32(audited.shards.count))
            for (shard, digest) in zip(audited.shards, audited.digests) {
                writer.append(UInt32(shard))
                digest.withUnsafeBytes { writer.append(raw: $0) }
            }
        case let .stepDone(done):
            precondition(done.isRectangular, "a step-done with one set of sums (and gradient) of one length per shard")
            writer.append(done.ringVersion)
            writer.append(done.computeMicroseconds)
            writer.append(UInt32(done.shards.count))
            writer.append(UInt32(done.sums.first?.count ?? 0))
            writer.append(UInt32(done.gradients.first?.count ?? 0))
            for shard in done.shards { writer.append(UInt32(shard)) }
            for sums in done.sums { writer.append(sums) }
            for gradient in done.gradients { writer.append(gradient) }
        case let .partial(chunk), let .total(chunk):
            writer.append(chunk.ringVersion)
            writer.append(UInt32(chunk.hop))
            writer.append(UInt32(chunk.chunk))
            writer.append(UInt32(chunk.values.count))
            writer.append(chunk.values)
        case let .state(state):
            writer.append(UInt64(state.optimizerIterations))
            writer.append(state.learningRate.bitPattern)
            writer.append(UInt32(state.parameters.count))
            writer.append(UInt32(state.optimizerState.count))
            writer.append(state.parameters)
            writer.append(state.optimizerState)
        case let .shardRows(rows):
            writer.append(UInt32(rows.shard))
            writer.append(rows.part.rawValue)
            writer.append(UInt32(rows.places.count))
            writer.append(UInt32(rows.featureCount))
            writer.append(UInt32(rows.targetWidth))
            for place in rows.places { writer.append(place) }
            writer.append(rows.features)
            writer.append(rows.targets)
        case let .standardization(mean, scale):
            precondition(mean.count == scale.count, "a mean and a scale per feature")
            writer.append(UInt32(mean.count))
            writer.append(mean)
            writer.append(scale)
        case let .validationSums(result):
            writer.append(UInt32(result.shard))
            writer.append(UInt32(result.sums.count))
            writer.append(result.sums)
        }
    }

    /// The payload of the messages that carry JSON or text.
    fileprivate static func text(of message: Message) -> [UInt8] {
        switch message {
        case let .hello(info): json(info)
        case let .welcome(job): json(job)
        case let .stop(notice): json(notice)
        case let .assign(shards): json(shards)
        case let .ring(plan): json(plan)
        case let .failure(reason), let .reject(reason): Array(reason.utf8.prefix(maximumReasonLength))
        case .ready, .heartbeat, .computeStep, .evaluate, .shardRows, .stepDone, .validationSums, .partial, .total, .state,
            .audit, .auditDigests, .rowsReceived, .standardization:
            []
        }
    }

    private static func json<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // A number JSON cannot write (never one of a checked job: JobSettings.validate) is written as
        // a string, which the receiver refuses as bad content: encoding these plain types cannot fail.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try! encoder.encode(value))
    }

    /// The header fields that every version shares: whether this is a dltrain message at all, and
    /// which version, type and job it claims, read before anything else (a worker that cannot read
    /// a welcome answers under its job, so that the coordinator hears why).
    public static func peekHeader(_ bytes: UnsafeRawBufferPointer) -> (version: UInt16, type: UInt16, jobId: UInt64)? {
        guard bytes.count >= headerSize else { return nil }
        var reader = ByteReader(bytes)
        guard (try? reader.uint32()) == magic, let version = try? reader.uint16(), let type = try? reader.uint16(),
            let jobId = try? reader.uint64()
        else {
            return nil
        }
        return (version, type, jobId)
    }

    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> Envelope {
        let result = bytes.withUnsafeBytes { buffer in Result { () throws(ProtocolError) in try decode(buffer) } }
        return try result.get()
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> Envelope {
        guard let (version, typeCode, _) = peekHeader(bytes) else { throw .notADltrainMessage(size: bytes.count) }
        if typeCode == MessageType.reject.rawValue {
            // Readable whatever the version: a peer of another version can still say why it refused us.
            var reader = ByteReader(bytes)
            try reader.skip(8)
            let jobId = try reader.uint64(), round = try reader.uint64()
            let reason = printable(String(decoding: reader.remaining.prefix(maximumReasonLength), as: UTF8.self))
            return Envelope(jobId: jobId, round: round, message: .reject(reason: reason))
        }
        guard version == self.version else { throw .versionMismatch(theirs: version, ours: self.version) }
        guard let type = MessageType(rawValue: typeCode) else { throw .unknownType(typeCode) }
        var reader = ByteReader(bytes, type: type)
        try reader.skip(8)
        let jobId = try reader.uint64(), round = try reader.uint64()
        guard round <= maximumRound else { throw .badContent(type: "\(type)", reason: "round \(round) is beyond any run's") }
        let message: Message
        switch type {
        case .hello:
            let info = try reader.json(WorkerInfo.self)
            try info.check()
            message = .hello(info)
        case .welcome:
            let job = try reader.json(WorkerJob.self, limit: maximumWelcomePayload)
            try job.check()
            message = .welcome(job)
        case .stop:
            let notice = try reader.json(StopNotice.self)
            message = .stop(StopNotice(finished: notice.finished, reason: printable(notice.reason), rejoin: notice.rejoin))
        case .failure:
            guard reader.remaining.count <= maximumReasonLength else {
                throw .badSize(type: "\(type)", size: bytes.count, expected: "at most \(maximumReasonLength) bytes of text")
            }
            message = .failure(reason: printable(String(decoding: reader.remaining, as: UTF8.self)))
        case .ready, .heartbeat, .rowsReceived:
            try reader.expectEnd()
            message = type == .ready ? .ready : type == .heartbeat ? .heartbeat : .rowsReceived
        case .computeStep:
            let ringVersion = try reader.uint32(), learningRate = try reader.learningRate()
            let total = try reader.floats(count: try reader.count())
            try reader.expectEnd()
            message = .computeStep(ringVersion: ringVersion, learningRate: learningRate, total: total)
        case .evaluate, .audit:
            let shards = try reader.counts(try reader.count())
            try reader.expectEnd()
            try shards.checkShards(in: type)
            message = type == .evaluate ? .evaluate(shards: shards) : .audit(shards: shards)
        case .auditDigests:
            let count = try reader.count()
            guard count <= reader.remaining.count / (4 + AuditDigests.digestSize) else {
                throw .badSize(type: "\(type)", size: bytes.count, expected: "\(count) shards and digests")
            }
            var shards: [Int] = [], digests: [[UInt8]] = []
            for _ in 0..<count {
                shards.append(try reader.count())
                digests.append(try reader.bytes(count: AuditDigests.digestSize))
            }
            try reader.expectEnd()
            try shards.checkShards(in: type)
            message = .auditDigests(AuditDigests(shards: shards, digests: digests))
        case .ring:
            let plan = try reader.json(RingPlan.self, limit: maximumRingPayload)
            try plan.check()
            message = .ring(plan)
        case .stepDone:
            let ringVersion = try reader.uint32(), micros = try reader.uint32()
            let shardCount = try reader.count(), sumsCount = try reader.count(), gradientCount = try reader.count()
            let shards = try reader.counts(shardCount)
            var sums: [[Double]] = []
            for _ in 0..<shardCount { sums.append(try reader.doubles(count: sumsCount)) }
            var gradients: [[Float]] = []
            if gradientCount > 0 {
                for _ in 0..<shardCount { gradients.append(try reader.floats(count: gradientCount)) }
            }
            try reader.expectEnd()
            try shards.checkShards(in: type)
            message = .stepDone(StepDone(
                ringVersion: ringVersion, computeMicroseconds: micros, shards: shards, sums: sums, gradients: gradients))
        case .partial, .total:
            let ringVersion = try reader.uint32(), hop = try reader.count(), chunk = try reader.count()
            let values = try reader.floats(count: try reader.count())
            try reader.expectEnd()
            let piece = GradientChunk(ringVersion: ringVersion, hop: hop, chunk: chunk, values: values)
            message = type == .partial ? .partial(piece) : .total(piece)
        case .state:
            let iterations = try reader.uint64(), learningRate = try reader.learningRate()
            let parameterCount = try reader.count(), stateCount = try reader.count()
            let parameters = try reader.floats(count: parameterCount)
            let optimizerState = try reader.floats(count: stateCount)
            try reader.expectEnd()
            // Adam raises its decay rates to the iteration count plus one.
            guard iterations < maximumRound else {
                throw .badContent(type: "\(type)", reason: "optimizer iterations \(iterations) out of range")
            }
            message = .state(ReplicaState(
                optimizerIterations: Int(iterations), learningRate: learningRate, parameters: parameters,
                optimizerState: optimizerState))
        case .assign:
            let shards = try reader.json([Int].self)
            try shards.checkShards(in: type)
            message = .assign(shards: shards)
        case .shardRows:
            let shard = try reader.count(), partCode = try reader.uint32(), rows = try reader.count()
            let featureCount = try reader.count(), targetWidth = try reader.count()
            guard let part = ShardRows.Part(rawValue: partCode) else {
                throw .badContent(type: "\(type)", reason: "part \(partCode) is neither 0 (training) nor 1 (validation)")
            }
            guard featureCount > 0, targetWidth > 0, shard < WorkerJob.maximumShards else {
                throw .badContent(type: "\(type)", reason: "feature count and target width must be positive, the shard in range")
            }
            let places = try reader.uint32s(count: rows)
            let features = try reader.floats(count: try reader.product(rows, featureCount))
            let targets = try reader.floats(count: try reader.product(rows, targetWidth))
            try reader.expectEnd()
            message = .shardRows(ShardRows(
                shard: shard, part: part, featureCount: featureCount, targetWidth: targetWidth, places: places,
                features: features, targets: targets))
        case .standardization:
            let featureCount = try reader.count()
            let mean = try reader.floats(count: featureCount), scale = try reader.floats(count: featureCount)
            try reader.expectEnd()
            message = .standardization(mean: mean, scale: scale)
        case .validationSums:
            let shard = try reader.count(), sumsCount = try reader.count()
            let sums = try reader.doubles(count: sumsCount)
            try reader.expectEnd()
            try [shard].checkShards(in: type)
            message = .validationSums(ValidationSums(shard: shard, sums: sums))
        case .reject:
            preconditionFailure("handled above")
        }
        return Envelope(jobId: jobId, round: round, message: message)
    }
}

/// A message measured for sending: its size is known before a byte is written, so the transport
/// allocates the frame once and the numbers are copied once, straight into it.
public struct OutgoingMessage {
    public let envelope: Envelope
    private let text: [UInt8]
    /// The encoded size in bytes.
    public let count: Int

    public init(_ envelope: Envelope) {
        self.envelope = envelope
        text = MessageCodec.text(of: envelope.message)
        var counter = ByteWriter(into: nil)
        MessageCodec.write(envelope, text: text, to: &counter)
        count = counter.count
    }

    /// Writes the message into `buffer`, which must be `count` bytes.
    public func write(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count == count, "a message of \(count) bytes written into \(buffer.count)")
        var writer = ByteWriter(into: buffer)
        MessageCodec.write(envelope, text: text, to: &writer)
    }
}
