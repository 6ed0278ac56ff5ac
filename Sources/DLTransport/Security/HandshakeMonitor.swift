// Who failed the handshake of a server socket before the ZAP handler could see them: a plain socket
// (no CURVE), junk that is not ZeroMQ, a client of another secret (it cannot encrypt to this job's
// server key). libzmq drops them in its I/O thread and tells no one but a socket monitor
// (SocketMonitor), whose events name the listener, not the peer. So this remembers each accepted
// connection's peer address by its descriptor (ACCEPTED carries it), and a failed handshake is
// reported when its connection's DISCONNECTED arrives with the same descriptor: libzmq's one I/O
// thread emits the failure and the disconnect of one connection back to back.
//
// Junk that is not ZeroMQ raises no failure event at all: libzmq just drops the connection. It is
// told apart from a worker that leaves by the handshake: a connection that closes while no handshake
// has succeeded since it was accepted is reported as one that never spoke ZeroMQ. A success event
// does not say whose handshake it was, so it counts for every connection then waiting: under
// concurrent handshakes junk can go unreported, but a worker that got in is never reported.
// Reports go to a RefusalLog: a peer is logged once per interval, with a count.
//
// The accepted connections also go to PendingHandshakes, which bounds those still in their handshake
// by ending the oldest; those, and the ones the handshake timeout ended, are reported as stalled.

import CZeroMQ
import Foundation

public final class HandshakeMonitor: @unchecked Sendable {
    private let refused: @Sendable (_ address: String, _ reason: RefusalReason) -> Void
    private var monitor: SocketMonitor!
    /// The connections accepted and not yet closed, by descriptor (touched by the monitor's thread only).
    private var peers: [Int32: Connection] = [:]
    /// How the last failed handshake failed, until its connection's disconnect names the peer.
    private var failure: Failure?
    /// The connections still in their handshake, bounded (touched by the monitor's thread only).
    private var pending: PendingHandshakes
    /// The socket's handshake timeout (ZMQ_HANDSHAKE_IVL; zero: none).
    private let handshakeTimeout: Duration
    private let clock = ContinuousClock()

    private struct Connection {
        let address: String?
        let accepted: ContinuousClock.Instant
        /// Whether a handshake succeeded while it was open (perhaps another connection's).
        var mayHaveShakenHands = false
        /// Whether PendingHandshakes ended it to make room.
        var ended = false
    }

    private enum Failure {
        case reason(HandshakeFailure)
        /// The ZAP handler refused it, and reports it itself.
        case refusedByHandler
    }

    private static let events =
        ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH

    /// Starts watching `socket` (before it binds, after its options are set); refusals go to
    /// `refused`, from the monitor's thread. At most `pendingLimit` connections stay in their handshake.
    public init(
        socket: ZMQSocket, context: ZMQContext, pendingLimit: Int = PendingHandshakes.defaultLimit,
        refused: @escaping @Sendable (_ address: String, _ reason: RefusalReason) -> Void
    ) throws(TransportError) {
        self.refused = refused
        pending = PendingHandshakes(limit: pendingLimit)
        handshakeTimeout = .milliseconds(try socket.libzmqValue(of: .handshakeInterval(.zero)))
        monitor = try SocketMonitor(socket: socket, context: context, events: Self.events) { [self] event in
            self.handle(event)
        }
    }

    /// Stops watching; returns once the monitor's thread has finished.
    public func stop() {
        monitor.stop()
    }

    private func handle(_ event: SocketMonitor.Event) {
        let descriptor = Int32(bitPattern: event.value)
        switch event.kind {
        case ZMQ_EVENT_ACCEPTED:
            peers[descriptor] = Connection(address: Self.peerAddress(of: descriptor), accepted: clock.now)
            for ended in pending.accepted(descriptor, listenerPort: event.tcpPort) { peers[ended]?.ended = true }
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            failure = nil
            for key in peers.keys { peers[key]?.mayHaveShakenHands = true }
        case ZMQ_EVENT_DISCONNECTED:
            pending.closed(descriptor)
            let connection = peers.removeValue(forKey: descriptor)
            let address = connection?.address ?? "an unknown address"
            switch failure {
            case _ where connection?.ended == true: refused(address, .stalledHandshake)
            case .reason(.noDetail) where connection.map({ timedOut($0) }) == true: refused(address, .stalledHandshake)
            case .reason(let reason): refused(address, .handshake(reason))
            case .refusedByHandler: break
            case nil: if let connection, !connection.mayHaveShakenHands { refused(address, .notZeroMQ) }
            }
            failure = nil
        default:
            switch HandshakeFailure(event: event.kind, value: event.value) {
            case .authenticationRefused: failure = .refusedByHandler
            case let reason?: failure = .reason(reason)
            case nil: break
            }
        }
    }

    /// Whether `connection` lasted until the handshake timeout. Its events arrive late, so the time
    /// seen here falls short of libzmq's: half the timeout without a handshake counts as stalled.
    private func timedOut(_ connection: Connection) -> Bool {
        handshakeTimeout > .zero && clock.now - connection.accepted >= handshakeTimeout / 2
    }

    /// The numeric address of a connected socket's peer, while the descriptor is open.
    private static func peerAddress(of descriptor: Int32) -> String? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let printed = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
            }
        }
        return printed == 0 ? String(cString: host) : nil
    }
}
