// What a decoded message may hold whatever its receiver's state (MessageChecks.swift): each field of
// the golden welcome pushed out of its range, a model no worker could build, rounds, shard lists
// and counts beyond any job, a hello's names: each refused as bad content naming the field; and a
// peer's text, printed with its control characters made harmless.

import DLCore
@testable import DLProtocol
import XCTest

final class MessageChecksTests: XCTestCase {
    private var golden: WorkerJob {
        guard case let .welcome(job) = GoldenMessages.examples(of: .welcome)[0].envelope.message else { preconditionFailure() }
        return job
    }

    /// The reason a welcome of `job` is refused, if it is.
    private func refusal(_ job: WorkerJob) -> String? { refusal(MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .welcome(job)))) }

    private func refusal(_ bytes: [UInt8]) -> String? {
        do {
            _ = try MessageCodec.decode(bytes)
            return nil
        } catch {
            guard case let .badContent(_, reason) = error else { return "not bad content: \(error)" }
            return reason
        }
    }

    func testAWelcomeOfNoPossibleJobIsRefusedNamingTheField() {
        XCTAssertNil(refusal(golden))
        let cases: [(field: String, change: (inout WorkerJob) -> Void)] = [
            ("worker_index", { $0.workerIndex = -1 }),
            ("training_rows", { $0.trainingRows = 0 }),
            ("training_rows", { $0.trainingRows = Int(Int32.max) + 1 }),
            ("validation_rows", { $0.validationRows = -1 }),
            ("shard_count", { $0.shardCount = 0 }),
            ("shard_count", { $0.shardCount = 471 }),  // more shards than rows
            ("batch_size", { $0.batchSize = 0 }),
            ("batch_size", { $0.batchSize = Int.max }),
            ("feature_count", { $0.featureCount = 4 }),
            ("target_width", { $0.targetWidth = 2 }),
            ("shards", { $0.shards = [3, 2] }),
            ("shards", { $0.shards = [2, 2] }),
            ("shards", { $0.shards = [4] }),
            ("loss", { $0.loss = "hinge" }),
            ("metric", { $0.metrics = ["f1"] }),
            ("optimizer", { $0.optimizer = "lion" }),
            ("beta_1", { $0.optimizerArguments["beta_1"] = 1 }),
            ("clipvalue", { $0.optimizerArguments["clipnorm"] = 1; $0.optimizerArguments["clipvalue"] = 1 }),
            ("lr_schedule", { $0.lrSchedule = "cosine_decay:decay_steps=0" }),
        ]
        for (field, change) in cases {
            var job = golden
            change(&job)
            let reason = refusal(job)
            XCTAssertTrue(reason?.contains(field) == true, "\(field): \(reason ?? "accepted")")
        }
    }

    /// The model travels as JSON: widths no ModelSpec takes are refused, not multiplied.
    func testAModelNoWorkerCouldBuildIsRefused() throws {
        let bytes = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .welcome(golden)))
        let text = String(decoding: bytes[MessageCodec.headerSize...], as: UTF8.self)
        for (from, to) in [
            ("\"units\":4}", "\"units\":4611686018427387904}"), ("\"units\":4}", "\"units\":-4}"), ("\"input_dim\":3", "\"input_dim\":0"),
            ("\"input_dim\":3", "\"input_dim\":2097152"),
            // A dropout rate or a regularizer factor that no layer list gives.
            ("\"units\":4}", "\"units\":4,\"dropout\":1}"), ("\"input_dim\":3", "\"input_dim\":3,\"input_dropout\":-0.5"),
            ("\"units\":4}", "\"units\":4,\"kernel_regularizer\":{\"l1\":0,\"l2\":-1}}"),
        ] {
            XCTAssertTrue(text.contains(from), from)
            let changed = Array(bytes[..<MessageCodec.headerSize]) + Array(text.replacingOccurrences(of: from, with: to).utf8)
            let reason = refusal(changed)
            XCTAssertTrue(reason?.contains("model") == true, "\(to): \(reason ?? "accepted")")
        }
    }

    func testRoundsShardListsAndCountsBeyondAnyJobAreRefused() {
        func encoded(_ message: Message, round: UInt64 = 0) -> [UInt8] { MessageCodec.encode(Envelope(jobId: 1, round: round, message: message)) }
        let beyond = WorkerJob.maximumShards
        let refused: [(String, [UInt8])] = [
            ("round", encoded(.heartbeat, round: MessageCodec.maximumRound + 1)),
            ("assign", encoded(.assign(shards: [-1]))),
            ("evaluate", encoded(.evaluate(shards: [beyond]))),
            ("audit", encoded(.audit(shards: [0, beyond]))),
            ("step-done", encoded(.stepDone(StepDone(ringVersion: 1, computeMicroseconds: 1, shards: [beyond], sums: [[]])))),
            ("validation-sums", encoded(.validationSums(ValidationSums(shard: beyond, sums: [])))),
            ("shard-rows", encoded(.shardRows(ShardRows(shard: beyond, part: .training, featureCount: 1, targetWidth: 1, places: [], features: [], targets: [])))),
            ("state", encoded(.state(ReplicaState(optimizerIterations: Int(MessageCodec.maximumRound), learningRate: 0.001, parameters: [], optimizerState: [])))),
            ("ring", encoded(.ring(RingPlan(version: 1, chunkSize: 0, star: false, owners: [0], endpoints: [0: "ipc://a"])))),
            ("ring", encoded(.ring(RingPlan(version: 1, chunkSize: 4, star: false, owners: [0], endpoints: [0: "ipc://a\u{1B}[2J"])))),
            ("hello", encoded(.hello(WorkerInfo(name: "w\u{1B}]0;pwned\u{7}", host: "h", pid: 1, version: "1", peerEndpoint: "ipc://a")))),
            ("hello", encoded(.hello(WorkerInfo(name: "w", host: String(repeating: "h", count: 300), pid: 1, version: "1", peerEndpoint: "ipc://a")))),
        ]
        for (what, bytes) in refused {
            XCTAssertNotNil(refusal(bytes), what)
        }
        XCTAssertNil(refusal(encoded(.heartbeat, round: MessageCodec.maximumRound)))
        XCTAssertNil(refusal(encoded(.assign(shards: [0, beyond - 1]))))
    }

    /// A peer's words are shown to a person: its control characters (a terminal's escapes) are not.
    func testAPeersTextIsPrintedNotObeyed() throws {
        for message in [Message.failure(reason: "out\u{1B}[2J of\nmemory"), .reject(reason: "out\u{1B}[2J of\nmemory"),
            .stop(StopNotice(finished: false, reason: "out\u{1B}[2J of\nmemory"))]
        {
            let decoded = try MessageCodec.decode(MessageCodec.encode(Envelope(jobId: 1, round: 0, message: message))).message
            let reason: String
            switch decoded {
            case let .failure(text), let .reject(text): reason = text
            case let .stop(notice): reason = notice.reason
            default: return XCTFail("\(decoded)")
            }
            XCTAssertEqual(reason, "out\u{FFFD}[2J of memory")
        }
    }
}
