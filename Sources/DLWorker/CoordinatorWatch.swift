// What a registering worker has seen of its coordinator's address, from its socket's monitor
// (DLTransport.ConnectionMonitor): nothing listening, a name that does not resolve, no answer, a
// handshake refused, something that is not a coordinator. Every connection mistake (a wrong port, a
// wrong secret, a coordinator not started or already finished) would otherwise look the same: a
// hello into silence. WorkerSession feeds it the events and says, every few seconds, what it waits
// for and what it has seen (WorkerEvent.waitingForCoordinator), and the same when it gives up.

import DLTransport

/// Where a worker reaches its coordinator, and the secret it was given, for what it says about them.
public struct CoordinatorAddress: Sendable, Equatable {
    public var endpoint: String
    /// The secret file given (`--secret-file` or `DLTRAIN_SECRET_FILE`); nil when none was.
    public var secretFile: String?

    public init(endpoint: String, secretFile: String? = nil) {
        self.endpoint = endpoint
        self.secretFile = secretFile
    }

    /// "HOST port PORT" for TCP, the path for ipc.
    var place: String {
        guard let host = EndpointSecurity.host(ofTCP: endpoint), let colon = endpoint.lastIndex(of: ":") else {
            return endpoint.hasPrefix("ipc://") ? String(endpoint.dropFirst("ipc://".count)) : endpoint
        }
        return "\(host) port \(endpoint[endpoint.index(after: colon)...])"
    }

    var isIPC: Bool { endpoint.hasPrefix("ipc://") }

    var secret: String {
        secretFile.map { "secret file \($0), which the coordinator must read too" } ?? "no secret file given (--secret-file)"
    }
}

/// The most telling thing a worker has seen at its coordinator's address since it began to register.
public enum CoordinatorSighting: Equatable, Sendable {
    /// No attempt has ended yet.
    case nothingYet
    /// No attempt could start: the host name does not resolve.
    case nameDoesNotResolve(attempts: Int)
    /// Every attempt was refused: nothing listens there (an ipc path: no socket at it).
    case nothingListening(attempts: Int)
    /// An attempt has waited for an answer for seconds: the packets are dropped, or no host has
    /// that address.
    case noAnswer
    /// A connection is made but no ZeroMQ handshake follows: what listens there is not ZeroMQ.
    case silentListener
    /// The peer hung up during the handshake: a coordinator of another secret does, and one that
    /// holds a secret when this worker holds none may (libzmq reports the mismatch to the side that
    /// reads it first), and so does something that is not a coordinator.
    case handshakeRefused(times: Int)
    /// One side encrypts and the other does not. libzmq does not try such a connection again.
    case encryptionMismatch
    /// The coordinator's authenticator refused this worker's key. Not tried again either.
    case keyRefused
    /// The peer broke the ZeroMQ protocol: it is not a dltrain coordinator. Not tried again.
    case notACoordinator
    /// The handshake succeeded and the hello went out, but nothing answered it.
    case helloUnanswered

    /// Whether libzmq has given up the connection, so that waiting longer cannot help.
    public var isFinal: Bool {
        switch self {
        case .encryptionMismatch, .keyRefused, .notACoordinator: true
        default: false
        }
    }

    private static func times(_ count: Int) -> String { count == 1 ? "once" : "\(count) times" }

    /// What it means, for a worker at `address`, holding a secret or not.
    func explanation(at address: CoordinatorAddress, holdsSecret: Bool) -> String {
        let place = address.place
        switch self {
        case .nothingYet:
            return "no connection attempt has ended yet"
        case let .nameDoesNotResolve(attempts):
            let host = EndpointSecurity.host(ofTCP: address.endpoint) ?? address.endpoint
            return "the name \(host) does not resolve (tried \(Self.times(attempts))): check its spelling, or use the coordinator's address"
        case let .nothingListening(attempts) where address.isIPC:
            return "no socket at \(place) (tried \(Self.times(attempts))): the coordinator has not started, has already finished, "
                + "or listens at another path (its log says where: listening on ...)"
        case let .nothingListening(attempts):
            return "nothing listens at \(place) (connection refused, tried \(Self.times(attempts))): the coordinator has not "
                + "started, has already finished, or listens on another port (its log says where: listening on ...)"
        case .noAnswer:
            return "no answer from \(place): a firewall may drop the packets, or no host has that address"
        case .silentListener:
            return "something accepts connections at \(place) but does not speak ZeroMQ: is it the coordinator's port?"
        case let .handshakeRefused(times) where holdsSecret:
            return "handshake refused (\(Self.times(times))): the coordinator holds another secret (or this worker lacks it); "
                + "or what listens at \(place) is not a dltrain coordinator"
        case let .handshakeRefused(times):
            return "handshake refused (\(Self.times(times))): the coordinator holds a secret and this worker none (give it the "
                + "coordinator's secret file with --secret-file); or what listens at \(place) is not a dltrain coordinator"
        case .encryptionMismatch where holdsSecret:
            return "handshake refused: this worker holds a secret and the coordinator at \(place) none; give dlcoord the "
                + "same --secret-file, or leave it out here if the coordinator is on a network you trust"
        case .encryptionMismatch:
            return "handshake refused: the coordinator at \(place) requires the job's secret and this worker holds none; "
                + "give it the coordinator's secret file with --secret-file"
        case .keyRefused:
            return "handshake refused: the coordinator's authenticator refused this worker's key: the coordinator holds "
                + "another secret (or this worker lacks it)"
        case .notACoordinator:
            return "what listens at \(place) broke the ZeroMQ handshake: it is not a dltrain coordinator"
        case .helloUnanswered:
            return "connected to \(place), but nothing answered this worker's hello: it is not a dltrain coordinator, "
                + "or one that is finishing"
        }
    }
}

/// The connection events of one registration, reduced to what they say (`sighting`).
struct CoordinatorWatch {
    /// How long an attempt, a connection or a hello may go unanswered before it counts as seen.
    static let patience: Duration = .seconds(2)

    private var refused = 0
    private var unresolved = 0
    /// Whether an attempt could start since the last retry (no retry without one: the name did not resolve).
    private var attemptOpened = false
    private var attemptSince: ContinuousClock.Instant?
    private var connectedSince: ContinuousClock.Instant?
    private var handshakeDrops = 0
    private var helloSince: ContinuousClock.Instant?
    private var final: CoordinatorSighting?

    mutating func observe(_ event: ConnectionEvent, now: ContinuousClock.Instant) {
        switch event {
        case .attemptStarted:
            attemptOpened = true
            attemptSince = now
        case .attemptClosed:
            attemptOpened = true
            attemptSince = nil
            refused += 1
        case .retryScheduled:
            if !attemptOpened { unresolved += 1 }
            attemptOpened = false
        case .connected:
            attemptOpened = true
            attemptSince = nil
            connectedSince = now
        case .handshakeSucceeded:
            connectedSince = nil
            helloSince = now
        case let .handshakeFailed(failure):
            connectedSince = nil
            switch failure {
            case .mechanismMismatch: final = .encryptionMismatch
            case .authenticationRefused: final = .keyRefused
            case .protocolError: final = .notACoordinator
            case .cryptographic, .noDetail: handshakeDrops += 1
            }
        case .disconnected:
            connectedSince = nil
        }
    }

    /// The most telling thing seen: the furthest a connection got.
    func sighting(now: ContinuousClock.Instant) -> CoordinatorSighting {
        if let final { return final }
        if let helloSince, now - helloSince >= Self.patience { return .helloUnanswered }
        if handshakeDrops > 0 { return .handshakeRefused(times: handshakeDrops) }
        if let connectedSince, now - connectedSince >= Self.patience { return .silentListener }
        if let attemptSince, now - attemptSince >= Self.patience { return .noAnswer }
        if refused > 0 { return .nothingListening(attempts: refused) }
        if unresolved > 0 { return .nameDoesNotResolve(attempts: unresolved) }
        return .nothingYet
    }
}
