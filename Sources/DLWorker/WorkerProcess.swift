// The worker process: a ZeroMQ DEALER socket connected to the coordinator, and the loop that feeds
// WorkerSession with what arrives and with the time. The socket queues nothing for a coordinator
// that is not there yet (ZMQ_IMMEDIATE), so the session's periodic hello is what reaches it once it
// appears, whether it started before or after this worker.

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

    public init(endpoint: String, name: String, timeouts: WorkerSession.Timeouts, keepRunning: Bool) {
        self.endpoint = endpoint
        self.name = name
        self.timeouts = timeouts
        self.keepRunning = keepRunning
    }
}

public enum WorkerProcess {
    /// Works for the coordinator at `options.endpoint` until the job ends or the worker gives up.
    public static func run(_ options: WorkerOptions, logger: Logger) throws -> WorkerSession.Outcome {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        // A routing id of its own, so a reconnection (a dropped TCP connection, a coordinator
        // restarting) does not make the worker a stranger to the coordinator.
        let routingId = (0..<16).map { _ in UInt8.random(in: 0...255) }
        try socket.set([
            .routingId(routingId), .immediate(true), .linger(.seconds(1)),
            .reconnectInterval(.milliseconds(100)), .reconnectIntervalMax(.seconds(1)),
        ])
        try socket.connect(options.endpoint)
        let info = WorkerInfo(
            name: options.name, host: ProcessInfo.processInfo.hostName, pid: getpid(), version: DLTrainVersion.current)
        logger.info("connecting to \(options.endpoint) as \(options.name) (pid \(info.pid))")

        let clock = ContinuousClock()
        var unsent = 0
        let session = WorkerSession(
            info: info, timeouts: options.timeouts, keepRunning: options.keepRunning, now: clock.now,
            send: { envelope in
                let message = OutgoingMessage(envelope)
                let sent = (try? socket.send(prefix: nil, count: message.count, timeout: .milliseconds(200), write: message.write))
                    ?? false
                if !sent && envelope.message.type != .hello { unsent += 1 }
                return sent
            },
            log: { [logger] level, line in logger.log(level: level, "\(line)") })
        while session.outcome == nil {
            // While registering, look again soon: the hello goes out as soon as the connection is up.
            try socket.receive(timeout: .milliseconds(session.isRegistering ? 10 : 100)) { message, _, parts in
                if parts == 1 {
                    session.receive(message, now: clock.now)
                } else {
                    logger.notice("dropped a message of \(parts) frames from the coordinator")
                }
            }
            session.tick(now: clock.now)
        }
        if unsent > 0 { logger.notice("\(unsent) message(s) to the coordinator could not be sent (it was gone)") }
        return session.outcome!
    }
}
