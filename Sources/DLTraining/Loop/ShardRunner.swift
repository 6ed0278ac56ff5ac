// One logical shard's part of training: its rows, its per-epoch order, and the gradient sum of its
// part of every step.
//
// A runner reads its shard's rows from a table: on a worker, a table of just those rows in dealt
// order, as they were sent; in one process, the whole training table, shared by every runner and
// read through the schedule's deal, so that the data is held once however many shards there are.
//
// A raw table's rows are held as its preprocessing's codes, one float per column, and expanded
// into the model's inputs a batch at a time as they are gathered: a one-hot column of thousands of
// values would make the expanded table thousands of times the file, where a batch of it is a few
// MB; the expansion costs about what the copy does, and runs on the gathering threads.
//
// Threads: a runner's engine splits its large products over the pool it is given. Several runners'
// parts of one step (`computeStep(_:...)`) run side by side on the pool instead, one runner per
// thread, when there are at least as many runners as threads; each writes only its own buffers,
// so the order they finish in changes nothing.

import DLCore
import DLData
import DLPreprocessing

public final class ShardRunner {
    public let shard: Int
    public let schedule: ShardSchedule
    /// The table that holds this shard's training rows.
    public let rows: TabularRows
    /// Where the shard's rows are in `rows`, in dealt order; nil when `rows` is just them, in that order.
    private let dealtRows: [Int32]?
    /// The table that holds this shard's block of the validation rows, and where the block is in it.
    private let validationRows: TabularRows?
    private let validationBlock: Range<Int>
    private let engine: BatchEngine
    /// A raw table's expansion of codes into inputs, and room for a batch of codes; nil when the
    /// rows are the inputs.
    private let expansion: PreprocessingExpansion?
    private let codes: UnsafeMutableBufferPointer<Float>
    /// Keras's class_weight: each training row's loss times its class's weight.
    private let classWeights: ClassWeights?
    /// Keras's sample_weight: the tables' targets end with each row's weight (SampleWeights), which
    /// weighs the training and the validation rows.
    private let sampleWeighted: Bool
    private var order: [Int32] = []
    private var orderEpoch = -1

    /// `dealtRows` and `validationBlock` say where the shard's rows are in tables that hold more;
    /// without them, `rows` and `validationRows` hold just the shard's. With a `preprocessing`, the
    /// tables hold its codes.
    public init(
        shard: Int, schedule: ShardSchedule, rows: TabularRows, dealtRows: [Int32]? = nil,
        validationRows: TabularRows?, validationBlock: Range<Int>? = nil, preprocessing: Preprocessing? = nil,
        model: ModelSpec, loss: Loss, metrics: MetricSet, classWeights: ClassWeights? = nil, sampleWeighted: Bool = false,
        pool: ComputePool = .shared
    ) {
        precondition(rows.featureCount == (preprocessing?.codeWidth ?? model.inputDim))
        precondition((dealtRows?.count ?? rows.count) == schedule.shardRows[shard].count)
        self.shard = shard
        self.schedule = schedule
        self.rows = rows
        self.dealtRows = dealtRows
        self.validationRows = validationRows
        self.validationBlock = validationBlock ?? 0..<(validationRows?.count ?? 0)
        precondition(rows.targetWidth == loss.targetWidth(outputs: model.outputWidth) + (sampleWeighted ? 1 : 0))
        self.classWeights = classWeights
        self.sampleWeighted = sampleWeighted
        engine = BatchEngine(
            spec: model, loss: loss, metrics: metrics, capacity: schedule.largestShardBatch,
            weighted: classWeights != nil || sampleWeighted, pool: pool)
        expansion = preprocessing.map(PreprocessingExpansion.init)
        codes = .allocate(capacity: preprocessing == nil ? 0 : engine.capacity * rows.featureCount)
        order.reserveCapacity(schedule.shardRows[shard].count)
    }

    deinit {
        codes.deallocate()
    }

    /// The loss and metrics whose sums `computeStep` and `evaluateValidation` add to.
    public var metrics: MetricSet { engine.metrics }

    /// The threads this runner's work is split over.
    public var pool: ComputePool { engine.pool }

    /// The runners of every shard of `job`, for training in one process: they share its rows.
    public static func allShards(of job: TrainingJob, pool: ComputePool = .shared) -> [ShardRunner] {
        (0..<job.schedule.shardCount).map { ShardRunner(shard: $0, of: job, pool: pool) }
    }

    /// The runner of `shard` of `job` in one process, reading the job's rows (which it must hold).
    public convenience init(shard: Int, of job: TrainingJob, pool: ComputePool = .shared) {
        guard let rows = job.rows else { preconditionFailure("a job described without its rows cannot train here") }
        self.init(
            shard: shard, schedule: job.schedule, rows: rows.training, dealtRows: job.schedule.shardRows[shard],
            validationRows: rows.validation,
            validationBlock: rows.validation.map { validation in
                ShardSchedule.validationRange(shard: shard, shardCount: job.schedule.shardCount, rowCount: validation.count)
            },
            preprocessing: job.data.preprocessing, model: job.model, loss: job.loss, metrics: job.metrics,
            classWeights: job.classWeights, sampleWeighted: job.data.sampleWeightColumn != nil, pool: pool)
    }

    /// Writes this shard's gradient sum for `step` of `epoch` (0-based) into `gradient`, and adds its
    /// loss and metric sums to `sums`; `gradientsReady` as BatchEngine calls it. The model's Dropout
    /// layers drop with the masks of (the job's seed, epoch, step, shard); validation never drops.
    public func computeStep(
        epoch: Int, step: Int, parameters: UnsafeBufferPointer<Float>,
        gradient: UnsafeMutableBufferPointer<Float>, sums: UnsafeMutablePointer<Double>,
        gradientsReady: ((_ offset: Int) -> Void)? = nil
    ) {
        if orderEpoch != epoch {
            schedule.fillEpochOrder(&order, shard: shard, epoch: epoch)
            if let dealtRows {
                for index in order.indices { order[index] = dealtRows[Int(order[index])] }
            }
            orderEpoch = epoch
        }
        let range = schedule.stepRange(shard: shard, step: step)
        let parts = engine.pool.parts(elements: range.count * (rows.featureCount + rows.targetWidth))
        engine.pool.run(GatherRows(runner: self, rows: range, parts: parts))
        // The step's masks: the same for every holder of this shard (a worker, a replacement, the
        // coordinator's audit, a resumed run), whatever its threads split.
        let dropout = DropoutKey(seed: schedule.seed, epoch: epoch, step: step, shard: shard)
        engine.computeGradientSum(
            parameters: parameters, rows: range.count, gradient: gradient, sums: sums, dropout: dropout,
            gradientsReady: gradientsReady)
    }

    /// The step's rows (positions `rows` of this epoch's order) copied into the engine's buffers, in
    /// blocks of rows: scattered reads from a large table, which threads overlap.
    private struct GatherRows: ComputeTask {
        let runner: ShardRunner
        let rows: Range<Int>
        let parts: Int

        func run(part: Int) {
            let block = ComputePool.range(part, of: parts, count: rows.count)
            guard !block.isEmpty else { return }
            let table = runner.rows, engine = runner.engine
            let indices = runner.order[(rows.lowerBound + block.lowerBound)..<(rows.lowerBound + block.upperBound)]
            let targets = engine.targets.baseAddress! + block.lowerBound * engine.targetWidth
            let weights = runner.sampleWeighted ? engine.rowWeights.baseAddress! + block.lowerBound : nil
            defer { runner.weighRows(block) }
            guard let expansion = runner.expansion else {
                table.gather(
                    indices, features: engine.inputs.baseAddress! + block.lowerBound * table.featureCount, targets: targets,
                    weights: weights)
                return
            }
            let codes = runner.codes.baseAddress! + block.lowerBound * table.featureCount
            table.gather(indices, features: codes, targets: targets, weights: weights)
            expansion.expand(
                codes: UnsafeBufferPointer(start: codes, count: block.count * table.featureCount), rows: block.count,
                into: UnsafeMutableBufferPointer(
                    start: engine.inputs.baseAddress! + block.lowerBound * expansion.outputWidth,
                    count: block.count * expansion.outputWidth))
        }
    }

    /// The weights of the gathered training rows `block` of the step: their classes' weights.
    private func weighRows(_ block: Range<Int>) {
        guard let classWeights else { return }
        let width = engine.targetWidth
        for row in block {
            engine.rowWeights[row] = classWeights.weight(of: engine.targets.baseAddress! + row * width, width: width)
        }
    }

    /// Adds the loss and metric sums of this shard's validation rows to `sums`: weighted by the
    /// sample weight column, but not by class weights, as Keras's class_weight weighs the training
    /// data only while validation_split keeps the sample weights.
    public func evaluateValidation(parameters: UnsafeBufferPointer<Float>, sums: UnsafeMutablePointer<Double>) {
        guard let validationRows else { return }
        engine.rowWeights.update(repeating: 1)
        var start = validationBlock.lowerBound
        while start < validationBlock.upperBound {
            let end = min(start + engine.capacity, validationBlock.upperBound)
            validationRows.features.withUnsafeBufferPointer { features in
                let source = UnsafeBufferPointer(
                    start: features.baseAddress! + start * validationRows.featureCount, count: (end - start) * validationRows.featureCount)
                if let expansion {
                    expansion.expand(
                        codes: source, rows: end - start,
                        into: UnsafeMutableBufferPointer(start: engine.inputs.baseAddress!, count: (end - start) * expansion.outputWidth))
                } else {
                    engine.inputs.baseAddress!.update(from: source.baseAddress!, count: source.count)
                }
            }
            validationRows.copyTargets(
                rows: start..<end, to: engine.targets.baseAddress!, weights: sampleWeighted ? engine.rowWeights.baseAddress! : nil)
            engine.evaluate(parameters: parameters, rows: end - start, sums: sums)
            start = end
        }
    }
}

extension ShardRunner {
    /// Each runner's part of one step: its gradient sum into `gradients[shard]` and its loss and
    /// metric sums into `sums[shard]` (zeroed first). With at least as many runners as the first
    /// runner's pool has threads, and enough work, the runners run side by side on that pool;
    /// otherwise one after the other, in the order given. Allocates nothing.
    public static func computeStep(
        _ runners: [ShardRunner], epoch: Int, step: Int, parameters: [Float],
        gradients: inout [[Float]], sums: inout [[Double]]
    ) {
        gradients.withUnsafeMutableBufferPointer { gradients in
            sums.withUnsafeMutableBufferPointer { sums in
                computeStep(runners, epoch: epoch, step: step, parameters: parameters, gradients: gradients, sums: sums)
            }
        }
    }

    /// `computeStep` on buffers the caller holds, so that `gradientsReady` may read the gradients
    /// while the step computes: when the runners run one after the other it is called, on this
    /// thread, each time every runner's gradient is final from an offset to the end (see
    /// BatchEngine), and once more with 0 at the end; side by side, only with 0 at the end.
    public static func computeStep(
        _ runners: [ShardRunner], epoch: Int, step: Int, parameters: [Float],
        gradients: UnsafeMutableBufferPointer<[Float]>, sums: UnsafeMutableBufferPointer<[Double]>,
        gradientsReady: ((_ offset: Int) -> Void)? = nil
    ) {
        defer { gradientsReady?(0) }
        guard let pool = runners.first?.pool else { return }
        let work = runners.reduce(0) { $0 + $1.schedule.stepRange(shard: $1.shard, step: step).count }
            * runners[0].engine.layout.shapes.reduce(0) { $0 + $1.inputs * $1.units }
        let sideBySide = runners.count >= pool.threads
            && pool.parts(multiplyAdds: work) > 1
        parameters.withUnsafeBufferPointer { parameters in
            runners.withUnsafeBufferPointer { runners in
                // Each runner reaches its own element of the outer arrays through their buffers, so
                // runners on different threads never touch the same array.
                pool.run(Shards(
                    runners: runners, epoch: epoch, step: step, parameters: parameters, gradients: gradients,
                    sums: sums, sideBySide: sideBySide, gradientsReady: gradientsReady))
            }
        }
    }

    /// The runners' parts of a step: one runner per part side by side, or all of them in one part.
    private struct Shards: ComputeTask {
        let runners: UnsafeBufferPointer<ShardRunner>
        let epoch: Int
        let step: Int
        let parameters: UnsafeBufferPointer<Float>
        let gradients: UnsafeMutableBufferPointer<[Float]>
        let sums: UnsafeMutableBufferPointer<[Double]>
        let sideBySide: Bool
        let gradientsReady: ((_ offset: Int) -> Void)?

        var parts: Int { sideBySide ? runners.count : 1 }

        func run(part: Int) {
            let last = runners.count - 1
            for index in sideBySide ? part...part : 0...last {
                let runner = runners[index]
                gradients[runner.shard].withUnsafeMutableBufferPointer { gradient in
                    sums[runner.shard].withUnsafeMutableBufferPointer { shardSums in
                        shardSums.update(repeating: 0)
                        // Only the last runner's layers finish every runner's: the ones before it are done.
                        runner.computeStep(
                            epoch: epoch, step: step, parameters: parameters, gradient: gradient, sums: shardSums.baseAddress!,
                            gradientsReady: !sideBySide && index == last ? gradientsReady : nil)
                    }
                }
            }
        }
    }

    /// The validation sums of all the runners' rows with `parameters`, added in shard order.
    public static func validationSums(_ runners: [ShardRunner], parameters: [Float], metrics: MetricSet) -> [Double] {
        let shardSums = runners.sorted { $0.shard < $1.shard }.map { runner in
            var sums = metrics.makeSums()
            parameters.withUnsafeBufferPointer { runner.evaluateValidation(parameters: $0, sums: &sums) }
            return sums
        }
        return metrics.total(of: shardSums)
    }
}
