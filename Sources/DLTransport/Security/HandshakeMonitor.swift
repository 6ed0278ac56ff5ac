// Who failed the handshake before the ZAP handler could see them: a plain socket (no CURVE), junk
// that is not ZeroMQ, a client of another secret (it cannot encrypt to this job's server key). libzmq
// drops them in its I/O thread and tells no one but a socket monitor, whose events (version 1, all
// Debian's libzmq has) name the listener, not the peer. So the monitor remembers each accepted
// connection's peer address by its descriptor (ACCEPTED carries it), and a failed handshake is
// reported when its connection's DISCONNECTED arrives with the same descriptor: libzmq's one I/O
// thread emits the failure and the disconnect of one connection back to back.
//
// Junk that is not ZeroMQ raises no failure event at all: libzmq just drops the connection. It is
// told apart from a worker that leaves by the handshake: a connection that closes while no handshake
// has succeeded since it was accepted is reported as one that never spoke ZeroMQ. A success event
// does not say whose handshake it was, so it counts for every connection then waiting: under
// concurrent handshakes junk can go unreported, but a worker that got in is never reported.
// Reports go to a RefusalLog, so each address is logged once.

import CZeroMQ
import Foundation

public final class HandshakeMonitor: @unchecked Sendable {
    private let refused: @Sendable (_ address: String, _ reason: String) -> Void
    private var thread: SocketThread!
    /// The connections accepted and not yet closed, by descriptor.
    private var peers: [Int32: Connection] = [:]
    /// How the last failed handshake failed, until its connection's disconnect names the peer.
    private var failure: Failure?

    private struct Connection {
        let address: String?
        /// Whether a handshake succeeded while it was open (perhaps another connection's).
        var mayHaveShakenHands = false
    }

    private enum Failure {
        case reason(String)
        /// The ZAP handler refused it, and reports it itself.
        case refusedByHandler
    }

    /// Why a connection that ends without any handshake event was dropped.
    public static let notZeroMQ = "it did not speak ZeroMQ (its first bytes were not a ZeroMQ greeting)"

    private static let events =
        ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH

    /// Starts watching `socket` (before it binds); refusals go to `refused`, from the monitor's thread.
    public init(
        socket: ZMQSocket, context: ZMQContext, refused: @escaping @Sendable (_ address: String, _ reason: String) -> Void
    ) throws(TransportError) {
        let endpoint = "inproc://dltrain.handshakes.\(UInt64.random(in: 0...UInt64.max))"
        let monitored = try socket.liveHandle("monitor")
        guard zmq_socket_monitor(monitored, endpoint, Self.events) == 0 else {
            throw TransportError.last(operation: "monitor", endpoint: endpoint)
        }
        guard let pair = zmq_socket(context.handle, ZMQ_PAIR) else { throw TransportError.last(operation: "create monitor socket") }
        var zero: Int32 = 0
        _ = zmq_setsockopt(pair, ZMQ_LINGER, &zero, MemoryLayout<Int32>.size)
        guard zmq_connect(pair, endpoint) == 0 else {
            let error = TransportError.last(operation: "connect", endpoint: endpoint)
            zmq_close(pair)
            throw error
        }
        self.refused = refused
        thread = try SocketThread(name: "handshake monitor", socket: pair) { [self] pair in
            if let (event, value) = Self.receiveEvent(from: pair) { self.handle(event: event, value: value) }
            return true
        }
    }

    /// Stops watching; returns once the monitor's thread has finished.
    public func stop() {
        thread.stop()
    }

    private func handle(event: Int32, value: UInt32) {
        switch event {
        case ZMQ_EVENT_ACCEPTED:
            peers[Int32(bitPattern: value)] = Connection(address: Self.peerAddress(of: Int32(bitPattern: value)))
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            failure = nil
            for descriptor in peers.keys { peers[descriptor]?.mayHaveShakenHands = true }
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
            failure = .reason(Self.reason(event: event, code: value))
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            failure = .refusedByHandler
        case ZMQ_EVENT_DISCONNECTED:
            let connection = peers.removeValue(forKey: Int32(bitPattern: value))
            let address = connection?.address ?? "an unknown address"
            switch failure {
            case .reason(let reason): refused(address, reason)
            case .refusedByHandler: break
            case nil: if let connection, !connection.mayHaveShakenHands { refused(address, Self.notZeroMQ) }
            }
            failure = nil
        default:
            break
        }
    }

    private static func reason(event: Int32, code: UInt32) -> String {
        guard event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL else {
            return "the connection failed before its handshake finished (not ZeroMQ, or not this job's encryption)"
        }
        switch Int32(bitPattern: code) {
        case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: return "not encrypted (no secret, or --insecure)"
        case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: return "its handshake cannot be decrypted with this job's keys (another secret)"
        default: return "a handshake that breaks the ZeroMQ protocol (error 0x\(String(code, radix: 16)))"
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

    /// One event: its number and value (the first frame: 16 and 32 bits, the host's byte order) and
    /// the endpoint (the second frame, ignored).
    private static func receiveEvent(from pair: UnsafeMutableRawPointer) -> (Int32, UInt32)? {
        var header = [UInt8](repeating: 0, count: 6)
        let size = header.withUnsafeMutableBytes { zmq_recv(pair, $0.baseAddress, 6, ZMQ_DONTWAIT) }
        var more: Int32 = 0
        var moreSize = MemoryLayout<Int32>.size
        zmq_getsockopt(pair, ZMQ_RCVMORE, &more, &moreSize)
        if more != 0 {
            var endpoint = [UInt8](repeating: 0, count: 256)
            _ = endpoint.withUnsafeMutableBytes { zmq_recv(pair, $0.baseAddress, 256, ZMQ_DONTWAIT) }
        }
        guard size == 6 else { return nil }
        let event = header.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
        let value = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        return (Int32(event), value)
    }
}
