// A job this worker takes part in: the rows of its shards and their runners, its own copy of the
// parameters and optimizer state (a replica: every member of the ring applies each step's summed
// gradient itself), the current ring plan, and its part in summing each step (GradientRing).
//
// A step, from this worker's side: the coordinator's compute-step for round r first commits round
// r - 1 (the total this worker holds is applied to its replica, at the rate it was computed for),
// then takes the coordinator's learning rate (ReduceLROnPlateau lowers it between epochs), computes its
// shards' gradients with the replica's parameters, adds them into the ring, and once it holds
// round r's whole total it reports step-done with its shards' loss and metric sums.

import DLCore
import DLData
import DLProtocol
import DLTraining

final class JobParticipation {
    let job: WorkerJob
    let schedule: ShardSchedule
    let loss: Loss
    let metrics: MetricSet
    let optimizer: OptimizerConfig
    /// The model's parameter count (kept: building the layout to count them allocates).
    let parameterCount: Int
    private(set) var runners: [Int: ShardRunner] = [:]
    /// Shards given to this worker that it cannot train yet (rows still to come, or, in a job that
    /// standardizes, the standardization), and the rows that have arrived.
    private(set) var pending: Set<Int> = []
    private var loads: [Int: ShardLoad] = [:]
    /// The standardization of a job that standardizes, once the coordinator has sent it.
    private var standardization: Standardization?
    /// The parameters and optimizer state as they are before `replicaRound`; nil until the
    /// coordinator sends them.
    private(set) var replica: ParameterState?
    private(set) var replicaRound: UInt64 = 0
    private(set) var plan: RingPlan?
    /// This worker's shards under `plan`, in shard order, and their runners.
    private var planShards: [Int] = []
    private var planRunners: [ShardRunner] = []
    private let send: (_ worker: Int?, _ round: UInt64, _ message: Message) -> Void
    private lazy var ring: GradientRing = GradientRing(me: job.workerIndex, parameterCount: parameterCount) {
        [unowned self] worker, message in self.send(worker, self.ring.round ?? 0, message)
    }
    /// The gradients and sums of the round in progress, indexed by shard (empty for the shards this
    /// worker does not hold), reused every step.
    private var gradients: [[Float]]
    private var sums: [[Double]]
    private var computeMicroseconds: UInt32 = 0
    /// Whether step-done was sent for the round in progress.
    private var reported = false
    /// The round last computed (what a star's step-done reports, and an audit asks about).
    private var computedRound: UInt64?
    /// A test hook (DLTRAIN_FAULT_FLIP_BIT): the round at which one bit of this worker's gradient
    /// is flipped, as silent corruption would, for the audit to catch.
    private let faultFlipRound: UInt64?
    /// While a step computes: the gradients being written, and whether this step flips a bit.
    private var computing: UnsafeMutableBufferPointer<[Float]>?
    private var flipsBit = false
    /// What the backward pass calls as the gradient becomes final (made once: a closure made per step
    /// would be an allocation per step).
    private lazy var gradientsReady: (_ offset: Int) -> Void = { [unowned self] offset in self.gradientsFinal(from: offset) }

    /// `send` takes the receiving worker's index (nil: the coordinator), the round and the message.
    init(
        job: WorkerJob, faultFlipRound: UInt64? = nil,
        send: @escaping (_ worker: Int?, _ round: UInt64, _ message: Message) -> Void
    ) throws {
        self.job = job
        self.faultFlipRound = faultFlipRound
        let loss = try Loss(name: job.loss)
        self.loss = loss
        metrics = MetricSet(try job.metrics.map { try Metric(name: $0, loss: loss, outputs: job.model.outputWidth) })
        optimizer = try OptimizerConfig(name: job.optimizer, arguments: job.optimizerArguments, schedule: job.lrSchedule)
        schedule = ShardSchedule(rowCount: job.trainingRows, shardCount: job.shardCount, batchSize: job.batchSize, seed: job.seed)
        parameterCount = job.model.layout.count
        gradients = Array(repeating: [], count: job.shardCount)
        sums = Array(repeating: [], count: job.shardCount)
        self.send = send
        assign(job.shards)
    }

    /// What a worker holding `shards` of `job` needs (TrainingMemory): their rows, gradients and
    /// batch buffers, the parameters with a replica's state, the deal of every training row.
    static func memoryNeed(_ job: WorkerJob, shards: Int) -> MemoryNeed {
        let config = try? OptimizerConfig(name: job.optimizer, arguments: job.optimizerArguments, schedule: job.lrSchedule)
        let slots = config?.slotNames.count ?? 2
        return TrainingMemory.need(
            model: job.model, targetWidth: job.targetWidth, optimizerSlots: slots, shardsHere: shards,
            shardBatch: shardBatch(job), rowsHere: shards * rowsPerShard(job), dealtRows: job.trainingRows)
    }

    /// Refuses more shards than this worker can hold besides the ones it has: only what they bring
    /// is counted, the rest being allocated already.
    func checkMemory(adding shards: [Int]) throws(MemoryShortage) {
        let added = Set(shards).subtracting(runners.keys).subtracting(pending)
        guard !added.isEmpty else { return }
        try MemoryBudget.check(
            TrainingMemory.shards(
                model: job.model, targetWidth: job.targetWidth, count: added.count, shardBatch: Self.shardBatch(job),
                rows: added.count * Self.rowsPerShard(job)),
            for: "shard(s) \(added.sorted().map(String.init).joined(separator: ","))", hint: WorkerSession.memoryHint)
    }

    /// The most rows a shard holds: ceil(rows / S) training rows and as many validation rows.
    private static func rowsPerShard(_ job: WorkerJob) -> Int {
        (job.trainingRows + job.shardCount - 1) / job.shardCount + (job.validationRows + job.shardCount - 1) / job.shardCount
    }

    private static func shardBatch(_ job: WorkerJob) -> Int { (min(job.batchSize, job.trainingRows) + job.shardCount - 1) / job.shardCount }

    /// More shards to load: room for their rows is made now.
    func assign(_ shards: [Int]) {
        for shard in shards where runners[shard] == nil && !pending.contains(shard) {
            pending.insert(shard)
            loads[shard] = ShardLoad(
                trainingRows: schedule.shardRows[shard].count,
                validationRows: ShardSchedule.validationRange(
                    shard: shard, shardCount: job.shardCount, rowCount: job.validationRows).count,
                rowWidth: job.rowWidth, targetWidth: job.targetWidth, preprocessing: job.preprocessing)
        }
    }

    /// A piece of a shard's rows; the reason it does not fit what this worker was assigned, if it does not.
    func load(_ rows: ShardRows) -> String? {
        guard pending.contains(rows.shard), loads[rows.shard] != nil else {
            return "rows for shard \(rows.shard), which this worker is not loading"
        }
        if let problem = loads[rows.shard]!.take(rows) { return "rows for shard \(rows.shard): \(problem)" }
        finishLoads()
        return nil
    }

    /// The job's standardization; the reason it does not fit the job, if it does not.
    func take(standardizationMean mean: [Float], scale: [Float]) -> String? {
        guard job.standardizes else { return "a standardization for a job that does not standardize" }
        guard mean.count == job.featureCount, scale.count == job.featureCount else {
            return "a standardization of \(mean.count) features for a job of \(job.featureCount)"
        }
        guard mean.allSatisfy(\.isFinite), scale.allSatisfy({ $0.isFinite && $0 != 0 }) else {
            return "a standardization with a mean that is not finite or a scale that is 0 or not finite"
        }
        let received = Standardization(mean: mean, scale: scale)
        if let standardization, standardization != received { return "a standardization unlike the one received before" }
        standardization = received
        finishLoads()
        return nil
    }

    /// Builds the runners of the shards whose rows have all arrived, standardized in place first
    /// when the job standardizes (so the shard's rows are held once); a raw table's rows stay its
    /// codes, which the runner expands a batch at a time.
    private func finishLoads() {
        guard !job.standardizes || standardization != nil else { return }
        // By key: a loop over `loads` itself would keep a reference to each table, and
        // standardizing it in place would then copy it.
        for shard in loads.keys.filter({ loads[$0]!.isComplete }) {
            var load = loads.removeValue(forKey: shard)!
            if let standardization { load.standardize(standardization) }
            runners[shard] = ShardRunner(
                shard: shard, schedule: schedule, rows: load.training,
                validationRows: job.validationRows == 0 ? nil : load.validation, preprocessing: job.preprocessing,
                model: job.model, loss: loss, metrics: metrics, classWeights: job.classWeights.map(ClassWeights.init),
                sampleWeighted: job.sampleWeighted)
            gradients[shard] = [Float](repeating: 0, count: parameterCount)
            sums[shard] = metrics.makeSums()
            pending.remove(shard)
        }
    }

    /// The parameters and optimizer state to continue from, before `round`.
    func take(_ state: ReplicaState, round: UInt64) -> String? {
        guard state.parameters.count == parameterCount,
            state.optimizerState.count == optimizer.slotNames.count * parameterCount
        else { return "a state of \(state.parameters.count) parameters does not fit this model" }
        var optimizer = Optimizer(
            optimizer, parameterCount: parameterCount, tensors: job.model.layout.tensorRanges,
            iterations: state.optimizerIterations, state: state.optimizerState)
        optimizer.setLearningRate(state.learningRate)
        replica = ParameterState(
            parameters: state.parameters, optimizer: optimizer, regularization: Regularization(job.model))
        replicaRound = round
        ring.reset()
        return nil
    }

    /// A new ring plan: the next compute-step names it.
    func take(_ plan: RingPlan) -> String? {
        guard plan.isValid(shardCount: job.shardCount) else { return "a ring plan that does not cover the shards once" }
        let mine = plan.segments(of: job.workerIndex).flatMap { plan.segments[$0].shards }
        guard mine.allSatisfy({ runners[$0] != nil }) else {
            return "a ring plan giving this worker shards \(mine) while it holds \(runners.keys.sorted())"
        }
        self.plan = plan
        planShards = mine
        planRunners = mine.map { runners[$0]! }
        return nil
    }

    /// Round `round` under the plan of `ringVersion`: commits the previous round, takes
    /// `learningRate` for the updates from this round on, computes this worker's shards, and starts
    /// its part in the ring. Returns why not, when it cannot.
    func computeStep(round: UInt64, ringVersion: UInt32, learningRate: Float, total: [Float]) -> String? {
        guard let plan, plan.version == ringVersion else { return "a compute-step for a ring plan this worker does not have" }
        if plan.star {
            if let problem = apply(total, before: round) { return problem }
        } else {
            commit(before: round)
        }
        guard replicaRound == round, let parameters = replica?.parameters else {
            return "asked for round \(round), but its parameters are for round \(replicaRound)"
        }
        replica?.setLearningRate(learningRate)
        let steps = UInt64(schedule.stepsPerEpoch)
        let clock = ContinuousClock(), started = clock.now
        if !plan.star { ring.begin(round: round, plan: plan) }
        flipsBit = round == faultFlipRound
        gradients.withUnsafeMutableBufferPointer { gradients in
            computing = gradients
            defer { computing = nil }
            sums.withUnsafeMutableBufferPointer { sums in
                ShardRunner.computeStep(
                    planRunners, epoch: Int(round / steps), step: Int(round % steps), parameters: parameters,
                    gradients: gradients, sums: sums, gradientsReady: plan.star && !flipsBit ? nil : gradientsReady)
            }
        }
        let elapsed = clock.now - started
        computeMicroseconds = UInt32(clamping: Int64(elapsed / .microseconds(1)))
        reported = false
        computedRound = round
        return nil
    }

    /// This worker's gradients are final from `offset` to the end: the ring sends what it can. On
    /// the step DLTRAIN_FAULT_FLIP_BIT names, the finished gradient is corrupted first, before any
    /// of it leaves (so no chunk goes early on that step): the sign bit of its largest value.
    private func gradientsFinal(from offset: Int) {
        guard let computing, let plan else { return }
        if flipsBit {
            guard offset == 0 else { return }
            computing[planShards[0]].withUnsafeMutableBufferPointer { gradient in
                let largest = gradient.indices.max { abs(gradient[$0]) < abs(gradient[$1]) }!
                gradient[largest] = Float(bitPattern: gradient[largest].bitPattern ^ (1 << 31))
            }
        }
        if !plan.star { ring.gradientsReady(from: offset, gradients: UnsafeBufferPointer(computing)) }
    }

    /// In a star, the coordinator's sum of the round before `round` (empty: nothing to apply, as
    /// when it just sent the state, or runs the round again).
    func apply(_ total: [Float], before round: UInt64) -> String? {
        guard !total.isEmpty else { return nil }
        guard total.count == parameterCount, replica != nil, round > 0, replicaRound == round - 1 else {
            return "a total for round \(round - 1) while its parameters are for round \(replicaRound)"
        }
        let step = Int((round - 1) % UInt64(schedule.stepsPerEpoch))
        _ = total.withUnsafeBufferPointer { replica!.apply(summedGradient: $0, batchSize: schedule.batchSize(ofStep: step)) }
        replicaRound = round
        return nil
    }

    /// A partial or total from another worker; false when it is stale or malformed.
    func receive(_ message: Message, round: UInt64) -> Bool {
        gradients.withUnsafeBufferPointer { ring.receive(message, round: round, gradients: $0) }
    }

    /// Step-done for the round in progress, with the round, once this worker holds its whole total
    /// (in a star, at once, with its shards' gradients), once per round.
    func takeStepDone() -> (round: UInt64, done: StepDone)? {
        guard !reported, let plan else { return nil }
        guard let round = plan.star ? computedRound : (ring.hasTotal ? ring.round : nil) else { return nil }
        reported = true
        let shards = planShards
        return (round, StepDone(
            ringVersion: plan.version, computeMicroseconds: computeMicroseconds, shards: shards,
            sums: shards.map { sums[$0] }, gradients: plan.star ? shards.map { gradients[$0] } : []))
    }

    /// `dlcoord --audit` on a ring: the digests of `shards`' gradients of `round`, which this worker
    /// computed and still holds; nil when it does not hold them.
    func auditDigests(of shards: [Int], round: UInt64) -> AuditDigests? {
        guard computedRound == round, !shards.isEmpty, shards.allSatisfy(planShards.contains) else { return nil }
        return AuditDigests(shards: shards, digests: shards.map { GradientDigest.of(gradients[$0]) })
    }

    /// The validation sums of `shards` after `epoch`'s last step (committed first).
    func evaluate(_ shards: [Int], epoch: UInt64) -> [ValidationSums]? {
        // Rounds are at most MessageCodec.maximumRound, but epoch x steps could still overflow.
        let (next, overflow) = (epoch + 1).multipliedReportingOverflow(by: UInt64(schedule.stepsPerEpoch))
        guard !overflow else { return nil }
        commit(before: next)
        guard let replica, replicaRound == next, shards.allSatisfy({ runners[$0] != nil }) else { return nil }
        return replica.parameters.withUnsafeBufferPointer { parameters in
            shards.map { shard in
                var shardSums = metrics.makeSums()
                runners[shard]!.evaluateValidation(parameters: parameters, sums: &shardSums)
                return ValidationSums(shard: shard, sums: shardSums)
            }
        }
    }

    /// Applies the total of the round before `round`, if this worker holds it: the coordinator has
    /// moved on, so every member holds it too.
    private func commit(before round: UInt64) {
        guard round > 0, ring.round == round - 1, ring.hasTotal, replicaRound == round - 1, replica != nil else { return }
        let step = Int((round - 1) % UInt64(schedule.stepsPerEpoch))
        _ = ring.total.withUnsafeBufferPointer { replica!.apply(summedGradient: $0, batchSize: schedule.batchSize(ofStep: step)) }
        replicaRound = round
        ring.reset()
    }
}
