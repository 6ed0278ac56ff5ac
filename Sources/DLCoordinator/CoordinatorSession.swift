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
    public private(set) var progress: TrainingProgress
    /// How the run ended; nil while it goes on.
    public private(set) var outcome: Outcome?
    private let observers: [TrainingObserver]
    private let checkpointer: CheckpointSink?
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
    private var ringVersion: UInt32 = 0
    /// The ownership revision the current plan was made at (see ShardOwnership.revision).
    private var planRevision = -1
    /// In a star: the last step's total, and the workers it is still to be sent to (with their next
    /// compute-step, or before an evaluate).
    private var starTotal: [Float] = []
    private var owedTotal: Set<Int> = []
    /// When the step in progress was sent, and whether it was already sent again for stalling.
    var stepSent: ContinuousClock.Instant?
    private var stepResent = false
    /// Peers of another protocol version already sent a reject (one each is enough).
    var rejectedPeers: Set<PeerID> = []
    /// The peers refused or lost while gathering, named when too few workers register.
    var turnedAway = TurnedAway()
    /// With --audit: the coordinator's own computation of the shards drawn each step.
    private let audit: StepAudit?
    /// In a ring with --audit: the step's audit, waiting for the owners' digests.
    var ringAudit: RingAudit?
    /// Workers excluded from the run (a gradient the audit found wrong), by peer, with the reason.
    var excluded: [PeerID: String] = [:]
    /// Workers told to stop that have not yet confirmed it.
    private var unconfirmedStops: Set<Int> = []
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
    private var epochStarted: ContinuousClock.Instant

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

    /// With --audit, how many shard gradients the coordinator computed again.
    public var auditedGradients: Int? { audit?.checked }

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
                return drop(envelope, from: worker, because: reason)
            }
            worker.epochMicroseconds += UInt64(report.computeMicroseconds)
            worker.epochSteps += 1
            if steps.isComplete { stepCompleted(now: now) }
        case let (.training, .total(chunk)):
            if let reason = steps.take(chunk, round: envelope.round, from: worker.index) {
                return drop(envelope, from: worker, because: reason)
            }
            if steps.isComplete { stepCompleted(now: now) }
        case let (.training, .auditDigests(digests)):
            guard ringAudit != nil else { return drop(envelope, from: worker, because: .unexpected) }
            if let reason = ringAudit!.take(digests, round: envelope.round, from: worker.index) {
                return drop(envelope, from: worker, because: reason)
            }
            if ringAudit!.isComplete { ringAuditAnswered(now: now) }
        case let (.validating, .validationSums(result)):
            if let reason = validation.take(result, round: envelope.round, fromOwner: owns(worker, result.shard)) {
                return drop(envelope, from: worker, because: reason)
            }
            if validation.isComplete { finishEpoch(validation: job.metrics.total(of: validation.sums), now: now) }
        default:
            drop(envelope, from: worker, because: .unexpected)
        }
    }

    /// Time passing: the bounded waits, and heartbeats to idle workers.
    public func tick(now: ContinuousClock.Instant) {
        guard outcome == nil else { return }
        if case let .gathering(since) = phase, now - since > timeouts.registration {
            let names = workers.live.map(\.info.name)
            return fail(
                "only \(names.count) of \(workerCount) workers registered within \(seconds(timeouts.registration)) s"
                    + (names.isEmpty ? "" : " (\(names.joined(separator: ", ")))") + turnedAway.summary
                    + "; start more dlworker processes or lower --workers", now: now)
        }
        for worker in workers.live where now - worker.lastHeard > timeouts.worker {
            lose(worker, because: "has sent nothing for \(seconds(timeouts.worker)) s (no heartbeat either): "
                + "it stopped, hangs, or lost its connection", now: now)
        }
        if outcome != nil { return }
        if phase == .training, let sent = stepSent, now - sent > timeouts.worker {
            stepStalled(now: now)
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

    // MARK: Steps and epochs

    func startEpoch(now: ContinuousClock.Instant) {
        guard !progress.isComplete(epochs: job.settings.epochs) else { return finish(now: now) }
        epochStarted = now
        for worker in workers.all {
            worker.epochMicroseconds = 0
            worker.epochSteps = 0
        }
        for observer in observers {
            observer.epochStarted(epoch: progress.position.epoch + 1, of: job.settings.epochs, steps: job.schedule.stepsPerEpoch)
        }
        progress.epochStepsDone ? endEpochSteps(now: now) : startStep(now: now)
    }

    func startStep(now: ContinuousClock.Instant) {
        phase = .training
        rebalance(now: now)
        guard workers.live.count >= policy.minWorkers, ownership.isComplete || !ownership.incoming.isEmpty else {
            stepPaused = true
            if waitingSince == nil {
                waitingSince = now
                report(.paused(liveWorkers: workers.live.count, needed: policy.minWorkers, waiting: timeouts.rejoin))
            }
            return
        }
        stepPaused = false
        if ownership.isComplete {
            waitingSince = nil
            sendStep(round: currentRound, now: now)
        }
        // Otherwise shards are on their way to a worker; the step starts once it has loaded them.
    }

    /// The round being trained: the global step.
    var currentRound: UInt64 { UInt64(progress.position.epoch * job.schedule.stepsPerEpoch + progress.position.step) }

    /// Sends round `round` to the ring (the current round, or the next one when it goes out ahead
    /// of the coordinator's own update): the plan (when it changed), the parameters to any member
    /// whose copy is not current, then compute-step. Also how a step interrupted by a lost worker is
    /// run again under a new plan: the total is the same bits, whoever computes which shard.
    func sendStep(round: UInt64, now: ContinuousClock.Instant) {
        if plan == nil || planRevision != ownership.revision {
            let owners = ownership.owners.map { $0! }
            let endpoints = Dictionary(uniqueKeysWithValues: Set(owners).map { ($0, workers[$0].info.peerEndpoint) })
            var next = RingPlan(
                version: ringVersion, chunkSize: RingPlan.defaultChunkSize,
                star: policy.usesStar(parameterCount: job.model.layout.count), owners: owners, endpoints: endpoints)
            if plan.map({ $0.segments != next.segments || $0.peers != next.peers }) ?? true {
                ringVersion += 1
                next.version = ringVersion
                plan = next
                for member in next.members { emit(.ring(next), round: 0, to: workers[member], now: now) }
            }
            planRevision = ownership.revision
        }
        let next = plan!
        if stepSent == nil || steps.round != round { stepResent = false }
        stepSent = now
        for member in next.members { sendStateIfStale(to: workers[member], round: round, now: now) }
        steps.begin(round: round, plan: plan!)
        ringAudit = nil
        owedTotal.formIntersection(planMembers)
        for member in next.members {
            let total = owedTotal.remove(member) != nil ? starTotal : []
            emit(.computeStep(ringVersion: plan!.version, total: total), round: round, to: workers[member], now: now)
        }
    }

    /// The coordinator's parameters and optimizer state to a worker whose own copy is not those of
    /// `round` (new, or it sat out a step).
    func sendStateIfStale(to worker: Worker, round: UInt64, now: ContinuousClock.Instant) {
        guard worker.stateRound != round else { return }
        owedTotal.remove(worker.index)
        emit(.state(ReplicaState(
            optimizerIterations: progress.optimizer.iterations, parameters: progress.parameters,
            optimizerState: progress.optimizer.state)), round: round, to: worker, now: now)
        worker.stateRound = round
    }

    /// Asks the owners of `shards` to evaluate them after the epoch's last step.
    func requestValidation(of shards: [Int], now: ContinuousClock.Instant) {
        let next = currentRound
        for worker in workers.live {
            let theirs = shards.filter { ownership.owners[$0] == worker.index }
            guard !theirs.isEmpty else { continue }
            sendStateIfStale(to: worker, round: next, now: now)
            if owedTotal.remove(worker.index) != nil, let plan {
                emit(.total(GradientChunk(ringVersion: plan.version, hop: 0, chunk: 0, values: starTotal)), round: next - 1,
                    to: worker, now: now)
            }
            emit(.evaluate(shards: theirs), round: validation.round, to: worker, now: now)
        }
    }

    /// A step every member of which still talks to the coordinator, but which has not completed
    /// within the worker timeout: the ring is stuck between workers (a peer endpoint one cannot
    /// reach, a message lost). It is sent once more under a new plan; stuck again, the run stops
    /// naming the workers whose part is missing.
    private func stepStalled(now: ContinuousClock.Instant) {
        guard ownership.isComplete else { return }
        let missing = (ringAudit.map { audit in Set(audit.expected.filter { audit.reported[$0.key] == nil }.map(\.value.owner)).sorted() }
            ?? steps.missingMembers).map { workers[$0].record }
        report(.stepStalled(round: currentRound, missing: missing, retrying: !stepResent))
        guard !stepResent else {
            return fail(
                "step \(progress.position) did not complete within \(seconds(timeouts.worker)) s, twice, although every "
                    + "worker answers the coordinator; missing: "
                    + (missing.isEmpty ? "the step's total" : missing.map(\.description).joined(separator: ", "))
                    + ". The workers must reach each other's peer endpoints (dlworker --peer-bind, --advertise)", now: now)
        }
        plan = nil  // a new plan version: whatever the stuck one left behind is dropped
        sendStep(round: currentRound, now: now)
        stepResent = true
    }

    /// Every member's part of the step has arrived: it is audited (with --audit), then finished.
    private func stepCompleted(now: ContinuousClock.Instant) {
        if let audit, let plan {
            guard plan.star else { return startRingAudit(audit, now: now) }
            guard passes(audit, now: now) else { return }
        }
        finishStep(now: now)
    }

    private func finishStep(now: ContinuousClock.Instant) {
        stepSent = nil
        let step = progress.position.step
        if let plan, plan.star {
            // The members apply the step themselves, when the total reaches them with the next
            // compute-step or before an evaluate.
            steps.sumShards()
            starTotal = steps.total
            owedTotal.removeAll(keepingCapacity: true)
            owedTotal.formUnion(planMembers)
        }
        // Every member holds the total and applies it when the next compute-step arrives, so the
        // epoch's next step can go out before the coordinator applies the total to its own copy:
        // the workers compute while it updates, reports and checkpoints.
        let sentAhead = step + 1 < job.schedule.stepsPerEpoch && planStands
        if sentAhead {
            markMembersCurrent(round: currentRound + 1)
            sendStep(round: currentRound + 1, now: now)
        }
        do {
            try progress.applyStep(
                summedGradient: steps.total, shardSums: steps.sums, batchSize: job.schedule.batchSize(ofStep: step))
            for observer in observers {
                observer.stepFinished(
                    step: progress.position.step, of: job.schedule.stepsPerEpoch, runningSums: progress.epochSums,
                    metrics: job.metrics)
            }
            try checkpointer?.stepApplied(progress)
        } catch {
            return fail("\(error)", now: now, checkpoint: false)
        }
        guard !sentAhead else { return }
        markMembersCurrent(round: currentRound)
        progress.epochStepsDone ? endEpochSteps(now: now) : startStep(now: now)
    }

    /// --audit in a star: the drawn shards' gradients against the coordinator's own computation. A
    /// worker that sent a wrong one is excluded, and the step runs again without it (no copy has
    /// applied it yet); whether the step may be applied.
    private func passes(_ audit: StepAudit, now: ContinuousClock.Instant) -> Bool {
        let position = progress.position
        for shard in audit.draw() {
            let (reported, sender) = steps.gradient(ofShard: shard)
            let verdict = audit.check(
                shard: shard, epoch: position.epoch, step: position.step, parameters: progress.parameters, reported: reported)
            guard act(on: verdict, shard: shard, owner: sender, now: now) else { return false }
        }
        return true
    }

    /// --audit in a ring: asks the drawn shards' owners for their gradients' digests and computes
    /// the shards meanwhile; the step finishes when the digests are in (`ringAuditAnswered`).
    private func startRingAudit(_ audit: StepAudit, now: ContinuousClock.Instant) {
        var asked: [Int: [Int]] = [:]
        for shard in audit.draw() {
            if let owner = steps.member(owning: shard) { asked[owner, default: []].append(shard) }
        }
        guard !asked.isEmpty else { return finishStep(now: now) }
        for (owner, shards) in asked { emit(.audit(shards: shards), round: currentRound, to: workers[owner], now: now) }
        let position = progress.position
        var expected: [Int: (owner: Int, digest: [UInt8])] = [:]
        for (owner, shards) in asked {
            for shard in shards {
                expected[shard] = (owner, audit.expectedDigest(
                    shard: shard, epoch: position.epoch, step: position.step, parameters: progress.parameters))
            }
        }
        ringAudit = RingAudit(round: currentRound, expected: expected)
    }

    /// Every digest of the ring's audit has arrived: the step finishes if they all match.
    private func ringAuditAnswered(now: ContinuousClock.Instant) {
        guard let pending = ringAudit, let audit else { return }
        ringAudit = nil
        let position = progress.position
        for (shard, expected) in pending.expected.sorted(by: { $0.key < $1.key }) {
            let verdict = audit.settle(
                shard: shard, epoch: position.epoch, step: position.step, parameters: progress.parameters,
                expected: expected.digest, reported: pending.reported[shard]!)
            guard act(on: verdict, shard: shard, owner: expected.owner, now: now) else { return }
        }
        finishStep(now: now)
    }

    /// What an audit's verdict on `shard` (computed by `owner`) means for the step: whether it may
    /// go on. A worker found wrong is excluded; a coordinator that disagrees with itself stops the run.
    private func act(on verdict: StepAudit.Verdict, shard: Int, owner: Int?, now: ContinuousClock.Instant) -> Bool {
        let position = progress.position
        switch verdict {
        case .agrees:
            return true
        case .workerWrong:
            guard let owner else { return true }
            exclude(workers[owner], because: "its gradient of shard \(shard) at \(position) differs from the "
                + "coordinator's, which computed the same bits twice (--audit)", now: now)
            return false
        case .unsettled:
            fail("the coordinator computed the gradient of shard \(shard) at \(position) twice and got two "
                + "different results, neither the worker's: this machine computes unreliably", now: now)
            return false
        }
    }

    /// Whether the next step can go to the plan's members as they are: no shard moved or on its
    /// way, no newcomer to rebalance towards, enough workers.
    private var planStands: Bool {
        plan != nil && !stepPaused && planRevision == ownership.revision && ownership.isComplete
            && ownership.incoming.isEmpty && workers.live.count >= policy.minWorkers
            && !(policy.rebalance && workers.hasNewcomer)
    }

    /// The plan's members hold the parameters of `round` once they apply the total they hold; the
    /// other workers have fallen behind and are sent the state before they next compute.
    private func markMembersCurrent(round: UInt64) {
        for worker in workers.live { worker.stateRound = planMembers.contains(worker.index) ? round : nil }
    }

    /// After an epoch's last step (or on resuming a run stopped there): its validation pass, or its report.
    private func endEpochSteps(now: ContinuousClock.Instant) {
        if job.data.validationCount > 0 {
            phase = .validating
            validation.begin(round: UInt64(progress.position.epoch))
            requestValidation(of: Array(0..<job.schedule.shardCount), now: now)
        } else {
            finishEpoch(validation: nil, now: now)
        }
    }

    private func finishEpoch(validation: [Double]?, now: ContinuousClock.Instant) {
        let report = progress.finishEpoch(validationSums: validation, seconds: (now - epochStarted) / .seconds(1))
        reportSlowWorkers()
        do {
            for observer in observers { try observer.epochFinished(report, of: job.settings.epochs) }
            try checkpointer?.epochFinished(progress)
        } catch {
            return fail("\(error)", now: now, checkpoint: false)
        }
        startEpoch(now: now)
    }

    private func finish(now: ContinuousClock.Instant) {
        tellEveryWorker(StopNotice(finished: true, reason: "the job finished"), now: now)
        outcome = .finished
    }

    /// Names a worker whose compute time per step is far above the others'.
    private func reportSlowWorkers() {
        let active = workers.all.filter { $0.status == .joined }
        guard active.count > 1 else { return }
        let perStep = active.map(\.millisecondsPerStep)
        let median = perStep.sorted()[perStep.count / 2]
        for (worker, time) in zip(active, perStep) where time > 3 * median && time - median > 1 {
            report(.workerSlow(worker.record, millisecondsPerStep: time, median: median))
        }
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

    private func drop(_ envelope: Envelope, from worker: Worker, because reason: DropReason) {
        report(.messageDropped(from: worker.record, type: envelope.message.type, reason: reason))
    }

    private func owns(_ worker: Worker, _ shard: Int) -> Bool {
        shard >= 0 && shard < ownership.shardCount && ownership.owners[shard] == worker.index
    }

    private func tellEveryWorker(_ notice: StopNotice, now: ContinuousClock.Instant) {
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
