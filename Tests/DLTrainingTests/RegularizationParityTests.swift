// Keras's weight regularization, step by step: runs recorded from Keras 3.15 by
// Tests/Reference/record_keras_regularizers.py (l2 and l1 kernel regularizers, l1_l2 kernels with an
// l2 bias regularizer, an l1 bias regularizer alone; SGD and Adam) replayed through TrainingProgress
// from the same initial weights and batches: each step's loss (the data loss plus the penalty at the
// weights before the step, as Keras's train step reports it), the weights after each step, and each
// epoch's loss and val_loss (the penalty at the epoch's final weights added to the validation loss)
// agree to 1e-5 relative (1e-6 absolute near zero), as KerasParityTests.

import DLCore
import DLTraining
import Foundation
import XCTest

final class RegularizationParityTests: XCTestCase {
    private struct Recording: Decodable {
        let keras: String
        let cases: [Case]
    }

    private struct Case: Decodable {
        struct Step: Decodable {
            let x: [[Float]]
            let y: [[Float]]
            let loss: Double
            let weights_after: [Weight]
        }
        let name: String
        let layers: [[Field]]
        let loss: String
        let optimizer: [String: Field]
        let kernel_regularizer: String?
        let bias_regularizer: String?
        let batch_size: Int
        let initial_weights: [Weight]
        let steps: [Step]
        let validation_x: [[Float]]
        let validation_y: [[Float]]
        let fit_history: [String: [Double]]
        let fit_weights: [Weight]
    }

    /// A number or a name of the recording's layer and optimizer descriptions.
    private enum Field: Decodable {
        case number(Double), name(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) { self = .number(number) } else {
                self = .name(try container.decode(String.self))
            }
        }
        var number: Double? { if case let .number(value) = self { value } else { nil } }
        var name: String? { if case let .name(value) = self { value } else { nil } }
    }

    /// A kernel (rows) or a bias.
    private enum Weight: Decodable {
        case matrix([[Float]]), vector([Float])
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let rows = try? container.decode([[Float]].self) { self = .matrix(rows) } else {
                self = .vector(try container.decode([Float].self))
            }
        }
        var values: [Float] {
            switch self {
            case let .matrix(rows): rows.flatMap { $0 }
            case let .vector(values): values
            }
        }
    }

    func testEveryRecordedRunIsReplayed() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "keras_regularizers", withExtension: "json"))
        let recording = try JSONDecoder().decode(Recording.self, from: Data(contentsOf: url))
        XCTAssertEqual(recording.cases.count, 4)
        var worst = 0.0
        for recorded in recording.cases { worst = max(worst, try replay(recorded)) }
        // The worst deviation, in units of the tolerance, for the record.
        print("RegularizationParityTests: worst deviation \(worst) of the tolerance")
    }

    /// Replays `recorded`; returns its worst deviation as a fraction of the tolerance.
    private func replay(_ recorded: Case) throws -> Double {
        let defaults = LayerDefaults(
            kernelRegularizer: try recorded.kernel_regularizer.map(Regularizer.parse),
            biasRegularizer: try recorded.bias_regularizer.map(Regularizer.parse))
        let text = recorded.layers.map { "\(Int($0[0].number ?? 0)):\($0[1].name ?? "")" }.joined(separator: ",")
        let list = try LayerList.parse(text, defaults: defaults)
        let spec = try ModelSpec(inputDim: recorded.steps[0].x[0].count, layers: try XCTUnwrap(list.layers))
        let loss = try Loss(name: recorded.loss)
        let metrics = MetricSet([])
        var arguments: [String: Double] = [:]
        for (key, value) in recorded.optimizer { if let number = value.number { arguments[key] = number } }
        let config = try OptimizerConfig(name: try XCTUnwrap(recorded.optimizer["name"]?.name).lowercased(), arguments: arguments)
        let parameters = recorded.initial_weights.flatMap(\.values)
        let stepsPerEpoch = recorded.steps.count / 2
        var progress = TrainingProgress(
            metrics: metrics, stepsPerEpoch: stepsPerEpoch, parameters: parameters,
            optimizer: Optimizer(config, parameterCount: parameters.count, tensors: spec.layout.tensorRanges),
            regularization: Regularization(spec),
            position: TrainingPosition(epoch: 0, step: 0), epochSums: metrics.makeSums(), history: [])
        let engine = BatchEngine(spec: spec, loss: loss, metrics: metrics, capacity: recorded.batch_size)
        var gradient = [Float](repeating: 0, count: parameters.count)
        var worst = 0.0

        func load(_ x: [[Float]], _ y: [[Float]]) {
            for (row, features) in x.enumerated() {
                for (column, value) in features.enumerated() { engine.inputs[row * spec.inputDim + column] = value }
                for (column, value) in y[row].enumerated() { engine.targets[row * engine.targetWidth + column] = value }
            }
        }
        func check(_ actual: Double, _ expected: Double, _ what: String) {
            let tolerance = 1e-5 * abs(expected) + 1e-6
            worst = max(worst, abs(actual - expected) / tolerance)
            XCTAssertLessThanOrEqual(abs(actual - expected), tolerance, "\(recorded.name) \(what): \(actual) vs Keras \(expected)")
        }

        for (index, step) in recorded.steps.enumerated() {
            load(step.x, step.y)
            var sums = metrics.makeSums()
            progress.parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    sums.withUnsafeMutableBufferPointer { engine.computeGradientSum(parameters: p, rows: step.x.count, gradient: g, sums: $0.baseAddress!) }
                }
            }
            let before = progress.epochSums
            try progress.applyStep(shardGradients: [gradient], shardSums: [sums], batchSize: step.x.count)
            check((progress.epochSums[0] - before[0]) / Double(step.x.count), step.loss, "step \(index) loss")
            for (i, (a, e)) in zip(progress.parameters, step.weights_after.flatMap(\.values)).enumerated() {
                check(Double(a), Double(e), "step \(index) weight \(i)")
            }
            if progress.epochStepsDone {
                load(recorded.validation_x, recorded.validation_y)
                var validation = metrics.makeSums()
                progress.parameters.withUnsafeBufferPointer { p in
                    validation.withUnsafeMutableBufferPointer {
                        engine.evaluate(parameters: p, rows: recorded.validation_x.count, sums: $0.baseAddress!)
                    }
                }
                let report = progress.finishEpoch(validationSums: validation, seconds: 0)
                for name in ["loss", "val_loss"] {
                    let expected = try XCTUnwrap(recorded.fit_history[name]?[report.epoch - 1])
                    check(try XCTUnwrap(report.value(name)), expected, "epoch \(report.epoch) \(name)")
                }
            }
        }
        for (i, (a, e)) in zip(progress.parameters, recorded.fit_weights.flatMap(\.values)).enumerated() {
            check(Double(a), Double(e), "fit weight \(i)")
        }
        return worst
    }
}
