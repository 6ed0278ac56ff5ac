// ZMQSocket.swift
// A ROUTER or DEALER socket: its lifetime, its endpoints, and sending and receiving a message in
// place in libzmq's buffers. Every send and receive takes a timeout, so a lost peer can never hang
// the caller; bind and connect return at once. Options live in ZMQSocketOptions.swift.

import CZeroMQ
import Glibc

/// The two socket patterns dltrain uses: the coordinator's ROUTER, which addresses each peer by its
/// routing id, and a worker's DEALER.
public enum ZMQSocketType: Sendable {
    case router, dealer
}

/// A ZeroMQ socket.
///
/// Threading rule: libzmq sockets are not thread-safe. Use a socket from one thread at a time;
/// handing it to another thread (for instance the dedicated thread that will own it from then on)
/// is fine, which is what the `@unchecked Sendable` conformance is for. Never call it from two
/// threads concurrently. To stop a thread waiting in `receive`, call `shutdown()` on the context
/// (the one thread-safe way in) rather than touching the socket.
///
/// The socket closes itself when released; `close()` does it earlier.
public final class ZMQSocket: @unchecked Sendable {
    /// Held so the context outlives its sockets: zmq_ctx_term would otherwise wait forever for
    /// sockets that are still open.
    private let context: ZMQContext
    /// nil once closed.
    private var handle: UnsafeMutableRawPointer?

    /// A new socket of `type` with linger 0, so closing it never waits for undelivered messages.
    public init(_ type: ZMQSocketType, context: ZMQContext) throws(TransportError) {
        guard let handle = zmq_socket(context.handle, type == .router ? ZMQ_ROUTER : ZMQ_DEALER) else {
            throw TransportError.last(operation: "create \(type) socket")
        }
        self.context = context
        self.handle = handle
        do {
            try set([.linger(.zero)])
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Closes the socket, discarding undelivered messages unless a linger was set (then releasing
    /// the context waits up to that long for them). Later calls on it fail with ENOTSOCK; closing
    /// again does nothing.
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

    /// Binds to `endpoint` and returns the endpoint actually bound, which differs when it has
    /// wildcards: `tcp://127.0.0.1:*` picks a free port and returns e.g. `tcp://127.0.0.1:40123`.
    /// An `ipc://` socket file is readable and writable by its owner alone (mode 600) from the
    /// moment it exists: connecting needs write permission, so no other user can connect to it.
    @discardableResult
    public func bind(_ endpoint: String) throws(TransportError) -> String {
        let socket = try liveHandle("bind", endpoint: endpoint)
        let isIPC = endpoint.hasPrefix("ipc://")
        // libzmq creates the file in this thread, with the process's umask; a chmod after it would
        // leave a moment in which another user could connect.
        let previousMask = isIPC ? umask(0o077) : 0
        defer { if isIPC { umask(previousMask) } }
        try retryingInterrupts("bind", endpoint: endpoint) { zmq_bind(socket, endpoint) }
        // Endpoints are bounded by host-name (255) and socket-path (108) limits.
        var buffer = [UInt8](repeating: 0, count: 1024)
        var size = buffer.count
        try retryingInterrupts("get ZMQ_LAST_ENDPOINT") { zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size) }
        let bound = String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
        if bound.hasPrefix("ipc://") { _ = chmod(String(bound.dropFirst("ipc://".count)), 0o600) }
        return bound
    }

    /// Binds `endpoint` as a person gave it (checked by `Endpoint`); for a range of ports, the first
    /// one free (one in use is skipped, any other error ends the search). Returns the endpoint bound.
    @discardableResult
    public func bind(_ endpoint: Endpoint) throws(TransportError) -> String {
        guard case let .tcp(host, .range(ports)) = endpoint.address else { return try bind(endpoint.description) }
        for port in ports {
            do throws(TransportError) {
                return try bind("tcp://\(host):\(port)")
            } catch where error.errno == EADDRINUSE {
                continue
            }
        }
        throw .noFreePort(endpoint: endpoint.description)
    }

    /// Starts connecting to `endpoint`. Returns at once: libzmq connects (and reconnects) in the
    /// background, so connecting before the peer has bound is fine.
    public func connect(_ endpoint: String) throws(TransportError) {
        let socket = try liveHandle("connect", endpoint: endpoint)
        try retryingInterrupts("connect", endpoint: endpoint) { zmq_connect(socket, endpoint) }
    }

    // MARK: Sending and receiving

    /// Sends a message whose last part is `count` bytes that `write` fills in place, in the buffer
    /// libzmq sends from, after an optional first part `prefix` (a ROUTER's peer id, copied): an
    /// encoder writes its message once, and no frame objects or arrays are made per message.
    /// Waits at most `timeout` (zero: not at all) for the message to be queued; returns false and
    /// sends nothing if it could not be. A ROUTER only waits with `routerMandatory` (for a peer
    /// whose queue is full); without it, a message it cannot queue is dropped and counts as sent.
    public func send(
        prefix: [UInt8]?, count: Int, timeout: Duration, write: (UnsafeMutableRawBufferPointer) -> Void
    ) throws(TransportError) -> Bool {
        let socket = try liveHandle("send")
        let deadline = ContinuousClock.Instant.deadline(after: timeout)
        var message = zmq_msg_t()
        // After a successful send libzmq has emptied the message; after a failed one this frees it.
        defer { zmq_msg_close(&message) }
        if let prefix {
            Self.initialize(&message, count: prefix.count) { $0.copyBytes(from: prefix) }
            // libzmq accepts or refuses a message as a whole at its first part, so that is the
            // only part whose send waits.
            let queued = try waiting(socket, ZMQ_SNDTIMEO, until: deadline, operation: "send") {
                zmq_msg_send(&message, socket, ZMQ_SNDMORE)
            }
            guard queued else { return false }
            Self.initialize(&message, count: count, write)
            // Refused only when the peer vanished mid-message: libzmq has then dropped the
            // message's first part too, and the socket is at a message boundary again.
            return try attempt("send") { zmq_msg_send(&message, socket, ZMQ_DONTWAIT) }
        }
        Self.initialize(&message, count: count, write)
        return try waiting(socket, ZMQ_SNDTIMEO, until: deadline, operation: "send") { zmq_msg_send(&message, socket, 0) }
    }

    /// Makes `message` a `count`-byte message filled by `write` in libzmq's own buffer.
    private static func initialize(
        _ message: UnsafeMutablePointer<zmq_msg_t>, count: Int, _ write: (UnsafeMutableRawBufferPointer) -> Void
    ) {
        // Only fails when malloc does; Swift treats running out of memory as fatal too.
        guard zmq_msg_init_size(message, count) == 0 else { fatalError("DLTransport: cannot allocate a \(count)-byte message") }
        write(UnsafeMutableRawBufferPointer(start: zmq_msg_data(message), count: count))
    }

    /// Receives one whole message and hands `body` its last part and the part before it (if any)
    /// in place, in libzmq's buffers, valid only inside `body`, with the number of parts: what a
    /// decoder needs, with no frame objects or arrays per message. Earlier parts of a longer
    /// message are dropped. Returns false if no message arrived within `timeout` (zero: only take
    /// one that is already waiting). (Not generic: called from other modules, a generic would run
    /// unspecialized, at a cost per message.)
    @discardableResult
    public func receive(
        timeout: Duration,
        _ body: (_ last: UnsafeRawBufferPointer, _ beforeLast: UnsafeRawBufferPointer?, _ parts: Int) -> Void
    ) throws(TransportError) -> Bool {
        let socket = try liveHandle("receive")
        // On the stack, at fixed addresses: libzmq keeps small messages inside the zmq_msg_t itself.
        return try withUnsafeTemporaryAllocation(of: zmq_msg_t.self, capacity: 2) { messages throws(TransportError) in
            let beforeLast = messages.baseAddress!, last = beforeLast + 1
            zmq_msg_init(beforeLast)
            zmq_msg_init(last)
            defer {
                zmq_msg_close(beforeLast)
                zmq_msg_close(last)
            }
            let arrived = try waiting(socket, ZMQ_RCVTIMEO, until: .deadline(after: timeout), operation: "receive") {
                zmq_msg_recv(last, socket, 0)
            }
            guard arrived else { return false }
            var parts = 1
            while zmq_msg_more(last) == 1 {
                // libzmq delivers a message whole: once its first part is here, the rest are too,
                // so these never wait.
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
    }

    /// Runs one libzmq send or receive call with the socket's timeout option set to the time left
    /// until `deadline`. Returns false when the time ran out.
    ///
    /// The wait is left to libzmq rather than done with zmq_poll because libzmq then sleeps until
    /// the pipe concerned becomes usable; polling could only spin when, say, a ROUTER is writable
    /// in general but not to this peer.
    private func waiting(
        _ socket: UnsafeMutableRawPointer, _ timeoutOption: Int32, until deadline: ContinuousClock.Instant,
        operation: String, _ call: () -> Int32
    ) throws(TransportError) -> Bool {
        try attempt(operation) {
            // Set again on each try: a retry after a signal waits only for what is left.
            let milliseconds = (deadline - .now).zmqMilliseconds
            let set = withUnsafeBytes(of: milliseconds) { zmq_setsockopt(socket, timeoutOption, $0.baseAddress, $0.count) }
            return set == -1 ? -1 : call()
        }
    }

    /// Runs a libzmq send or receive call, retrying after a signal interrupts it. Returns false
    /// when libzmq says the call would have to wait longer than it may (EAGAIN).
    private func attempt(_ operation: String, _ call: () -> Int32) throws(TransportError) -> Bool {
        while call() == -1 {
            switch zmq_errno() {
            case EINTR: continue
            case EAGAIN: return false
            case let code: throw TransportError.from(errno: code, operation: operation)
            }
        }
        return true
    }
}
