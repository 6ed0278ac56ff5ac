// `dlmodel evaluate`: a model's loss and metrics over every row of a CSV, as Keras's `evaluate`
// computes them: the sums of every row (in float64, as the training's validation sums), divided by
// the rows, under Keras's names. A model trained with a sample weight column weighs each row's loss
// by that column when the CSV has it, as Keras's `evaluate(sample_weight=...)`; the metrics are not
// weighted. The rows are the training reader's, found and standardized (or
// preprocessed from the raw columns) as for `predict`; the labels are encoded as in training, class names through the model's classes.

import DLCore
import DLData
import DLTraining
import Foundation

public struct Evaluation: Sendable {
    public let rows: Int
    public let seconds: Double
    /// `loss` first, then each metric under its History name.
    public let values: [EpochReport.NamedValue]

    /// Keras's `evaluate` line at verbose 2: its steps are batches of 32 rows, as Keras's default.
    public var line: String {
        let steps = max(1, (rows + 31) / 32)
        return "\(steps)/\(steps) - \(ConsoleProgress.whole(seconds)) - \(ConsoleProgress.perStep(seconds / Double(steps)))"
            + ConsoleProgress.format(values)
    }

    /// The values as Keras's `evaluate(return_dict=True)` names them, full precision.
    public var json: String {
        let fields = values.map { "\"\($0.name)\": \($0.value.isFinite ? "\($0.value)" : "null")" }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

public struct Evaluator {
    public let model: ModelFile
    /// Rows per forward pass.
    public let batchSize: Int

    public init(model: ModelFile, batchSize: Int = 1024) {
        self.model = model
        self.batchSize = batchSize
    }

    public func evaluate(csv path: String, options: CSVOptions = CSVOptions()) throws -> Evaluation {
        let started = ContinuousClock.now
        let spec = model.model
        let labels = ModelData.Labels(encoding: model.labels, loss: model.loss, outputs: spec.outputWidth)
        let data = try ModelData.read(
            path: path, options: options, features: model.features, standardization: model.standardization,
            preprocessing: model.preprocessing, labels: labels, sampleWeightColumn: model.sampleWeightColumn)
        let metrics = MetricSet(try model.metrics.map { try Metric(name: $0, loss: model.loss, outputs: spec.outputWidth) })
        let engine = BatchEngine(
            spec: spec, loss: model.loss, metrics: metrics, capacity: max(1, min(batchSize, data.rowCount)), weighted: data.weights != nil)
        let targets = data.targets!, targetWidth = engine.targetWidth, featureCount = spec.inputDim
        var sums = metrics.makeSums()
        model.parameters.withUnsafeBufferPointer { parameters in
            var start = 0
            while start < data.rowCount {
                let count = min(engine.capacity, data.rowCount - start)
                _ = engine.inputs.update(fromContentsOf: data.features[(start * featureCount)..<((start + count) * featureCount)])
                _ = engine.targets.update(fromContentsOf: targets[(start * targetWidth)..<((start + count) * targetWidth)])
                if let weights = data.weights { _ = engine.rowWeights.update(fromContentsOf: weights[start..<(start + count)]) }
                sums.withUnsafeMutableBufferPointer { engine.evaluate(parameters: parameters, rows: count, sums: $0.baseAddress!) }
                start += count
            }
        }
        // Keras's evaluate adds the weight regularization (model.losses) to every batch's loss.
        let regularization = Regularization(spec)
        if !regularization.isEmpty { metrics.addPenalty(regularization.penalty(model.parameters), to: &sums) }
        return Evaluation(
            rows: data.rowCount, seconds: (ContinuousClock.now - started) / .seconds(1),
            values: metrics.results(sums).map { EpochReport.NamedValue(name: $0.name, value: $0.value) })
    }
}
