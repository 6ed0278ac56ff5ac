// A worker's side of the protocol as a state machine without I/O: it is given the messages that
// arrive and the time, and hands the messages it sends to `send`. WorkerProcess drives it over a
// ZeroMQ socket; tests drive it directly, step by step.
//
//   registering --welcome--> loading --all shard-rows--> training --stop--> stopped
//        ^                                                  |
//        +------------- coordinator silent too long --------+
//
// While registering it says hello every second; a worker that cannot reach a coordinator within
// its reconnect timeout gives up. In training it answers compute-step with one shard-gradient per
// shard it owns (in shard order) and evaluate with one validation-sums per shard.

import DLCore
import DLData
import DLProtocol
import DLTraining

public final class WorkerSession {
    public struct Timeouts: Sendable {
        /// How long to keep trying to reach a coordinator before giving up.
        public var reconnect: Duration
        /// Silence from the coordinator during a job after which it counts as lost.
        public var coordinator: Duration
        /// How often to say hello while registering, and to send a heartbeat when idle.
        public var interval: Duration

        public init(reconnect: Duration = .seconds(60), coordinator: Duration = .seconds(15), interval: Duration = .seconds(1)) {
            self.reconnect = reconnect
            self.coordinator = coordinator
            self.interval = interval
        }
    }

    public enum Outcome: Equatable, Sendable {
        /// The coordinator ended the job (finished or not); the reason is its word.
        case stopped(finished: Bool, reason: String)
        /// This worker gave up: the reason says why.
        case failed(String)
    }

    private enum State {
        case registering(since: ContinuousClock.Instant)
        case loading(WorkerJob, schedule: ShardSchedule, rows: [Int: ShardRows])
        case training(TrainingState)
        case done(Outcome)
    }

    private struct TrainingState {
        let job: WorkerJob
        let schedule: ShardSchedule
        let runners: [ShardRunner]
        var gradients: [[Float]]
    }

    public let info: WorkerInfo
    public let timeouts: Timeouts
    /// Whether to register again for the next job after a stop, instead of finishing.
    public let keepRunning: Bool
    private let send: (Envelope) -> Void
    private let log: (String) -> Void
    private var state: State
    private var jobId: UInt64 = 0
    private var lastHeard: ContinuousClock.Instant
    private var lastSent: ContinuousClock.Instant

    public init(
        info: WorkerInfo, timeouts: Timeouts = Timeouts(), keepRunning: Bool = false, now: ContinuousClock.Instant,
        send: @escaping (Envelope) -> Void, log: @escaping (String) -> Void
    ) {
        self.info = info
        self.timeouts = timeouts
        self.keepRunning = keepRunning
        self.send = send
        self.log = log
        state = .registering(since: now)
        lastHeard = now
        lastSent = now - timeouts.interval
    }

    /// Set once the worker is done; the process then exits.
    public var outcome: Outcome? {
        if case let .done(outcome) = state { return outcome }
        return nil
    }

    public var isRegistering: Bool {
        if case .registering = state { return true }
        return false
    }

    /// Time passing: hellos while registering, heartbeats when idle, and the bounded waits.
    public func tick(now: ContinuousClock.Instant) {
        switch state {
        case let .registering(since):
            if now - since > timeouts.reconnect {
                finish(.failed("no coordinator answered within \(Self.seconds(timeouts.reconnect)) s"))
            } else if now - lastSent >= timeouts.interval {
                emit(.hello(info), round: 0, now: now, jobId: 0)
            }
        case .loading, .training:
            if now - lastHeard > timeouts.coordinator {
                log("lost the coordinator: no message for \(Self.seconds(timeouts.coordinator)) s; "
                    + "registering again for up to \(Self.seconds(timeouts.reconnect)) s")
                state = .registering(since: now)
                jobId = 0
            } else if now - lastSent >= timeouts.interval {
                emit(.heartbeat, round: 0, now: now)
            }
        case .done:
            break
        }
    }

    /// A message from the coordinator.
    public func receive(_ bytes: [UInt8], now: ContinuousClock.Instant) {
        let envelope: Envelope
        do {
            envelope = try MessageCodec.decode(bytes)
        } catch {
            log("dropped a message from the coordinator: \(error)")
            return
        }
        if case let .reject(reason) = envelope.message {
            finish(.failed("the coordinator refused this worker: \(reason)"))
            return
        }
        if case .registering = state {
            switch envelope.message {
            case let .welcome(job):
                jobId = envelope.jobId
                lastHeard = now
                begin(job)
                return
            case let .stop(notice):
                // The job this worker registered for ended before it began (too few workers came):
                // there is no job id to check yet, and only the coordinator it connects to writes here.
                jobId = envelope.jobId
                emit(.heartbeat, round: 0, now: now)
                finish(.stopped(finished: notice.finished, reason: notice.reason))
                return
            case .heartbeat:
                // The coordinator heartbeats only workers it registered: this one waits for the
                // others, which is no reason to give up on it.
                state = .registering(since: now)
                return
            default:
                break
            }
        }
        guard envelope.jobId == jobId, jobId != 0 else {
            log("dropped a \(envelope.message.type) message: \(ProtocolError.wrongJob(theirs: envelope.jobId, ours: jobId))")
            return
        }
        lastHeard = now
        switch (state, envelope.message) {
        case (_, .heartbeat):
            break
        case let (_, .stop(notice)):
            log("the coordinator ended the job: \(notice.reason)")
            emit(.heartbeat, round: 0, now: now)  // confirms the stop, so the coordinator can close
            if keepRunning {
                state = .registering(since: now)
                jobId = 0
            } else {
                finish(.stopped(finished: notice.finished, reason: notice.reason))
            }
        case let (.loading(job, schedule, rows), .shardRows(shardRows)):
            load(shardRows, job: job, schedule: schedule, rows: rows, now: now)
        case let (.training(training), .computeStep(parameters)):
            computeStep(training, round: envelope.round, parameters: parameters, now: now)
        case let (.training(training), .evaluate(parameters)):
            evaluate(training, epoch: envelope.round, parameters: parameters, now: now)
        default:
            log("dropped a \(envelope.message.type) message: not expected now")
        }
    }

    private func begin(_ job: WorkerJob) {
        guard job.trainingRows > 0, job.shardCount > 0, job.batchSize > 0, !job.shards.isEmpty,
            job.shards.allSatisfy({ (0..<job.shardCount).contains($0) }), job.featureCount == job.model.inputDim
        else {
            fail("the coordinator sent an inconsistent job description")
            return
        }
        let schedule = ShardSchedule(
            rowCount: job.trainingRows, shardCount: job.shardCount, batchSize: job.batchSize, seed: job.seed)
        log("joined job \(String(jobId, radix: 16)) as worker \(job.workerIndex + 1): shards \(job.shards.map(String.init).joined(separator: ","))")
        state = .loading(job, schedule: schedule, rows: [:])
    }

    private func load(_ shardRows: ShardRows, job: WorkerJob, schedule: ShardSchedule, rows: [Int: ShardRows], now: ContinuousClock.Instant) {
        guard job.shards.contains(shardRows.shard), rows[shardRows.shard] == nil,
            shardRows.featureCount == job.featureCount, shardRows.targetWidth == job.targetWidth,
            shardRows.trainingTargets.count / job.targetWidth == schedule.shardRows[shardRows.shard].count
        else {
            log("dropped rows for shard \(shardRows.shard): they do not fit this worker's job")
            return
        }
        var rows = rows
        rows[shardRows.shard] = shardRows
        guard rows.count == job.shards.count else {
            state = .loading(job, schedule: schedule, rows: rows)
            return
        }
        do {
            let loss = try Loss(name: job.loss)
            let metrics = MetricSet(try job.metrics.map { try Metric(name: $0, loss: loss, outputs: job.model.outputWidth) })
            let runners = job.shards.map { shard in
                let received = rows[shard]!
                return ShardRunner(
                    shard: shard, schedule: schedule,
                    rows: TabularRows(
                        featureCount: job.featureCount, targetWidth: job.targetWidth,
                        features: received.trainingFeatures, targets: received.trainingTargets),
                    validationRows: received.validationTargets.isEmpty ? nil : TabularRows(
                        featureCount: job.featureCount, targetWidth: job.targetWidth,
                        features: received.validationFeatures, targets: received.validationTargets),
                    model: job.model, loss: loss, metrics: metrics)
            }
            let gradients = Array(repeating: [Float](repeating: 0, count: job.model.layout.count), count: runners.count)
            state = .training(TrainingState(job: job, schedule: schedule, runners: runners, gradients: gradients))
            emit(.ready, round: 0, now: now)
        } catch {
            fail("cannot build the model the coordinator described: \(error)")
        }
    }

    private func computeStep(_ training: TrainingState, round: UInt64, parameters: [Float], now: ContinuousClock.Instant) {
        guard parameters.count == training.job.model.layout.count else {
            log("dropped a compute-step message with \(parameters.count) parameters (the model has \(training.job.model.layout.count))")
            return
        }
        var training = training
        let steps = UInt64(training.schedule.stepsPerEpoch)
        let epoch = Int(round / steps), step = Int(round % steps)
        let clock = ContinuousClock()
        parameters.withUnsafeBufferPointer { parameters in
            for (index, runner) in training.runners.enumerated() {
                let started = clock.now
                var sums = runner.metrics.makeSums()
                training.gradients[index].withUnsafeMutableBufferPointer { gradient in
                    runner.computeStep(epoch: epoch, step: step, parameters: parameters, gradient: gradient, sums: &sums)
                }
                let micros = UInt32(clamping: (clock.now - started).components.attoseconds / 1_000_000_000_000
                    + (clock.now - started).components.seconds * 1_000_000)
                // Sent as soon as it is ready, so the coordinator can add it while the next shard computes.
                emit(.shardGradient(ShardGradient(
                    shard: runner.shard, computeMicroseconds: micros, gradient: training.gradients[index], sums: sums)),
                    round: round, now: now)
            }
        }
        state = .training(training)
    }

    private func evaluate(_ training: TrainingState, epoch: UInt64, parameters: [Float], now: ContinuousClock.Instant) {
        guard parameters.count == training.job.model.layout.count else {
            log("dropped an evaluate message with \(parameters.count) parameters")
            return
        }
        parameters.withUnsafeBufferPointer { parameters in
            for runner in training.runners {
                var sums = runner.metrics.makeSums()
                runner.evaluateValidation(parameters: parameters, sums: &sums)
                emit(.validationSums(ValidationSums(shard: runner.shard, sums: sums)), round: epoch, now: now)
            }
        }
    }

    private func fail(_ reason: String) {
        emit(.failure(reason: reason), round: 0, now: lastSent)
        finish(.failed(reason))
    }

    private func finish(_ outcome: Outcome) {
        state = .done(outcome)
    }

    private func emit(_ message: Message, round: UInt64, now: ContinuousClock.Instant, jobId: UInt64? = nil) {
        send(Envelope(jobId: jobId ?? self.jobId, round: round, message: message))
        lastSent = now
    }

    static func seconds(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        return seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
    }
}
