// Messages from whatever listens where a worker connects, and from whatever holds the job's secret:
// a crafted welcome (Tests/Fuzz/crashes/message/crafted-welcome-*, each of which trapped dlworker)
// is refused with the coordinator named; a job too large for a worker is refused with its need; and
// hostile messages in the middle of a run (rounds, shards, counts and endpoints out of range) are
// dropped by whoever receives them, worker or coordinator, and the run ends with the undisturbed
// weights.

import DLCoordinator
import DLCore
import DLData
import DLProtocol
import DLTestSupport
import DLTraining
import DLWorker
import Foundation
import XCTest

final class HostileMessageTests: XCTestCase {
    private let clock = ContinuousClock()
    private let address = CoordinatorAddress(endpoint: "tcp://10.0.0.5:5755")

    /// A registering worker, what it sends, and its session.
    private func registeringWorker() -> (WorkerSession, () -> [Envelope]) {
        var sent: [Envelope] = []
        let info = WorkerInfo(name: "w1", host: "test", pid: 1, version: "test", peerEndpoint: "ipc://mem/0")
        let worker = WorkerSession(
            info: info, address: address, now: clock.now, send: { sent.append($0); return true },
            sendToPeer: { _, _ in false }, log: { _, _ in })
        return (worker, { sent })
    }

    func testACraftedWelcomeIsRefusedNamingTheCoordinator() throws {
        let directory = Repository.root + "/Tests/Fuzz/crashes/message/"
        let expected = ["crafted-welcome-batch": "batch_size", "crafted-welcome-rows": "training_rows", "crafted-welcome-units": "layer"]
        for (file, field) in expected {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + file)))
            let (worker, sent) = registeringWorker()
            bytes.withUnsafeBytes { worker.receive($0, now: clock.now) }
            guard case let .refusedJob(refusal)? = worker.outcome, case let .invalid(.badContent("welcome", reason)) = refusal.cause else {
                return XCTFail("\(file): \(String(describing: worker.outcome))")
            }
            XCTAssertEqual(refusal.coordinator, address)
            XCTAssertTrue(reason.contains(field), "\(file) names \(field): \(reason)")
            XCTAssertTrue("\(refusal)".contains("the coordinator at tcp://10.0.0.5:5755"), "\(refusal)")
            guard let told = sent().last, case .failure = told.message else { return XCTFail("\(file): the coordinator is told: \(sent())") }
            // Under the welcome's job, which the coordinator checks before it reads a message.
            let welcomeJob = bytes[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            XCTAssertEqual(told.jobId, welcomeJob, file)
        }
    }

    /// A welcome this worker cannot hold is refused before anything is allocated for it, with what
    /// it would need.
    func testAJobTooLargeForThisWorkerIsRefusedWithItsNeed() throws {
        MemoryBudget.cap = 8 << 20
        defer { MemoryBudget.cap = nil }
        let model = try ModelSpec(inputDim: 100, layers: [DenseSpec(units: 1, activation: .sigmoid)])
        let job = WorkerJob(
            workerIndex: 0, model: model, loss: "mse", metrics: [], trainingRows: 1_000_000, validationRows: 0, shardCount: 1,
            batchSize: 10, seed: 3, featureCount: 100, targetWidth: 1, optimizer: "adam", optimizerArguments: [:], shards: [0],
            standardizes: false)
        let (worker, _) = registeringWorker()
        MessageCodec.encode(Envelope(jobId: 7, round: 0, message: .welcome(job))).withUnsafeBytes { worker.receive($0, now: clock.now) }
        guard case let .refusedJob(refusal)? = worker.outcome, case let .tooLarge(shortage) = refusal.cause else {
            return XCTFail("\(String(describing: worker.outcome))")
        }
        XCTAssertEqual(shortage.available, 8 << 20)
        XCTAssertGreaterThan(shortage.need.total ?? 0, 1_000_000 * 101 * 4, "the rows alone: \(shortage.need)")
    }

    /// Mid-run, every kind of hostile message to a worker and to the coordinator is dropped where it
    /// is used; the run finishes with the weights of a run that met none.
    func testHostileMessagesMidRunAreDroppedAndTheWeightsStayTheUndisturbedOnes() throws {
        let job = try TrainingJob.seedJob(shards: 2, epochs: 2)
        let local = LocalTrainer(job: job)
        try local.train()
        for exchange in [CoordinatorSession.Exchange.star, .ring] {
            let harness = ClusterHarness(job: job, workerCount: 2, exchange: exchange)
            for _ in 0..<2 { harness.addWorker() }
            for _ in 0..<400 where harness.coordinator.progress.position.epoch == 0 && harness.coordinator.progress.position.step < 3 {
                harness.advance(.milliseconds(10))
                harness.deliver(limit: 6)
            }
            XCTAssertNil(harness.coordinator.outcome)
            let far = MessageCodec.maximumRound
            let toWorker: [(UInt64, Message)] = [
                (far, .evaluate(shards: [0])),
                (far, .computeStep(ringVersion: 1, learningRate: 0.001, total: [])),
                (far, .total(GradientChunk(ringVersion: 1, hop: 0, chunk: 0, values: [1]))),
                (0, .assign(shards: [5])),
                (0, .shardRows(ShardRows(shard: 1, part: .training, featureCount: 17, targetWidth: 1, places: [9_999], features: [Float](repeating: 0, count: 17), targets: [0]))),
                (0, .standardization(mean: [.nan], scale: [0])),
                (0, .state(ReplicaState(optimizerIterations: 1, learningRate: 0.001, parameters: [1, 2], optimizerState: []))),
                (0, .ring(RingPlan(version: 99, chunkSize: 4, star: false, owners: [0, 1], endpoints: [0: "ipc://mem/0", 1: "nowhere"]))),
                (3, .audit(shards: [1])),
            ]
            for (round, message) in toWorker {
                harness.toWorkers[ClusterHarness.peer(0), default: []].append(
                    MessageCodec.encode(Envelope(jobId: 0x1234, round: round, message: message)))
            }
            let fromWorker: [(UInt64, Message)] = [
                (far, .stepDone(StepDone(ringVersion: 1, computeMicroseconds: 1, shards: [0, 1, 1], sums: [[1], [1], [1]]))),
                (0, .validationSums(ValidationSums(shard: 7, sums: [.nan]))),
                (0, .auditDigests(AuditDigests(shards: [0], digests: [[UInt8](repeating: 0, count: 32)]))),
                (0, .total(GradientChunk(ringVersion: 9, hop: 5, chunk: 1_000, values: [1]))),
            ]
            for (round, message) in fromWorker {
                harness.toCoordinator.append((ClusterHarness.peer(0), MessageCodec.encode(Envelope(jobId: 0x1234, round: round, message: message))))
            }
            // A stranger whose peer endpoint no worker could reach is turned away with the reason.
            let stranger: [UInt8] = [9, 9]
            let hello = WorkerInfo(name: "x", host: "h", pid: 5, version: "test", peerEndpoint: "nowhere")
            harness.toCoordinator.append((stranger, MessageCodec.encode(Envelope(jobId: 0, round: 0, message: .hello(hello)))))
            harness.runToCompletion(perTick: 6)
            XCTAssertEqual(harness.coordinator.outcome, .finished, "\(exchange): \(harness.recentLog)")
            XCTAssertEqual(harness.lostWorkers, [], "\(exchange)")
            XCTAssertEqual(harness.coordinator.parameters.map(\.bitPattern), local.parameters.map(\.bitPattern), "\(exchange)")
            let answer = try XCTUnwrap(harness.toWorkers[stranger]?.first.map { try MessageCodec.decode($0).message })
            guard case let .reject(reason) = answer else { return XCTFail("\(answer)") }
            XCTAssertTrue(reason.contains("nowhere") && reason.contains("--advertise"), reason)
            XCTAssertEqual(harness.coordinator.registeredWorkers.count, 2)
            XCTAssertEqual(harness.drops.filter { $0.sender == 0 }.count, fromWorker.count, "\(exchange): \(harness.drops)")
            XCTAssertTrue(harness.drops.contains { $0.sender == nil && $0.type == .hello }, "\(exchange): the stranger's hello")
            let dropped = harness.workerLogs[0].filter { $0.hasPrefix("dropped a") }
            XCTAssertEqual(dropped.count, toWorker.count, "\(exchange): \(dropped)")
        }
    }

    /// The wire's bounds are the job's: a welcome of any job dlcoord accepts passes the checks.
    func testTheWiresBoundsAreTheJobs() {
        XCTAssertEqual(WorkerJob.maximumShards, JobSettings.maximumShards)
        XCTAssertEqual(WorkerJob.maximumRows, ShardSchedule.maximumRows)
        XCTAssertEqual(WorkerJob.maximumBatchSize, JobSettings.maximumBatchSize)
        XCTAssertGreaterThanOrEqual(MessageCodec.maximumRound, UInt64(JobSettings.maximumEpochs) * UInt64(ShardSchedule.maximumRows))
    }
}
