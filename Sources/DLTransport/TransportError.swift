// TransportError.swift
// The one error type DLTransport throws. Every libzmq failure is turned into a case that names
// what was being done (and the endpoint, for bind/connect) so a log line is actionable on its
// own, e.g. "bind tcp://*:5555 failed: Address already in use". Also home to the EINTR retry
// every plain libzmq call goes through, since that is where an errno is either swallowed or
// becomes one of these errors.

import CZeroMQ

public enum TransportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A libzmq call failed. `operation` is what was attempted ("bind", "send", "set ZMQ_LINGER",
    /// ...), `endpoint` is set for bind/connect, `errno` is libzmq's error number (compare with
    /// the C library's constants such as `EHOSTUNREACH` or `EADDRINUSE`) and `reason` is
    /// `zmq_strerror(errno)`.
    case failed(operation: String, endpoint: String?, errno: Int32, reason: String)

    /// The socket's context was shut down (libzmq's ETERM). The only sensible reaction is to close
    /// the socket and let its thread finish.
    case contextTerminated(operation: String)

    public var description: String {
        switch self {
        case let .failed(operation, endpoint, _, reason):
            let subject = endpoint.map { "\(operation) \($0)" } ?? operation
            return "\(subject) failed: \(reason)"
        case let .contextTerminated(operation):
            return "\(operation) failed: the ZeroMQ context was terminated"
        }
    }

    /// The error for `errno`, mapping ETERM to its own case because callers must treat a
    /// terminated context as shutdown rather than as a fault.
    static func from(errno code: Int32, operation: String, endpoint: String? = nil) -> TransportError {
        if code == ETERM { return .contextTerminated(operation: operation) }
        return .failed(
            operation: operation, endpoint: endpoint, errno: code,
            reason: String(cString: zmq_strerror(code)))
    }

    /// The error libzmq recorded for the call that just failed on this thread.
    static func last(operation: String, endpoint: String? = nil) -> TransportError {
        from(errno: zmq_errno(), operation: operation, endpoint: endpoint)
    }
}

/// Runs a libzmq call that returns -1 on failure, repeating it when a signal interrupted it (EINTR)
/// so callers never see spurious interruptions.
func retryingInterrupts(
    _ operation: String, endpoint: String? = nil, _ call: () -> Int32
) throws(TransportError) {
    while call() == -1 {
        let code = zmq_errno()
        if code != EINTR { throw TransportError.from(errno: code, operation: operation, endpoint: endpoint) }
    }
}
