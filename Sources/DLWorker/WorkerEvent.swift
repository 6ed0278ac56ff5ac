// What happens to a worker that a person may want to know, as typed values (as CoordinatorEvent is
// for the coordinator): WorkerSession reports them, WorkerProcess logs each at its level, and the
// tests assert on the values rather than on the wording.

import DLCore
import DLProtocol
import Logging

/// A registering worker's wait: where, how long of how long, and what it has seen there.
public struct CoordinatorWait: Equatable, Sendable, CustomStringConvertible {
    public let address: CoordinatorAddress
    /// Whether this worker holds a secret (its connection is encrypted).
    public let holdsSecret: Bool
    public let waited: Duration
    public let limit: Duration
    public let sighting: CoordinatorSighting

    public var description: String {
        "waiting for the coordinator at \(address.endpoint) (\(Int(waited / .seconds(1))) s of "
            + "\(WorkerSession.seconds(limit))): \(sighting.explanation(at: address, holdsSecret: holdsSecret))"
    }

    /// Why the worker gave up, naming the address, the port and the secret file.
    public var failure: String {
        let what = sighting.explanation(at: address, holdsSecret: holdsSecret)
        let head = sighting.isFinal
            ? "cannot join the coordinator at \(address.endpoint) (\(address.place))"
            : "no coordinator answered at \(address.endpoint) (\(address.place)) within \(Int(waited / .seconds(1))) s"
        return "\(head): \(what); \(address.secret)"
    }
}

/// How a worker told to stop took its leave of the coordinator.
public enum Goodbye: Equatable, Sendable {
    /// The coordinator acknowledged it: it has already moved this worker's shards.
    case acknowledged
    /// No acknowledgement came within the wait, though the goodbye was sent again: the coordinator
    /// notices the worker is gone after its --worker-timeout.
    case unacknowledged(waited: Duration)
    /// No coordinator to tell: none had answered it yet.
    case noJob
}

public enum WorkerEvent: Equatable, Sendable, CustomStringConvertible {
    /// Still registering: what it waits for and what it has seen; every few seconds, and at once when
    /// a handshake is refused.
    case waitingForCoordinator(CoordinatorWait)
    /// The coordinator of its job fell silent for the coordinator timeout; it registers again.
    case coordinatorLost(silentFor: Duration, registeringFor: Duration)
    /// The coordinator does not know this worker (it restarted, or declared it lost): it registers again.
    case askedToRegisterAgain(reason: String)

    /// A refused handshake needs a person (the secrets differ); a wait, or a restarted
    /// coordinator's request, is routine; a lost coordinator may need one.
    public var level: Logger.Level {
        switch self {
        case let .waitingForCoordinator(wait):
            switch wait.sighting {
            case .handshakeRefused, .encryptionMismatch, .keyRefused, .notACoordinator: .warning
            default: .notice
            }
        case .coordinatorLost: .warning
        case .askedToRegisterAgain: .notice
        }
    }

    public var description: String {
        switch self {
        case let .waitingForCoordinator(wait):
            "\(wait)"
        case let .coordinatorLost(silence, registering):
            "lost the coordinator: no message for \(WorkerSession.seconds(silence)) s; registering again for up to "
                + "\(WorkerSession.seconds(registering)) s"
        case let .askedToRegisterAgain(reason):
            "the coordinator asks this worker to register again: \(reason)"
        }
    }
}

/// Why a worker refused the job its coordinator described (the welcome), and which coordinator:
/// a welcome that describes no job that could be trained (whatever listens at the address, or a
/// dltrain of another build), a job too large for this worker, or a model it cannot build.
public struct JobRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Cause: Equatable, Sendable {
        /// The welcome is not a valid one: MessageCodec's reason.
        case invalid(ProtocolError)
        /// This worker cannot hold the job (MemoryBudget).
        case tooLarge(MemoryShortage)
        /// The model, loss, metrics or optimizer cannot be built: the reason.
        case cannotBuild(String)
    }

    public let coordinator: CoordinatorAddress
    public let cause: Cause

    public var description: String {
        let sender = "the coordinator at \(coordinator.endpoint) (\(coordinator.place))"
        switch cause {
        case let .invalid(error):
            return "\(sender) sent a job description this worker refuses: \(error); check that a dlcoord of this "
                + "version (\(DLTrainVersion.current)) listens there (--connect), and nothing else"
        case let .tooLarge(shortage):
            return "cannot take part in the job of \(sender): \(shortage)"
        case let .cannotBuild(reason):
            return "cannot build the model \(sender) described: \(reason); check that it runs this version "
                + "(\(DLTrainVersion.current))"
        }
    }
}
