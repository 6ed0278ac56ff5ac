// Training in one process: every logical shard computed here (side by side on the pool's threads
// when there are enough of them, one after the other otherwise) and combined exactly as a
// distributed run combines them (TrainingProgress), so both give the same weights for the same S,
// whatever the number of threads.

import DLCore
import DLData

public final class LocalTrainer {
    public let job: TrainingJob
    /// The threads the steps are computed with.
    public let pool: ComputePool
    public private(set) var progress: TrainingProgress
    private let runners: [ShardRunner]
    private var shardGradients: [[Float]]
    private var shardSums: [[Double]]

    /// A trainer that continues `progress` (from a checkpoint), or starts the job afresh.
    public init(job: TrainingJob, progress: TrainingProgress? = nil, pool: ComputePool = .shared) {
        self.job = job
        self.pool = pool
        self.progress = progress ?? TrainingProgress(job: job)
        runners = ShardRunner.allShards(of: job, pool: pool)
        shardGradients = Array(repeating: [Float](repeating: 0, count: job.model.layout.count), count: runners.count)
        shardSums = Array(repeating: job.metrics.makeSums(), count: runners.count)
    }

    public var parameters: [Float] { progress.parameters }

    /// Trains from where the progress stands to the end of the job's last epoch, or until
    /// `stopRequested` says so before a step (then the progress stands at a step boundary, never
    /// between an epoch's last step and its report); returns the reports of the epochs finished here.
    @discardableResult
    public func train(
        observers: [TrainingObserver] = [], checkpointer: CheckpointSink? = nil, stopRequested: () -> Bool = { false }
    ) throws -> [EpochReport] {
        var reports: [EpochReport] = []
        let steps = job.schedule.stepsPerEpoch, epochs = job.settings.epochs
        let clock = ContinuousClock()
        while !progress.isComplete(epochs: epochs) {
            if stopRequested() { return reports }
            let epoch = progress.position.epoch, started = clock.now
            for observer in observers { observer.epochStarted(epoch: epoch + 1, of: epochs, steps: steps) }
            while !progress.epochStepsDone {
                if stopRequested() { return reports }
                try runStep(epoch: epoch, step: progress.position.step)
                for observer in observers {
                    observer.stepFinished(
                        step: progress.position.step, of: steps, runningSums: progress.epochSums, metrics: job.metrics)
                }
                try checkpointer?.stepApplied(progress)
            }
            let validationSums = job.data.validationCount == 0
                ? nil : ShardRunner.validationSums(runners, parameters: progress.parameters, metrics: job.metrics)
            let report = progress.finishEpoch(validationSums: validationSums, seconds: (clock.now - started) / .seconds(1))
            for observer in observers { try observer.epochFinished(report, of: epochs) }
            try checkpointer?.epochFinished(progress)
            reports.append(report)
        }
        return reports
    }

    private func runStep(epoch: Int, step: Int) throws {
        ShardRunner.computeStep(
            runners, epoch: epoch, step: step, parameters: progress.parameters, gradients: &shardGradients,
            sums: &shardSums)
        try progress.applyStep(
            shardGradients: shardGradients, shardSums: shardSums, batchSize: job.schedule.batchSize(ofStep: step),
            pool: pool)
    }
}
