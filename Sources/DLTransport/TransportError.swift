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

    /// Every port of a range (`tcp://*:5556-5600`) was in use.
    case noFreePort(endpoint: String)

    public var description: String {
        switch self {
        case let .failed(operation, endpoint, code, reason):
            let subject = endpoint.map { "\(operation) \($0)" } ?? operation
            let advice = endpoint == nil ? nil : Self.advice(binding: operation == "bind", errno: code)
            return "\(subject) failed: \(reason)" + (advice.map { " (\($0))" } ?? "")
        case let .contextTerminated(operation):
            return "\(operation) failed: the ZeroMQ context was terminated"
        case let .noFreePort(endpoint):
            return "bind \(endpoint) failed: every port of the range is in use; widen the range or free a port"
        }
    }

    /// libzmq's error number, for a failed call.
    public var errno: Int32? {
        if case let .failed(_, _, code, _) = self { return code }
        return nil
    }

    /// What a bind's or connect's error number means for the endpoint a person gave: libzmq's own
    /// text ("Invalid argument") does not say.
    private static func advice(binding: Bool, errno code: Int32) -> String? {
        switch code {
        case EADDRINUSE: "another process listens there already: choose another port"
        case EADDRNOTAVAIL: "no interface of this machine has that address: give * or one of its addresses"
        case ENODEV: "no interface of this machine has that name or address"
        case EACCES: binding ? "not permitted: ports below 1024 need root, and an ipc path a directory this user may write" : nil
        case ENOENT: "the ipc path's directory does not exist"
        case EINVAL, EPROTONOSUPPORT: "expected tcp://HOST:PORT or ipc:///path"
        default: nil
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
