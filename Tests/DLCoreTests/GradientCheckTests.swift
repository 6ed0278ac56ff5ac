// Finite-difference checks of the backward pass: for every activation (as hidden and as output
// layer) and every loss (in its fused logit form and its probability form), the analytic gradient
// sum must match central differences of the summed loss. Float32 central differences with step 1e-2
// agree to about 1e-3; the tolerance is 1e-2 relative plus 2e-3 absolute.

import DLCore
import XCTest

final class GradientCheckTests: XCTestCase {
    func testEveryHiddenActivation() throws {
        for activation in Activation.allCases {
            try check(hidden: activation, output: .linear, outputs: 2, loss: .meanSquaredError)
        }
    }

    func testEveryOutputActivationWithMeanSquaredError() throws {
        for activation in Activation.allCases {
            try check(hidden: .tanh, output: activation, outputs: 3, loss: .meanSquaredError)
        }
    }

    func testMeanAbsoluteError() throws {
        try check(hidden: .relu, output: .linear, outputs: 2, loss: .meanAbsoluteError)
        try check(hidden: .elu, output: .tanh, outputs: 1, loss: .meanAbsoluteError)
    }

    func testBinaryCrossentropyFusedAndClipped() throws {
        try check(hidden: .relu, output: .sigmoid, outputs: 1, loss: .binaryCrossentropy)
        try check(hidden: .tanh, output: .sigmoid, outputs: 3, loss: .binaryCrossentropy)
        try check(hidden: .tanh, output: .softmax, outputs: 2, loss: .binaryCrossentropy)
    }

    func testCategoricalCrossentropyFusedAndClipped() throws {
        try check(hidden: .leakyRelu, output: .softmax, outputs: 4, loss: .categoricalCrossentropy)
        try check(hidden: .tanh, output: .sigmoid, outputs: 3, loss: .categoricalCrossentropy)
    }

    func testSparseCategoricalCrossentropyFusedAndClipped() throws {
        try check(hidden: .sigmoid, output: .softmax, outputs: 4, loss: .sparseCategoricalCrossentropy)
        try check(hidden: .tanh, output: .sigmoid, outputs: 3, loss: .sparseCategoricalCrossentropy)
    }

    private func check(hidden: Activation, output: Activation, outputs: Int, loss: Loss, line: UInt = #line) throws {
        let spec = try ModelSpec(
            inputDim: 3, layers: [DenseSpec(units: 5, activation: hidden), DenseSpec(units: outputs, activation: output)])
        let rows = 6
        var parameters = spec.initialParameters(seed: 7)
        var generator = SeededGenerator(seed: 11)
        // Non-zero biases, so that ReLU-like units sit away from their kink in a generic place.
        for i in parameters.indices { parameters[i] += 0.3 * (2 * generator.nextUnitFloat() - 1) }
        let engine = BatchEngine(spec: spec, loss: loss, metrics: MetricSet([]), capacity: rows)
        for i in 0..<(rows * 3) { engine.inputs[i] = 2 * generator.nextUnitFloat() - 1 }
        for row in 0..<rows {
            switch loss {
            case .sparseCategoricalCrossentropy:
                engine.targets[row] = Float(generator.nextIndex(below: outputs))
            case .categoricalCrossentropy:
                for j in 0..<outputs { engine.targets[row * outputs + j] = 0 }
                engine.targets[row * outputs + generator.nextIndex(below: outputs)] = 1
            case .binaryCrossentropy:
                for j in 0..<outputs { engine.targets[row * outputs + j] = Float(generator.nextIndex(below: 2)) }
            default:
                for j in 0..<outputs { engine.targets[row * outputs + j] = 2 * generator.nextUnitFloat() - 1 }
            }
        }

        var gradient = [Float](repeating: 0, count: parameters.count)
        var sums = [0.0, 0.0]
        parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                engine.computeGradientSum(parameters: p, rows: rows, gradient: g, sums: &sums)
            }
        }
        func lossSum(_ parameters: [Float]) -> Double {
            var sums = [0.0, 0.0]
            parameters.withUnsafeBufferPointer { engine.evaluate(parameters: $0, rows: rows, sums: &sums) }
            return sums[0]
        }
        let h: Float = 1e-2
        for i in parameters.indices {
            var plus = parameters, minus = parameters
            plus[i] += h
            minus[i] -= h
            let numeric = (lossSum(plus) - lossSum(minus)) / Double(plus[i] - minus[i])
            XCTAssertEqual(
                Double(gradient[i]), numeric, accuracy: 1e-2 * abs(numeric) + 2e-3,
                "\(loss.rawValue), hidden \(hidden.rawValue), output \(output.rawValue): parameter \(i)", line: line)
        }
    }
}
