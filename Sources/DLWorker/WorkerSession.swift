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
        /// This worker was told to stop (SIGTERM, Ctrl-C), and told the coordinator, which moves
        /// its shards to the others at once instead of waiting for the worker timeout.
        case left(String)
    }

    private enum State {
        case registering(since: ContinuousClock.Instant)
        case joined(JobParticipation)
        case done(Outcome)
    }

    public let info: WorkerInfo
    public let timeouts: Timeouts
    /// Whether to register again for the next job after a stop, instead of finishing.
    public let keepRunning: Bool
    /// The test hook DLTRAIN_FAULT_FLIP_BIT: the global step (0-based) at which this worker flips
    /// the sign bit of its largest gradient value; nil in every real run.
    public let faultFlipRound: UInt64?
    /// Sends a message to the coordinator; false when it could not be queued (none connected yet).
    private let send: (Envelope) -> Bool
    /// Sends a message to the worker whose peer socket listens at the endpoint.
    private let sendToPeer: (String, Envelope) -> Bool
    /// A line for the worker's log, at its level: what may need a person is a warning.
    private let log: (Logger.Level, String) -> Void
    private var state: State
    private var jobId: UInt64 = 0
    private var lastHeard: ContinuousClock.Instant
    private var lastSent: ContinuousClock.Instant

    public init(
        info: WorkerInfo, timeouts: Timeouts = Timeouts(), keepRunning: Bool = false, faultFlipRound: UInt64? = nil,
        now: ContinuousClock.Instant,
        send: @escaping (Envelope) -> Bool, sendToPeer: @escaping (String, Envelope) -> Bool,
        log: @escaping (Logger.Level, String) -> Void
    ) {
        self.info = info
        self.timeouts = timeouts
        self.keepRunning = keepRunning
        self.faultFlipRound = faultFlipRound
        self.send = send
        self.sendToPeer = sendToPeer
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

    /// Whether other workers may be sending this one parts of a step (it is in a ring); when not,
    /// the process need only wait on the coordinator's socket.
    public var expectsPeerTraffic: Bool {
        if case let .joined(joined) = state, let plan = joined.plan { return !plan.star }
        return false
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
            // The coordinator is the one peer this socket talks to: a message of it that cannot be
            // read means the two do not speak the same protocol, and waiting would only stall the run.
            if case .joined = state {
                fail("the coordinator sent a message this worker cannot read (\(error)); "
                    + "are both running dltrain \(info.version)?", now: now)
            } else {
                log(.warning, "dropped a message from the coordinator: \(error)")
            }
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

    /// A message from another worker: a partial or total of the step being summed.
    public func receiveFromPeer(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        guard case let .joined(joined) = state else { return }
        let envelope: Envelope
        do {
            envelope = try MessageCodec.decode(bytes)
        } catch {
            log(.warning, "dropped a message from another worker: \(error)")
            return
        }
        guard envelope.jobId == jobId, joined.receive(envelope.message, round: envelope.round) else {
            log(.notice, "dropped a \(envelope.message.type) message from another worker: not of this step")
            return
        }
        reportStepDone(joined, now: now)
    }

    private func handle(_ message: Message, round: UInt64, joined: JobParticipation, now: ContinuousClock.Instant) {
        var problem: String?
        switch message {
        case .heartbeat:
            break
        case let .stop(notice):
            end(notice, now: now)
        case let .assign(shards):
            guard shards.allSatisfy({ (0..<joined.job.shardCount).contains($0) }) else {
                problem = "names shards outside 0..<\(joined.job.shardCount)"
                break
            }
            joined.assign(shards)
            log(.info, "assigned shard(s) \(shards.map(String.init).joined(separator: ","))")
            reportReadyIfLoaded(joined, now: now)
        case let .shardRows(rows):
            // Acknowledged whatever becomes of it: the coordinator reads on as the workers keep up.
            problem = joined.load(rows)
            emit(.rowsReceived, round: 0, now: now)
            if problem == nil { reportReadyIfLoaded(joined, now: now) }
        case let .standardization(mean, scale):
            // Sent after every pass that brought rows; ready only if it let shards finish loading.
            let waiting = !joined.pending.isEmpty
            problem = joined.take(standardizationMean: mean, scale: scale)
            if problem == nil && waiting { reportReadyIfLoaded(joined, now: now) }
        case let .state(replica):
            problem = joined.take(replica, round: round)
        case let .ring(plan):
            problem = joined.take(plan)
        case let .total(chunk):
            // In a star, the coordinator's sum of an epoch's last step, before its validation pass.
            problem = joined.apply(chunk.values, before: round + 1)
        case let .computeStep(ringVersion, total):
            problem = joined.computeStep(round: round, ringVersion: ringVersion, total: total)
            reportStepDone(joined, now: now)
        case let .audit(shards):
            if let digests = joined.auditDigests(of: shards, round: round) {
                emit(.auditDigests(digests), round: round, now: now)
            } else {
                problem = "does not hold the gradients of shards \(shards) at round \(round)"
            }
        case let .evaluate(shards):
            if let results = joined.evaluate(shards, epoch: round) {
                for result in results { emit(.validationSums(result), round: round, now: now) }
            } else {
                problem = "cannot evaluate shards \(shards) after epoch \(round + 1)"
            }
        default:
            problem = "not expected now"
        }
        if let problem { log(.warning, "dropped a \(message.type) message: \(problem)") }
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
            var participation: JobParticipation!
            participation = try JobParticipation(job: job, faultFlipRound: faultFlipRound) { [unowned self] worker, round, message in
                let envelope = Envelope(jobId: self.jobId, round: round, message: message)
                if let worker {
                    if let endpoint = participation.plan?.endpoint(of: worker), self.sendToPeer(endpoint, envelope) { return }
                    self.log(.warning, "could not send a \(message.type) message to worker \(worker + 1)")
                } else {
                    self.emit(message, round: round, now: self.lastSent)
                }
            }
            log(.info, "joined job \(String(jobId, radix: 16)) as worker \(job.workerIndex + 1)"
                + (job.shards.isEmpty ? " (no shards yet)" : ": shard(s) \(job.shards.map(String.init).joined(separator: ","))"))
            state = .joined(participation)
            reportReadyIfLoaded(participation, now: now)
        } catch {
            fail("cannot build the model the coordinator described: \(error)", now: now)
        }
    }

    private func reportReadyIfLoaded(_ joined: JobParticipation, now: ContinuousClock.Instant) {
        if joined.pending.isEmpty { emit(.ready, round: 0, now: now) }
    }

    private func reportStepDone(_ joined: JobParticipation, now: ContinuousClock.Instant) {
        if let (round, done) = joined.takeStepDone() { emit(.stepDone(done), round: round, now: now) }
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

    /// Leaves the job, or stops waiting for one: the coordinator hears why (a failure, which makes
    /// it move this worker's shards at once), and the session is done.
    public func leave(because reason: String, now: ContinuousClock.Instant) {
        if case .joined = state { emit(.failure(reason: reason), round: 0, now: now) }
        state = .done(.left(reason))
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
