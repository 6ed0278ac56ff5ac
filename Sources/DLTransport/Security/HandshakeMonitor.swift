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

import CZeroMQ
import Foundation

public final class HandshakeMonitor: @unchecked Sendable {
    private let refused: @Sendable (_ address: String, _ reason: RefusalReason) -> Void
    private var monitor: SocketMonitor!
    /// The connections accepted and not yet closed, by descriptor (touched by the monitor's thread only).
    private var peers: [Int32: Connection] = [:]
    /// How the last failed handshake failed, until its connection's disconnect names the peer.
    private var failure: Failure?

    private struct Connection {
        let address: String?
        /// Whether a handshake succeeded while it was open (perhaps another connection's).
        var mayHaveShakenHands = false
    }

    private enum Failure {
        case reason(HandshakeFailure)
        /// The ZAP handler refused it, and reports it itself.
        case refusedByHandler
    }

    private static let events =
        ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH

    /// Starts watching `socket` (before it binds); refusals go to `refused`, from the monitor's thread.
    public init(
        socket: ZMQSocket, context: ZMQContext,
        refused: @escaping @Sendable (_ address: String, _ reason: RefusalReason) -> Void
    ) throws(TransportError) {
        self.refused = refused
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
            peers[descriptor] = Connection(address: Self.peerAddress(of: descriptor))
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            failure = nil
            for key in peers.keys { peers[key]?.mayHaveShakenHands = true }
        case ZMQ_EVENT_DISCONNECTED:
            let connection = peers.removeValue(forKey: descriptor)
            let address = connection?.address ?? "an unknown address"
            switch failure {
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
