// Dropout in the batch engine: a training pass passes on each value times its multiplier (exactly
// A·scale or 0, per DropoutMask's decision for the row's position), the gradient matches central
// differences of the loss under the same masks (GradientCheckTests' step and tolerance), inference
// (evaluate, forward) and a pass without a key compute as the model without Dropout, and the masks
// and gradient bits do not depend on how many threads split the pass.

@testable import DLCore
import XCTest

final class DropoutEngineTests: XCTestCase {
    private let key = DropoutKey(seed: 5, epoch: 2, step: 3, shard: 1)

    private func spec(_ hidden: Activation, inputs: Int = 3, units: Int = 5, outputs: Int = 2, output: Activation = .linear,
                      inputRate: Float? = 0.25, rate: Float? = 0.5) throws -> ModelSpec {
        try ModelSpec(
            inputDim: inputs,
            layers: [
                DenseSpec(units: units, activation: hidden, dropout: rate), DenseSpec(units: units, activation: hidden, dropout: rate),
                DenseSpec(units: outputs, activation: output),
            ],
            inputDropout: inputRate)
    }

    private func values(_ count: Int, _ generator: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in 2 * generator.nextUnitFloat() - 1 }
    }

    private func engine(_ spec: ModelSpec, rows: Int, loss: Loss = .meanSquaredError, pool: ComputePool = .shared) -> BatchEngine {
        let engine = BatchEngine(spec: spec, loss: loss, metrics: MetricSet([]), capacity: rows, pool: pool)
        var generator = SeededGenerator(seed: 21)
        let inputs = values(rows * spec.inputDim, &generator)
        let targets = values(rows * engine.targetWidth, &generator).map { loss == .binaryCrossentropy ? ($0 > 0 ? 1 : 0) : $0 }
        engine.inputs.baseAddress!.update(from: inputs, count: inputs.count)
        engine.targets.baseAddress!.update(from: targets, count: targets.count)
        return engine
    }

    private func gradient(_ engine: BatchEngine, _ parameters: [Float], rows: Int, dropout: DropoutKey?) -> (gradient: [Float], loss: Double) {
        var gradient = [Float](repeating: .nan, count: parameters.count)
        var sums = engine.metrics.makeSums()
        parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                engine.computeGradientSum(parameters: p, rows: rows, gradient: g, sums: &sums, dropout: dropout)
            }
        }
        return (gradient, sums[0])
    }

    /// Generic parameters: the initial ones moved off zero, so ReLU-like units sit away from their kink.
    private func parameters(_ spec: ModelSpec) -> [Float] {
        var generator = SeededGenerator(seed: 11)
        return spec.initialParameters(seed: 7).map { $0 + 0.3 * (2 * generator.nextUnitFloat() - 1) }
    }

    func testTrainingPassesOnEachValueTimesItsMultiplier() throws {
        let spec = try spec(.tanh)
        let rows = 9
        let engine = engine(spec, rows: rows)
        _ = gradient(engine, parameters(spec), rows: rows, dropout: key)
        var dropped = 0, kept = 0
        for (index, slot) in engine.dropouts.enumerated() {
            guard let slot else { return XCTFail("layer \(index) has a Dropout on its input") }
            let rule = slot.rule, width = spec.fanIn(ofLayer: index)
            let before = index == 0 ? UnsafePointer(engine.inputs.baseAddress!) : UnsafePointer(engine.activations[index - 1])
            for row in 0..<rows {
                for unit in 0..<width {
                    let value = before[row * width + unit], passed = slot.output[row * width + unit]
                    if rule.keeps(unit: unit, key: key, layer: index, row: row) {
                        XCTAssertEqual(passed.bitPattern, (value * rule.scale).bitPattern, "layer \(index), row \(row), unit \(unit)")
                        kept += 1
                    } else {
                        XCTAssertEqual(passed.bitPattern, Float(0).bitPattern, "layer \(index), row \(row), unit \(unit)")
                        dropped += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(dropped, 10)
        XCTAssertGreaterThan(kept, 10)
    }

    /// Central differences of the loss under the same step's masks (GradientCheckTests' step 1e-2
    /// and tolerance 1e-2 relative plus 2e-3 absolute), for activations whose backward pass reads
    /// their outputs (tanh, sigmoid, elu) or their inputs (linear), and a fused output. (ReLU's kink
    /// is within a step of some doubled pre-activations here; GradientCheckTests covers its backward.)
    func testGradientMatchesCentralDifferencesUnderTheSameMasks() throws {
        for (hidden, output, loss) in [
            (Activation.tanh, Activation.linear, Loss.meanSquaredError), (.sigmoid, .linear, .meanSquaredError),
            (.elu, .linear, .meanSquaredError), (.linear, .tanh, .meanSquaredError), (.tanh, .sigmoid, .binaryCrossentropy),
        ] {
            let spec = try spec(hidden, outputs: output == .sigmoid ? 1 : 2, output: output)
            let rows = 6
            let engine = engine(spec, rows: rows, loss: loss)
            let parameters = parameters(spec)
            let analytic = gradient(engine, parameters, rows: rows, dropout: key).gradient
            let h: Float = 1e-2
            for i in parameters.indices {
                var plus = parameters, minus = parameters
                plus[i] += h
                minus[i] -= h
                let numeric = (gradient(engine, plus, rows: rows, dropout: key).loss - gradient(engine, minus, rows: rows, dropout: key).loss)
                    / Double(plus[i] - minus[i])
                XCTAssertEqual(
                    Double(analytic[i]), numeric, accuracy: 1e-2 * abs(numeric) + 2e-3, "\(hidden.rawValue): parameter \(i)")
            }
            // The masks matter: another step's give another gradient.
            XCTAssertNotEqual(analytic, gradient(engine, parameters, rows: rows, dropout: DropoutKey(seed: 5, epoch: 2, step: 4, shard: 1)).gradient)
        }
    }

    /// Evaluation, the forward pass and a pass without a key compute what the model without its
    /// Dropout layers computes, bit for bit.
    func testInferenceAndPassesWithoutAKeyNeverDrop() throws {
        let rows = 8
        let withDropout = try spec(.relu), without = try spec(.relu, inputRate: nil, rate: nil)
        let parameters = parameters(withDropout)
        let a = engine(withDropout, rows: rows), b = engine(without, rows: rows)
        var sumsA = a.metrics.makeSums(), sumsB = b.metrics.makeSums()
        parameters.withUnsafeBufferPointer { p in
            a.evaluate(parameters: p, rows: rows, sums: &sumsA)
            b.evaluate(parameters: p, rows: rows, sums: &sumsB)
        }
        XCTAssertEqual(sumsA, sumsB)
        parameters.withUnsafeBufferPointer { p in
            a.forward(parameters: p, rows: rows)
            b.forward(parameters: p, rows: rows)
        }
        let width = withDropout.outputWidth
        XCTAssertEqual(
            UnsafeBufferPointer(start: a.outputs, count: rows * width).map(\.bitPattern),
            UnsafeBufferPointer(start: b.outputs, count: rows * width).map(\.bitPattern))
        XCTAssertEqual(
            gradient(a, parameters, rows: rows, dropout: nil).gradient.map(\.bitPattern),
            gradient(b, parameters, rows: rows, dropout: nil).gradient.map(\.bitPattern))
        XCTAssertNotEqual(gradient(a, parameters, rows: rows, dropout: key).loss, gradient(b, parameters, rows: rows, dropout: key).loss)
    }

    /// A model whose products split into 2 and 3 blocks of rows (the pool's count shows it): the
    /// masks, keyed by the row's position in the batch, and so the gradient, are the same bits.
    func testMasksAndGradientAreTheSameBitsOnEveryThreadCount() throws {
        let spec = try spec(.relu, inputs: 40, units: 96, outputs: 3, output: .softmax, inputRate: 0.1, rate: 0.3)
        let rows = 100
        let parameters = spec.initialParameters(seed: 3)
        var results: [(gradient: [UInt32], masks: [[Float]])] = []
        for threads in 1...3 {
            let pool = ComputePool(threads: threads)
            let engine = engine(spec, rows: rows, pool: pool)
            let gradient = gradient(engine, parameters, rows: rows, dropout: key).gradient
            let masks = engine.dropouts.map { slot in
                slot.map { Array(UnsafeBufferPointer(start: $0.multipliers, count: rows * $0.width)) } ?? []
            }
            results.append((gradient.map(\.bitPattern), masks))
            XCTAssertEqual(pool.parallelRuns > 0, threads > 1, "\(threads) threads")
        }
        for threads in 2...3 {
            XCTAssertEqual(results[threads - 1].masks, results[0].masks, "\(threads) threads")
            XCTAssertEqual(results[threads - 1].gradient, results[0].gradient, "\(threads) threads")
        }
    }
}
