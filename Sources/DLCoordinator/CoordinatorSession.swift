// The coordinator's side of the protocol as a state machine without I/O: given the messages that
// arrive (with their sender) and the time, it hands the messages to send to `send`. Coordinator
// drives it over a ZeroMQ ROUTER socket; tests drive it directly.
//
//   gathering --N hellos--> loading --all shards loaded--> training <--> validating --> done
//
// Each step it sends every worker the parameters and the list of shards it owns, waits for one
// gradient sum per shard, and advances the run's TrainingProgress with them: the same arithmetic as
// the single-process trainer, so the weights are the same bit for bit.
//
// Failures are recovered without changing that result. A worker that is silent for the worker
// timeout, fails, or whose process exits is lost: its shards go to the remaining workers (the rows
// are sent again) and whatever the interrupted step still lacks is computed there. A worker that
// registers during the run is admitted at the next step boundary and, with rebalancing, takes over
// shards from the busiest workers once it has their rows. With fewer than `minWorkers` workers the
// run pauses and waits up to the rejoin timeout; a run that cannot go on ends with a checkpoint and
// one message naming the cause. Every wait is bounded.

import DLCore
import DLData
import DLProtocol
import DLTraining

public final class CoordinatorSession {
    public typealias PeerID = [UInt8]

    public struct Timeouts: Sendable {
        /// How long to wait for the workers to register.
        public var registration: Duration
        /// Silence from a worker after which it counts as lost.
        public var worker: Duration
        /// How often to send a heartbeat to a worker that has been sent nothing else.
        public var interval: Duration
        /// How long to wait for workers to join when too few remain.
        public var rejoin: Duration

        public init(
            registration: Duration = .seconds(60), worker: Duration = .seconds(15), interval: Duration = .seconds(1),
            rejoin: Duration = .seconds(60)
        ) {
            self.registration = registration
            self.worker = worker
            self.interval = interval
            self.rejoin = rejoin
        }
    }

    public struct Policy: Sendable {
        /// Below this many workers the run pauses (and waits for more, up to the rejoin timeout).
        public var minWorkers: Int
        /// Whether a worker that joins during the run takes over shards from the others.
        public var rebalance: Bool

        public init(minWorkers: Int = 1, rebalance: Bool = true) {
            self.minWorkers = minWorkers
            self.rebalance = rebalance
        }
    }

    public enum Outcome: Equatable, Sendable {
        case finished
        case failed(String)
    }

    /// A class, not a struct: its fields are read for every message and every tick, and reading
    /// one field of a struct in an array held by a class copies the whole struct.
    final class Worker {
        enum Status { case registered, joined, lost }

        let peer: PeerID
        let info: WorkerInfo
        let index: Int
        var status = Status.registered
        /// Whether all the rows it was sent have arrived (it said ready since the last assignment).
        var loaded = false
        var lastHeard: ContinuousClock.Instant
        var lastSent: ContinuousClock.Instant
        /// Compute time reported for this epoch's shard gradients.
        var epochMicroseconds: UInt64 = 0

        init(peer: PeerID, info: WorkerInfo, index: Int, lastHeard: ContinuousClock.Instant, lastSent: ContinuousClock.Instant) {
            self.peer = peer
            self.info = info
            self.index = index
            self.lastHeard = lastHeard
            self.lastSent = lastSent
        }

        var label: String { "worker \(index + 1) (\(info.name), \(info.host) pid \(info.pid))" }
    }

    /// Where the run is until it has an outcome. Plain values only: the phase is read for every
    /// message, and a payload to retain would make each read cost more than the check.
    private enum Phase {
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
    private let epochs: Int
    private let observers: [TrainingObserver]
    private let checkpointer: CheckpointSink?
    private let send: (PeerID, Envelope) -> Void
    private let log: (String) -> Void
    private var phase: Phase
    private var workers: [Worker] = []  // in registration order; lost ones stay
    private var workerByPeer: [PeerID: Int] = [:]
    private var refusedPeers: Set<PeerID> = []
    /// Workers told to stop that have not yet confirmed it.
    private var unconfirmedStops: Set<Int> = []

    /// The worker that computes each shard now (nil while it has none).
    private var owner: [Int?] {
        didSet { shardsByOwner = Dictionary(grouping: owner.indices.filter { owner[$0] != nil }) { owner[$0]! } }
    }
    /// Each worker's shards in increasing order, kept with `owner` because every step asks for them
    /// and ownership changes only when workers come and go.
    private var shardsByOwner: [Int: [Int]] = [:]
    /// Shards on their way to a worker (rows sent, not yet confirmed by its ready).
    private var incoming: [Int: Int] = [:]
    /// When the run started waiting for workers (too few, or shards nobody can take).
    private var waitingSince: ContinuousClock.Instant?
    /// A step that could not start for lack of workers.
    private var stepPaused = false

    // The round in progress (a step, or a validation pass): one slot per shard.
    private var received: [Bool]
    private var shardGradients: [[Float]]
    private var shardSums: [[Double]]
    private var epochStarted: ContinuousClock.Instant

    public init(
        job: TrainingJob, workerCount: Int, jobId: UInt64, timeouts: Timeouts = Timeouts(), policy: Policy = Policy(),
        progress: TrainingProgress? = nil, observers: [TrainingObserver] = [], checkpointer: CheckpointSink? = nil,
        now: ContinuousClock.Instant, send: @escaping (PeerID, Envelope) -> Void, log: @escaping (String) -> Void
    ) {
        precondition(workerCount > 0 && workerCount <= job.schedule.shardCount)
        self.job = job
        self.workerCount = workerCount
        self.jobId = jobId
        self.timeouts = timeouts
        self.policy = policy
        self.progress = progress ?? TrainingProgress(job: job)
        epochs = job.settings.epochs
        self.observers = observers
        self.checkpointer = checkpointer
        self.send = send
        self.log = log
        phase = .gathering(since: now)
        let shards = job.schedule.shardCount
        owner = [Int?](repeating: nil, count: shards)
        received = [Bool](repeating: false, count: shards)
        shardGradients = Array(repeating: [Float](repeating: 0, count: job.model.layout.count), count: shards)
        shardSums = Array(repeating: job.metrics.makeSums(), count: shards)
        epochStarted = now
    }

    /// How the run ended; nil while it goes on.
    public private(set) var outcome: Outcome?

    public var parameters: [Float] { progress.parameters }
    public var reports: [EpochReport] { progress.history }

    /// Done, and every worker that was told to stop has confirmed it (with a heartbeat), so closing
    /// the socket now loses no message. The process waits for this, for a bounded time.
    public var isSettled: Bool { outcome != nil && unconfirmedStops.isEmpty }

    /// The workers that registered, in order, lost ones included.
    public var registeredWorkers: [WorkerInfo] { workers.map(\.info) }

    /// Which worker computes each shard now, by worker index (nil: none yet).
    public var shardOwners: [Int?] { owner }

    /// The per-worker compute time of the last epoch, for the log.
    public var workerStepTimes: [(name: String, millisecondsPerStep: Double)] {
        workers.filter { $0.status == .joined }
            .map { ($0.info.name, Double($0.epochMicroseconds) / Double(job.schedule.stepsPerEpoch) / 1000) }
    }

    // MARK: Events

    public func receive(_ bytes: UnsafeRawBufferPointer, from peer: PeerID, now: ContinuousClock.Instant) {
        if outcome != nil {
            if let index = workerByPeer[peer], let envelope = try? MessageCodec.decode(bytes),
                envelope.jobId == jobId, envelope.message == .heartbeat
            {
                unconfirmedStops.remove(index)
            }
            return
        }
        let envelope: Envelope
        do {
            envelope = try MessageCodec.decode(bytes)
        } catch {
            refuse(peer, error)
            return
        }
        if case let .hello(info) = envelope.message {
            hello(info, from: peer, now: now)
            return
        }
        guard let index = workerByPeer[peer] else {
            // A dltrain worker this coordinator does not know: declared lost earlier, or working for
            // a coordinator that was restarted. It may register again.
            log("dropped a \(envelope.message.type) message from an unregistered peer; asked it to register")
            send(peer, Envelope(jobId: jobId, round: 0, message: .stop(StopNotice(
                finished: false, reason: "this coordinator does not know this worker; register again", rejoin: true))))
            return
        }
        guard envelope.jobId == jobId else {
            log("dropped a \(envelope.message.type) message from \(workers[index].label): "
                + "\(ProtocolError.wrongJob(theirs: envelope.jobId, ours: jobId))")
            return
        }
        workers[index].lastHeard = now
        switch (phase, envelope.message) {
        case (_, .heartbeat):
            break
        case let (_, .failure(reason)):
            lose(index, because: "failed: \(reason)", now: now)
        case (_, .ready):
            workerLoaded(index, now: now)
        case let (.training, .shardGradient(result)):
            let round = UInt64(progress.position.epoch * job.schedule.stepsPerEpoch + progress.position.step)
            guard accept(result.shard, round: envelope.round, expected: round, from: index, kind: "shard-gradient"),
                result.gradient.count == progress.parameters.count, result.sums.count == job.metrics.slotCount
            else { return }
            shardGradients[result.shard] = result.gradient
            shardSums[result.shard] = result.sums
            received[result.shard] = true
            workers[index].epochMicroseconds += UInt64(result.computeMicroseconds)
            if received.allSatisfy({ $0 }) { finishStep(now: now) }
        case let (.validating, .validationSums(result)):
            guard accept(result.shard, round: envelope.round, expected: UInt64(progress.position.epoch), from: index,
                    kind: "validation-sums"),
                result.sums.count == job.metrics.slotCount
            else { return }
            shardSums[result.shard] = result.sums
            received[result.shard] = true
            if received.allSatisfy({ $0 }) { finishEpoch(validation: job.metrics.total(of: shardSums), now: now) }
        default:
            log("dropped a \(envelope.message.type) message from \(workers[index].label): not expected now")
        }
    }

    /// Time passing: the bounded waits, and heartbeats to idle workers.
    public func tick(now: ContinuousClock.Instant) {
        guard outcome == nil else { return }
        switch phase {
        case let .gathering(since):
            if now - since > timeouts.registration {
                let names = workers.filter { $0.status != .lost }.map(\.info.name)
                fail("only \(names.count) of \(workerCount) workers registered within "
                    + "\(Int(timeouts.registration / .seconds(1))) s" + (names.isEmpty ? "" : " (\(names.joined(separator: ", ")))")
                    + "; start more dlworker processes or lower --workers", now: now)
                return
            }
        default:
            break
        }
        for index in workers.indices where workers[index].status != .lost && now - workers[index].lastHeard > timeouts.worker {
            lose(index, because: "has sent nothing for \(Int(timeouts.worker / .seconds(1))) s (no heartbeat either): "
                + "it stopped, hangs, or lost its connection", now: now)
        }
        if outcome != nil { return }
        if let since = waitingSince, now - since > timeouts.rejoin {
            fail("\(liveWorkers.count) worker(s) remain, the run needs \(max(policy.minWorkers, 1)), and none joined "
                + "within \(Int(timeouts.rejoin / .seconds(1))) s; resume with dlcoord --resume when workers are back", now: now)
            return
        }
        for index in workers.indices where workers[index].status != .lost && now - workers[index].lastSent >= timeouts.interval {
            emit(.heartbeat, round: 0, to: index, now: now)
        }
    }

    /// A worker process this coordinator started has exited: the worker with that pid is lost.
    public func workerProcessExited(pid: Int32, description: String, now: ContinuousClock.Instant) {
        guard outcome == nil else { return }
        if let index = workers.firstIndex(where: { $0.info.pid == pid && $0.status != .lost }) {
            lose(index, because: description, now: now)
        } else {
            log(description)
        }
    }

    /// Ends the run early (Ctrl-C), with a checkpoint, telling every worker.
    public func stop(reason: String, now: ContinuousClock.Instant) {
        guard outcome == nil else { return }
        fail(reason, now: now)
    }

    // MARK: Workers joining, loading and leaving

    private var liveWorkers: [Int] { workers.indices.filter { workers[$0].status != .lost } }

    private func hello(_ info: WorkerInfo, from peer: PeerID, now: ContinuousClock.Instant) {
        if let index = workerByPeer[peer] {
            workers[index].lastHeard = now  // a repeated hello from a worker still waiting for its welcome
            return
        }
        let index = workers.count
        workers.append(Worker(peer: peer, info: info, index: index, lastHeard: now, lastSent: now))
        workerByPeer[peer] = index
        let description = "\(info.name) (\(info.host) pid \(info.pid), dltrain \(info.version))"
        if case .gathering = phase {
            log("worker \(index + 1)/\(workerCount) joined: \(description)")
            if workers.count == workerCount { assignInitialShards(now: now) }
            return
        }
        log("worker \(index + 1) joined during the run: \(description)")
        if assignOrphans(now: now) { return }
        if stepPaused, liveWorkers.count >= policy.minWorkers { startStep(now: now) }
    }

    /// Deals shard s to worker s mod N and sends each worker its job and its shards' rows.
    private func assignInitialShards(now: ContinuousClock.Instant) {
        for shard in owner.indices { incoming[shard] = shard % workerCount }
        phase = .loading
        for index in workers.indices { give(incomingShards(of: index), to: index, now: now) }
    }

    /// Sends shards to a worker: its welcome (first time) or an assign, then their rows.
    private func give(_ shards: [Int], to index: Int, now: ContinuousClock.Instant) {
        if workers[index].status == .registered {
            workers[index].status = .joined
            emit(.welcome(WorkerJob(
                workerIndex: index, model: job.model, loss: job.loss.rawValue, metrics: job.metricNames,
                trainingRows: job.data.training.count, shardCount: job.schedule.shardCount, batchSize: job.settings.batchSize,
                seed: job.settings.seed, featureCount: job.data.training.featureCount,
                targetWidth: job.data.training.targetWidth, shards: shards)), round: 0, to: index, now: now)
        } else {
            emit(.assign(shards: shards), round: 0, to: index, now: now)
        }
        workers[index].loaded = false
        for shard in shards { emit(.shardRows(rows(of: shard)), round: 0, to: index, now: now) }
    }

    private func rows(of shard: Int) -> ShardRows {
        let training = job.data.training.select(job.schedule.shardRows[shard])
        let validation = job.data.validation.map {
            $0.slice(ShardSchedule.validationRange(shard: shard, shardCount: job.schedule.shardCount, rowCount: $0.count))
        }
        return ShardRows(
            shard: shard, featureCount: training.featureCount, targetWidth: training.targetWidth,
            trainingFeatures: training.features, trainingTargets: training.targets,
            validationFeatures: validation?.features ?? [], validationTargets: validation?.targets ?? [])
    }

    private func incomingShards(of index: Int) -> [Int] {
        incoming.filter { $0.value == index }.map(\.key).sorted()
    }

    private func ownedShards(of index: Int) -> [Int] {
        shardsByOwner[index] ?? []
    }

    /// A worker has all the rows it was sent: shards nobody computes become its own at once (and
    /// what the current round still lacks from them is asked for); shards it takes over from a
    /// busy worker change hands at the next step boundary.
    private func workerLoaded(_ index: Int, now: ContinuousClock.Instant) {
        workers[index].loaded = true
        var adopted: [Int] = []
        for shard in incomingShards(of: index) where owner[shard] == nil {
            owner[shard] = index
            incoming[shard] = nil
            adopted.append(shard)
        }
        if owner.allSatisfy({ $0 != nil }) { waitingSince = nil }
        switch phase {
        case .loading:
            if owner.allSatisfy({ $0 != nil }) { startEpoch(now: now) }
        case .training where !stepPaused:
            request(.computeStep, shards: adopted.filter { !received[$0] }, from: index, now: now)
        case .validating:
            request(.evaluate, shards: adopted.filter { !received[$0] }, from: index, now: now)
        default:
            break
        }
    }

    /// Declares a worker lost and moves its shards to the others.
    private func lose(_ index: Int, because reason: String, now: ContinuousClock.Instant) {
        guard workers[index].status != .lost else { return }
        workers[index].status = .lost
        workerByPeer[workers[index].peer] = nil
        let orphans = ownedShards(of: index) + incomingShards(of: index)
        for shard in orphans {
            if owner[shard] == index { owner[shard] = nil }
            if incoming[shard] == index { incoming[shard] = nil }
        }
        log("\(workers[index].label) is lost: \(reason)")
        if case .gathering = phase { return }
        assignOrphans(now: now)
    }

    /// Gives shards that no worker computes or loads to the least loaded live workers. Returns
    /// whether any shard was given. With none to give them to, the run waits for workers.
    @discardableResult
    private func assignOrphans(now: ContinuousClock.Instant) -> Bool {
        let orphans = owner.indices.filter { owner[$0] == nil && incoming[$0] == nil }
        guard !orphans.isEmpty else { return false }
        let candidates = liveWorkers
        guard !candidates.isEmpty else {
            if waitingSince == nil {
                waitingSince = now
                log("no worker left for shard(s) \(orphans.map(String.init).joined(separator: ",")); "
                    + "waiting up to \(Int(timeouts.rejoin / .seconds(1))) s for workers to join")
            }
            return false
        }
        var load = Dictionary(uniqueKeysWithValues: candidates.map { ($0, ownedShards(of: $0).count + incomingShards(of: $0).count) })
        var given: [Int: [Int]] = [:]
        for shard in orphans {
            let target = candidates.min { (load[$0]!, $0) < (load[$1]!, $1) }!
            incoming[shard] = target
            load[target]! += 1
            given[target, default: []].append(shard)
        }
        for (index, shards) in given.sorted(by: { $0.key < $1.key }) {
            log("shard(s) \(shards.map(String.init).joined(separator: ",")) go to \(workers[index].label)")
            give(shards, to: index, now: now)
        }
        return true
    }

    /// At a step boundary: shards whose new worker has loaded them change hands, and a worker that
    /// joined during the run (with rebalancing) is given shards from the busiest workers.
    private func rebalance(now: ContinuousClock.Instant) {
        for (shard, index) in incoming where workers[index].loaded && workers[index].status == .joined {
            owner[shard] = index
            incoming[shard] = nil
        }
        guard policy.rebalance, workers.contains(where: { $0.status == .registered }) else { return }
        let participants = liveWorkers
        var load = Dictionary(uniqueKeysWithValues: participants.map { ($0, ownedShards(of: $0).count + incomingShards(of: $0).count) })
        var given: [Int: [Int]] = [:]
        while true {
            let busiest = participants.max { (load[$0]!, -$0) < (load[$1]!, -$1) }!
            let idlest = participants.min { (load[$0]!, $0) < (load[$1]!, $1) }!
            guard load[busiest]! - load[idlest]! > 1,
                let shard = ownedShards(of: busiest).last(where: { incoming[$0] == nil })
            else { break }
            incoming[shard] = idlest
            load[busiest]! -= 1
            load[idlest]! += 1
            given[idlest, default: []].append(shard)
        }
        for (index, shards) in given.sorted(by: { $0.key < $1.key }) {
            log("rebalancing: shard(s) \(shards.sorted().map(String.init).joined(separator: ",")) move to \(workers[index].label)")
            give(shards.sorted(), to: index, now: now)
        }
    }

    // MARK: Steps and epochs

    private func startEpoch(now: ContinuousClock.Instant) {
        guard progress.position.epoch < epochs else {
            finish(now: now)
            return
        }
        epochStarted = now
        for index in workers.indices { workers[index].epochMicroseconds = 0 }
        for observer in observers {
            observer.epochStarted(epoch: progress.position.epoch + 1, of: epochs, steps: job.schedule.stepsPerEpoch)
        }
        startStep(now: now)
    }

    private func startStep(now: ContinuousClock.Instant) {
        phase = .training
        rebalance(now: now)
        guard liveWorkers.count >= policy.minWorkers, owner.allSatisfy({ $0 != nil }) || !incoming.isEmpty else {
            stepPaused = true
            if waitingSince == nil {
                waitingSince = now
                log("\(liveWorkers.count) worker(s) remain and the run needs \(policy.minWorkers): pausing, waiting up to "
                    + "\(Int(timeouts.rejoin / .seconds(1))) s for workers to join")
            }
            return
        }
        stepPaused = false
        if owner.allSatisfy({ $0 != nil }) { waitingSince = nil }
        for shard in received.indices { received[shard] = false }
        for index in liveWorkers { request(.computeStep, shards: ownedShards(of: index), from: index, now: now) }
    }

    /// Asks a worker for the results of `shards` in the current round.
    private func request(_ type: MessageType, shards: [Int], from index: Int, now: ContinuousClock.Instant) {
        guard !shards.isEmpty else { return }
        let request = ShardRequest(shards: shards, parameters: progress.parameters)
        if type == .computeStep {
            let round = UInt64(progress.position.epoch * job.schedule.stepsPerEpoch + progress.position.step)
            emit(.computeStep(request), round: round, to: index, now: now)
        } else {
            emit(.evaluate(request), round: UInt64(progress.position.epoch), to: index, now: now)
        }
    }

    private func finishStep(now: ContinuousClock.Instant) {
        let step = progress.position.step
        do {
            try progress.applyStep(
                shardGradients: shardGradients, shardSums: shardSums, batchSize: job.schedule.batchSize(ofStep: step))
        } catch {
            fail("\(error)", now: now, checkpoint: false)
            return
        }
        for observer in observers {
            observer.stepFinished(
                step: progress.position.step, of: job.schedule.stepsPerEpoch, runningSums: progress.epochSums,
                metrics: job.metrics)
        }
        do { try checkpointer?.stepApplied(progress) } catch {
            fail("\(error)", now: now, checkpoint: false)
            return
        }
        if !progress.epochStepsDone {
            startStep(now: now)
        } else if job.data.validation != nil {
            phase = .validating
            for shard in received.indices { received[shard] = false }
            for index in liveWorkers { request(.evaluate, shards: ownedShards(of: index), from: index, now: now) }
        } else {
            finishEpoch(validation: nil, now: now)
        }
    }

    private func finishEpoch(validation: [Double]?, now: ContinuousClock.Instant) {
        let report = progress.finishEpoch(validationSums: validation, seconds: (now - epochStarted) / .seconds(1))
        reportStragglers()
        do {
            for observer in observers { try observer.epochFinished(report, of: epochs) }
            try checkpointer?.epochFinished(progress)
        } catch {
            fail("\(error)", now: now, checkpoint: false)
            return
        }
        startEpoch(now: now)
    }

    private func finish(now: ContinuousClock.Instant) {
        tellEveryWorker(StopNotice(finished: true, reason: "the job finished"), now: now)
        outcome = .finished
    }

    /// Names a worker whose compute time per step is far above the others'.
    private func reportStragglers() {
        let active = workers.filter { $0.status == .joined }
        guard active.count > 1 else { return }
        let steps = Double(job.schedule.stepsPerEpoch)
        let perStep = active.map { Double($0.epochMicroseconds) / steps }
        let median = perStep.sorted()[perStep.count / 2]
        for (worker, time) in zip(active, perStep) where time > 3 * median && time - median > 1000 {
            log("\(worker.label) is slow: \(Self.milliseconds(time)) ms of compute per step, "
                + "the median worker \(Self.milliseconds(median)) ms")
        }
    }

    // MARK: Helpers

    /// Whether a shard result is the one expected now from this worker; logs why not.
    private func accept(_ shard: Int, round: UInt64, expected: UInt64, from index: Int, kind: String) -> Bool {
        let problem: String?
        if round != expected {
            problem = "round \(round), expected \(expected)"
        } else if shard < 0 || shard >= owner.count || owner[shard] != index {
            problem = "shard \(shard) is not this worker's"
        } else if received[shard] {
            problem = "shard \(shard) was already received"
        } else {
            problem = nil
        }
        if let problem { log("dropped a \(kind) message from \(workers[index].label): \(problem)") }
        return problem == nil
    }

    private func refuse(_ peer: PeerID, _ error: ProtocolError) {
        let who = workerByPeer[peer].map { workers[$0].label } ?? "an unregistered peer"
        if case .versionMismatch = error, !refusedPeers.contains(peer) {
            refusedPeers.insert(peer)
            send(peer, Envelope(jobId: jobId, round: 0, message: .reject(
                reason: "this coordinator speaks dltrain protocol version \(MessageCodec.version); \(error)")))
        }
        log("dropped a message from \(who): \(error)")
    }

    /// Ends the run: a checkpoint of the last completed step (unless the state is not worth
    /// keeping), every worker told, one message with the cause.
    private func fail(_ reason: String, now: ContinuousClock.Instant, checkpoint: Bool = true) {
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

    private var isGathering: Bool {
        if case .gathering = phase { return true }
        return false
    }

    private func tellEveryWorker(_ notice: StopNotice, now: ContinuousClock.Instant) {
        for index in liveWorkers {
            emit(.stop(notice), round: 0, to: index, now: now)
            unconfirmedStops.insert(index)
        }
    }

    private func emit(_ message: Message, round: UInt64, to index: Int, now: ContinuousClock.Instant) {
        send(workers[index].peer, Envelope(jobId: jobId, round: round, message: message))
        workers[index].lastSent = now
    }

    static func milliseconds(_ microseconds: Double) -> String {
        "\((microseconds / 10).rounded() / 100)"
    }
}
