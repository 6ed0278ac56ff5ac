// The worker process: a ZeroMQ DEALER socket connected to the coordinator, a ROUTER socket where
// the other workers send it their part of each step's gradient, a DEALER to each worker it sends
// to, and the loop that feeds WorkerSession with what arrives and with the time. The coordinator's
// socket queues nothing for a coordinator that is not there yet (ZMQ_IMMEDIATE), so the session's
// periodic hello is what reaches it once it appears, whether it started before or after this worker.
// A monitor of that socket tells the session what the connection meets (refused, a handshake that
// fails, no answer), so a worker that waits can say what for.

import DLCore
import DLProtocol
import DLTransport
import Foundation
import Logging

public struct WorkerOptions: Sendable {
    public var endpoint: String
    public var name: String
    public var timeouts: WorkerSession.Timeouts
    public var keepRunning: Bool
    /// Where the peer socket binds (derived from `endpoint` when nil; a range of ports binds the
    /// first free one), and the host the other workers reach it at (the interface towards the
    /// coordinator when nil).
    public var peerBind: Endpoint?
    public var advertise: String?
    /// The job's keys: the worker proves it holds the secret to the coordinator and to the other
    /// workers, and admits only holders to its peer socket; nil where none is needed.
    public var keys: JobKeys?
    /// The file the keys came from, for what the worker says when it cannot join.
    public var secretFile: String?

    public init(
        endpoint: String, name: String, timeouts: WorkerSession.Timeouts, keepRunning: Bool, peerBind: Endpoint? = nil,
        advertise: String? = nil, keys: JobKeys? = nil, secretFile: String? = nil
    ) {
        self.endpoint = endpoint
        self.name = name
        self.timeouts = timeouts
        self.keepRunning = keepRunning
        self.peerBind = peerBind
        self.advertise = advertise
        self.keys = keys
        self.secretFile = secretFile
    }
}

public enum WorkerProcess {
    /// Works for the coordinator at `options.endpoint` until the job ends or the worker gives up.
    public static func run(_ options: WorkerOptions, logger: Logger) throws -> WorkerSession.Outcome {
        Interrupt.install()
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        // A routing id of its own, so a reconnection (a dropped TCP connection, a coordinator
        // restarting) does not make the worker a stranger to the coordinator.
        let routingId = (0..<16).map { _ in UInt8.random(in: 0...255) }
        try socket.set([
            .routingId(routingId), .immediate(true), .linger(.seconds(1)),
            .reconnectInterval(.milliseconds(100)), .reconnectIntervalMax(.seconds(1)),
        ] + (options.keys?.clientOptions ?? []))
        let connection = try ConnectionMonitor(socket: socket, context: context)
        defer { connection.stop() }
        try socket.connect(options.endpoint)
        let peerSocket = try ZMQSocket(.router, context: context)
        // The handler answers before the peer socket can accept anyone, and until it is closed.
        let authenticator = try ZAPHandler.admittingWorkers(of: options.keys, context: context) { [logger] line in
            logger.warning("\(line)")
        }
        defer {
            peerSocket.close()
            authenticator?.stop()
        }
        // Other workers send it partials and totals only: a chunk at most.
        let largestFromPeer = MessageCodec.largestMessageFromWorker(
            shardCount: 0, metricSlots: 0, parameterCount: RingPlan.defaultChunkSize, star: false)
        try peerSocket.set([
            .linger(.zero), .maxMessageSize(payload: largestFromPeer, encrypted: options.keys != nil), .serverBacklog,
            .serverHandshakeTimeout,
        ]
            + (options.keys?.serverOptions ?? []))
        try authenticator?.watch(peerSocket)
        let bound = try peerSocket.bind(PeerEndpoint.bindEndpoint(requested: options.peerBind, coordinator: options.endpoint))
        let address = CoordinatorAddress(endpoint: options.endpoint, secretFile: options.secretFile)
        func wait(_ waited: Duration, _ sighting: CoordinatorSighting) -> CoordinatorWait {
            CoordinatorWait(
                address: address, holdsSecret: options.keys != nil, waited: waited, limit: options.timeouts.reconnect,
                sighting: sighting)
        }
        let peerEndpoint: String
        do {
            peerEndpoint = try PeerEndpoint.advertised(
                bound: bound, coordinator: options.endpoint, host: options.advertise, waitingUpTo: options.timeouts.reconnect,
                every: options.timeouts.status
            ) { [logger] waited, attempts in
                let event = WorkerEvent.waitingForCoordinator(wait(waited, .nameDoesNotResolve(attempts: attempts)))
                logger.log(level: event.level, "\(event)")
            }
        } catch where Interrupt.requested {
            return .left("it was stopped (\(Interrupt.cause)) before the coordinator's name resolved", .noJob)
        } catch let error as PeerEndpointError where error.unresolved {
            return .unreachable(wait(options.timeouts.reconnect, .nameDoesNotResolve(attempts: error.attempts)))
        }
        defer { if bound.hasPrefix("ipc://") { unlink(String(bound.dropFirst("ipc://".count))) } }
        var peers: [String: ZMQSocket] = [:]
        let info = WorkerInfo(
            name: options.name, host: ProcessInfo.processInfo.hostName, pid: getpid(), version: DLTrainVersion.current,
            peerEndpoint: peerEndpoint)
        logger.info("connecting to \(options.endpoint) as \(options.name) (pid \(info.pid)), other workers reach it at \(peerEndpoint)")

        let faultFlipRound = ProcessInfo.processInfo.environment["DLTRAIN_FAULT_FLIP_BIT"].flatMap { UInt64($0) }
        if let faultFlipRound {
            logger.warning("DLTRAIN_FAULT_FLIP_BIT=\(faultFlipRound): this worker flips a bit of its gradient at that step (a test hook)")
        }
        let clock = ContinuousClock()
        var unsent = 0
        let session = WorkerSession(
            info: info, address: address,
            holdsSecret: options.keys != nil, timeouts: options.timeouts, keepRunning: options.keepRunning,
            faultFlipRound: faultFlipRound, now: clock.now,
            send: { envelope in
                let message = OutgoingMessage(envelope)
                let sent = (try? socket.send(prefix: nil, count: message.count, timeout: .milliseconds(200), write: message.write))
                    ?? false
                if !sent && envelope.message.type != .hello { unsent += 1 }
                return sent
            },
            sendToPeer: { endpoint, envelope in
                guard let peer = peers[endpoint] ?? (try? connectPeer(endpoint, context: context, keys: options.keys)) else {
                    return false
                }
                peers[endpoint] = peer
                let message = OutgoingMessage(envelope)
                return (try? peer.send(prefix: nil, count: message.count, timeout: .seconds(1), write: message.write)) ?? false
            },
            log: { [logger] level, line in logger.log(level: level, "\(line)") },
            events: { [logger] event in logger.log(level: event.level, "\(event)") })
        let fromCoordinator: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?, Int) -> Void = { message, _, parts in
            if parts == 1 {
                session.receive(message, now: clock.now)
            } else {
                logger.warning("dropped a message of \(parts) frames from the coordinator")
            }
        }
        while session.outcome == nil {
            // Told to stop, it says goodbye and waits (bounded) for the acknowledgement in this loop.
            if Interrupt.requested { session.leave(because: "it was stopped (\(Interrupt.cause))", now: clock.now) }
            session.observe(connection.take(), now: clock.now)
            // While registering, look again soon: the hello goes out as soon as the connection is up;
            // and leaving, the acknowledgement comes within milliseconds.
            let timeout = Duration.milliseconds(session.isRegistering || session.isLeaving ? 10 : 100)
            if session.expectsPeerTraffic {
                let ready = try ZMQSocket.waitForMessages(on: [socket, peerSocket], timeout: timeout)
                // Take what is waiting on each, without waiting again.
                while ready[1], try peerSocket.receive(timeout: .zero, { message, _, parts in
                    if parts == 2 { session.receiveFromPeer(message, now: clock.now) }
                }) {}
                while ready[0], try socket.receive(timeout: .zero, fromCoordinator) {}
            } else {
                // Outside a ring only the coordinator talks to this worker (what other workers send
                // meanwhile waits in the peer socket, bounded by its queue): one wait per message.
                try socket.receive(timeout: timeout, fromCoordinator)
            }
            session.tick(now: clock.now)
        }
        session.flushDropCounts()
        if unsent > 0 { logger.notice("\(unsent) message(s) to the coordinator could not be sent (it was gone)") }
        return session.outcome!
    }
}

/// A DEALER to another worker's peer socket. It queues what is sent before the connection is up.
private func connectPeer(_ endpoint: String, context: ZMQContext, keys: JobKeys?) throws -> ZMQSocket {
    let peer = try ZMQSocket(.dealer, context: context)
    try peer.set([.linger(.milliseconds(500)), .reconnectInterval(.milliseconds(100)), .reconnectIntervalMax(.seconds(1))]
        + (keys?.clientOptions ?? []))
    try peer.connect(endpoint)
    return peer
}
