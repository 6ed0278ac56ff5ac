// The authentication handler of one libzmq context (ZAP, ZeroMQ RFC 27): libzmq asks it about every
// client that completes a CURVE handshake with one of the context's server sockets, and it admits
// only a client that proved the key pair derived for the job's workers. A client without the job's
// secret does not get this far: it cannot encrypt to the server's public key, which is derived from
// the secret too, so libzmq drops its handshake before asking.
//
// A peer that fails earlier, in the handshake itself, never reaches the handler; `watch` adds a
// HandshakeMonitor on a server socket so that those are reported too, and the connections still in
// their handshake are bounded.
//
// libzmq admits every client when no handler is bound (its ZAP_ENFORCE_DOMAIN option is a draft that
// Debian's libzmq does not build), so the handler is bound before any server socket of the context
// and answers until after they are closed. It runs on a thread of its own: the handshake happens in
// libzmq's I/O thread, which waits for the answer however busy the process's own thread is.

import CZeroMQ
import Foundation

public final class ZAPHandler: @unchecked Sendable {
    /// The endpoint libzmq sends its requests to, in every context.
    static let endpoint = "inproc://zeromq.zap.01"

    private let context: ZMQContext
    private let admittedKey: [UInt8]
    private let refused: @Sendable (_ address: String, _ reason: RefusalReason) -> Void
    private var thread: SocketThread!
    /// The monitors of the server sockets `watch` was given, stopped with the handler.
    private let lock = NSLock()
    private var monitors: [HandshakeMonitor] = []
    /// The log of `admittingWorkers`' refusals, flushed when the handler stops.
    private var refusalLog: RefusalLog?

    /// Starts answering for `context`: a CURVE client with public key `admittedKey` is admitted, any
    /// other is refused and reported to `refused` (from the handler's thread) with its address.
    public init(
        context: ZMQContext, admittedKey: [UInt8],
        refused: @escaping @Sendable (_ address: String, _ reason: RefusalReason) -> Void
    ) throws(TransportError) {
        guard let socket = zmq_socket(context.handle, ZMQ_REP) else { throw TransportError.last(operation: "create ZAP socket") }
        var zero: Int32 = 0
        _ = zmq_setsockopt(socket, ZMQ_LINGER, &zero, MemoryLayout<Int32>.size)
        guard zmq_bind(socket, Self.endpoint) == 0 else {
            let error = TransportError.last(operation: "bind", endpoint: Self.endpoint)
            zmq_close(socket)
            throw error
        }
        self.context = context
        self.admittedKey = admittedKey
        self.refused = refused
        thread = try SocketThread(name: "ZAP handler", socket: socket) { [self] socket in
            guard let request = Self.receiveFrames(from: socket) else { return true }
            return sendReply(to: request, on: socket)
        }
    }

    /// The handler a process holding `keys` needs on `context` (nil without keys): it admits the
    /// job's workers, and `log` gets the refusals, each peer's at most once per interval with a
    /// count (RefusalLog); `observe`, if given, gets every refusal (from the handler's or a
    /// monitor's thread).
    public static func admittingWorkers(
        of keys: JobKeys?, context: ZMQContext, log: @escaping @Sendable (String) -> Void,
        observe: (@Sendable (_ address: String, _ reason: RefusalReason) -> Void)? = nil
    ) throws(TransportError) -> ZAPHandler? {
        guard let keys else { return nil }
        let refusals = RefusalLog { log("\($0)") }
        let handler = try ZAPHandler(context: context, admittedKey: keys.worker.publicKey) { address, reason in
            refusals.report(address: address, reason: reason)
            observe?(address, reason)
        }
        handler.lock.withLock { handler.refusalLog = refusals }
        return handler
    }

    /// Logs the refusal counts whose interval has passed (RefusalLog.tick); a loop that runs
    /// anyway calls it now and then, so that a count does not wait for the next refusal.
    public func tickLog() {
        lock.withLock { refusalLog }?.tick()
    }

    /// Also reports the peers that fail `socket`'s handshake before this handler is asked, to the same
    /// `refused`, and keeps at most `pendingLimit` of its connections in their handshake (see
    /// HandshakeMonitor). Call it before the socket binds, after its options are set.
    public func watch(_ socket: ZMQSocket, pendingLimit: Int = PendingHandshakes.defaultLimit) throws(TransportError) {
        let monitor = try HandshakeMonitor(socket: socket, context: context, pendingLimit: pendingLimit, refused: refused)
        lock.withLock { monitors.append(monitor) }
    }

    /// Stops answering and closes the handler's socket and monitors; returns once their threads have
    /// finished. Call it after the context's server sockets are closed.
    public func stop() {
        for monitor in lock.withLock({ monitors }) { monitor.stop() }
        thread.stop()
        lock.withLock { refusalLog }?.flush()
    }

    /// One request's frames (RFC 27: version, request id, domain, address, identity, mechanism,
    /// then the mechanism's credentials), or nil when it could not be read whole.
    private static func receiveFrames(from socket: UnsafeMutableRawPointer) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        var more = true
        while more {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            guard zmq_msg_recv(&message, socket, 0) >= 0 else { return nil }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)
            frames.append(size == 0 ? [] : Array(UnsafeRawBufferPointer(start: data, count: size)))
            more = zmq_msg_more(&message) != 0
            guard frames.count <= 16 else { return nil }  // no ZAP request has more frames
        }
        return frames
    }

    private func sendReply(to request: [[UInt8]], on socket: UnsafeMutableRawPointer) -> Bool {
        let version = request.first ?? [], requestId = request.count > 1 ? request[1] : []
        let address = request.count > 3 ? String(decoding: request[3], as: UTF8.self) : "?"
        let mechanism = request.count > 5 ? String(decoding: request[5], as: UTF8.self) : ""
        let (status, refusal): (String, RefusalReason?)
        if version != Array("1.0".utf8) {
            (status, refusal) = ("500", .unsupportedZAPVersion)
        } else if mechanism != "CURVE" {
            (status, refusal) = ("400", .notCURVE(mechanism: mechanism))
        } else if request.count > 6, request[6] == admittedKey {
            (status, refusal) = ("200", nil)
        } else {
            (status, refusal) = ("400", .anotherKey)
        }
        if let refusal { refused(address, refusal) }
        let text = refusal.map(\.description) ?? "OK"
        let reply: [[UInt8]] = [Array("1.0".utf8), requestId, Array(status.utf8), Array(text.utf8), [], []]
        for (index, frame) in reply.enumerated() {
            let flags = index + 1 < reply.count ? ZMQ_SNDMORE : 0
            let sent = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
            if sent < 0 { return false }
        }
        return true
    }
}
