// Training in one process: every logical shard computed here, one after the other, and combined
// exactly as a distributed run combines them, so both give the same weights for the same S.

import DLCore
import DLData

public final class LocalTrainer {
    public let job: TrainingJob
    public private(set) var update: ParameterUpdate
    private let runners: [ShardRunner]
    private var shardGradients: [[Float]]
    private var shardSums: [[Double]]

    /// A trainer starting from `parameters`, or from the job's seeded initial weights.
    public init(job: TrainingJob, parameters: [Float]? = nil) {
        self.job = job
        let initial = parameters ?? job.model.initialParameters(seed: job.settings.seed)
        update = ParameterUpdate(
            parameters: initial, optimizer: Optimizer(job.optimizer, parameterCount: initial.count))
        runners = ShardRunner.allShards(of: job)
        shardGradients = Array(repeating: [Float](repeating: 0, count: initial.count), count: runners.count)
        shardSums = Array(repeating: job.metrics.makeSums(), count: runners.count)
    }

    public var parameters: [Float] { update.parameters }

    /// Trains epochs `epochs` (0-based) and returns their reports.
    @discardableResult
    public func train(epochs: Range<Int>, observers: [TrainingObserver] = []) throws -> [EpochReport] {
        var reports: [EpochReport] = []
        let steps = job.schedule.stepsPerEpoch
        for epoch in epochs {
            let clock = ContinuousClock(), started = clock.now
            for observer in observers { observer.epochStarted(epoch: epoch + 1, of: epochs.upperBound, steps: steps) }
            var epochSums = job.metrics.makeSums()
            for step in 0..<steps {
                runStep(epoch: epoch, step: step, into: &epochSums)
                guard update.isFinite else { throw JobError.diverged(epoch: epoch + 1, step: step + 1) }
                for observer in observers {
                    observer.stepFinished(step: step + 1, of: steps, runningSums: epochSums, metrics: job.metrics)
                }
            }
            let validationSums = job.data.validation == nil ? nil : evaluateValidation()
            let elapsed = clock.now - started
            let report = EpochReport(
                epoch: epoch + 1, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                steps: steps, metrics: job.metrics, training: epochSums, validation: validationSums)
            for observer in observers { try observer.epochFinished(report, of: epochs.upperBound) }
            reports.append(report)
        }
        return reports
    }

    private func runStep(epoch: Int, step: Int, into epochSums: inout [Double]) {
        update.parameters.withUnsafeBufferPointer { parameters in
            for (shard, runner) in runners.enumerated() {
                shardGradients[shard].withUnsafeMutableBufferPointer { gradient in
                    shardSums[shard].withUnsafeMutableBufferPointer { sums in
                        sums.update(repeating: 0)
                        runner.computeStep(
                            epoch: epoch, step: step, parameters: parameters, gradient: gradient,
                            sums: sums.baseAddress!)
                    }
                }
            }
        }
        let stepSums = job.metrics.total(of: shardSums)
        for i in epochSums.indices { epochSums[i] += stepSums[i] }
        update.apply(shardGradients: shardGradients, batchSize: job.schedule.batchSize(ofStep: step))
    }

    /// The validation sums of all shards, added in shard order.
    private func evaluateValidation() -> [Double] {
        let shardSums = runners.map { runner in
            var sums = job.metrics.makeSums()
            update.parameters.withUnsafeBufferPointer { parameters in
                runner.evaluateValidation(parameters: parameters, sums: &sums)
            }
            return sums
        }
        return job.metrics.total(of: shardSums)
    }
}
