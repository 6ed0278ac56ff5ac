// Keras's class_weight and sample_weight, replayed: five short runs recorded from Keras 3.15 by
// Tests/Reference/record_keras_weights.py (Fixtures/weights_*.json: the README's format plus each
// step's `sample_weight` and the `validation` rows). Each step's weighted loss, the first step's
// gradients, the weights after every step, and the epoch report (the weighted loss, the unweighted
// metrics, val_loss weighted by the validation rows' sample weights and never by class weights)
// agree with Keras to 1e-5 relative, 1e-6 absolute, as KerasParityTests. Measured: at most 0.4 of
// that tolerance (a weight near zero after the last step); losses and reports within 1.4e-6 relative.

import DLCore
import Foundation
import XCTest

final class WeightedKerasParityTests: XCTestCase {
    func testClassWeightsOnASigmoidOutput() throws { try replay("weights_class_bce_adam") }
    func testClassWeightsOnClassIndices() throws { try replay("weights_class_sparse_softmax_sgd") }
    func testClassWeightsOnOneHotTargets() throws { try replay("weights_class_onehot_softmax_rmsprop") }
    func testSampleWeightsWithAWeightedValidation() throws { try replay("weights_sample_mse_validation") }
    func testClassWeightsLeaveTheValidationUnweighted() throws { try replay("weights_class_mse_validation") }

    /// What the weighted fixtures add to KerasReference.
    private struct Weighted: Decodable {
        struct Step: Decodable { let sample_weight: [Float] }
        struct Rows: Decodable {
            let x: [[Float]]
            let y: [[Float]]
            let sample_weight: [Float]
        }
        let steps: [Step]
        let validation: Rows?
    }

    private func replay(_ name: String) throws {
        let reference = try KerasReference.load(name)
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        let weighted = try JSONDecoder().decode(Weighted.self, from: Data(contentsOf: url))
        let spec = try reference.modelSpec()
        let loss = try Loss(name: reference.spec.loss)
        let metricSet = MetricSet(try reference.spec.metrics.map { try Metric(name: $0, loss: loss, outputs: spec.outputWidth) })
        var optimizer = Optimizer(try reference.optimizerConfig(), parameterCount: spec.layout.count, tensors: spec.layout.tensorRanges)
        var parameters = reference.flatten(reference.initialWeights)
        let capacity = max(reference.batchSize, weighted.validation?.x.count ?? 0)
        let engine = BatchEngine(spec: spec, loss: loss, metrics: metricSet, capacity: capacity, weighted: true)
        var gradient = [Float](repeating: 0, count: parameters.count)
        var epochSums = metricSet.makeSums()

        for (index, step) in reference.steps.enumerated() {
            fill(engine, x: step.x, y: step.y, weights: weighted.steps[index].sample_weight)
            var stepSums = metricSet.makeSums()
            parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    engine.computeGradientSum(parameters: p, rows: step.x.count, gradient: g, sums: &stepSums)
                }
            }
            for i in gradient.indices { gradient[i] /= Float(step.x.count) }
            assertClose(stepSums[0] / Double(step.x.count), Double(step.loss), "\(name) step \(index) loss")
            if let expected = step.gradients {
                assertClose(gradient, reference.flatten(expected), "\(name) step \(index) gradients")
            }
            gradient.withUnsafeMutableBufferPointer { g in
                parameters.withUnsafeMutableBufferPointer { p in optimizer.apply(gradient: g, to: p) }
            }
            assertClose(parameters, reference.flatten(step.weightsAfter), "\(name) weights after step \(index)")
            for i in epochSums.indices { epochSums[i] += stepSums[i] }
        }
        var report = metricSet.results(epochSums)
        if let validation = weighted.validation {
            fill(engine, x: validation.x, y: validation.y, weights: validation.sample_weight)
            var sums = metricSet.makeSums()
            parameters.withUnsafeBufferPointer { engine.evaluate(parameters: $0, rows: validation.x.count, sums: &sums) }
            report += metricSet.results(sums).map { ("val_" + $0.name, $0.value) }
        }
        XCTAssertEqual(Set(report.map(\.name)), Set(reference.fitEpochReport.keys), name)
        for (metric, value) in report {
            assertClose(value, try XCTUnwrap(reference.fitEpochReport[metric]), "\(name) epoch \(metric)")
        }
        assertClose(parameters, reference.flatten(reference.fitEpochWeights), "\(name) weights after fit epoch")
    }

    private func fill(_ engine: BatchEngine, x: [[Float]], y: [[Float]], weights: [Float]) {
        for (row, features) in x.enumerated() {
            for (column, value) in features.enumerated() { engine.inputs[row * engine.spec.inputDim + column] = value }
            for (column, value) in y[row].enumerated() { engine.targets[row * engine.targetWidth + column] = value }
            engine.rowWeights[row] = weights[row]
        }
    }

    private func assertClose(_ actual: Double, _ expected: Double, _ what: String, line: UInt = #line) {
        XCTAssertLessThanOrEqual(
            abs(actual - expected), 1e-5 * abs(expected) + 1e-6, "\(what): \(actual) vs Keras \(expected)", line: line)
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > 1e-5 * abs(e) + 1e-6 {
            return XCTFail("\(what): parameter \(i) is \(a), Keras \(e)", line: line)
        }
    }
}
