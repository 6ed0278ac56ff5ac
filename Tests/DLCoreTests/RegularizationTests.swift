// A model's regularization: the penalty is Keras's sum of l1 Σ|w| + l2 Σw² over the regularized
// tensors only, its gradient matches a finite difference of the penalty, sign(0) is 0 as TensorFlow's,
// and a model without regularizers has no terms.

import DLCore
import XCTest

final class RegularizationTests: XCTestCase {
    private func regularization() throws -> Regularization {
        Regularization(try ModelSpec(inputDim: 2, layers: [
            DenseSpec(units: 2, activation: .relu, kernelRegularizer: Regularizer(l1: 0.1, l2: 0.2)),
            DenseSpec(units: 1, activation: .sigmoid, biasRegularizer: Regularizer(l2: 0.5)),
        ]))
    }

    func testThePenaltyCoversTheRegularizedTensorsOnly() throws {
        // Layout: kernel 0 (4), bias 0 (2), kernel 1 (2), bias 1 (1).
        let parameters: [Float] = [1, -2, 0, 3, 100, 100, 100, 100, -4]
        let regularization = try self.regularization()
        XCTAssertEqual(regularization.terms.map(\.range), [0..<4, 8..<9])
        let expected: Float = 0.1 * 6 + 0.2 * 14 + 0.5 * 16
        XCTAssertEqual(regularization.penalty(parameters), expected, accuracy: 1e-6)
        XCTAssertTrue(Regularization(try ModelSpec(inputDim: 2, layers: [DenseSpec(units: 1, activation: .linear)])).isEmpty)
    }

    func testTheGradientIsThePenaltysDerivative() throws {
        let parameters: [Float] = [0.3, -0.7, 0, 1.1, 0.2, -0.2, 0.9, -1.3, 0.4]
        let regularization = try self.regularization()
        var gradient = [Float](repeating: 1, count: parameters.count)
        parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { regularization.addGradient(of: p, to: $0) }
        }
        for i in parameters.indices {
            let h: Float = 1e-3
            var up = parameters, down = parameters
            up[i] += h
            down[i] -= h
            let numeric = parameters[i] == 0
                ? 0  // |w| has no derivative at 0: TensorFlow's sign(0) = 0 leaves only the l2 term, 0 there.
                : (Double(regularization.penalty(up)) - Double(regularization.penalty(down))) / Double(2 * h)
            XCTAssertEqual(Double(gradient[i] - 1), numeric, accuracy: 2e-3, "parameter \(i)")
        }
        XCTAssertEqual(gradient[4], 1)  // an unregularized bias keeps its gradient
    }

    func testTheLanesSumEveryElementOnce() throws {
        // 7 x 5 + 5 parameters: four vectors of eight and a tail, in each tensor.
        let spec = try ModelSpec(inputDim: 7, layers: [
            DenseSpec(units: 5, activation: .linear, kernelRegularizer: Regularizer(l1: 0.5, l2: 0.25), biasRegularizer: Regularizer(l2: 2)),
        ])
        var generator = SeededGenerator(seed: 4)
        let parameters = (0..<40).map { _ in generator.nextUnitFloat() * 2 - 1 }
        var absolute = 0.0, squares = 0.0, biasSquares = 0.0
        for (i, w) in parameters.enumerated() {
            if i < 35 {
                absolute += abs(Double(w))
                squares += Double(w) * Double(w)
            } else {
                biasSquares += Double(w) * Double(w)
            }
        }
        let expected = Double(0.5 * Float(absolute) + 0.25 * Float(squares) + 2 * Float(biasSquares))
        XCTAssertEqual(Double(Regularization(spec).penalty(parameters)), expected, accuracy: 1e-6 * expected)
    }
}
