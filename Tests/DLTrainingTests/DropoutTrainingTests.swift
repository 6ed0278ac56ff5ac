// Dropout in training through the shard runners, the job's model given Dropout layers (on the
// inputs and after each hidden layer): the masks come from (seed, epoch, step, shard) alone, so
// runners on 1 or 2 threads, runners that hold only their shard's rows (as a worker's do) run in
// reverse order, and fresh runners that resume mid-epoch from the progress reached all end with the
// same parameter bits and reports; validation never drops; and dropout does change the training.

import DLCore
import DLData
import DLTestSupport
import DLTraining
import XCTest

final class DropoutTrainingTests: XCTestCase {
    /// `model` with Dropout(0.1) on its inputs and Dropout(0.3) after each hidden layer.
    static func withDropout(_ model: ModelSpec) throws -> ModelSpec {
        var layers = model.layers
        for index in layers.indices.dropLast() { layers[index].dropout = 0.3 }
        return try ModelSpec(inputDim: model.inputDim, layers: layers, inputDropout: 0.1)
    }

    /// Every shard's runner reading the job's shared tables, as LocalTrainer's, with `model`.
    private func runners(_ job: TrainingJob, model: ModelSpec, pool: ComputePool = .shared) throws -> [ShardRunner] {
        let rows = try XCTUnwrap(job.rows)
        let shards = job.schedule.shardCount
        return (0..<shards).map { shard in
            ShardRunner(
                shard: shard, schedule: job.schedule, rows: rows.training, dealtRows: job.schedule.shardRows[shard],
                validationRows: rows.validation,
                validationBlock: rows.validation.map {
                    ShardSchedule.validationRange(shard: shard, shardCount: shards, rowCount: $0.count)
                },
                model: model, loss: job.loss, metrics: job.metrics, pool: pool)
        }
    }

    /// Runners that hold only their shard's rows, in dealt order, and their block of the validation
    /// rows, as a worker's runners do.
    private func workerRunners(_ job: TrainingJob, model: ModelSpec) throws -> [ShardRunner] {
        let rows = try XCTUnwrap(job.rows)
        let shards = job.schedule.shardCount, table = rows.training
        return (0..<shards).map { shard in
            let dealt = job.schedule.shardRows[shard]
            var features = [Float](repeating: 0, count: dealt.count * table.featureCount)
            var targets = [Float](repeating: 0, count: dealt.count * table.targetWidth)
            features.withUnsafeMutableBufferPointer { f in
                targets.withUnsafeMutableBufferPointer { t in table.gather(dealt[...], features: f.baseAddress!, targets: t.baseAddress!) }
            }
            return ShardRunner(
                shard: shard, schedule: job.schedule,
                rows: TabularRows(featureCount: table.featureCount, targetWidth: table.targetWidth, features: features, targets: targets),
                validationRows: rows.validation.map {
                    $0.slice(ShardSchedule.validationRange(shard: shard, shardCount: shards, rowCount: $0.count))
                },
                model: model, loss: job.loss, metrics: job.metrics)
        }
    }

    /// Trains with `runners` from `progress` to the job's end, or until `end`, as LocalTrainer does.
    private func train(
        _ runners: [ShardRunner], from progress: TrainingProgress, job: TrainingJob, until end: TrainingPosition? = nil
    ) throws -> TrainingProgress {
        var progress = progress
        var gradients = [[Float]](repeating: [Float](repeating: 0, count: job.model.layout.count), count: runners.count)
        var sums = [[Double]](repeating: job.metrics.makeSums(), count: runners.count)
        while !progress.isComplete(epochs: job.settings.epochs) && progress.position != end {
            if progress.epochStepsDone {
                let validation = job.data.validationCount == 0
                    ? nil : ShardRunner.validationSums(runners, parameters: progress.parameters, metrics: job.metrics)
                _ = progress.finishEpoch(validationSums: validation, seconds: 0)
            } else {
                let position = progress.position
                ShardRunner.computeStep(
                    runners, epoch: position.epoch, step: position.step, parameters: progress.parameters,
                    gradients: &gradients, sums: &sums)
                try progress.applyStep(
                    shardGradients: gradients, shardSums: sums, batchSize: job.schedule.batchSize(ofStep: position.step))
            }
        }
        return progress
    }

    /// A job wide enough that its products split over 2 threads (ThreadCountTests' synthetic job),
    /// with one shard (the products split) and two (the shards side by side).
    func testThreadCountsGiveTheSameBits() throws {
        let data = try temporaryDirectory(self) + "/synthetic.csv"
        try SyntheticData.write(rows: 600, features: 64, to: data)
        var settings = JobSettings.wideSynthetic(data: data)
        settings.epochs = 2
        for shards in [1, 2] {
            settings.shards = shards
            let job = try TrainingJob(settings)
            let model = try Self.withDropout(job.model)
            var results: [TrainingProgress] = []
            for threads in 1...2 {
                let pool = ComputePool(threads: threads)
                results.append(try train(try runners(job, model: model, pool: pool), from: TrainingProgress(job: job), job: job))
                XCTAssertEqual(pool.parallelRuns > 0, threads > 1, "\(shards) shard(s), \(threads) threads")
            }
            XCTAssertEqual(results[1].parameters.map(\.bitPattern), results[0].parameters.map(\.bitPattern), "\(shards) shard(s)")
            XCTAssertEqual(results[1].history.map(\.values), results[0].history.map(\.values))
            let without = try train(try runners(job, model: job.model), from: TrainingProgress(job: job), job: job)
            XCTAssertNotEqual(without.parameters, results[0].parameters, "the Dropout layers changed the training")
        }
    }

    /// The distributed run's contract: shards computed by runners that hold only their own rows, in
    /// reverse order, give the bits of runners sharing the job's table.
    func testShardsHeldApartInAnyOrderGiveTheSameBits() throws {
        let job = try TrainingJob.seedJob(shards: 3, epochs: 2, validation: 0.1)
        let model = try Self.withDropout(job.model)
        let shared = try train(try runners(job, model: model), from: TrainingProgress(job: job), job: job)
        let apart = try train(Array(try workerRunners(job, model: model).reversed()), from: TrainingProgress(job: job), job: job)
        XCTAssertEqual(apart.parameters.map(\.bitPattern), shared.parameters.map(\.bitPattern))
        XCTAssertEqual(apart.history.map(\.values), shared.history.map(\.values))
    }

    /// A run stopped mid-epoch (and one stopped between epochs) and resumed by new runners from the
    /// progress reached draws the masks the whole run draws.
    func testAResumedRunContinuesTheSameMasks() throws {
        let job = try TrainingJob.seedJob(shards: 2, epochs: 3)
        let model = try Self.withDropout(job.model)
        let whole = try train(try runners(job, model: model), from: TrainingProgress(job: job), job: job)
        for stop in [TrainingPosition(epoch: 1, step: 3), TrainingPosition(epoch: 2, step: 0)] {
            let first = try train(try runners(job, model: model), from: TrainingProgress(job: job), job: job, until: stop)
            XCTAssertEqual(first.position, stop)
            let resumed = try train(try runners(job, model: model), from: first, job: job)
            XCTAssertEqual(resumed.parameters.map(\.bitPattern), whole.parameters.map(\.bitPattern), "stopped at \(stop)")
            XCTAssertEqual(resumed.history.map(\.values), whole.history.map(\.values))
        }
    }

    /// Validation computes what the model without Dropout computes.
    func testValidationNeverDrops() throws {
        let job = try TrainingJob.seedJob(shards: 2, epochs: 1)
        let parameters = TrainingProgress(job: job).parameters
        let with = ShardRunner.validationSums(
            try runners(job, model: try Self.withDropout(job.model)), parameters: parameters, metrics: job.metrics)
        let without = ShardRunner.validationSums(try runners(job, model: job.model), parameters: parameters, metrics: job.metrics)
        XCTAssertGreaterThan(with[0], 0)
        XCTAssertEqual(with, without)
    }
}
