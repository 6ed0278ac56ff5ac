// One example of every message type, and the bytes it must be on the wire: the files in Fixtures/,
// named by type (hello.hex, shard-rows.hex, ...). They were written from docs/protocol.md, not
// from the codec, and carry a comment on every field; the golden-bytes and document tests read them.

import DLCore
import DLProtocol
import Foundation
import XCTest

enum GoldenMessages {
    static let jobId: UInt64 = 0x1122_3344_5566_7788

    static let model = try! ModelSpec(
        inputDim: 3,
        layers: [DenseSpec(units: 4, activation: .relu), DenseSpec(units: 1, activation: .sigmoid, kernelInitializer: .heNormal)])

    static let envelopes: [Envelope] = [
        Envelope(jobId: 0, round: 0, message: .hello(WorkerInfo(name: "w1", host: "node-a", pid: 1234, version: "1.2.3"))),
        Envelope(jobId: jobId, round: 0, message: .welcome(WorkerJob(
            workerIndex: 1, model: model, loss: "binary_crossentropy", metrics: ["accuracy"], trainingRows: 470,
            shardCount: 4, batchSize: 10, seed: 3, featureCount: 3, targetWidth: 1, shards: [1, 3]))),
        Envelope(jobId: jobId, round: 0, message: .shardRows(ShardRows(
            shard: 1, featureCount: 2, targetWidth: 1, trainingFeatures: [1, 2, 3, 4], trainingTargets: [0, 1],
            validationFeatures: [5, 6], validationTargets: [1]))),
        Envelope(jobId: jobId, round: 0, message: .ready),
        Envelope(jobId: jobId, round: 17, message: .computeStep(ShardRequest(shards: [1, 3], parameters: [0.5, -0.25, 1, 2]))),
        Envelope(jobId: jobId, round: 17, message: .shardGradient(ShardGradient(
            shard: 3, computeMicroseconds: 77, gradient: [1, -2, 0.5], sums: [0.5, 10, 7]))),
        Envelope(jobId: jobId, round: 2, message: .evaluate(ShardRequest(shards: [0], parameters: [1, 2]))),
        Envelope(jobId: jobId, round: 2, message: .validationSums(ValidationSums(shard: 0, sums: [1.5, 2, 1]))),
        Envelope(jobId: jobId, round: 0, message: .heartbeat),
        Envelope(jobId: jobId, round: 0, message: .stop(StopNotice(
            finished: false, reason: "the coordinator was interrupted (Ctrl-C)", rejoin: false))),
        Envelope(jobId: jobId, round: 0, message: .failure(reason: "out of memory")),
        Envelope(jobId: jobId, round: 0, message: .assign(shards: [3, 7])),
        Envelope(jobId: jobId, round: 0, message: .reject(
            reason: "this coordinator speaks dltrain protocol version 2; protocol version 3, but this process speaks version 2")),
    ]

    static func envelope(of type: MessageType) throws -> Envelope {
        try XCTUnwrap(envelopes.first { $0.message.type == type }, "no golden message of type \(type)")
    }

    /// The fixture's bytes: hex pairs separated by white space; `#` starts a comment to the end of
    /// the line.
    static func bytes(of type: MessageType) throws -> [UInt8] {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: type.description, withExtension: "hex", subdirectory: "Fixtures"),
            "no fixture Fixtures/\(type).hex")
        var bytes: [UInt8] = []
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            for pair in line.prefix(while: { $0 != "#" }).split(whereSeparator: \.isWhitespace) {
                bytes.append(try XCTUnwrap(pair.count == 2 ? UInt8(pair, radix: 16) : nil, "\(type).hex: not a byte: \(pair)"))
            }
        }
        return bytes
    }
}
