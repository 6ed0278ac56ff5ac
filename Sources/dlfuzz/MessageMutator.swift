// The `message` target's mutations (MessageFuzzing): a decoded message with one field changed to a
// value chosen to break an assumption (zero, one past a bound, the largest count a field holds, a
// negative number, NaN, a list emptied, repeated or reversed, text with a terminal's escapes), then
// encoded again. A JSON payload (hello, welcome, stop, assign, ring) is changed anywhere in its tree,
// the model's layers included, so that the result may be what no Swift value of the type could
// hold. The same code runs in the fuzzing build (as libFuzzer's custom mutator) and in the tests.

import DLCore
import DLProtocol
import Foundation

struct MessageMutator {
    /// Seeded by libFuzzer, so that a run repeats (a stream of its own: no training draw uses 0).
    private var random: SeededGenerator

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed, stream: 0)
    }

    /// `bytes` with one field changed, or nil when they are no message this version decodes.
    mutating func mutate(_ bytes: [UInt8]) -> [UInt8]? {
        guard let envelope = try? MessageCodec.decode(bytes) else { return nil }
        var header = Array(MessageCodec.encode(envelope).prefix(MessageCodec.headerSize))
        if random.nextIndex(below: 8) == 0 {
            let round = pick([0, 1, MessageCodec.maximumRound, MessageCodec.maximumRound + 1, UInt64.max, random.next()])
            withUnsafeBytes(of: round.littleEndian) { header.replaceSubrange(16..<24, with: $0) }
            return header + bytes.dropFirst(MessageCodec.headerSize)
        }
        switch envelope.message {
        case .hello, .welcome, .stop, .assign, .ring:
            return mutateJSON(header: header, payload: Array(bytes.dropFirst(MessageCodec.headerSize)))
        default:
            let message = mutateBinary(envelope.message)
            return MessageCodec.encode(Envelope(jobId: envelope.jobId, round: envelope.round, message: message))
        }
    }

    // MARK: JSON payloads

    private mutating func mutateJSON(header: [UInt8], payload: [UInt8]) -> [UInt8]? {
        guard var tree = try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed]) else { return nil }
        tree = mutateTree(tree, depth: 0)
        guard let data = try? JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys, .fragmentsAllowed]) else {
            return nil
        }
        return header + Array(data)
    }

    /// `node` with one leaf (or one list) somewhere below it changed.
    private mutating func mutateTree(_ node: Any, depth: Int) -> Any {
        if var object = node as? [String: Any], !object.isEmpty, depth < 8 {
            let key = pick(object.keys.sorted())
            if random.nextIndex(below: 16) == 0 {
                object[key] = nil  // a missing key
            } else {
                object[key] = mutateTree(object[key]!, depth: depth + 1)
            }
            return object
        }
        if var array = node as? [Any], depth < 8 {
            switch random.nextIndex(below: 5) {
            case 0: return [Any]()
            case 1: return array + array
            case 2: return Array(array.reversed())
            default:
                guard !array.isEmpty else { return [hostileNumber()] }
                let index = random.nextIndex(below: array.count)
                array[index] = mutateTree(array[index], depth: depth + 1)
                return array
            }
        }
        switch random.nextIndex(below: 4) {
        case 0: return hostileText()
        case 1: return random.nextIndex(below: 2) == 0
        default: return hostileNumber()
        }
    }

    private mutating func hostileNumber() -> Any {
        pick([
            0, 1, -1, 2, 3, 1 << 20, (1 << 20) + 1, Int(Int32.max), Int(Int32.max) + 1, Int(UInt32.max), 1 << 40, 1 << 62, Int.max,
            Int.min, 1.5, 1e30, -1e-300, Double.greatestFiniteMagnitude,
        ] as [Any])
    }

    private mutating func hostileText() -> String {
        pick(["", "x", String(repeating: "w", count: 300), "tcp://*:5555", "ipc://", "nowhere", "\u{1B}[2J\u{7}", "relu", "adam"])
    }

    // MARK: Binary payloads

    private mutating func mutateBinary(_ message: Message) -> Message {
        switch message {
        case let .shardRows(rows):
            var rows = rows
            switch random.nextIndex(below: 4) {
            case 0: rows.shard = count()
            case 1: rows.places = rows.places.map { _ in UInt32(truncatingIfNeeded: count()) }
            case 2: rows.features = rows.features.map { _ in hostileFloat() }
            default:
                // Another width, its arrays resized to match, so that only the width is wrong.
                rows.featureCount = max(1, min(count(), 64))
                rows.features = [Float](repeating: 0, count: rows.places.count * rows.featureCount)
            }
            return .shardRows(rows)
        case let .computeStep(_, rate, total):
            // A hostile rate (NaN, 0, negative, infinite) must be refused; a plain one lets the rest be tested.
            return .computeStep(
                ringVersion: UInt32(truncatingIfNeeded: count()), learningRate: pick([rate, hostileFloat()]), total: resized(total))
        case let .stepDone(done):
            var done = done
            done.shards = shardList(done.shards)
            done.sums = done.shards.map { _ in (done.sums.first ?? []).map { _ in Double(hostileFloat()) } }
            if !done.gradients.isEmpty {
                let width = random.nextIndex(below: 2) == 0 ? done.gradients[0].count : max(0, done.gradients[0].count - 1)
                done.gradients = done.shards.map { _ in [Float](repeating: hostileFloat(), count: width) }
            }
            return .stepDone(done)
        case let .evaluate(shards): return .evaluate(shards: shardList(shards))
        case let .audit(shards): return .audit(shards: shardList(shards))
        case let .validationSums(result):
            return .validationSums(ValidationSums(shard: count(), sums: result.sums.map { _ in Double(hostileFloat()) }))
        case let .partial(chunk): return .partial(mutateChunk(chunk))
        case let .total(chunk): return .total(mutateChunk(chunk))
        case let .state(state):
            return .state(ReplicaState(
                optimizerIterations: pick([0, Int(MessageCodec.maximumRound) - 1, count()]),
                learningRate: pick([state.learningRate, hostileFloat()]), parameters: resized(state.parameters),
                optimizerState: resized(state.optimizerState)))
        case let .standardization(mean, _):
            let values = resized(mean)
            return .standardization(mean: values.map { _ in hostileFloat() }, scale: values.map { _ in pick([0, hostileFloat(), 1]) })
        case let .auditDigests(digests):
            let shards = shardList(digests.shards)
            return .auditDigests(AuditDigests(shards: shards, digests: shards.map { _ in [UInt8](repeating: 7, count: 32) }))
        case .failure: return .failure(reason: hostileText())
        case .reject: return .reject(reason: hostileText())
        default: return message
        }
    }

    private mutating func mutateChunk(_ chunk: GradientChunk) -> GradientChunk {
        GradientChunk(
            ringVersion: UInt32(truncatingIfNeeded: count()), hop: count(), chunk: count(), values: resized(chunk.values))
    }

    /// A count or index as a UInt32 field carries it: small, at a bound, or the largest.
    private mutating func count() -> Int {
        pick([0, 1, 2, 3, 4, 255, (1 << 20) - 1, 1 << 20, Int(Int32.max), Int(UInt32.max), random.nextIndex(below: 1 << 16)])
    }

    private mutating func shardList(_ shards: [Int]) -> [Int] {
        switch random.nextIndex(below: 4) {
        case 0: return []
        case 1: return shards + shards
        case 2: return shards.reversed()
        default: return shards.map { _ in count() }
        }
    }

    private mutating func resized(_ values: [Float]) -> [Float] {
        switch random.nextIndex(below: 4) {
        case 0: return []
        case 1: return Array(values.dropLast())
        case 2: return values + [hostileFloat()]
        default: return values.map { _ in hostileFloat() }
        }
    }

    private mutating func hostileFloat() -> Float {
        pick([0, -0.0, .nan, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 1, -1])
    }

    private mutating func pick<Value>(_ values: [Value]) -> Value { values[random.nextIndex(below: values.count)] }
}
