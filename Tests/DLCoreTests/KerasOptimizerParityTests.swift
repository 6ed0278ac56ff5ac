// Keras's optimizers, weight decay, clipping, moving averages and learning-rate schedules, replayed
// from trajectories that Tests/Reference/record_keras_optimizers.py records with Keras 3 (Fixtures/
// keras_optimizers.json, keras_schedules.json): from the same initial weights and batches, every
// step's learning rate and weights, and the weights fit ends with, agree to 1e-5 relative (1e-6
// absolute), as KerasParityTests; each schedule's rates at steps 0...40 likewise.

import DLCore
import Foundation
import XCTest

final class KerasOptimizerParityTests: XCTestCase {
    func testAdamW() throws { try replay("adamw_defaults") }
    func testAdamWWithAMSGradAndWeightDecay() throws { try replay("adamw_amsgrad") }
    func testAdamAMSGrad() throws { try replay("adam_amsgrad") }
    func testAdamWeightDecay() throws { try replay("adam_weight_decay") }
    func testAdagradWeightDecay() throws { try replay("adagrad_weight_decay") }
    func testNadam() throws { try replay("nadam") }
    func testAdamax() throws { try replay("adamax") }
    func testAdadelta() throws { try replay("adadelta") }
    func testFtrl() throws { try replay("ftrl_defaults") }
    func testFtrlWithEveryRegularization() throws { try replay("ftrl_regularized") }
    func testClipNorm() throws { try replay("sgd_clipnorm", optionThatMatters: "clipnorm") }
    func testClipValue() throws { try replay("sgd_clipvalue", optionThatMatters: "clipvalue") }
    func testGlobalClipNorm() throws { try replay("rmsprop_global_clipnorm", optionThatMatters: "global_clipnorm") }
    func testMovingAverage() throws { try replay("adam_ema", optionThatMatters: "use_ema") }
    func testMovingAverageOverwritingTheWeights() throws { try replay("sgd_ema_overwrite", optionThatMatters: "use_ema") }
    func testCosineDecayWithWarmupDrivesSGD() throws { try replay("sgd_cosine_warmup") }
    func testExponentialDecayDrivesAdamWWithClipNorm() throws { try replay("adamw_exponential") }

    /// Each schedule's rate at steps 0...40, as Keras computes it.
    func testSchedulesGiveKerasRates() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "keras_schedules", withExtension: "json", subdirectory: "Fixtures"))
        let file = try JSONDecoder().decode(ScheduleFile.self, from: Data(contentsOf: url))
        XCTAssertEqual(Set(file.schedules.map { $0.schedule.prefix { $0 != ":" } }).count, LearningRateSchedule.names.count)
        for entry in file.schedules {
            let schedule = try LearningRateSchedule(parsing: entry.schedule, initialLearningRate: 1)
            for (step, expected) in entry.rates.enumerated() {
                assertClose([schedule.rate(atIteration: step)], [expected], "\(entry.schedule) at step \(step)")
            }
            // The text form keeps every argument: parsing it again gives the same schedule.
            XCTAssertEqual(try LearningRateSchedule(parsing: schedule.text, initialLearningRate: 7), schedule, entry.schedule)
        }
    }

    /// Replays case `name`; with `optionThatMatters`, also checks that the recorded trajectory is
    /// not reached without that option (the fixture exercises it).
    private func replay(_ name: String, optionThatMatters: String? = nil) throws {
        let file = try OptimizerFile.load()
        let entry = try XCTUnwrap(file.cases.first { $0.name == name }, name)
        let config = try OptimizerConfig(name: entry.optimizer, arguments: entry.arguments, schedule: entry.schedule)
        let (rates, weights, final) = try file.train(config)
        assertClose(rates, entry.learningRates.map(Float.init), "\(name) learning rates")
        for (step, expected) in entry.weightsAfter.enumerated() {
            assertClose(weights[step], file.flatten(expected), "\(name) weights after step \(step)")
        }
        assertClose(final, file.flatten(entry.finalWeights), "\(name) weights fit ends with")
        if let option = optionThatMatters {
            var arguments = entry.arguments
            arguments[option] = nil
            let (_, _, without) = try file.train(try OptimizerConfig(name: entry.optimizer, arguments: arguments, schedule: entry.schedule))
            let differs = zip(without, file.flatten(entry.finalWeights)).contains { abs($0 - $1) > 1e-4 * abs($1) + 1e-5 }
            XCTAssertTrue(differs, "\(name): the fixture does not depend on \(option)")
        }
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= 1e-5 * abs(e) + 1e-6) {
            return XCTFail("\(what): value \(i) is \(a), Keras \(e)", line: line)
        }
    }
}

private struct ScheduleFile: Decodable {
    struct Entry: Decodable {
        let schedule: String
        let rates: [Float]
    }
    let schedules: [Entry]
}

/// keras_optimizers.json: one model, its initial weights and batches, and the recorded cases.
private struct OptimizerFile: Decodable {
    struct Batch: Decodable {
        let x: [[Float]]
        let y: [[Float]]
    }
    struct Case: Decodable {
        let name: String
        let optimizer: String
        let arguments: [String: Double]
        let schedule: String?
        let learningRates: [Double]
        let weightsAfter: [[KerasReference.WeightField]]
        let finalWeights: [KerasReference.WeightField]
        enum CodingKeys: String, CodingKey {
            case name, optimizer, arguments, schedule
            case learningRates = "learning_rates", weightsAfter = "weights_after", finalWeights = "final_weights"
        }
    }
    let layers: [[KerasReference.LayerField]]
    let inputDim: Int
    let loss: String
    let batchSize: Int
    let initialWeights: [KerasReference.WeightField]
    let batches: [Batch]
    let cases: [Case]

    enum CodingKeys: String, CodingKey {
        case layers, loss, batches, cases
        case inputDim = "input_dim", batchSize = "batch_size", initialWeights = "initial_weights"
    }

    static func load() throws -> OptimizerFile {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "keras_optimizers", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(OptimizerFile.self, from: Data(contentsOf: url))
    }

    func flatten(_ weights: [KerasReference.WeightField]) -> [Float] {
        weights.flatMap { field -> [Float] in
            switch field {
            case let .matrix(rows): rows.flatMap { $0 }
            case let .vector(values): values
            }
        }
    }

    /// One epoch over the batches with `config`, as dltrain's trainers apply it: the rate of each
    /// step, the weights after each, and the final weights (Optimizer.finalParameters).
    func train(_ config: OptimizerConfig) throws -> (rates: [Float], weights: [[Float]], final: [Float]) {
        let specs = try layers.map { fields -> DenseSpec in
            guard case let .units(units) = fields[0], case let .activation(name) = fields[1] else { throw CocoaError(.coderInvalidValue) }
            return DenseSpec(units: units, activation: try Activation(name: name))
        }
        let spec = try ModelSpec(inputDim: inputDim, layers: specs)
        let loss = try Loss(name: loss)
        let metrics = MetricSet([])
        let engine = BatchEngine(spec: spec, loss: loss, metrics: metrics, capacity: batchSize)
        var optimizer = Optimizer(config, parameterCount: spec.layout.count, tensors: spec.layout.tensorRanges)
        var parameters = flatten(initialWeights)
        var gradient = [Float](repeating: 0, count: parameters.count)
        var rates: [Float] = [], weights: [[Float]] = []
        for batch in batches {
            for (row, features) in batch.x.enumerated() {
                for (column, value) in features.enumerated() { engine.inputs[row * spec.inputDim + column] = value }
                for (column, value) in batch.y[row].enumerated() { engine.targets[row * engine.targetWidth + column] = value }
            }
            var sums = metrics.makeSums()
            parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    engine.computeGradientSum(parameters: p, rows: batch.x.count, gradient: g, sums: &sums)
                }
            }
            for i in gradient.indices { gradient[i] /= Float(batch.x.count) }
            rates.append(optimizer.currentLearningRate)
            gradient.withUnsafeMutableBufferPointer { g in
                parameters.withUnsafeMutableBufferPointer { p in optimizer.apply(gradient: g, to: p) }
            }
            weights.append(parameters)
        }
        return (rates, weights, optimizer.finalParameters(parameters))
    }
}
