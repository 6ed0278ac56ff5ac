// A worker's side of the protocol as a state machine without I/O: it is given the messages that
// arrive and the time, and hands the messages it sends to `send`. WorkerProcess drives it over a
// ZeroMQ socket; tests drive it directly, step by step.
//
//   registering --welcome--> joined --stop--> done (or registering again, with --keep-running)
//        ^                     |
//        +---------------------+  coordinator silent too long, or "register again" (stop with rejoin)
//
// Registering, it says hello every second; a heartbeat from the coordinator means it is registered
// and waits for the other workers. Joined, it holds the rows of the shards it was given (welcome,
// then assign for more), says ready whenever all their rows have arrived, and answers each
// compute-step or evaluate with one result per requested shard, in the order requested.

import DLCore
import DLData
import DLProtocol
import DLTraining
import Logging

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

    /// A job this worker takes part in. A class, so that the gradient buffer is reused in place
    /// from step to step rather than copied out of the state.
    private final class Joined {
        let job: WorkerJob
        let schedule: ShardSchedule
        let loss: Loss
        let metrics: MetricSet
        var runners: [Int: ShardRunner] = [:]
        /// Shards given to this worker whose rows have not all arrived.
        var pending: Set<Int>
        var gradient: [Float]

        init(job: WorkerJob, schedule: ShardSchedule, loss: Loss, metrics: MetricSet) {
            self.job = job
            self.schedule = schedule
            self.loss = loss
            self.metrics = metrics
            pending = Set(job.shards)
            gradient = [Float](repeating: 0, count: job.model.layout.count)
        }
    }

    private enum State {
        case registering(since: ContinuousClock.Instant)
        case joined(Joined)
        case done(Outcome)
    }

    public let info: WorkerInfo
    public let timeouts: Timeouts
    /// Whether to register again for the next job after a stop, instead of finishing.
    public let keepRunning: Bool
    /// Sends a message; false when it could not be queued (no coordinator connected yet).
    private let send: (Envelope) -> Bool
    /// A line for the worker's log, at its level: what may need a person is a warning.
    private let log: (Logger.Level, String) -> Void
    private var state: State
    private var jobId: UInt64 = 0
    private var lastHeard: ContinuousClock.Instant
    private var lastSent: ContinuousClock.Instant

    public init(
        info: WorkerInfo, timeouts: Timeouts = Timeouts(), keepRunning: Bool = false, now: ContinuousClock.Instant,
        send: @escaping (Envelope) -> Bool, log: @escaping (Logger.Level, String) -> Void
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
                state = .done(.failed("no coordinator answered within \(Self.seconds(timeouts.reconnect)) s"))
            } else if now - lastSent >= timeouts.interval {
                emit(.hello(info), round: 0, now: now, jobId: 0)
            }
        case .joined:
            if now - lastHeard > timeouts.coordinator {
                log(.warning, "lost the coordinator: no message for \(Self.seconds(timeouts.coordinator)) s; "
                    + "registering again for up to \(Self.seconds(timeouts.reconnect)) s")
                register(now: now)
            } else if now - lastSent >= timeouts.interval {
                emit(.heartbeat, round: 0, now: now)
            }
        case .done:
            break
        }
    }

    /// A message from the coordinator.
    public func receive(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        let envelope: Envelope
        do {
            envelope = try MessageCodec.decode(bytes)
        } catch {
            log(.warning, "dropped a message from the coordinator: \(error)")
            return
        }
        switch (state, envelope.message) {
        case (.done, _):
            return
        case let (_, .reject(reason)):
            state = .done(.failed("the coordinator refused this worker: \(reason)"))
        case let (_, .stop(notice)) where notice.rejoin:
            // A coordinator that does not know this worker (restarted, or it was declared lost):
            // whatever job it had is over, so no job id to check.
            log(.notice, "the coordinator asks this worker to register again: \(notice.reason)")
            register(now: now)
        case let (.registering, .welcome(job)):
            jobId = envelope.jobId
            lastHeard = now
            begin(job, now: now)
        case (.registering, .heartbeat):
            // The coordinator heartbeats only workers it registered: this one waits for the
            // others, which is no reason to give up on it.
            state = .registering(since: now)
        case let (.registering, .stop(notice)):
            // The job this worker registered for ended before it began (too few workers came):
            // there is no job id to check yet, and only the coordinator it connects to writes here.
            jobId = envelope.jobId
            end(notice, now: now)
        case (.registering, _):
            log(.warning, "dropped a \(envelope.message.type) message: not registered yet")
        case let (.joined(joined), message):
            guard envelope.jobId == jobId else {
                log(.warning, "dropped a \(message.type) message: \(ProtocolError.wrongJob(theirs: envelope.jobId, ours: jobId))")
                return
            }
            lastHeard = now
            handle(message, round: envelope.round, joined: joined, now: now)
        }
    }

    private func handle(_ message: Message, round: UInt64, joined: Joined, now: ContinuousClock.Instant) {
        switch message {
        case .heartbeat:
            break
        case let .stop(notice):
            end(notice, now: now)
            return
        case let .assign(shards):
            guard shards.allSatisfy({ (0..<joined.job.shardCount).contains($0) }) else {
                log(.warning, "dropped an assign message naming shards outside 0..<\(joined.job.shardCount)")
                return
            }
            joined.pending.formUnion(shards.filter { joined.runners[$0] == nil })
            log(.info, "assigned shard(s) \(shards.map(String.init).joined(separator: ","))")
            reportReadyIfLoaded(joined, now: now)
        case let .shardRows(rows):
            load(rows, into: joined)
            reportReadyIfLoaded(joined, now: now)
        case let .computeStep(request):
            compute(request, round: round, joined: joined, now: now)
        case let .evaluate(request):
            evaluate(request, epoch: round, joined: joined, now: now)
        default:
            log(.warning, "dropped a \(message.type) message: not expected now")
        }
    }

    private func begin(_ job: WorkerJob, now: ContinuousClock.Instant) {
        guard job.trainingRows > 0, job.shardCount > 0, job.shardCount <= job.trainingRows, job.batchSize > 0,
            job.shards.allSatisfy({ (0..<job.shardCount).contains($0) }), job.featureCount == job.model.inputDim,
            job.targetWidth > 0
        else {
            fail("the coordinator sent an inconsistent job description", now: now)
            return
        }
        do {
            let loss = try Loss(name: job.loss)
            let metrics = MetricSet(try job.metrics.map { try Metric(name: $0, loss: loss, outputs: job.model.outputWidth) })
            let schedule = ShardSchedule(
                rowCount: job.trainingRows, shardCount: job.shardCount, batchSize: job.batchSize, seed: job.seed)
            log(.info, "joined job \(String(jobId, radix: 16)) as worker \(job.workerIndex + 1)"
                + (job.shards.isEmpty ? " (no shards yet)" : ": shard(s) \(job.shards.map(String.init).joined(separator: ","))"))
            let joined = Joined(job: job, schedule: schedule, loss: loss, metrics: metrics)
            state = .joined(joined)
            reportReadyIfLoaded(joined, now: now)
        } catch {
            fail("cannot build the model the coordinator described: \(error)", now: now)
        }
    }

    private func load(_ rows: ShardRows, into joined: Joined) {
        let job = joined.job
        guard joined.pending.contains(rows.shard), rows.featureCount == job.featureCount, rows.targetWidth == job.targetWidth,
            rows.trainingTargets.count / job.targetWidth == joined.schedule.shardRows[rows.shard].count
        else {
            log(.warning, "dropped rows for shard \(rows.shard): they do not fit what this worker was assigned")
            return
        }
        joined.runners[rows.shard] = ShardRunner(
            shard: rows.shard, schedule: joined.schedule,
            rows: TabularRows(
                featureCount: job.featureCount, targetWidth: job.targetWidth,
                features: rows.trainingFeatures, targets: rows.trainingTargets),
            validationRows: rows.validationTargets.isEmpty ? nil : TabularRows(
                featureCount: job.featureCount, targetWidth: job.targetWidth,
                features: rows.validationFeatures, targets: rows.validationTargets),
            model: job.model, loss: joined.loss, metrics: joined.metrics)
        joined.pending.remove(rows.shard)
    }

    private func reportReadyIfLoaded(_ joined: Joined, now: ContinuousClock.Instant) {
        if joined.pending.isEmpty { emit(.ready, round: 0, now: now) }
    }

    private func compute(_ request: ShardRequest, round: UInt64, joined: Joined, now: ContinuousClock.Instant) {
        guard request.parameters.count == joined.gradient.count, request.shards.allSatisfy({ joined.runners[$0] != nil }) else {
            log(.warning, "dropped a compute-step message for shards \(request.shards) with \(request.parameters.count) parameters: "
                + "this worker holds shards \(joined.runners.keys.sorted()) of a model with \(joined.gradient.count)")
            return
        }
        let steps = UInt64(joined.schedule.stepsPerEpoch)
        let epoch = Int(round / steps), step = Int(round % steps)
        let clock = ContinuousClock()
        for shard in request.shards {
            let runner = joined.runners[shard]!
            let started = clock.now
            var sums = joined.metrics.makeSums()
            request.parameters.withUnsafeBufferPointer { parameters in
                joined.gradient.withUnsafeMutableBufferPointer { gradient in
                    runner.computeStep(epoch: epoch, step: step, parameters: parameters, gradient: gradient, sums: &sums)
                }
            }
            let elapsed = clock.now - started
            let micros = UInt32(clamping: elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
            // Sent as soon as it is ready, so the coordinator can add it while the next shard computes.
            emit(.shardGradient(ShardGradient(shard: shard, computeMicroseconds: micros, gradient: joined.gradient, sums: sums)),
                round: round, now: now)
        }
    }

    private func evaluate(_ request: ShardRequest, epoch: UInt64, joined: Joined, now: ContinuousClock.Instant) {
        guard request.parameters.count == joined.gradient.count, request.shards.allSatisfy({ joined.runners[$0] != nil }) else {
            log(.warning, "dropped an evaluate message for shards \(request.shards) this worker does not hold")
            return
        }
        request.parameters.withUnsafeBufferPointer { parameters in
            for shard in request.shards {
                var sums = joined.metrics.makeSums()
                joined.runners[shard]!.evaluateValidation(parameters: parameters, sums: &sums)
                emit(.validationSums(ValidationSums(shard: shard, sums: sums)), round: epoch, now: now)
            }
        }
    }

    private func register(now: ContinuousClock.Instant) {
        state = .registering(since: now)
        jobId = 0
        lastSent = now - timeouts.interval
    }

    private func end(_ notice: StopNotice, now: ContinuousClock.Instant) {
        log(.notice, "the coordinator ended the job: \(notice.reason)")
        emit(.heartbeat, round: 0, now: now)  // confirms the stop, so the coordinator can close
        if keepRunning {
            register(now: now)
        } else {
            state = .done(.stopped(finished: notice.finished, reason: notice.reason))
        }
    }

    private func fail(_ reason: String, now: ContinuousClock.Instant) {
        emit(.failure(reason: reason), round: 0, now: now)
        state = .done(.failed(reason))
    }

    private func emit(_ message: Message, round: UInt64, now: ContinuousClock.Instant, jobId: UInt64? = nil) {
        // A hello that found no coordinator connected is tried again at the next tick, not a
        // second later, so a worker joins as soon as its connection is up.
        if send(Envelope(jobId: jobId ?? self.jobId, round: round, message: message)) || message.type != .hello {
            lastSent = now
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let seconds = duration / .seconds(1)
        return seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
    }
}
