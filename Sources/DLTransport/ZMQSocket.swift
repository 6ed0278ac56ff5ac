// ZMQSocket.swift
// A libzmq socket: its lifetime, its endpoints, and sending and receiving whole
// multipart messages with bounded waits. Options live in ZMQSocketOptions.swift.

import CZeroMQ
import Glibc

/// A ZeroMQ socket.
///
/// Threading rule: libzmq sockets are not thread-safe. Use a socket from one
/// thread at a time; handing it to another thread (for instance the dedicated
/// thread that will own it from then on) is fine, which is what the
/// `@unchecked Sendable` conformance is for. Never call it from two threads
/// concurrently. To stop a thread waiting in `receive`, call `shutdown()` on
/// the context (the one thread-safe way in) rather than touching the socket.
///
/// The socket closes itself when released; `close()` does it earlier.
public final class ZMQSocket: @unchecked Sendable {
    public let type: ZMQSocketType
    /// Held so the context outlives its sockets: zmq_ctx_term would otherwise
    /// wait forever for sockets that are still open.
    private let context: ZMQContext
    /// nil once closed.
    private var handle: UnsafeMutableRawPointer?

    /// A new socket of `type` with linger 0, so closing it never waits for
    /// undelivered messages.
    public init(_ type: ZMQSocketType, context: ZMQContext) throws(TransportError) {
        guard let handle = zmq_socket(context.handle, type.cValue) else {
            throw TransportError.last(operation: "create \(type) socket")
        }
        self.type = type
        self.context = context
        self.handle = handle
        do {
            try set(.linger(.zero))
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Closes the socket, discarding undelivered messages unless a linger was
    /// set. Later calls on it fail with ENOTSOCK; closing again does nothing.
    public func close() {
        guard let handle else { return }
        // zmq_close only fails for an invalid socket, which `handle` never is.
        _ = zmq_close(handle)
        self.handle = nil
    }

    func liveHandle(_ operation: String, endpoint: String? = nil) throws(TransportError) -> UnsafeMutableRawPointer {
        guard let handle else { throw TransportError.from(errno: ENOTSOCK, operation: operation, endpoint: endpoint) }
        return handle
    }

    // MARK: Endpoints

    /// Binds to `endpoint` and returns the endpoint actually bound, which differs
    /// when it has wildcards: `tcp://127.0.0.1:*` picks a free port and returns
    /// e.g. `tcp://127.0.0.1:40123`. Unbind with the returned string.
    @discardableResult
    public func bind(_ endpoint: String) throws(TransportError) -> String {
        let socket = try liveHandle("bind", endpoint: endpoint)
        try retryingInterrupts("bind", endpoint: endpoint) { zmq_bind(socket, endpoint) }
        return try lastEndpoint(socket)
    }

    public func unbind(_ endpoint: String) throws(TransportError) {
        let socket = try liveHandle("unbind", endpoint: endpoint)
        try retryingInterrupts("unbind", endpoint: endpoint) { zmq_unbind(socket, endpoint) }
    }

    /// Starts connecting to `endpoint`. Returns at once: libzmq connects (and
    /// reconnects) in the background, and messages queue until it succeeds, so
    /// connecting before the peer has bound is fine.
    public func connect(_ endpoint: String) throws(TransportError) {
        let socket = try liveHandle("connect", endpoint: endpoint)
        try retryingInterrupts("connect", endpoint: endpoint) { zmq_connect(socket, endpoint) }
    }

    public func disconnect(_ endpoint: String) throws(TransportError) {
        let socket = try liveHandle("disconnect", endpoint: endpoint)
        try retryingInterrupts("disconnect", endpoint: endpoint) { zmq_disconnect(socket, endpoint) }
    }

    private func lastEndpoint(_ socket: UnsafeMutableRawPointer) throws(TransportError) -> String {
        // Endpoints are bounded by host-name (255) and socket-path (108) limits.
        var buffer = [UInt8](repeating: 0, count: 1024)
        var size = buffer.count
        try retryingInterrupts("get ZMQ_LAST_ENDPOINT") { zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size) }
        return String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
    }

    // MARK: Sending

    /// Sends a multipart message, waiting as long as it takes to queue it (e.g.
    /// while a DEALER has no peer yet or its peers' queues are full). ROUTER and
    /// PUB sockets never wait: they drop messages they cannot queue (a ROUTER with
    /// `routerMandatory` throws EHOSTUNREACH for unknown peers instead).
    public func send(_ frames: [ZMQFrame]) throws(TransportError) {
        _ = try send(frames, deadline: nil)
    }

    /// Sends a multipart message if it can be queued at once; returns false
    /// ("would block") and sends nothing otherwise.
    public func trySend(_ frames: [ZMQFrame]) throws(TransportError) -> Bool {
        try send(frames, deadline: .now)
    }

    /// Sends a multipart message, waiting at most `timeout` for it to be queued;
    /// returns false and sends nothing if it could not be.
    public func send(_ frames: [ZMQFrame], timeout: Duration) throws(TransportError) -> Bool {
        try send(frames, deadline: .deadline(after: timeout))
    }

    /// Sends a message whose last part is `count` bytes that `write` fills in place, in the buffer
    /// libzmq sends from, after an optional first part `prefix` (a ROUTER's peer id, copied): an
    /// encoder writes its message once, and no frame objects or arrays are made per message.
    /// Waits at most `timeout` (zero: not at all) for the message to be queued; returns false and
    /// sends nothing if it could not be.
    public func send(
        prefix: [UInt8]?, count: Int, timeout: Duration, write: (UnsafeMutableRawBufferPointer) -> Void
    ) throws(TransportError) -> Bool {
        try send(parts: prefix == nil ? 1 : 2, deadline: .deadline(after: timeout)) { index, message in
            let size = index == 0 ? prefix?.count ?? count : count
            // Only fails when malloc does; Swift treats running out of memory as fatal too.
            guard zmq_msg_init_size(message, size) == 0 else { fatalError("DLTransport: cannot allocate a \(size)-byte message") }
            let bytes = UnsafeMutableRawBufferPointer(start: zmq_msg_data(message), count: size)
            if let prefix, index == 0 {
                bytes.copyBytes(from: prefix)
            } else {
                write(bytes)
            }
        }
    }

    private func send(_ frames: [ZMQFrame], deadline: ContinuousClock.Instant?) throws(TransportError) -> Bool {
        precondition(!frames.isEmpty, "a ZeroMQ message has at least one frame")
        return try send(parts: frames.count, deadline: deadline) { index, message in
            frames[index].storage.initializeOutgoing(message)
        }
    }

    /// Sends a message of `parts` parts, each set up by `initialize` just before it is sent.
    private func send(
        parts: Int, deadline: ContinuousClock.Instant?, initialize: (Int, UnsafeMutablePointer<zmq_msg_t>) -> Void
    ) throws(TransportError) -> Bool {
        let socket = try liveHandle("send")
        var rolledBack = false
        for index in 0..<parts {
            let flags = index < parts - 1 ? ZMQ_SNDMORE : 0
            var message = zmq_msg_t()
            initialize(index, &message)
            // After a successful send libzmq has emptied the message; after a
            // failed one, closing it releases a lent frame.
            defer { zmq_msg_close(&message) }
            if index == 0 {
                // libzmq accepts or refuses a message as a whole at its first
                // part, so that is the only part whose send waits.
                let queued = try waiting(socket, ZMQ_SNDTIMEO, until: deadline, operation: "send") {
                    zmq_msg_send(&message, socket, flags)
                }
                if !queued { return false }
            } else if try !sendLaterPart(&message, socket, flags) {
                // A later part is refused only when its peer vanished mid-message:
                // libzmq has rolled the message back and now drops parts until the
                // message ends, so the remaining parts are still fed to it to leave
                // the socket at a message boundary.
                rolledBack = true
            }
        }
        return !rolledBack
    }

    /// Sends a part after the first; false when libzmq refuses it.
    private func sendLaterPart(
        _ message: UnsafeMutablePointer<zmq_msg_t>, _ socket: UnsafeMutableRawPointer, _ flags: Int32
    ) throws(TransportError) -> Bool {
        while zmq_msg_send(message, socket, flags) == -1 {
            switch zmq_errno() {
            case EINTR: continue
            case EAGAIN: return false
            case let code: throw TransportError.from(errno: code, operation: "send")
            }
        }
        return true
    }

    // MARK: Receiving

    /// Receives one whole multipart message, or returns nil if none arrived within
    /// `timeout` (zero: only take one that is already waiting). There is no
    /// receive without a timeout, so a lost peer can never hang the caller.
    public func receive(timeout: Duration) throws(TransportError) -> [ZMQFrame]? {
        let socket = try liveHandle("receive")
        let first = FrameStorage()
        let arrived = try waiting(socket, ZMQ_RCVTIMEO, until: .deadline(after: timeout), operation: "receive") {
            zmq_msg_recv(first.message, socket, 0)
        }
        guard arrived else { return nil }
        var frames = [ZMQFrame(storage: first)]
        var more = first.hasMore
        while more {
            // libzmq delivers multipart messages atomically: once the first part is
            // here, the rest are too, so these never wait.
            let part = FrameStorage()
            try retryingInterrupts("receive") { zmq_msg_recv(part.message, socket, ZMQ_DONTWAIT) }
            frames.append(ZMQFrame(storage: part))
            more = part.hasMore
        }
        return frames
    }

    /// Receives one whole message and hands `body` its last part and the part before it (if any)
    /// in place, in libzmq's buffers, valid only inside `body`, with the number of parts: what a
    /// decoder needs, with no frame objects or arrays per message. Earlier parts of a longer
    /// message are dropped. Returns false if no message arrived within `timeout`. (Not generic:
    /// called from other modules, a generic would run unspecialized, at a cost per message.)
    @discardableResult
    public func receive(
        timeout: Duration,
        _ body: (_ last: UnsafeRawBufferPointer, _ beforeLast: UnsafeRawBufferPointer?, _ parts: Int) -> Void
    ) throws(TransportError) -> Bool {
        let socket = try liveHandle("receive")
        // At fixed addresses: libzmq keeps small messages inside the zmq_msg_t itself.
        let messages = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 2)
        let beforeLast = messages, last = messages + 1
        zmq_msg_init(beforeLast)
        zmq_msg_init(last)
        defer {
            zmq_msg_close(beforeLast)
            zmq_msg_close(last)
            messages.deallocate()
        }
        let arrived = try waiting(socket, ZMQ_RCVTIMEO, until: .deadline(after: timeout), operation: "receive") {
            zmq_msg_recv(last, socket, 0)
        }
        guard arrived else { return false }
        var parts = 1
        while zmq_msg_more(last) == 1 {
            // The rest of a message is here once its first part is (see above).
            zmq_msg_move(beforeLast, last)
            try retryingInterrupts("receive") { zmq_msg_recv(last, socket, ZMQ_DONTWAIT) }
            parts += 1
        }
        func bytes(_ message: UnsafeMutablePointer<zmq_msg_t>) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message))
        }
        body(bytes(last), parts > 1 ? bytes(beforeLast) : nil, parts)
        return true
    }

    // MARK: Waiting

    /// Runs one libzmq send or receive call with the socket's timeout option set to
    /// the time left until `deadline` (nil: no limit), retrying after a signal
    /// interrupts it. Returns false when the time ran out (EAGAIN).
    ///
    /// The wait is left to libzmq rather than done with zmq_poll because libzmq
    /// then sleeps until the pipe concerned becomes usable; polling could only
    /// spin when, say, a ROUTER is writable in general but not to this peer.
    private func waiting(
        _ socket: UnsafeMutableRawPointer, _ timeoutOption: Int32, until deadline: ContinuousClock.Instant?,
        operation: String, _ call: () -> Int32
    ) throws(TransportError) -> Bool {
        while true {
            let milliseconds = deadline.map { ($0 - .now).zmqMilliseconds } ?? -1
            let timeoutSet = withUnsafeBytes(of: milliseconds) {
                zmq_setsockopt(socket, timeoutOption, $0.baseAddress, $0.count) != -1
            }
            if timeoutSet && call() != -1 { return true }
            switch zmq_errno() {
            case EINTR: continue
            case EAGAIN: return false
            case let code: throw TransportError.from(errno: code, operation: operation)
            }
        }
    }
}
