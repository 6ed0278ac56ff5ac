// Where a run stands and the arithmetic that moves it on: parameters and optimizer state, the
// position (epoch and step), the running sums of the epoch in progress, and the reports of the
// finished epochs. Every trainer (one process, or a coordinator of workers) advances its run with
// these same operations, which is why they all produce the same bits; a checkpoint saves exactly
// this state, which is why a resumed run does too.

import DLCore

/// The next step to run: `step` of `epoch`, both 0-based. `step == stepsPerEpoch` means every step
/// of the epoch is applied and the epoch is not yet reported (its validation is pending).
public struct TrainingPosition: Sendable, Equatable, Codable, CustomStringConvertible {
    public var epoch: Int
    public var step: Int

    public init(epoch: Int, step: Int) {
        self.epoch = epoch
        self.step = step
    }

    public var description: String { "epoch \(Self.counted(epoch)), step \(Self.counted(step))" }

    /// A 0-based index counted from 1, as Keras counts; one read from a file may be the largest Int.
    private static func counted(_ index: Int) -> String { index < Int.max ? String(index + 1) : "\(index) + 1" }
}

public struct TrainingProgress: Sendable, Equatable {
    public let metrics: MetricSet
    public let stepsPerEpoch: Int
    public private(set) var state: ParameterState
    public private(set) var position: TrainingPosition
    /// The loss and metric sums of the epoch in progress, over its applied steps.
    public private(set) var epochSums: [Double]
    /// The reports of the finished epochs.
    public private(set) var history: [EpochReport]
    private var stepSums: [Double]

    /// Keras's EarlyStopping, when the job asks for it: told of every finished epoch.
    public private(set) var earlyStopping: EarlyStopping?
    /// Keras's ReduceLROnPlateau, when the job asks for it: told of every finished epoch, after
    /// early stopping, it may lower the optimizer's rate.
    public private(set) var reduceLROnPlateau: ReduceLROnPlateau?
    /// Whether each report ends with `learning_rate` (JobSettings.reportsLearningRate).
    public let reportsLearningRate: Bool

    public var parameters: [Float] { state.parameters }

    /// The model's weights at the end: the best epoch's when early stopping restores them, else
    /// the optimizer's final values (with use_ema its moving averages). Keras finalizes the
    /// optimizer's values before EarlyStopping restores the best weights at the end of fit.
    public var finalParameters: [Float] {
        if let earlyStopping, earlyStopping.rule.restoreBestWeights, let best = earlyStopping.bestParameters { return best }
        return state.optimizer.finalParameters(state.parameters)
    }

    /// Whether training is over: every epoch trained, or stopped early.
    public func isComplete(epochs: Int) -> Bool { position.epoch >= epochs || earlyStopping?.stoppedEpoch != nil }
    public var optimizer: Optimizer { state.optimizer }

    /// The start of a fresh run: the job's seeded initial weights, a new optimizer.
    public init(job: TrainingJob) {
        let parameters = job.model.initialParameters(seed: job.settings.seed)
        self.init(
            metrics: job.metrics, stepsPerEpoch: job.schedule.stepsPerEpoch, parameters: parameters,
            optimizer: Optimizer(job.optimizer, parameterCount: parameters.count, tensors: job.model.layout.tensorRanges),
            regularization: Regularization(job.model),
            position: TrainingPosition(epoch: 0, step: 0), epochSums: job.metrics.makeSums(), history: [],
            earlyStopping: job.earlyStopping.map(EarlyStopping.init(rule:)),
            reduceLROnPlateau: job.reduceLROnPlateau.map(ReduceLROnPlateau.init(rule:)),
            reportsLearningRate: job.settings.reportsLearningRate)
    }

    public init(
        metrics: MetricSet, stepsPerEpoch: Int, parameters: [Float], optimizer: Optimizer, regularization: Regularization,
        position: TrainingPosition, epochSums: [Double], history: [EpochReport], earlyStopping: EarlyStopping? = nil,
        reduceLROnPlateau: ReduceLROnPlateau? = nil, reportsLearningRate: Bool = false
    ) {
        precondition(epochSums.count == metrics.slotCount && optimizer.parameterCount == parameters.count)
        self.metrics = metrics
        self.stepsPerEpoch = stepsPerEpoch
        state = ParameterState(parameters: parameters, optimizer: optimizer, regularization: regularization)
        self.position = position
        self.epochSums = epochSums
        self.history = history
        self.earlyStopping = earlyStopping
        self.reduceLROnPlateau = reduceLROnPlateau
        self.reportsLearningRate = reportsLearningRate
        stepSums = metrics.makeSums()
    }

    /// Whether every step of the current epoch has been applied.
    public var epochStepsDone: Bool { position.step == stepsPerEpoch }

    /// Applies the current step: adds the shards' gradient sums in shard order, divides by the
    /// step's global batch, lets the optimizer update the parameters, and adds the shards' loss and
    /// metric sums (in shard order) to the epoch's. The elementwise parts run in ranges of indices
    /// on `pool`'s threads, which changes no bit.
    public mutating func applyStep(
        shardGradients: [[Float]], shardSums: [[Double]], batchSize: Int, pool: ComputePool = .shared
    ) throws {
        precondition(!epochStepsDone)
        let penalty = state.penalty
        let finite = state.apply(shardGradients: shardGradients, batchSize: batchSize, pool: pool)
        try finishStep(shardSums: shardSums, penalty: penalty, finite: finite)
    }

    /// The same, from the step's gradient already summed over the shards in shard order (by a ring
    /// of workers).
    public mutating func applyStep(
        summedGradient: [Float], shardSums: [[Double]], batchSize: Int, pool: ComputePool = .shared
    ) throws {
        precondition(!epochStepsDone)
        let penalty = state.penalty
        let finite = summedGradient.withUnsafeBufferPointer { state.apply(summedGradient: $0, batchSize: batchSize, pool: pool) }
        try finishStep(shardSums: shardSums, penalty: penalty, finite: finite)
    }

    /// `penalty`: the regularization at the parameters the step was computed at (nil: none), which
    /// Keras adds to the step's mean loss.
    private mutating func finishStep(shardSums: [[Double]], penalty: Float?, finite: Bool) throws {
        metrics.total(of: shardSums, into: &stepSums)
        if let penalty { metrics.addPenalty(penalty, to: &stepSums) }
        for i in epochSums.indices { epochSums[i] += stepSums[i] }
        guard finite else { throw JobError.diverged(epoch: position.epoch + 1, step: position.step + 1) }
        position.step += 1
    }

    /// Closes the epoch whose steps are all applied: its report (with the validation sums, if
    /// any, and the regularization at the epoch's final weights in val_loss, as Keras's evaluation
    /// adds it; then the rate the optimizer stands at, when the job reports it), early stopping's and
    /// ReduceLROnPlateau's decisions (in that order, as Keras's callbacks run), and the start of the
    /// next epoch.
    public mutating func finishEpoch(validationSums: [Double]?, seconds: Double) -> EpochReport {
        precondition(epochStepsDone)
        var validationSums = validationSums
        if var sums = validationSums, let penalty = state.penalty {
            metrics.addPenalty(penalty, to: &sums)
            validationSums = sums
        }
        var report = EpochReport(
            epoch: position.epoch + 1, seconds: seconds, steps: stepsPerEpoch, metrics: metrics,
            training: epochSums, validation: validationSums)
        if reportsLearningRate {
            // Before ReduceLROnPlateau lowers it, as Keras logs it; with a schedule, the schedule
            // at the optimizer's iterations, as Keras's TensorBoard callback logs it.
            report = EpochReport(
                epoch: report.epoch, seconds: seconds, steps: stepsPerEpoch,
                values: report.values + [.init(name: "learning_rate", value: Double(state.optimizer.currentLearningRate))])
        }
        history.append(report)
        if let monitor = earlyStopping?.rule.monitor {
            earlyStopping?.epochEnded(position.epoch, value: report.value(monitor), parameters: state.parameters)
        }
        if let monitor = reduceLROnPlateau?.rule.monitor,
            let lowered = reduceLROnPlateau?.epochEnded(value: report.value(monitor), learningRate: state.optimizer.learningRate)
        {
            state.setLearningRate(lowered)
        }
        epochSums = metrics.makeSums()
        position = TrainingPosition(epoch: position.epoch + 1, step: 0)
        return report
    }
}

extension MetricSet {
    /// The shards' loss and metric sums of one step (or validation round), added in shard order,
    /// starting from zero: the one order every trainer uses, so their reports agree to the bit.
    public func total(of shardSums: [[Double]]) -> [Double] {
        var total = makeSums()
        self.total(of: shardSums, into: &total)
        return total
    }

    /// The same, into a buffer of `slotCount` values, without allocating.
    public func total(of shardSums: [[Double]], into total: inout [Double]) {
        for i in total.indices { total[i] = 0 }
        for sums in shardSums {
            for i in total.indices { total[i] += sums[i] }
        }
    }
}
