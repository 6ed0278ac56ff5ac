// ZMQContext.swift
// Owns a libzmq context: the I/O thread(s) and bookkeeping every socket lives in. Sockets keep
// their context alive, so the context is only terminated after the last socket is closed;
// releasing it then waits only for the messages a socket's linger (zero unless set) lets it
// still deliver.

import CZeroMQ

/// A libzmq context. Contexts are thread-safe in libzmq, hence `Sendable`: share one per process
/// and create each thread's sockets from it.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() throws(TransportError) {
        guard let handle = zmq_ctx_new() else { throw TransportError.last(operation: "create context") }
        self.handle = handle
    }

    /// Makes every blocking call on this context's sockets, in any thread, return at once with
    /// `TransportError.contextTerminated`, and every later call fail the same way: the one
    /// thread-safe way to stop a thread waiting in `receive` before its timeout. It should then
    /// close its socket and exit.
    public func shutdown() {
        // zmq_ctx_shutdown only fails for an invalid context, which `handle` never is.
        _ = zmq_ctx_shutdown(handle)
    }

    deinit {
        // Every socket holds a reference to its context, so none is open here and zmq_ctx_term
        // returns once the closed sockets' lingers allow; a signal may still interrupt it.
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
    }
}
