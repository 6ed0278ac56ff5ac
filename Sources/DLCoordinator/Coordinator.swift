// The coordinator process: a ZeroMQ ROUTER socket bound where workers connect, and the loop that
// feeds CoordinatorSession with what arrives and with the time. Every wait in it is bounded (at
// most a tenth of a second at a time), so Ctrl-C, a worker process that exits, or a timeout always
// ends the run promptly, and the workers are told.

import DLCore
import DLProtocol
import DLTraining
import DLTransport
import Foundation
import Logging

public struct ClusterOptions: Sendable {
    /// Where the ROUTER socket binds, e.g. `tcp://*:5555` or `ipc:///tmp/dltrain.ipc`.
    public var bind: String
    public var workers: Int
    /// Start the workers as child processes of this one.
    public var spawn: Bool
    public var timeouts: CoordinatorSession.Timeouts
    public var policy: CoordinatorSession.Policy
    /// Where spawned workers' logs go.
    public var runDirectory: String
    /// The job's keys (the socket speaks CURVE and admits only workers holding the secret), or nil
    /// for an endpoint that needs none (EndpointSecurity).
    public var keys: JobKeys?
    /// The secret file spawned workers are given (nil: none, or made for the run when `keys` is set).
    public var secretFile: String?
    /// `bind` was taken for a loopback address (EndpointSecurity.Reach.thisMachine): the address
    /// libzmq actually binds must be one too, or the run stops before anyone can connect.
    public var loopbackOnly: Bool
    /// Told the run's events and traffic, for metrics (nil: nobody).
    public var monitor: CoordinatorMonitor?

    public init(
        bind: String, workers: Int, spawn: Bool, timeouts: CoordinatorSession.Timeouts, policy: CoordinatorSession.Policy,
        runDirectory: String, keys: JobKeys? = nil, secretFile: String? = nil, loopbackOnly: Bool = false,
        monitor: CoordinatorMonitor? = nil
    ) {
        self.bind = bind
        self.workers = workers
        self.spawn = spawn
        self.timeouts = timeouts
        self.policy = policy
        self.runDirectory = runDirectory
        self.keys = keys
        self.secretFile = secretFile
        self.loopbackOnly = loopbackOnly
        self.monitor = monitor
    }
}

public final class Coordinator {
    public let options: ClusterOptions
    private let logger: Logger

    public init(options: ClusterOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Trains `job` on the workers from where `progress` stands; returns where it ends, or throws
    /// the reason the run could not finish.
    public func train(
        _ job: TrainingJob, progress: TrainingProgress, observers: [TrainingObserver], checkpointer: CheckpointSink
    ) throws -> TrainingProgress {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.router, context: context)
        let largest = MessageCodec.largestMessageFromWorker(
            shardCount: job.schedule.shardCount, metricSlots: job.metrics.slotCount, parameterCount: job.model.layout.count,
            star: options.policy.usesStar(parameterCount: job.model.layout.count))
        try socket.set([
            .maxMessageSize(payload: largest, encrypted: options.keys != nil), .linger(.seconds(2)), .routerHandover(true),
            .serverBacklog, .serverHandshakeTimeout,
        ])
        // The handler answers before the socket can accept anyone, and until it is closed. Its
        // refusals (and its monitor's) come from their threads; the loop hands them to the session.
        let refusals = RefusalQueue()
        let authenticator = try ZAPHandler.admittingWorkers(
            of: options.keys, context: context, log: { [logger] line in logger.warning("\(line)") },
            observe: refusals.append)
        defer {
            socket.close()
            authenticator?.stop()
        }
        if let keys = options.keys { try socket.set(keys.serverOptions) }
        try authenticator?.watch(socket)
        let endpoint: String
        do {
            endpoint = try socket.bind(options.bind)
        } catch {
            throw ClusterError.cannotBind(endpoint: options.bind, reason: "\(error)")
        }
        if options.loopbackOnly, case let .network(why) = EndpointSecurity.reach(bound: endpoint) {
            throw ClusterError.cannotBind(endpoint: options.bind, reason: "it was taken for loopback, but libzmq bound \(endpoint): \(why)")
        }
        let admission = options.keys == nil ? "" : "; only workers holding the job's secret are admitted, and all traffic is encrypted"
        guard !progress.isComplete(epochs: job.settings.epochs) else {
            tellWorkersTheRunFinished(on: socket, epochs: job.settings.epochs)
            return progress
        }
        logger.notice("listening on \(endpoint) for \(options.workers) worker(s), job \(job.settings.data)\(admission)")

        var children = try options.spawn ? WorkerProcesses.spawn(
            count: options.workers, endpoint: Self.connectable(endpoint), logDirectory: options.runDirectory,
            secretFile: options.secretFile) : nil
        defer { children?.stop(within: .seconds(5)) }

        // Messages refused from one peer (junk, another job's) are logged as the transport's
        // refusals are: once per interval, with a count; the monitor still sees each one.
        let refusedMessages = RefusalLog { [logger] line in logger.warning("\(line)") }
        defer { refusedMessages.flush() }

        let jobId = UInt64.random(in: 1...UInt64.max)
        let clock = ContinuousClock()
        let monitor = options.monitor
        var sentBytes = 0, receivedBytes = 0
        let session = CoordinatorSession(
            job: job, workerCount: options.workers, jobId: jobId, timeouts: options.timeouts, policy: options.policy,
            progress: progress, observers: observers, checkpointer: checkpointer, now: clock.now,
            send: { peer, envelope in
                // A ROUTER never blocks: a message to a peer that is gone is dropped, and the
                // peer's silence is noticed by the worker timeout.
                let message = OutgoingMessage(envelope)
                if (try? socket.send(prefix: peer, count: message.count, timeout: .zero, write: message.write)) == true {
                    sentBytes += message.count
                }
            },
            events: { [logger] event in
                if case let .messageDropped(worker, _, reason) = event, reason.isRefusal {
                    refusedMessages.record(peer: "\(worker?.index ?? -1) \(reason.refusalKind)", "\(event)")
                } else {
                    logger.log(level: event.level, "\(event)")
                }
                monitor?.observe(event)
            })
        Interrupt.install()

        // The session's timeouts and heartbeats count in seconds, so it is told the time every
        // tenth of a second, not after every message: a step's messages then cost one wait each.
        var nextTick = clock.now
        while session.outcome == nil {
            for (address, reason) in refusals.take() { session.peerRefused(address: address, reason: reason) }
            if Interrupt.requested {
                session.stop(reason: "the coordinator was interrupted (\(Interrupt.cause))", now: clock.now)
                break
            }
            while let exit = children?.takeExited() {
                session.workerProcessExited(pid: exit.pid, description: exit.description, now: clock.now)
            }
            try socket.receive(timeout: max(.zero, nextTick - clock.now)) { message, peer, parts in
                receivedBytes += message.count
                if let peer, parts == 2 {
                    session.receive(message, from: Array(peer), now: clock.now)
                } else {
                    refusedMessages.record(peer: "frames", "dropped a message of \(parts - 1) frames (dltrain messages have one)")
                }
            }
            if clock.now >= nextTick {
                session.tick(now: clock.now)
                refusedMessages.tick()
                authenticator?.tickLog()
                nextTick = clock.now + .milliseconds(100)
                monitor?.tick(sentBytes: sentBytes, receivedBytes: receivedBytes, workerStepTimes: session.workerStepTimes)
                sentBytes = 0
                receivedBytes = 0
            }
        }
        // Closing the socket at once could lose the stop messages still on their way.
        let settleDeadline = clock.now + .seconds(3)
        while !session.isSettled && clock.now < settleDeadline {
            try socket.receive(timeout: .milliseconds(50)) { message, peer, parts in
                if let peer, parts == 2 { session.receive(message, from: Array(peer), now: clock.now) }
            }
        }
        if case let .failed(reason) = session.outcome {
            throw ClusterError.runFailed(reason)
        }
        let times = session.workerStepTimes.map { "\($0.name) \(String(format: "%.3f", $0.millisecondsPerStep)) ms/step" }
        logger.info("per-worker compute in the last epoch: \(times.joined(separator: ", "))")
        if let audited = session.auditedGradients {
            let what = "\(audited) shard gradient(s) with their sums and \(session.auditedValidations ?? 0) shard validation(s)"
            logger.notice("audit: computed \(what) again here; \(session.excluded.count) worker(s) excluded")
        }
        return session.progress
    }

    /// A run resumed after its last epoch (`--resume auto` restarting a finished job) trains nothing,
    /// but its workers were started with it: each that says hello is told the job finished, so it
    /// exits as after a run instead of waiting for a coordinator, until all N were told or the
    /// registration timeout has passed. As after a run, the socket stays open (at most 3 s more)
    /// until each told worker has confirmed with a heartbeat: closing it at once could lose the stop.
    private func tellWorkersTheRunFinished(on socket: ZMQSocket, epochs: Int) {
        guard !options.spawn else { return }  // none was started
        let notice = StopNotice(finished: true, reason: "the run had already trained its \(epochs) epochs")
        let stop = OutgoingMessage(Envelope(jobId: 0, round: 0, message: .stop(notice)))
        let clock = ContinuousClock()
        let deadline = clock.now + options.timeouts.registration
        var settleDeadline = clock.now
        var told: Set<[UInt8]> = [], confirmed: Set<[UInt8]> = []
        while (told.count < options.workers && clock.now < deadline || confirmed.count < told.count && clock.now < settleDeadline)
            && !Interrupt.requested
        {
            _ = try? socket.receive(timeout: .milliseconds(100)) { message, peer, parts in
                guard let peer, parts == 2, let received = (try? MessageCodec.decode(message))?.message else { return }
                let id = Array(peer)
                if case .hello = received,
                    (try? socket.send(prefix: id, count: stop.count, timeout: .zero, write: stop.write)) == true
                {
                    told.insert(id)
                    settleDeadline = clock.now + .seconds(3)
                } else if received == .heartbeat, told.contains(id) {
                    confirmed.insert(id)
                }
            }
        }
        logger.notice("the run had already trained its \(epochs) epochs; told \(told.count) worker(s) the job finished")
    }

    /// An endpoint a local worker can connect to for a bound one (`tcp://0.0.0.0:5555` -> 127.0.0.1).
    static func connectable(_ endpoint: String) -> String {
        endpoint.replacingOccurrences(of: "//0.0.0.0:", with: "//127.0.0.1:").replacingOccurrences(of: "//*:", with: "//127.0.0.1:")
    }
}

/// The transport's refusals, from the threads that see them to the coordinator's loop.
private final class RefusalQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var refusals: [(String, RefusalReason)] = []

    @Sendable func append(address: String, reason: RefusalReason) {
        // Bounded: a flood is one line per address in the log, and the session counts what it gets.
        lock.withLock { if refusals.count < 10_000 { refusals.append((address, reason)) } }
    }

    func take() -> [(String, RefusalReason)] {
        lock.withLock {
            defer { refusals.removeAll() }
            return refusals
        }
    }
}

/// The errors of a distributed run.
public enum ClusterError: Error, CustomStringConvertible, Equatable {
    /// The coordinator's socket could not bind: the endpoint and the system's reason.
    case cannotBind(endpoint: String, reason: String)
    /// `dlworker` could not be found or started.
    case cannotSpawn(reason: String)
    /// The run stopped before its last epoch; the reason names the worker or event that caused it.
    case runFailed(String)

    public var description: String {
        switch self {
        case let .cannotBind(endpoint, reason):
            return "cannot listen on \(endpoint): \(reason); choose another address with --bind"
        case let .cannotSpawn(reason):
            return "cannot start the workers: \(reason)"
        case let .runFailed(reason):
            return "the run stopped: \(reason)"
        }
    }
}
