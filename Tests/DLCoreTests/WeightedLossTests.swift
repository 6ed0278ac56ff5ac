// Sample weights in the loss (Keras's `sum_over_batch_size` with sample_weight): each row's loss and
// gradient times its weight, the sum still divided by the rows; a weight of 1 changes no bit; and
// the metrics are not weighted, as Keras weighs only `weighted_metrics`.

import DLCore
import XCTest

final class WeightedLossTests: XCTestCase {
    /// Every loss with each output activation it meets: the weighted sum is the sum of each row's
    /// loss times its weight, and each row's gradient is its unweighted one times its weight.
    func testEachRowsLossAndGradientAreTimesItsWeight() {
        let cases: [(Loss, Activation, width: Int, y: [Float])] = [
            (.meanSquaredError, .sigmoid, 2, [0, 1, 1, 0, 0.5, 0.5]),
            (.meanAbsoluteError, .linear, 2, [0, 1, 1, 0, 0.5, 0.5]),
            (.binaryCrossentropy, .sigmoid, 1, [0, 1, 1]),
            (.binaryCrossentropy, .linear, 1, [0, 1, 1]),
            (.categoricalCrossentropy, .softmax, 2, [0, 1, 1, 0, 0, 1]),
            (.categoricalCrossentropy, .sigmoid, 2, [0, 1, 1, 0, 0, 1]),
            (.sparseCategoricalCrossentropy, .softmax, 2, [1, 0, 1]),
            (.sparseCategoricalCrossentropy, .sigmoid, 2, [1, 0, 1]),
        ]
        let weights: [Float] = [0.5, 3, 0]
        for (loss, activation, width, y) in cases {
            let rows = 3
            let z: [Float] = (0..<(rows * width)).map { Float($0) * 0.37 - 0.8 }
            var a = [Float](repeating: 0, count: z.count)
            z.withUnsafeBufferPointer { z in
                a.withUnsafeMutableBufferPointer { activation.forward(z: z.baseAddress!, a: $0.baseAddress!, rows: rows, width: width) }
            }
            var plain = [Float](repeating: 0, count: z.count), weighted = plain
            let plainSum = loss.evaluate(z: z, a: a, y: y, rows: rows, width: width, activation: activation, gradient: &plain)
            let weightedSum = loss.evaluate(
                z: z, a: a, y: y, rows: rows, width: width, activation: activation, weights: weights, gradient: &weighted)
            var expected = 0.0
            let targetWidth = loss.targetWidth(outputs: width)
            for row in 0..<rows {
                let one = loss.evaluate(
                    z: Array(z[(row * width)...]), a: Array(a[(row * width)...]), y: Array(y[(row * targetWidth)...]), rows: 1,
                    width: width, activation: activation, gradient: nil)
                expected += one * Double(weights[row])
                for j in 0..<width {
                    XCTAssertEqual(weighted[row * width + j], plain[row * width + j] * weights[row], "\(loss) \(activation) row \(row)")
                }
            }
            XCTAssertEqual(weightedSum, expected, accuracy: 1e-12 * max(1, abs(expected)), "\(loss) \(activation)")
            XCTAssertNotEqual(weightedSum, plainSum, "\(loss) \(activation)")
        }
    }

    func testWeightsOfOneChangeNoBit() {
        let z: [Float] = [-1.3, 0.2, 2.9, -0.4], y: [Float] = [0, 1, 1, 0]
        var a = [Float](repeating: 0, count: 4)
        z.withUnsafeBufferPointer { z in
            a.withUnsafeMutableBufferPointer { Activation.sigmoid.forward(z: z.baseAddress!, a: $0.baseAddress!, rows: 4, width: 1) }
        }
        var plain = [Float](repeating: 0, count: 4), weighted = plain
        let plainSum = Loss.binaryCrossentropy.evaluate(z: z, a: a, y: y, rows: 4, width: 1, activation: .sigmoid, gradient: &plain)
        let weightedSum = Loss.binaryCrossentropy.evaluate(
            z: z, a: a, y: y, rows: 4, width: 1, activation: .sigmoid, weights: [1, 1, 1, 1], gradient: &weighted)
        XCTAssertEqual(plainSum.bitPattern, weightedSum.bitPattern)
        XCTAssertEqual(plain.map(\.bitPattern), weighted.map(\.bitPattern))
    }

    /// An engine whose rows weigh 2 and 0 computes the gradient sum and the loss of the batch that
    /// holds the first row twice and not the second; its metrics still count both rows once.
    func testAWeightedEngineIsTheBatchWithRowsRepeated() throws {
        let spec = try ModelSpec(inputDim: 2, layers: [DenseSpec(units: 3, activation: .relu), DenseSpec(units: 1, activation: .sigmoid)])
        let metrics = MetricSet([.binaryAccuracy])
        let parameters: [Float] = (0..<spec.layout.count).map { Float($0 % 7) * 0.21 - 0.6 }
        let weighted = BatchEngine(spec: spec, loss: .binaryCrossentropy, metrics: metrics, capacity: 2, weighted: true)
        let repeated = BatchEngine(spec: spec, loss: .binaryCrossentropy, metrics: metrics, capacity: 2)
        for (index, value) in [Float(0.5), -1, 2, 0.25].enumerated() { weighted.inputs[index] = value }
        weighted.targets[0] = 1
        weighted.targets[1] = 0
        weighted.rowWeights[0] = 2
        weighted.rowWeights[1] = 0
        for (index, value) in [Float(0.5), -1, 0.5, -1].enumerated() { repeated.inputs[index] = value }
        repeated.targets[0] = 1
        repeated.targets[1] = 1
        var weightedGradient = [Float](repeating: 0, count: spec.layout.count), repeatedGradient = weightedGradient
        var weightedSums = metrics.makeSums(), repeatedSums = metrics.makeSums()
        parameters.withUnsafeBufferPointer { p in
            weightedGradient.withUnsafeMutableBufferPointer {
                weighted.computeGradientSum(parameters: p, rows: 2, gradient: $0, sums: &weightedSums)
            }
            repeatedGradient.withUnsafeMutableBufferPointer {
                repeated.computeGradientSum(parameters: p, rows: 2, gradient: $0, sums: &repeatedSums)
            }
        }
        for (w, r) in zip(weightedGradient, repeatedGradient) { XCTAssertEqual(w, r, accuracy: 1e-6 * max(1, abs(r))) }
        XCTAssertEqual(weightedSums[0], repeatedSums[0], accuracy: 1e-9)
        XCTAssertEqual(weightedSums[1], 2, "the rows are counted, not weighed")
        // Accuracy of the two rows as they are, unweighted: the first row's class and the second's.
        let output = weighted.outputs
        let correct = (output[0] > 0.5 ? 1.0 : 0) + (output[1] > 0.5 ? 0.0 : 1)
        XCTAssertEqual(weightedSums[2], correct)
    }
}
