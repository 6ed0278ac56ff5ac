// The coordinator's side of the protocol as a state machine without I/O: given the messages that
// arrive (with their sender) and the time, it hands the messages to send to `send`. Coordinator
// drives it over a ZeroMQ ROUTER socket; tests drive it directly.
//
//   gathering --N hellos--> loading --N readies--> training <--> validating --> done
//
// Each step it sends the parameters to every worker, waits for one gradient sum per shard, adds
// them in shard order, and applies the optimizer (ParameterUpdate): the same arithmetic as the
// single-process trainer, so the weights are the same bit for bit. Every wait is bounded: too few
// workers, or a worker silent for too long, ends the run with a message that names them.

import DLCore
import DLData
import DLProtocol
import DLTraining

public final class CoordinatorSession {
    public typealias PeerID = [UInt8]

    public struct Timeouts: Sendable {
        /// How long to wait for the workers to register.
        public var registration: Duration
        /// Silence from a worker after which it counts as lost.
        public var worker: Duration
        /// How often to send a heartbeat to a worker that has been sent nothing else.
        public var interval: Duration

        public init(registration: Duration = .seconds(60), worker: Duration = .seconds(15), interval: Duration = .seconds(1)) {
            self.registration = registration
            self.worker = worker
            self.interval = interval
        }
    }

    public enum Outcome: Equatable, Sendable {
        case finished
        case failed(String)
    }

    struct Worker {
        let peer: PeerID
        let info: WorkerInfo
        let index: Int
        var shards: [Int] = []
        var ready = false
        var lastHeard: ContinuousClock.Instant
        var lastSent: ContinuousClock.Instant
        /// Compute time reported for this epoch's shard gradients.
        var epochMicroseconds: UInt64 = 0

        var label: String { "worker \(index + 1) (\(info.name), \(info.host) pid \(info.pid))" }
    }

    private enum Phase {
        case gathering(since: ContinuousClock.Instant)
        case loading
        case training(epoch: Int, step: Int)
        case validating(epoch: Int)
        case done(Outcome)
    }

    public let job: TrainingJob
    public let workerCount: Int
    public let jobId: UInt64
    public let timeouts: Timeouts
    public private(set) var update: ParameterUpdate
    public private(set) var reports: [EpochReport] = []
    private let epochs: Int
    private let observers: [TrainingObserver]
    private let send: (PeerID, Envelope) -> Void
    private let log: (String) -> Void
    private var phase: Phase
    private var workers: [Worker] = []
    private var workerByPeer: [PeerID: Int] = [:]
    private var owner: [Int] = []
    private var refusedPeers: Set<PeerID> = []
    /// Workers told to stop that have not yet confirmed it.
    private var unconfirmedStops: Set<Int> = []

    // The step or validation round in progress: one slot per shard.
    private var received: [Bool]
    private var shardGradients: [[Float]]
    private var shardSums: [[Double]]
    private var epochSums: [Double]
    private var epochStarted: ContinuousClock.Instant

    public init(
        job: TrainingJob, workerCount: Int, jobId: UInt64, timeouts: Timeouts = Timeouts(), parameters: [Float]? = nil,
        observers: [TrainingObserver] = [], now: ContinuousClock.Instant,
        send: @escaping (PeerID, Envelope) -> Void, log: @escaping (String) -> Void
    ) {
        precondition(workerCount > 0 && workerCount <= job.schedule.shardCount)
        self.job = job
        self.workerCount = workerCount
        self.jobId = jobId
        self.timeouts = timeouts
        let initial = parameters ?? job.model.initialParameters(seed: job.settings.seed)
        update = ParameterUpdate(parameters: initial, optimizer: Optimizer(job.optimizer, parameterCount: initial.count))
        epochs = job.settings.epochs
        self.observers = observers
        self.send = send
        self.log = log
        phase = .gathering(since: now)
        let shards = job.schedule.shardCount
        received = [Bool](repeating: false, count: shards)
        shardGradients = Array(repeating: [Float](repeating: 0, count: initial.count), count: shards)
        shardSums = Array(repeating: job.metrics.makeSums(), count: shards)
        epochSums = job.metrics.makeSums()
        epochStarted = now
    }

    public var outcome: Outcome? {
        if case let .done(outcome) = phase { return outcome }
        return nil
    }

    public var parameters: [Float] { update.parameters }

    /// Done, and every worker that was told to stop has confirmed it (with a heartbeat), so closing
    /// the socket now loses no message. The process waits for this, for a bounded time.
    public var isSettled: Bool { outcome != nil && unconfirmedStops.isEmpty }

    /// The registered workers, for the log and the tests.
    public var registeredWorkers: [WorkerInfo] { workers.map(\.info) }

    // MARK: Events

    public func receive(_ bytes: [UInt8], from peer: PeerID, now: ContinuousClock.Instant) {
        if outcome != nil {
            if let index = workerByPeer[peer], let envelope = try? MessageCodec.decode(bytes),
                envelope.jobId == jobId, envelope.message == .heartbeat
            {
                unconfirmedStops.remove(index)
            }
            return
        }
        let envelope: Envelope
        do {
            envelope = try MessageCodec.decode(bytes)
        } catch {
            refuse(peer, error)
            return
        }
        if case let .hello(info) = envelope.message {
            hello(info, from: peer, now: now)
            return
        }
        guard let index = workerByPeer[peer] else {
            log("dropped a \(envelope.message.type) message from an unregistered peer")
            return
        }
        guard envelope.jobId == jobId else {
            log("dropped a \(envelope.message.type) message from \(workers[index].label): "
                + "\(ProtocolError.wrongJob(theirs: envelope.jobId, ours: jobId))")
            return
        }
        workers[index].lastHeard = now
        switch (phase, envelope.message) {
        case (_, .heartbeat):
            break
        case let (_, .failure(reason)):
            fail("\(workers[index].label) failed: \(reason)", now: now)
        case (.loading, .ready):
            workers[index].ready = true
            if workers.allSatisfy(\.ready) { startEpoch(0, now: now) }
        case let (.training(epoch, step), .shardGradient(result)):
            let expectedRound = UInt64(epoch * job.schedule.stepsPerEpoch + step)
            guard accept(result.shard, round: envelope.round, expected: expectedRound, from: index, kind: "shard-gradient"),
                result.gradient.count == update.parameters.count, result.sums.count == epochSums.count
            else { return }
            shardGradients[result.shard] = result.gradient
            shardSums[result.shard] = result.sums
            received[result.shard] = true
            workers[index].epochMicroseconds += UInt64(result.computeMicroseconds)
            if received.allSatisfy({ $0 }) { finishStep(epoch: epoch, step: step, now: now) }
        case let (.validating(epoch), .validationSums(result)):
            guard accept(result.shard, round: envelope.round, expected: UInt64(epoch), from: index, kind: "validation-sums"),
                result.sums.count == epochSums.count
            else { return }
            shardSums[result.shard] = result.sums
            received[result.shard] = true
            if received.allSatisfy({ $0 }) { finishEpoch(epoch, validation: job.metrics.total(of: shardSums), now: now) }
        default:
            log("dropped a \(envelope.message.type) message from \(workers[index].label): not expected now")
        }
    }

    /// Time passing: the bounded waits, and heartbeats to idle workers.
    public func tick(now: ContinuousClock.Instant) {
        switch phase {
        case let .gathering(since):
            if now - since > timeouts.registration {
                let names = workers.map(\.info.name).joined(separator: ", ")
                fail("only \(workers.count) of \(workerCount) workers registered within "
                    + "\(Int(timeouts.registration.components.seconds)) s" + (workers.isEmpty ? "" : " (\(names))")
                    + "; start more dlworker processes or lower --workers", now: now)
                return
            }
        case .done:
            return
        default:
            if let silent = workers.first(where: { now - $0.lastHeard > timeouts.worker }) {
                fail("\(silent.label) has sent nothing for \(Int(timeouts.worker.components.seconds)) s "
                    + "(no heartbeat either): it stopped, hangs, or lost its connection", now: now)
                return
            }
        }
        for index in workers.indices where now - workers[index].lastSent >= timeouts.interval {
            emit(.heartbeat, round: 0, to: index, now: now)
        }
    }

    /// Ends the run early (Ctrl-C, a worker process that exited), telling every worker.
    public func stop(reason: String, now: ContinuousClock.Instant) {
        guard outcome == nil else { return }
        fail(reason, now: now)
    }

    // MARK: Phases

    private func hello(_ info: WorkerInfo, from peer: PeerID, now: ContinuousClock.Instant) {
        if let index = workerByPeer[peer] {
            workers[index].lastHeard = now  // a repeated hello from a worker still waiting for its welcome
            return
        }
        guard case .gathering = phase else {
            send(peer, Envelope(jobId: jobId, round: 0, message: .reject(reason: "the job already has its \(workerCount) workers")))
            log("refused \(info.name) (\(info.host) pid \(info.pid)): the job already has its \(workerCount) workers")
            return
        }
        let index = workers.count
        workers.append(Worker(peer: peer, info: info, index: index, lastHeard: now, lastSent: now))
        workerByPeer[peer] = index
        log("worker \(index + 1)/\(workerCount) joined: \(info.name) (\(info.host) pid \(info.pid), "
            + "\(info.threads) thread(s), dltrain \(info.version))")
        if workers.count == workerCount { assignShards(now: now) }
    }

    /// Deals shard s to worker s mod N, then sends each worker its job and its shards' rows.
    private func assignShards(now: ContinuousClock.Instant) {
        let shardCount = job.schedule.shardCount
        owner = (0..<shardCount).map { $0 % workerCount }
        for shard in 0..<shardCount { workers[owner[shard]].shards.append(shard) }
        phase = .loading
        for worker in workers {
            let description = WorkerJob(
                workerIndex: worker.index, model: job.model, loss: job.loss.rawValue, metrics: job.metricNames,
                trainingRows: job.data.training.count, shardCount: shardCount, batchSize: job.settings.batchSize,
                seed: job.settings.seed, featureCount: job.data.training.featureCount,
                targetWidth: job.data.training.targetWidth, shards: worker.shards)
            emit(.welcome(description), round: 0, to: worker.index, now: now)
            for shard in worker.shards { emit(.shardRows(rows(of: shard)), round: 0, to: worker.index, now: now) }
        }
    }

    private func rows(of shard: Int) -> ShardRows {
        let training = job.data.training.select(job.schedule.shardRows[shard])
        let validation = job.data.validation.map {
            $0.slice(ShardSchedule.validationRange(shard: shard, shardCount: job.schedule.shardCount, rowCount: $0.count))
        }
        return ShardRows(
            shard: shard, featureCount: training.featureCount, targetWidth: training.targetWidth,
            trainingFeatures: training.features, trainingTargets: training.targets,
            validationFeatures: validation?.features ?? [], validationTargets: validation?.targets ?? [])
    }

    private func startEpoch(_ epoch: Int, now: ContinuousClock.Instant) {
        epochStarted = now
        epochSums = job.metrics.makeSums()
        for index in workers.indices { workers[index].epochMicroseconds = 0 }
        for observer in observers { observer.epochStarted(epoch: epoch + 1, of: epochs, steps: job.schedule.stepsPerEpoch) }
        startStep(epoch: epoch, step: 0, now: now)
    }

    private func startStep(epoch: Int, step: Int, now: ContinuousClock.Instant) {
        phase = .training(epoch: epoch, step: step)
        received = received.map { _ in false }
        let round = UInt64(epoch * job.schedule.stepsPerEpoch + step)
        for index in workers.indices { emit(.computeStep(parameters: update.parameters), round: round, to: index, now: now) }
    }

    private func finishStep(epoch: Int, step: Int, now: ContinuousClock.Instant) {
        let sums = job.metrics.total(of: shardSums)
        for i in epochSums.indices { epochSums[i] += sums[i] }
        update.apply(shardGradients: shardGradients, batchSize: job.schedule.batchSize(ofStep: step))
        guard update.isFinite else {
            fail("\(JobError.diverged(epoch: epoch + 1, step: step + 1))", now: now)
            return
        }
        let steps = job.schedule.stepsPerEpoch
        for observer in observers {
            observer.stepFinished(step: step + 1, of: steps, runningSums: epochSums, metrics: job.metrics)
        }
        if step + 1 < steps {
            startStep(epoch: epoch, step: step + 1, now: now)
        } else if job.data.validation != nil {
            phase = .validating(epoch: epoch)
            received = received.map { _ in false }
            for index in workers.indices { emit(.evaluate(parameters: update.parameters), round: UInt64(epoch), to: index, now: now) }
        } else {
            finishEpoch(epoch, validation: nil, now: now)
        }
    }

    private func finishEpoch(_ epoch: Int, validation: [Double]?, now: ContinuousClock.Instant) {
        let elapsed = now - epochStarted
        let report = EpochReport(
            epoch: epoch + 1, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
            steps: job.schedule.stepsPerEpoch, metrics: job.metrics, training: epochSums, validation: validation)
        reports.append(report)
        reportStragglers()
        do {
            for observer in observers { try observer.epochFinished(report, of: epochs) }
        } catch {
            fail("\(error)", now: now)
            return
        }
        if epoch + 1 < epochs {
            startEpoch(epoch + 1, now: now)
        } else {
            tellEveryWorker(StopNotice(finished: true, reason: "the job finished"), now: now)
            phase = .done(.finished)
        }
    }

    /// Names a worker whose compute time per step is far above the others'.
    private func reportStragglers() {
        guard workers.count > 1 else { return }
        let steps = Double(job.schedule.stepsPerEpoch)
        let perStep = workers.map { Double($0.epochMicroseconds) / steps }
        let median = perStep.sorted()[perStep.count / 2]
        for (worker, time) in zip(workers, perStep) where time > 3 * median && time - median > 1000 {
            log("\(worker.label) is slow: \(Self.milliseconds(time)) ms of compute per step, "
                + "the median worker \(Self.milliseconds(median)) ms")
        }
    }

    /// The per-worker compute time of the last epoch, for the log.
    public var workerStepTimes: [(name: String, millisecondsPerStep: Double)] {
        workers.map { ($0.info.name, Double($0.epochMicroseconds) / Double(job.schedule.stepsPerEpoch) / 1000) }
    }

    // MARK: Helpers

    /// Whether a shard result is the one expected now from this worker; logs why not.
    private func accept(_ shard: Int, round: UInt64, expected: UInt64, from index: Int, kind: String) -> Bool {
        let problem: String?
        if round != expected {
            problem = "round \(round), expected \(expected)"
        } else if shard < 0 || shard >= owner.count || owner[shard] != index {
            problem = "shard \(shard) is not this worker's"
        } else if received[shard] {
            problem = "shard \(shard) was already received"
        } else {
            problem = nil
        }
        if let problem { log("dropped a \(kind) message from \(workers[index].label): \(problem)") }
        return problem == nil
    }

    private func refuse(_ peer: PeerID, _ error: ProtocolError) {
        let who = workerByPeer[peer].map { workers[$0].label } ?? "an unregistered peer"
        if case .versionMismatch = error, !refusedPeers.contains(peer) {
            refusedPeers.insert(peer)
            send(peer, Envelope(jobId: jobId, round: 0, message: .reject(
                reason: "this coordinator speaks dltrain protocol version \(MessageCodec.version); \(error)")))
        }
        log("dropped a message from \(who): \(error)")
    }

    private func fail(_ reason: String, now: ContinuousClock.Instant) {
        tellEveryWorker(StopNotice(finished: false, reason: reason), now: now)
        phase = .done(.failed(reason))
    }

    private func tellEveryWorker(_ notice: StopNotice, now: ContinuousClock.Instant) {
        for index in workers.indices {
            emit(.stop(notice), round: 0, to: index, now: now)
            unconfirmedStops.insert(index)
        }
    }

    private func emit(_ message: Message, round: UInt64, to index: Int, now: ContinuousClock.Instant) {
        send(workers[index].peer, Envelope(jobId: jobId, round: round, message: message))
        workers[index].lastSent = now
    }

    static func milliseconds(_ microseconds: Double) -> String {
        let value = (microseconds / 10).rounded() / 100
        return "\(value)"
    }
}
