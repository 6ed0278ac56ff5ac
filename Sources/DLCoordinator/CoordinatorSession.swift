// The coordinator's side of the protocol as a state machine without I/O: given the messages that
// arrive (with their sender) and the time, it hands the messages to send to `send` and reports what
// happens as typed events. Coordinator drives it over a ZeroMQ ROUTER socket; tests drive it
// directly, on a clock they control.
//
//   gathering --N hellos--> loading --every shard loaded--> training <--> validating --> done
//
// Each step it sends every worker the parameters and the list of shards it owns, collects one
// gradient sum per shard (RoundCollector), and advances the run's TrainingProgress with them: the
// same arithmetic as the single-process trainer, so the weights are the same bit for bit.
//
// Failures are recovered without changing that result. A worker that is silent for the worker
// timeout, fails, or whose process exits is lost: its shards go to the remaining workers (the rows
// are sent again) and whatever the interrupted round still lacks is computed there. A worker that
// registers during the run is admitted at the next step boundary and, with rebalancing, takes over
// shards from the busiest workers once it has their rows (ShardOwnership holds those rules). With
// fewer than `minWorkers` workers the run pauses and waits up to the rejoin timeout; a run that
// cannot go on ends with a checkpoint and one message naming the cause. Every wait is bounded.
//
// This file holds the state, what arrives and time passing, and the run's end; the rest are
// extensions: the step loop (+Steps), --audit (+Audit), results that are missing, malformed or not
// finite (+Faults), workers coming and going (+Membership), the rows streamed to them (+Rows), and
// peers refused or saying goodbye (+Peers).

import DLCore
import DLData
import DLProtocol
import DLTraining

public final class CoordinatorSession {
    public typealias PeerID = [UInt8]

    /// Plain values only: the phase is read for every message, and a payload to retain would make
    /// each read cost more than the check.
    enum Phase: Equatable {
        case gathering(since: ContinuousClock.Instant)
        case loading
        case training
        case validating
    }

    public let job: TrainingJob
    public let workerCount: Int
    public let jobId: UInt64
    public let timeouts: Timeouts
    public let policy: Policy
    public internal(set) var progress: TrainingProgress
    /// How the run ended; nil while it goes on.
    public internal(set) var outcome: Outcome?
    let observers: [TrainingObserver]
    let checkpointer: CheckpointSink?
    let send: (PeerID, Envelope) -> Void
    let report: (CoordinatorEvent) -> Void
    var phase: Phase
    var workers = WorkerRegistry()
    var ownership: ShardOwnership
    /// The training step in progress, and the validation pass.
    var steps: StepCollector
    var validation: RoundCollector
    /// The ring plan of the step in progress (nil: none sent yet, or abandoned with a lost member).
    var plan: RingPlan? {
        didSet { planMembers = Set(plan?.members ?? []) }
    }
    /// The plan's members, to look up without building a set each step.
    private(set) var planMembers: Set<Int> = []
    var ringVersion: UInt32 = 0
    /// The ownership revision the current plan was made at (see ShardOwnership.revision).
    var planRevision = -1
    /// In a star: the last step's total, and the workers it is still to be sent to (with their next
    /// compute-step, or before an evaluate).
    var starTotal: [Float] = []
    var owedTotal: Set<Int> = []
    /// When the step in progress was sent, and whether it was already sent again for stalling.
    var stepSent: ContinuousClock.Instant?
    var stepResent = false
    /// Peers of another protocol version already sent a reject (one each is enough).
    var rejectedPeers: Set<PeerID> = []
    /// The peers refused or lost while gathering, named when too few workers register.
    var turnedAway = TurnedAway()
    /// When the coordinator last said it waits for workers.
    private var lastGatheringStatus: ContinuousClock.Instant
    /// With --audit: the coordinator's own computation of the shards drawn each step.
    let audit: StepAudit?
    /// In a ring with --audit: the step's audit, waiting for the owners' digests.
    var ringAudit: RingAudit?
    /// Workers excluded from the run (a result the audit found wrong, or none usable), by peer,
    /// with the reason.
    var excluded: [PeerID: String] = [:]
    /// Without --audit, in a star: the worker excluded for a gradient that was not finite, the
    /// shard and the round, while another worker computes the shard again.
    var nonFiniteSuspect: (round: UInt64, shard: Int, worker: WorkerRecord)?
    /// Workers told to stop that have not yet confirmed it.
    var unconfirmedStops: Set<Int> = []
    /// The passes over the data file that send shards' rows to their new owners, the one in
    /// progress first, and the workers that said ready while one ran (counted loaded once all are
    /// done: the last pass's end is where a changed file would be found).
    var feeds: [RowFeed] = []
    var readyDuringFeeds: Set<Int> = []
    /// Each training row's place in the deal, made for the first feed.
    lazy var dealtPositions: [Int32] = job.schedule.dealtPositions()
    /// When the run started waiting for workers (too few, or shards nobody can take).
    var waitingSince: ContinuousClock.Instant?
    /// A step that could not start for lack of workers.
    var stepPaused = false
    var epochStarted: ContinuousClock.Instant

    public init(
        job: TrainingJob, workerCount: Int, jobId: UInt64, timeouts: Timeouts = Timeouts(), policy: Policy = Policy(),
        progress: TrainingProgress? = nil, observers: [TrainingObserver] = [], checkpointer: CheckpointSink? = nil,
        now: ContinuousClock.Instant, send: @escaping (PeerID, Envelope) -> Void,
        events: @escaping (CoordinatorEvent) -> Void
    ) {
        precondition(workerCount > 0 && workerCount <= job.schedule.shardCount)
        self.job = job
        self.workerCount = workerCount
        self.jobId = jobId
        self.timeouts = timeouts
        self.policy = policy
        self.progress = progress ?? TrainingProgress(job: job)
        self.observers = observers
        self.checkpointer = checkpointer
        self.send = send
        report = events
        phase = .gathering(since: now)
        ownership = ShardOwnership(shardCount: job.schedule.shardCount)
        steps = StepCollector(
            shardCount: job.schedule.shardCount, parameterCount: job.model.layout.count, sumsCount: job.metrics.slotCount)
        validation = RoundCollector(shardCount: job.schedule.shardCount, sumsCount: job.metrics.slotCount)
        audit = policy.audit > 0 ? StepAudit(fraction: policy.audit, job: job) : nil
        epochStarted = now
        lastGatheringStatus = now
    }

    public var parameters: [Float] { progress.parameters }
    public var reports: [EpochReport] { progress.history }

    /// Done, and every worker that was told to stop has confirmed it (with a heartbeat), so closing
    /// the socket now loses no message. The process waits for this, for a bounded time.
    public var isSettled: Bool { outcome != nil && unconfirmedStops.isEmpty }

    /// The workers that registered, in order, lost ones included.
    public var registeredWorkers: [WorkerInfo] { workers.all.map(\.info) }

    /// Which worker computes each shard now, by worker index (nil: none yet).
    public var shardOwners: [Int?] { ownership.owners }

    /// With --audit, how many shard gradients (with their sums) the coordinator computed again.
    public var auditedGradients: Int? { audit?.checked }
    /// With --audit, how many shards' validation sums the coordinator computed again.
    public var auditedValidations: Int? { audit?.checkedValidations }

    /// Each live worker's compute time per step over the epoch so far (after a run, its last epoch).
    public var workerStepTimes: [(name: String, millisecondsPerStep: Double)] {
        workers.all.filter { $0.status == .joined }.map { ($0.info.name, $0.millisecondsPerStep) }
    }

    // MARK: What arrives, and time passing

    public func receive(_ bytes: UnsafeRawBufferPointer, from peer: PeerID, now: ContinuousClock.Instant) {
        guard outcome == nil else { return confirmStop(bytes, from: peer) }
        let envelope: Envelope
        do {
            envelope = try MessageCodec.decode(bytes)
        } catch {
            return refuse(peer, error, bytes: bytes)
        }
        if case let .hello(info) = envelope.message { return hello(info, from: peer, now: now) }
        guard let worker = workers.worker(for: peer) else {
            if refuseIfExcluded(peer) { return }
            // A goodbye whose acknowledgement was lost (the worker is already let go), or from a
            // worker this coordinator never knew: either way it may go.
            if case .failure = envelope.message { return acknowledgeGoodbye(of: peer) }
            // A dltrain worker this coordinator does not know: declared lost earlier, or working for
            // a coordinator that was restarted. It may register again.
            report(.messageDropped(from: nil, type: envelope.message.type, reason: .unregistered))
            send(peer, Envelope(jobId: jobId, round: 0, message: .stop(StopNotice(
                finished: false, reason: "this coordinator does not know this worker; register again", rejoin: true))))
            return
        }
        guard envelope.jobId == jobId else {
            return drop(envelope, from: worker, because: .wrongJob(theirs: envelope.jobId, ours: jobId))
        }
        worker.lastHeard = now
        switch (phase, envelope.message) {
        case (_, .heartbeat):
            break
        case let (_, .failure(reason)):
            lose(worker, because: "failed: \(reason)", now: now)
            acknowledgeGoodbye(of: peer)
        case (_, .ready):
            loaded(worker, now: now)
        case (_, .rowsReceived):
            worker.unacknowledgedRows = max(0, worker.unacknowledgedRows - 1)
            pumpFeeds(now: now)
        case let (.training, .stepDone(report)):
            if let reason = steps.take(report, round: envelope.round, from: worker.index) {
                return dropResult(envelope, from: worker, because: reason, now: now)
            }
            worker.epochMicroseconds += UInt64(report.computeMicroseconds)
            worker.epochSteps += 1
            if steps.isComplete { stepCompleted(now: now) }
        case let (.training, .total(chunk)):
            if let reason = steps.take(chunk, round: envelope.round, from: worker.index) {
                return dropResult(envelope, from: worker, because: reason, now: now)
            }
            if steps.isComplete { stepCompleted(now: now) }
        case let (.training, .auditDigests(digests)):
            guard ringAudit != nil else { return drop(envelope, from: worker, because: .unexpected) }
            if let reason = ringAudit!.take(digests, round: envelope.round, from: worker.index) {
                return drop(envelope, from: worker, because: reason)
            }
            if ringAudit!.isComplete { ringAuditAnswered(now: now) }
        case let (.validating, .validationSums(result)):
            if let reason = validation.take(
                result, round: envelope.round, from: worker.index, fromOwner: owns(worker, result.shard))
            {
                return dropResult(envelope, from: worker, because: reason, now: now)
            }
            if validation.isComplete { validationCompleted(now: now) }
        default:
            drop(envelope, from: worker, because: .unexpected)
        }
    }

    /// Time passing: the bounded waits, and heartbeats to idle workers.
    public func tick(now: ContinuousClock.Instant) {
        guard outcome == nil else { return }
        if case let .gathering(since) = phase {
            let names = workers.live.map(\.info.name)
            if now - since > timeouts.registration {
                return fail(
                    "only \(names.count) of \(workerCount) workers registered within \(seconds(timeouts.registration)) s"
                        + (names.isEmpty ? "" : " (\(names.joined(separator: ", ")))") + turnedAway.summary
                        + "; start more dlworker processes or lower --workers", now: now)
            }
            if now - lastGatheringStatus >= timeouts.status {
                lastGatheringStatus = now
                report(.waitingForWorkers(
                    registered: names, expected: workerCount, waited: now - since, limit: timeouts.registration,
                    turnedAway: turnedAway.peers))
            }
        }
        for worker in workers.live where now - worker.lastHeard > timeouts.worker {
            lose(worker, because: "has sent nothing for \(seconds(timeouts.worker)) s (no heartbeat either): "
                + "it stopped, hangs, or lost its connection", now: now)
        }
        for worker in workers.live where !worker.loaded {
            guard let delivered = worker.rowsDeliveredAt, now - delivered > timeouts.worker else { continue }
            lose(worker, because: "received every row it was sent"
                + (job.data.standardizes ? " and the standardization" : "")
                + " but did not say it was ready within \(seconds(timeouts.worker)) s", now: now)
        }
        if outcome != nil { return }
        if phase == .training, let sent = stepSent, now - sent > timeouts.worker {
            stepStalled(now: now)
            if outcome != nil { return }
        }
        if phase == .validating {
            validationStalled(now: now)
            if outcome != nil { return }
        }
        if let since = waitingSince, now - since > timeouts.rejoin {
            return fail(
                "\(workers.live.count) worker(s) remain, the run needs \(max(policy.minWorkers, 1)), and none joined "
                    + "within \(seconds(timeouts.rejoin)) s; resume with dlcoord --resume when workers are back", now: now)
        }
        for worker in workers.live where now - worker.lastSent >= timeouts.interval {
            emit(.heartbeat, round: 0, to: worker, now: now)
        }
    }

    /// A worker process this coordinator started has exited: the worker with that pid is lost.
    public func workerProcessExited(pid: Int32, description: String, now: ContinuousClock.Instant) {
        guard outcome == nil else { return }
        if let worker = workers.live.first(where: { $0.info.pid == pid }) {
            lose(worker, because: description, now: now)
        } else {
            turnedAway.record(.unnamed, .exitedBeforeRegistering(description))
            report(.spawnedProcessExited(description))
        }
    }

    /// Ends the run early (Ctrl-C), with a checkpoint, telling every worker.
    public func stop(reason: String, now: ContinuousClock.Instant) {
        guard outcome == nil else { return }
        fail(reason, now: now)
    }

    // MARK: Ending, refusing, sending

    /// Ends the run: a checkpoint of the last completed step (unless the state is not worth
    /// keeping), every worker told, one message with the cause.
    func fail(_ reason: String, now: ContinuousClock.Instant, checkpoint: Bool = true) {
        var message = reason
        if checkpoint, let checkpointer, !isGathering {
            do {
                let path = try checkpointer.save(progress)
                message += "; checkpoint \(path) (\(progress.position))"
            } catch {
                message += "; no checkpoint could be written: \(error)"
            }
        }
        tellEveryWorker(StopNotice(finished: false, reason: reason), now: now)
        outcome = .failed(message)
    }

    /// After the end, only the heartbeats that confirm a stop matter, and the goodbyes of workers
    /// told to stop meanwhile, which wait for an acknowledgement.
    private func confirmStop(_ bytes: UnsafeRawBufferPointer, from peer: PeerID) {
        guard let envelope = try? MessageCodec.decode(bytes) else { return }
        if case .failure = envelope.message { return acknowledgeGoodbye(of: peer) }
        if let worker = workers.worker(for: peer), envelope.jobId == jobId, envelope.message == .heartbeat {
            unconfirmedStops.remove(worker.index)
        }
    }

    func drop(_ envelope: Envelope, from worker: Worker, because reason: DropReason) {
        report(.messageDropped(from: worker.record, type: envelope.message.type, reason: reason))
    }

    func owns(_ worker: Worker, _ shard: Int) -> Bool {
        shard >= 0 && shard < ownership.shardCount && ownership.owners[shard] == worker.index
    }

    func tellEveryWorker(_ notice: StopNotice, now: ContinuousClock.Instant) {
        for worker in workers.live {
            emit(.stop(notice), round: 0, to: worker, now: now)
            unconfirmedStops.insert(worker.index)
        }
    }

    func emit(_ message: Message, round: UInt64, to worker: Worker, now: ContinuousClock.Instant) {
        send(worker.peer, Envelope(jobId: jobId, round: round, message: message))
        worker.lastSent = now
    }
}
