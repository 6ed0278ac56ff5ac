// Why a server socket (the coordinator's, a worker's peer socket) refused a peer, as typed values:
// the ZAP handler's verdicts and the handshake failures its HandshakeMonitor sees. The coordinator
// logs each peer at most once per interval, with a count (RefusalLog), and names them when too few
// workers registered.

public enum RefusalReason: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The handshake failed before the ZAP handler was asked.
    case handshake(HandshakeFailure)
    /// The connection closed before any handshake event: its first bytes were not ZeroMQ's.
    case notZeroMQ
    /// It held its connection without finishing the handshake, until the handshake timeout or until
    /// newer connections needed its place (PendingHandshakes).
    case stalledHandshake
    /// The ZAP handler's refusals: a CURVE client proving a key pair that is not the job's workers'.
    case anotherKey
    /// A client of another mechanism than CURVE (named as the ZAP request names it).
    case notCURVE(mechanism: String)
    /// A ZAP request of a version the handler does not speak.
    case unsupportedZAPVersion

    /// Whether the peer holds another secret, or none, rather than not speaking ZeroMQ.
    public var isAnotherSecret: Bool {
        switch self {
        case .handshake(.mechanismMismatch), .handshake(.cryptographic), .anotherKey, .notCURVE: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .handshake(.mechanismMismatch): "not encrypted (no secret, or --insecure)"
        case let .notCURVE(mechanism): "mechanism \(mechanism.isEmpty ? "none" : mechanism), not CURVE"
        case .handshake(.cryptographic): "its handshake cannot be decrypted with this job's keys (another secret)"
        case .handshake(.authenticationRefused), .anotherKey: "a CURVE key that is not this job's (another secret)"
        case let .handshake(.protocolError(code)): "a handshake that breaks the ZeroMQ protocol (error 0x\(String(code, radix: 16)))"
        case .handshake(.noDetail):
            "the connection failed before its handshake finished (not ZeroMQ, or not this job's encryption)"
        case .notZeroMQ: "it did not speak ZeroMQ (its first bytes were not a ZeroMQ greeting)"
        case .stalledHandshake: "it held a connection open without finishing its handshake"
        case .unsupportedZAPVersion: "an authentication request of an unsupported ZAP version"
        }
    }
}
