// libzmq's socket monitor (zmq_socket_monitor) for one socket, served on a thread of its own: the
// events of a connection's life that libzmq tells no one else (a connection refused and retried,
// accepted, a handshake failed and why, a disconnect). libzmq publishes them on an inproc PAIR
// socket; this reads each (version 1, all Debian's libzmq has: a 16-bit event, a 32-bit value, then
// the endpoint) and hands it to `handle`, from the monitor's thread.
// HandshakeMonitor (a server socket's refused peers) and ConnectionMonitor (what a connecting
// socket meets) are its two uses.

import CZeroMQ
import Foundation

final class SocketMonitor: @unchecked Sendable {
    struct Event: Equatable {
        /// One of libzmq's ZMQ_EVENT_ values.
        let kind: Int32
        /// Its value: a descriptor, an error number, an interval or a protocol error code, by event.
        let value: UInt32
        /// The endpoint it concerns: for a connection accepted, the listener's (`tcp://127.0.0.1:5555`).
        var endpoint = ""

        /// The port of a TCP endpoint; nil for another transport.
        var tcpPort: UInt16? {
            guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return nil }
            return UInt16(endpoint[endpoint.index(after: colon)...])
        }
    }

    private var thread: SocketThread!

    /// Starts monitoring `events` (a mask of ZMQ_EVENT_ values) of `socket`; call it before the socket
    /// binds or connects, or the first events are missed.
    init(socket: ZMQSocket, context: ZMQContext, events: Int32, handle: @escaping @Sendable (Event) -> Void)
        throws(TransportError)
    {
        let endpoint = "inproc://dltrain.monitor.\(UInt64.random(in: 0...UInt64.max))"
        let monitored = try socket.liveHandle("monitor")
        guard zmq_socket_monitor(monitored, endpoint, events) == 0 else {
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
        thread = try SocketThread(name: "socket monitor", socket: pair) { pair in
            if let event = Self.receiveEvent(from: pair) { handle(event) }
            return true
        }
    }

    /// Stops monitoring; returns once the monitor's thread has finished.
    func stop() {
        thread.stop()
    }

    /// One event: its number and value (the first frame: 16 and 32 bits, the host's byte order) and
    /// the endpoint (the second frame).
    private static func receiveEvent(from pair: UnsafeMutableRawPointer) -> Event? {
        var header = [UInt8](repeating: 0, count: 6)
        let size = header.withUnsafeMutableBytes { zmq_recv(pair, $0.baseAddress, 6, ZMQ_DONTWAIT) }
        var more: Int32 = 0
        var moreSize = MemoryLayout<Int32>.size
        zmq_getsockopt(pair, ZMQ_RCVMORE, &more, &moreSize)
        var endpoint = ""
        if more != 0 {
            var text = [UInt8](repeating: 0, count: 256)
            let length = text.withUnsafeMutableBytes { zmq_recv(pair, $0.baseAddress, 256, ZMQ_DONTWAIT) }
            endpoint = String(decoding: text.prefix(max(0, min(Int(length), text.count))), as: UTF8.self)
        }
        guard size == 6 else { return nil }
        let event = header.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
        let value = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        return Event(kind: Int32(event), value: value, endpoint: endpoint)
    }
}

/// How a ZeroMQ handshake failed, as libzmq's monitor reports it on either side of the connection.
public enum HandshakeFailure: Equatable, Hashable, Sendable {
    /// One side encrypts (CURVE) and the other does not: one holds a secret, the other none.
    case mechanismMismatch
    /// The CURVE handshake could not be decrypted: the two hold different keys (another secret).
    case cryptographic
    /// The server's authentication handler (ZAP) refused the client's key.
    case authenticationRefused
    /// Another breach of the ZeroMQ protocol (libzmq's ZMQ_PROTOCOL_ERROR_ code): the peer is not a
    /// ZeroMQ socket that fits, such as a dltrain coordinator's.
    case protocolError(code: UInt32)
    /// The connection ended before its handshake finished, without a reason: the peer hung up (one
    /// of another secret does, and so does anything that is not ZeroMQ).
    case noDetail

    /// The failure a monitor's handshake event reports, nil for another event.
    init?(event: Int32, value: UInt32) {
        switch event {
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: self = .noDetail
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .authenticationRefused
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
            switch Int32(bitPattern: value) {
            case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: self = .mechanismMismatch
            case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: self = .cryptographic
            default: self = .protocolError(code: value)
            }
        default: return nil
        }
    }
}
