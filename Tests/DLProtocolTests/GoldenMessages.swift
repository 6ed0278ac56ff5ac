// One example of every message type (two of those whose layout differs in a star), and the bytes it
// must be on the wire: the files in Fixtures/, named by type (hello.hex, shard-rows.hex, ...) and,
// for a second example, by type and variant (compute-step-star.hex). They were written from
// docs/protocol.md, not from the codec, and carry a comment on every field; the golden-bytes and
// document tests read them.

import DLCore
import DLProtocol
import Foundation
import XCTest

enum GoldenMessages {
    /// A golden message and the name of its fixture (Fixtures/NAME.hex).
    struct Golden {
        let name: String
        let envelope: Envelope

        var type: MessageType { envelope.message.type }

        /// The example of its type, or (with `variant`) another one, in a fixture named after both.
        init(_ envelope: Envelope, variant: String? = nil) {
            self.envelope = envelope
            name = envelope.message.type.description + (variant.map { "-" + $0 } ?? "")
        }
    }

    static let jobId: UInt64 = 0x1122_3344_5566_7788

    static let model = try! ModelSpec(
        inputDim: 3,
        layers: [DenseSpec(units: 4, activation: .relu), DenseSpec(units: 1, activation: .sigmoid, kernelInitializer: .heNormal)])

    /// The optimizer's arguments as a welcome carries them: Keras's defaults for adam, float32
    /// values widened to float64.
    static let adamArguments: [String: Double] = [
        "learning_rate": Double(Float(0.001)), "beta_1": Double(Float(0.9)), "beta_2": Double(Float(0.999)),
        "epsilon": Double(Float(1e-7)),
    ]

    /// The example of each type, in the order of their codes.
    static let envelopes: [Envelope] = [
        Envelope(jobId: 0, round: 0, message: .hello(WorkerInfo(
            name: "w1", host: "node-a", pid: 1234, version: "1.2.3", peerEndpoint: "tcp://10.0.0.5:40123"))),
        Envelope(jobId: jobId, round: 0, message: .welcome(WorkerJob(
            workerIndex: 1, model: model, loss: "binary_crossentropy", metrics: ["accuracy"], trainingRows: 470,
            validationRows: 117, shardCount: 4, batchSize: 10, seed: 3, featureCount: 3, targetWidth: 1, optimizer: "adam",
            optimizerArguments: adamArguments, shards: [2, 3], standardizes: true))),
        Envelope(jobId: jobId, round: 0, message: .shardRows(ShardRows(
            shard: 1, part: .training, featureCount: 2, targetWidth: 1, places: [3, 0], features: [1, 2, 3, 4],
            targets: [0, 1]))),
        Envelope(jobId: jobId, round: 0, message: .ready),
        Envelope(jobId: jobId, round: 17, message: .computeStep(ringVersion: 2, learningRate: 0.001, total: [])),
        Envelope(jobId: jobId, round: 17, message: .stepDone(StepDone(
            ringVersion: 2, computeMicroseconds: 77, shards: [2, 3], sums: [[0.5, 10, 7], [1.25, 10, 9]]))),
        Envelope(jobId: jobId, round: 2, message: .evaluate(shards: [2, 3])),
        Envelope(jobId: jobId, round: 2, message: .validationSums(ValidationSums(shard: 0, sums: [1.5, 2, 1]))),
        Envelope(jobId: jobId, round: 0, message: .heartbeat),
        Envelope(jobId: jobId, round: 0, message: .stop(StopNotice(
            finished: false, reason: "the coordinator was interrupted (Ctrl-C)", rejoin: false))),
        Envelope(jobId: jobId, round: 0, message: .failure(reason: "out of memory")),
        Envelope(jobId: jobId, round: 0, message: .assign(shards: [3, 7])),
        Envelope(jobId: jobId, round: 0, message: .ring(RingPlan(
            version: 2, chunkSize: 4, star: false,
            segments: [
                RingPlan.Segment(worker: 0, shards: [0, 1]), RingPlan.Segment(worker: 1, shards: [2]),
                RingPlan.Segment(worker: 0, shards: [3]),
            ],
            peers: [
                RingPlan.Peer(worker: 0, endpoint: "tcp://10.0.0.4:40001"),
                RingPlan.Peer(worker: 1, endpoint: "tcp://10.0.0.5:40123"),
            ]))),
        Envelope(jobId: jobId, round: 17, message: .partial(GradientChunk(ringVersion: 2, hop: 0, chunk: 1, values: [0.5, -1.5, 2]))),
        Envelope(jobId: jobId, round: 17, message: .total(GradientChunk(
            ringVersion: 2, hop: 1, chunk: 0, values: [1, -0.25, 3, 0.125]))),
        Envelope(jobId: jobId, round: 17, message: .state(ReplicaState(
            optimizerIterations: 17, learningRate: 0.001, parameters: [0.5, -0.25, 1], optimizerState: [0.125, -0.5, 0.25, 0.0625, 0.03125, 2]))),
        Envelope(jobId: jobId, round: 17, message: .audit(shards: [2, 3])),
        Envelope(jobId: jobId, round: 17, message: .auditDigests(AuditDigests(shards: [2, 3], digests: [
            // SHA-256 of the float32 bytes of [0.5, -0.25, 1, 2] and of [-0.5, 0.125, 3, -2]
            [0x74, 0x36, 0xfb, 0x10, 0x38, 0x05, 0xed, 0xf5, 0x83, 0xb0, 0x26, 0x59, 0x18, 0xa8, 0x51, 0x14, 0x43, 0xe1, 0xf5, 0x8f, 0xa1, 0x16, 0x69, 0xba, 0xc0, 0xc8, 0x8f, 0xdc, 0xe5, 0xb5, 0x2f, 0xe2],
            [0xe4, 0x21, 0x1a, 0x28, 0x05, 0x90, 0x79, 0xf1, 0xf2, 0x9f, 0xc0, 0x8f, 0x21, 0xa2, 0x7a, 0x4d, 0xb3, 0x6d, 0x81, 0x76, 0xe7, 0xc8, 0xb9, 0x45, 0xf1, 0x3d, 0xb7, 0x50, 0xf7, 0xff, 0xd1, 0x08],
        ]))),
        Envelope(jobId: jobId, round: 0, message: .rowsReceived),
        Envelope(jobId: jobId, round: 0, message: .standardization(mean: [2, -0.5, 100], scale: [0.5, 1, 4])),
        Envelope(jobId: jobId, round: 0, message: .reject(
            reason: "this coordinator speaks dltrain protocol version 6; protocol version 7, but this process speaks version 6")),
    ]

    /// In a star (here of a 4-parameter model), compute-step carries the previous round's total and
    /// step-done each shard's gradient.
    static let variants: [Golden] = [
        Golden(Envelope(jobId: jobId, round: 17, message: .computeStep(ringVersion: 2, learningRate: 0.0005, total: [0.25, -1, 0.5, 2])), variant: "star"),
        Golden(Envelope(jobId: jobId, round: 17, message: .stepDone(StepDone(
            ringVersion: 2, computeMicroseconds: 77, shards: [2, 3], sums: [[0.5, 10, 7], [1.25, 10, 9]],
            gradients: [[0.5, -0.25, 1, 2], [-0.5, 0.125, 3, -2]]))), variant: "star"),
    ]

    static let all = envelopes.map { Golden($0) } + variants

    static func examples(of type: MessageType) -> [Golden] { all.filter { $0.type == type } }

    /// The fixture's bytes: hex pairs separated by white space; `#` starts a comment to the end of
    /// the line.
    static func bytes(of golden: Golden) throws -> [UInt8] {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: golden.name, withExtension: "hex", subdirectory: "Fixtures"),
            "no fixture Fixtures/\(golden.name).hex")
        var bytes: [UInt8] = []
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            for pair in line.prefix(while: { $0 != "#" }).split(whereSeparator: \.isWhitespace) {
                bytes.append(try XCTUnwrap(pair.count == 2 ? UInt8(pair, radix: 16) : nil, "\(golden.name).hex: not a byte: \(pair)"))
            }
        }
        return bytes
    }

    /// The names of the fixture files present, to find one that no golden message reads.
    static func fixtureNames() throws -> [String] {
        let directory = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "no Fixtures")
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "hex" }.map { $0.deletingPathExtension().lastPathComponent }
    }
}
