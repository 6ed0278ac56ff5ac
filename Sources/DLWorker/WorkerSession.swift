// A worker's side of the protocol as a state machine without I/O: it is given the messages that
// arrive and the time, and hands the messages it sends to `send`. WorkerProcess drives it over a
// ZeroMQ socket; tests drive it directly, step by step.
//
//   registering --welcome--> joined --stop--> done (or registering again, with --keep-running)
//        ^                     |  \
//        |                     |   +--told to stop--> leaving --acknowledged, or not in time--> done
//        +---------------------+  coordinator silent too long, or "register again" (stop with rejoin)
//
// Registering, it says hello every second; a heartbeat from the coordinator means it is registered
// and waits for the other workers. Meanwhile it says every few seconds what it has seen at the
// coordinator's address (CoordinatorWatch, fed by the socket's monitor), and gives up with that
// when the reconnect timeout passes, or at once when libzmq has given the connection up. Joined, it
// holds the rows of the shards it was given (welcome, then assign for more), says ready whenever
// all their rows have arrived, and answers each compute-step or evaluate with one result per
// requested shard, in the order requested (WorkerSession+Job.swift). Told to stop, it says goodbye
// (a failure message) and waits, bounded, for the coordinator's acknowledgement (a stop), sending
// the goodbye again meanwhile, so that it can say whether the coordinator knows.

import DLCore
import DLData
import DLProtocol
import DLTraining
import DLTransport
import Logging

public final class WorkerSession {
    public struct Timeouts: Sendable {
        /// How long to keep trying to reach a coordinator before giving up.
        public var reconnect: Duration
        /// Silence from the coordinator during a job after which it counts as lost.
        public var coordinator: Duration
        /// How often to say hello while registering, and to send a heartbeat when idle.
        public var interval: Duration
        /// How often a registering worker says what it waits for.
        public var status: Duration
        /// How long a worker told to stop waits for the coordinator to acknowledge its goodbye.
        public var goodbye: Duration

        public init(
            reconnect: Duration = .seconds(60), coordinator: Duration = .seconds(15), interval: Duration = .seconds(1),
            status: Duration = .seconds(5), goodbye: Duration = .seconds(2)
        ) {
            self.reconnect = reconnect
            self.coordinator = coordinator
            self.interval = interval
            self.status = status
            self.goodbye = goodbye
        }
    }

    public enum Outcome: Equatable, Sendable {
        /// The coordinator ended the job (finished or not); the reason is its word.
        case stopped(finished: Bool, reason: String)
        /// This worker gave up: the reason says why.
        case failed(String)
        /// This worker refused the job its coordinator described, and said so to it.
        case refusedJob(JobRefusal)
        /// No coordinator answered in time, or libzmq gave the connection up: what it saw there.
        case unreachable(CoordinatorWait)
        /// This worker was told to stop (SIGTERM, Ctrl-C) and said goodbye to the coordinator (which
        /// then moves its shards to the others at once), with or without its acknowledgement.
        case left(String, Goodbye)
    }

    enum State {
        case registering
        case joined(JobParticipation)
        /// Told to stop: the goodbye is sent, and waits for the coordinator's acknowledgement.
        case leaving(reason: String, since: ContinuousClock.Instant)
        case done(Outcome)
    }

    /// A registration under way: since when, the last word from the coordinator, what was seen at
    /// its address and when the worker last said so.
    private struct Registration {
        var since: ContinuousClock.Instant
        var lastHeard: ContinuousClock.Instant?
        var watch = CoordinatorWatch()
        var lastStatus: ContinuousClock.Instant
        /// Whether a refused handshake was already reported (at once, not at the next status).
        var refusalReported = false

        init(since: ContinuousClock.Instant) {
            self.since = since
            lastStatus = since
        }
    }

    public let info: WorkerInfo
    public let timeouts: Timeouts
    /// Whether to register again for the next job after a stop, instead of finishing.
    public let keepRunning: Bool
    /// The test hook DLTRAIN_FAULT_FLIP_BIT: the global step (0-based) at which this worker flips
    /// the sign bit of its largest gradient value; nil in every real run.
    public let faultFlipRound: UInt64?
    /// Where the coordinator is, and whether this worker holds the job's secret, for what it says.
    public let address: CoordinatorAddress
    public let holdsSecret: Bool
    /// Sends a message to the coordinator; false when it could not be queued (none connected yet).
    private let send: (Envelope) -> Bool
    /// Sends a message to the worker whose peer socket listens at the endpoint.
    let sendToPeer: (String, Envelope) -> Bool
    /// A line for the worker's log, at its level: what may need a person is a warning.
    let log: (Logger.Level, String) -> Void
    private let report: (WorkerEvent) -> Void
    /// Messages from other workers that are dropped, logged as refusals are: a line when a kind of
    /// drop first happens, then at most one per interval with a count, so a peer that sends thousands
    /// makes a line or two. Junk is a warning; a part of another step (normal after a recovery) a notice.
    private let droppedJunk: RefusalLog
    private let droppedStale: RefusalLog
    var state: State
    private var registration: Registration
    var jobId: UInt64 = 0
    private var lastHeard: ContinuousClock.Instant
    var lastSent: ContinuousClock.Instant

    public init(
        info: WorkerInfo, address: CoordinatorAddress = CoordinatorAddress(endpoint: "the coordinator"),
        holdsSecret: Bool = false, timeouts: Timeouts = Timeouts(), keepRunning: Bool = false,
        faultFlipRound: UInt64? = nil, now: ContinuousClock.Instant,
        send: @escaping (Envelope) -> Bool, sendToPeer: @escaping (String, Envelope) -> Bool,
        log: @escaping (Logger.Level, String) -> Void, events: @escaping (WorkerEvent) -> Void = { _ in }
    ) {
        self.info = info
        self.address = address
        self.holdsSecret = holdsSecret
        self.timeouts = timeouts
        self.keepRunning = keepRunning
        self.faultFlipRound = faultFlipRound
        self.send = send
        self.sendToPeer = sendToPeer
        self.log = log
        report = events
        // RefusalLog calls its emitter on the thread that records or ticks: this session's own.
        nonisolated(unsafe) let logLine = log
        droppedJunk = RefusalLog { line in logLine(.warning, "\(line)") }
        droppedStale = RefusalLog { line in logLine(.notice, "\(line)") }
        state = .registering
        registration = Registration(since: now)
        lastHeard = now
        lastSent = now - timeouts.interval
    }

    /// Logs the counts of dropped messages not logged yet; the process calls it as it exits.
    public func flushDropCounts() {
        droppedJunk.flush()
        droppedStale.flush()
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

    /// Told to stop, it waits for the coordinator to acknowledge its goodbye.
    public var isLeaving: Bool {
        if case .leaving = state { return true }
        return false
    }

    /// What its socket's monitor saw of the connection to the coordinator.
    public func observe(_ events: [ConnectionEvent], now: ContinuousClock.Instant) {
        guard case .registering = state, !events.isEmpty else { return }
        for event in events { registration.watch.observe(event, now: now) }
        let sighting = registration.watch.sighting(now: now)
        if sighting.isFinal {
            state = .done(.unreachable(wait(now: now)))
        } else if case .handshakeRefused = sighting, !registration.refusalReported {
            registration.refusalReported = true
            registration.lastStatus = now
            report(.waitingForCoordinator(wait(now: now)))
        }
    }

    /// Time passing: hellos while registering, heartbeats when idle, and the bounded waits.
    public func tick(now: ContinuousClock.Instant) {
        droppedJunk.tick()
        droppedStale.tick()
        switch state {
        case .registering:
            let quiet = registration.lastHeard.map { now - $0 > timeouts.interval * 2 } ?? true
            if now - registration.since > timeouts.reconnect {
                state = .done(.unreachable(wait(now: now)))
                return
            }
            if quiet && now - registration.lastStatus >= timeouts.status {
                registration.lastStatus = now
                report(.waitingForCoordinator(wait(now: now)))
            }
            if now - lastSent >= timeouts.interval { emit(.hello(info), round: 0, now: now, jobId: 0) }
        case .joined:
            if now - lastHeard > timeouts.coordinator {
                report(.coordinatorLost(silentFor: timeouts.coordinator, registeringFor: timeouts.reconnect))
                register(now: now)
            } else if now - lastSent >= timeouts.interval {
                emit(.heartbeat, round: 0, now: now)
            }
        case let .leaving(reason, since):
            if now - since >= timeouts.goodbye {
                state = .done(.left(reason, .unacknowledged(waited: timeouts.goodbye)))
            } else if now - lastSent >= Self.goodbyeRepeat {
                emit(.failure(reason: reason), round: 0, now: now)
            }
        case .done:
            break
        }
    }

    /// How often a goodbye is sent again while its acknowledgement is awaited.
    static let goodbyeRepeat: Duration = .milliseconds(250)

    private func wait(now: ContinuousClock.Instant) -> CoordinatorWait {
        CoordinatorWait(
            address: address, holdsSecret: holdsSecret, waited: now - registration.since, limit: timeouts.reconnect,
            sighting: registration.watch.sighting(now: now))
    }

    /// A message from the coordinator.
    public func receive(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        let envelope: Envelope
        do {
            envelope = try MessageCodec.decode(bytes)
        } catch {
            // The coordinator is the one peer this socket talks to: a message of it that cannot be
            // read means the two do not speak the same protocol, and waiting would only stall the run.
            if case .registering = state, let header = MessageCodec.peekHeader(bytes), header.type == MessageType.welcome.rawValue {
                // Under the welcome's job: the coordinator drops a message of any other.
                refuse(JobRefusal(coordinator: address, cause: .invalid(error)), now: now, jobId: header.jobId)
            } else if case .joined = state {
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
        case let (.leaving(reason, _), .stop), let (.leaving(reason, _), .reject):
            // Only the coordinator writes on this socket: a stop (or a reject) now says it has let
            // this worker go, whatever job id it carries.
            state = .done(.left(reason, .acknowledged))
        case (.leaving, _):
            return
        case let (_, .reject(reason)):
            state = .done(.failed("the coordinator refused this worker: \(reason)"))
        case let (_, .stop(notice)) where notice.rejoin:
            // A coordinator that does not know this worker (restarted, or it was declared lost):
            // whatever job it had is over, so no job id to check.
            report(.askedToRegisterAgain(reason: notice.reason))
            register(now: now)
        case let (.registering, .welcome(job)):
            jobId = envelope.jobId
            lastHeard = now
            begin(job, now: now)
        case (.registering, .heartbeat):
            // The coordinator heartbeats only workers it registered: this one waits for the
            // others, which is no reason to give up on it. Its job id is the one to say goodbye with.
            registration.since = now
            registration.lastHeard = now
            jobId = envelope.jobId
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
            droppedJunk.record(peer: "\(error)", "dropped a message from another worker: \(error)")
            return
        }
        guard envelope.jobId == jobId, joined.receive(envelope.message, round: envelope.round) else {
            let type = envelope.message.type
            droppedStale.record(peer: "\(type)", "dropped a \(type) message from another worker: not of this step")
            return
        }
        reportStepDone(joined, now: now)
    }

    private func register(now: ContinuousClock.Instant) {
        state = .registering
        registration = Registration(since: now)
        jobId = 0
        lastSent = now - timeouts.interval
    }

    func end(_ notice: StopNotice, now: ContinuousClock.Instant) {
        log(.notice, "the coordinator ended the job: \(notice.reason)")
        emit(.heartbeat, round: 0, now: now)  // confirms the stop, so the coordinator can close
        if keepRunning {
            register(now: now)
        } else {
            state = .done(.stopped(finished: notice.finished, reason: notice.reason))
        }
    }

    /// Leaves the job, or stops waiting for one. In a job, the coordinator hears why (a failure,
    /// which makes it move this worker's shards at once and acknowledge with a stop), and the
    /// session waits for that acknowledgement up to `timeouts.goodbye`, sending the goodbye again
    /// meanwhile (`tick`); then it is done.
    public func leave(because reason: String, now: ContinuousClock.Instant) {
        switch state {
        case .joined:
            emit(.failure(reason: reason), round: 0, now: now)
            state = .leaving(reason: reason, since: now)
        case .registering where registration.lastHeard != nil:
            // Registered, waiting for the other workers: the coordinator counts on it.
            emit(.failure(reason: reason), round: 0, now: now)
            state = .leaving(reason: reason, since: now)
        case .registering:
            state = .done(.left(reason, .noJob))
        case .leaving, .done:
            break
        }
    }

    func fail(_ reason: String, now: ContinuousClock.Instant) {
        emit(.failure(reason: reason), round: 0, now: now)
        state = .done(.failed(reason))
    }

    /// Refuses the job the coordinator described, telling it why.
    func refuse(_ refusal: JobRefusal, now: ContinuousClock.Instant, jobId: UInt64? = nil) {
        emit(.failure(reason: "\(refusal)"), round: 0, now: now, jobId: jobId)
        state = .done(.refusedJob(refusal))
    }

    func emit(_ message: Message, round: UInt64, now: ContinuousClock.Instant, jobId: UInt64? = nil) {
        // A hello that found no coordinator connected is tried again at the next tick, not a
        // second later, so a worker joins as soon as its connection is up.
        if send(Envelope(jobId: jobId ?? self.jobId, round: round, message: message)) || message.type != .hello {
            lastSent = now
        }
    }

    public static func seconds(_ duration: Duration) -> String {
        let seconds = duration / .seconds(1)
        return seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
    }
}
