// The definition of "Keras semantics" for dltrain: five short training runs recorded from Keras 3.15
// on TensorFlow 2.21 (Fixtures/, see its README), replayed from the same initial weights. Every
// step's loss, the first step's gradients, the weights after every step, and the one-epoch report
// must agree to 1e-5 relative (1e-6 absolute near zero), which is float32 arithmetic in another order.

import DLCore
import Foundation
import XCTest

final class KerasParityTests: XCTestCase {
    func testSeedModelMeanSquaredErrorAdam() throws { try replay("seed_mse_adam") }
    func testSeedModelBinaryCrossentropyAdam() throws { try replay("seed_bce_adam") }
    func testSoftmaxCategoricalCrossentropySGDNesterov() throws { try replay("softmax_cce_sgd_nesterov") }
    func testSoftmaxSparseCategoricalCrossentropyRMSprop() throws { try replay("softmax_sparse_cce_rmsprop") }
    func testRegressionMeanAbsoluteErrorAdagrad() throws { try replay("regression_mae_adagrad") }

    private func replay(_ name: String) throws {
        let reference = try KerasReference.load(name)
        let spec = try reference.modelSpec()
        let loss = try Loss(name: reference.spec.loss)
        let metricSet = MetricSet(
            try reference.spec.metrics.map { try Metric(name: $0, loss: loss, outputs: spec.outputWidth) })
        var optimizer = Optimizer(try reference.optimizerConfig(), parameterCount: spec.layout.count, tensors: spec.layout.tensorRanges)
        var parameters = reference.flatten(reference.initialWeights)
        let engine = BatchEngine(spec: spec, loss: loss, metrics: metricSet, capacity: reference.batchSize)
        var gradient = [Float](repeating: 0, count: parameters.count)
        var epochSums = metricSet.makeSums()

        for (index, step) in reference.steps.enumerated() {
            let rows = step.x.count
            for (row, features) in step.x.enumerated() {
                for (column, value) in features.enumerated() { engine.inputs[row * spec.inputDim + column] = value }
                for (column, value) in step.y[row].enumerated() { engine.targets[row * engine.targetWidth + column] = value }
            }
            var stepSums = metricSet.makeSums()
            parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    engine.computeGradientSum(parameters: p, rows: rows, gradient: g, sums: &stepSums)
                }
            }
            for i in gradient.indices { gradient[i] /= Float(rows) }
            assertClose(stepSums[0] / Double(rows), Double(step.loss), "\(name) step \(index) loss")
            if let expected = step.gradients {
                assertClose(gradient, reference.flatten(expected), "\(name) step \(index) gradients")
            }
            gradient.withUnsafeMutableBufferPointer { g in
                parameters.withUnsafeMutableBufferPointer { p in optimizer.apply(gradient: g, to: p) }
            }
            assertClose(parameters, reference.flatten(step.weightsAfter), "\(name) weights after step \(index)")
            for i in epochSums.indices { epochSums[i] += stepSums[i] }
        }

        for (metric, value) in metricSet.results(epochSums) {
            let expected = try XCTUnwrap(reference.fitEpochReport[metric], "\(name): no \(metric) in report")
            assertClose(value, expected, "\(name) epoch \(metric)")
        }
        assertClose(parameters, reference.flatten(reference.fitEpochWeights), "\(name) weights after fit epoch")
    }

    private func assertClose(_ actual: Double, _ expected: Double, _ what: String, line: UInt = #line) {
        XCTAssertLessThanOrEqual(
            abs(actual - expected), 1e-5 * abs(expected) + 1e-6, "\(what): \(actual) vs Keras \(expected)", line: line)
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, line: line)
        var worst = (index: -1, excess: Float(0))
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            let excess = abs(a - e) - (1e-5 * abs(e) + 1e-6)
            if excess > worst.excess { worst = (i, excess) }
        }
        if worst.index >= 0 {
            XCTFail(
                "\(what): parameter \(worst.index) is \(actual[worst.index]), Keras \(expected[worst.index])",
                line: line)
        }
    }
}

/// One recorded Keras run, as described in Fixtures/README.md.
struct KerasReference: Decodable {
    struct Spec: Decodable {
        let input_dim: Int
        let layers: [[LayerField]]
        let loss: String
        let optimizer: [String: OptimizerField]
        let metrics: [String]
    }
    enum LayerField: Decodable {
        case units(Int), activation(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let units = try? container.decode(Int.self) { self = .units(units) } else {
                self = .activation(try container.decode(String.self))
            }
        }
    }
    enum OptimizerField: Decodable {
        case name(String), number(Double), flag(Bool)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) { self = .flag(flag) }
            else if let number = try? container.decode(Double.self) { self = .number(number) }
            else { self = .name(try container.decode(String.self)) }
        }
    }
    /// A layer's weights: the kernel as rows, then the bias.
    enum WeightField: Decodable {
        case matrix([[Float]]), vector([Float])
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let matrix = try? container.decode([[Float]].self) { self = .matrix(matrix) } else {
                self = .vector(try container.decode([Float].self))
            }
        }
    }
    struct Step: Decodable {
        let x: [[Float]]
        let y: [[Float]]
        let loss: Float
        let weightsAfter: [WeightField]
        let gradients: [WeightField]?
        enum CodingKeys: String, CodingKey { case x, y, loss, weightsAfter = "weights_after", gradients }
    }

    let spec: Spec
    let batchSize: Int
    let initialWeights: [WeightField]
    let steps: [Step]
    let fitEpochReport: [String: Double]
    let fitEpochWeights: [WeightField]

    enum CodingKeys: String, CodingKey {
        case spec, steps
        case batchSize = "batch_size", initialWeights = "initial_weights"
        case fitEpochReport = "fit_epoch_report", fitEpochWeights = "fit_epoch_weights"
    }

    static func load(_ name: String) throws -> KerasReference {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(KerasReference.self, from: Data(contentsOf: url))
    }

    func modelSpec() throws -> ModelSpec {
        let layers = try spec.layers.map { fields -> DenseSpec in
            guard case let .units(units) = fields[0], case let .activation(name) = fields[1] else {
                throw CocoaError(.coderInvalidValue)
            }
            return DenseSpec(units: units, activation: try Activation(name: name))
        }
        return try ModelSpec(inputDim: spec.input_dim, layers: layers)
    }

    func optimizerConfig() throws -> OptimizerConfig {
        var name = ""
        var arguments: [String: Double] = [:]
        for (key, value) in spec.optimizer {
            switch value {
            case let .name(text): name = text
            case let .number(number): arguments[key] = number
            case let .flag(flag): arguments[key] = flag ? 1 : 0
            }
        }
        return try OptimizerConfig(name: name, arguments: arguments)
    }

    /// Weights in dltrain's flat layout: per layer the kernel rows, then the bias.
    func flatten(_ weights: [WeightField]) -> [Float] {
        weights.flatMap { field -> [Float] in
            switch field {
            case let .matrix(rows): rows.flatMap { $0 }
            case let .vector(values): values
            }
        }
    }
}
