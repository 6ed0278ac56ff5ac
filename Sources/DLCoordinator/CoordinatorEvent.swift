// What happens in a distributed run that a person may want to know, as typed values: the session
// reports them, the coordinator process turns each into one log line at its level, and the tests
// assert on the values rather than on the wording.

import DLProtocol
import Logging

/// A worker as events name it: its registration index (0-based) and what it said about itself.
public struct WorkerRecord: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let info: WorkerInfo

    public init(index: Int, info: WorkerInfo) {
        self.index = index
        self.info = info
    }

    public var description: String { "worker \(index + 1) (\(info.name), \(info.host) pid \(info.pid))" }
}

/// Why a message was dropped. None of these reaches the training state.
public enum DropReason: Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not a valid message of this protocol version.
    case undecodable(ProtocolError)
    /// A valid message from a peer that is not registered (it is asked to register): routinely a
    /// worker of a coordinator that was restarted (`--resume`), or one declared lost.
    case unregistered
    /// A message for another job id.
    case wrongJob(theirs: UInt64, ours: UInt64)
    /// A result for another round than the one in progress (late, or from the future).
    case wrongRound(UInt64, expected: UInt64)
    /// A message of a ring plan that was replaced (after a worker was lost or shards moved).
    case stalePlan(UInt32, current: UInt32)
    /// A message of a plan abandoned when one of its members was lost (the step runs again).
    case abandonedPlan(UInt32)
    /// A result for a shard the sender does not own (it was moved, or never was its).
    case notItsShard(Int)
    /// A second result for a shard in the same round.
    case alreadyReceived(shard: Int)
    /// A result whose gradient or sums do not have the job's length.
    case wrongLength(shard: Int)
    /// A message that does not fit the current phase.
    case unexpected

    public var description: String {
        switch self {
        case let .undecodable(error): "\(error)"
        case .unregistered: "the sender is not registered; asked it to register"
        case let .wrongJob(theirs, ours): "\(ProtocolError.wrongJob(theirs: theirs, ours: ours))"
        case let .wrongRound(round, expected): "round \(round), expected \(expected)"
        case let .stalePlan(version, current): "ring plan \(version), the current one is \(current)"
        case let .abandonedPlan(version): "ring plan \(version) was abandoned when one of its workers was lost"
        case let .notItsShard(shard): "shard \(shard) is not this worker's"
        case let .alreadyReceived(shard): "shard \(shard) was already received"
        case let .wrongLength(shard): "the result for shard \(shard) does not have the job's length"
        case .unexpected: "not expected now"
        }
    }

    /// Whether the sender speaks nonsense or for another job, rather than a registered worker
    /// running late, which recovery makes routine, or a worker this coordinator does not know yet,
    /// which a restart makes routine (it is asked to register, and does).
    var isRefusal: Bool {
        switch self {
        case .undecodable, .wrongJob: true
        default: false
        }
    }

    /// A refusal's kind, without its particulars: repeated refusals of a kind are counted together.
    var refusalKind: String {
        if case .wrongJob = self { return "another job" }
        return "undecodable"
    }
}

public enum CoordinatorEvent: Sendable, Equatable, CustomStringConvertible {
    /// A worker registered; `expected` is the number the run waits for, nil once the run is under way.
    case workerJoined(WorkerRecord, expected: Int?)
    /// A worker is lost: silent past the worker timeout, failed, or its process exited.
    case workerLost(WorkerRecord, reason: String)
    /// A worker is taken out of the run for good (its shards move to the others, and it is refused
    /// if it registers again), and why.
    case workerExcluded(WorkerRecord, ExclusionCause)
    /// A message was dropped: its sender (nil when it is not a registered worker), its type when it
    /// could be read, and why.
    case messageDropped(from: WorkerRecord?, type: MessageType?, reason: DropReason)
    /// A peer of another protocol version was answered with a reject.
    case peerRejected(theirVersion: UInt16)
    /// Shards go to a worker: orphaned by a lost worker, or moved to a newcomer by rebalancing.
    case shardsMoved([Int], to: WorkerRecord, rebalancing: Bool)
    /// Shards that no live worker can take; the run waits for workers up to `waiting`.
    case shardsWithoutWorker([Int], waiting: Duration)
    /// Fewer live workers than the run needs: it pauses at the step boundary for up to `waiting`.
    case paused(liveWorkers: Int, needed: Int, waiting: Duration)
    /// A step has not completed within the worker timeout although its members answer: the workers
    /// whose step-done is missing, and whether it is sent once more.
    case stepStalled(round: UInt64, missing: [WorkerRecord], retrying: Bool)
    /// A worker asked to evaluate its shards after an epoch (1-based) has not sent them within the
    /// worker timeout although it answers: it is asked once more.
    case validationStalled(epoch: Int, worker: WorkerRecord)
    /// A worker's compute time per step is far above the median worker's (milliseconds).
    case workerSlow(WorkerRecord, millisecondsPerStep: Double, median: Double)
    /// A worker process this coordinator started exited before it registered.
    case spawnedProcessExited(String)
    /// Still gathering: the workers registered so far (of `expected`), how long it has waited of
    /// how long, and the peers it turned away meanwhile.
    case waitingForWorkers(registered: [String], expected: Int, waited: Duration, limit: Duration, turnedAway: [TurnedAwayPeer])

    /// Routine progress is info; what a person may have to act on is a warning.
    public var level: Logger.Level {
        switch self {
        case .workerJoined: .info
        case .shardsMoved, .workerSlow, .waitingForWorkers: .notice
        case let .messageDropped(_, _, reason): reason.isRefusal ? .warning : .notice
        case .workerLost, .workerExcluded, .peerRejected, .shardsWithoutWorker, .paused, .spawnedProcessExited, .stepStalled,
            .validationStalled:
            .warning
        }
    }

    public var description: String {
        switch self {
        case let .workerJoined(worker, expected):
            let about = "\(worker.info.name) (\(worker.info.host) pid \(worker.info.pid), dltrain \(worker.info.version))"
            return expected.map { "worker \(worker.index + 1)/\($0) joined: \(about)" }
                ?? "worker \(worker.index + 1) joined during the run: \(about)"
        case let .workerLost(worker, reason):
            return "\(worker) is lost: \(reason)"
        case let .workerExcluded(worker, cause):
            return "\(worker) is excluded from the run: \(cause)"
        case let .messageDropped(worker, type, reason):
            let what = type.map { "a \($0) message" } ?? "a message"
            return "dropped \(what) from \(worker.map(\.description) ?? "an unregistered peer"): \(reason)"
        case let .peerRejected(version):
            return "refused a worker that speaks protocol version \(version) (this coordinator speaks \(MessageCodec.version))"
        case let .shardsMoved(shards, worker, rebalancing):
            return (rebalancing ? "rebalancing: shard(s) \(list(shards)) move to " : "shard(s) \(list(shards)) go to ")
                + worker.description
        case let .shardsWithoutWorker(shards, waiting):
            return "no worker left for shard(s) \(list(shards)); waiting up to \(seconds(waiting)) s for workers to join"
        case let .paused(live, needed, waiting):
            return "\(live) worker(s) remain and the run needs \(needed): pausing, waiting up to \(seconds(waiting)) s "
                + "for workers to join"
        case let .stepStalled(round, missing, retrying):
            return "step \(round) has not completed; missing the part of "
                + (missing.isEmpty ? "no worker (the total has not arrived)" : missing.map(\.description).joined(separator: ", "))
                + (retrying ? "; sending it again under a new plan" : "")
        case let .validationStalled(epoch, worker):
            return "the validation after epoch \(epoch) has not completed; missing the part of \(worker); asking it again"
        case let .workerSlow(worker, perStep, median):
            return "\(worker) is slow: \(rounded(perStep)) ms of compute per step, the median worker \(rounded(median)) ms"
        case let .spawnedProcessExited(description):
            return "a worker process exited before it registered: \(description)"
        case let .waitingForWorkers(registered, expected, waited, limit, turnedAway):
            return "waiting for \(expected - registered.count) more worker(s) (\(seconds(waited)) s of \(seconds(limit))): "
                + (registered.isEmpty ? "none registered yet" : "\(registered.count) of \(expected) registered (\(registered.joined(separator: ", ")))")
                + TurnedAway.summary(of: turnedAway)
        }
    }
}

private func list(_ shards: [Int]) -> String { shards.map(String.init).joined(separator: ",") }

/// Whole seconds, as the command line options give them.
func seconds(_ duration: Duration) -> Int { Int(duration / .seconds(1)) }

private func rounded(_ milliseconds: Double) -> Double { (milliseconds * 100).rounded() / 100 }
