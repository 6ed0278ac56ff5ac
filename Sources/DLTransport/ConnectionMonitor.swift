// What a connecting socket meets, as typed events its owner takes from its own thread: a worker
// waiting for its coordinator says from them whether anything listens at the address, whether a
// handshake was refused (another secret) or whether something answers that is not a coordinator.
// libzmq reports these only to a socket monitor (SocketMonitor); the monitor's thread queues them
// here, and the worker's loop takes them (`take`) between its waits.
//
// What libzmq 4.3 emits for a DEALER connecting (measured): nothing listening on TCP, an attempt
// started (CONNECT_DELAYED), closed (CLOSED), a retry scheduled (CONNECT_RETRIED); an ipc path
// without a socket, closed then retried; a host name that does not resolve, a retry alone (no
// attempt could start); a peer of another secret, connected, then a handshake failed without
// detail and a disconnect; one secret against none, a mechanism mismatch, after which libzmq never
// tries that connection again; a silent listener, connected and nothing more.

import CZeroMQ
import Foundation

public enum ConnectionEvent: Equatable, Sendable {
    /// A connection attempt is under way, waiting for the peer's answer.
    case attemptStarted
    /// An attempt's socket was closed before it connected (refused: nothing listens there).
    case attemptClosed
    /// Another attempt is scheduled: the last one failed, or none could start (a host name that does
    /// not resolve).
    case retryScheduled
    /// A connection is made; its handshake begins.
    case connected
    case handshakeSucceeded
    case handshakeFailed(HandshakeFailure)
    /// A connection ended (the peer closed it, or the handshake failed).
    case disconnected
}

public final class ConnectionMonitor: @unchecked Sendable {
    private var monitor: SocketMonitor!
    private let condition = NSCondition()
    private var events: [ConnectionEvent] = []
    /// Events kept for a taker that falls behind; older ones are dropped first.
    private static let limit = 1000

    private static let watched =
        ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CLOSED | ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_CONNECTED
        | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
        | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_DISCONNECTED

    /// Starts watching `socket`; call it before the socket connects.
    public init(socket: ZMQSocket, context: ZMQContext) throws(TransportError) {
        monitor = try SocketMonitor(socket: socket, context: context, events: Self.watched) { [self] event in
            guard let typed = Self.typed(event) else { return }
            condition.withLock {
                if events.count == Self.limit { events.removeFirst() }
                events.append(typed)
                condition.broadcast()
            }
        }
    }

    /// The events since the last call, oldest first; with `timeout`, waiting that long at most for
    /// one to come when there is none.
    public func take(waitingUpTo timeout: Duration = .zero) -> [ConnectionEvent] {
        let deadline = Date().addingTimeInterval(Double(timeout.zmqMilliseconds) / 1000)
        return condition.withLock {
            while events.isEmpty && condition.wait(until: deadline) {}
            defer { events.removeAll(keepingCapacity: true) }
            return events
        }
    }

    /// Stops watching; returns once the monitor's thread has finished.
    public func stop() {
        monitor.stop()
    }

    private static func typed(_ event: SocketMonitor.Event) -> ConnectionEvent? {
        switch event.kind {
        case ZMQ_EVENT_CONNECT_DELAYED: .attemptStarted
        case ZMQ_EVENT_CLOSED: .attemptClosed
        case ZMQ_EVENT_CONNECT_RETRIED: .retryScheduled
        case ZMQ_EVENT_CONNECTED: .connected
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: .handshakeSucceeded
        case ZMQ_EVENT_DISCONNECTED: .disconnected
        default: HandshakeFailure(event: event.kind, value: event.value).map(ConnectionEvent.handshakeFailed)
        }
    }
}
