// The matrix products: the AVX2 variants give exactly the bits of the plain ones (and of a direct
// loop in that order) for every shape, remainders included, so no processor changes a result.

import CKernels
@testable import DLCore
import XCTest

final class MatrixKernelTests: XCTestCase {
    override func tearDown() {
        dl_kernels_allow_vector(1)
    }

    private func randomMatrix(_ count: Int, _ generator: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in
            // Some exact zeros, as ReLU makes them, and values of mixed magnitude.
            generator.nextIndex(below: 5) == 0 ? 0 : (2 * generator.nextUnitFloat() - 1) * Float(1 + generator.nextIndex(below: 100))
        }
    }

    /// Each kernel's result with the vector variants on and off.
    private func bothWays(_ body: () -> [Float]) -> (vector: [UInt32], plain: [UInt32]) {
        dl_kernels_allow_vector(1)
        let vector = body().map(\.bitPattern)
        dl_kernels_allow_vector(0)
        let plain = body().map(\.bitPattern)
        dl_kernels_allow_vector(1)
        return (vector, plain)
    }

    func testReLUBackwardKeepsTheGradientWhereTheInputIsPositive() {
        let z: [Float] = [1, -1, 0, -0.0, .nan, 3, 1e-30, -5, 2, 2, 2]
        let dA: [Float] = [-2, 4, 5, 6, 7, -0.0, 9, 10, 11, 12, 13]
        let expected: [Float] = [-2, 0, 0, 0, 0, -0.0, 9, 0, 11, 12, 13]
        let result = bothWays {
            var dZ = dA
            dZ.withUnsafeMutableBufferPointer { dl_relu_backward(z, $0.baseAddress!, $0.baseAddress!, z.count) }
            return dZ
        }
        XCTAssertEqual(result.vector, expected.map(\.bitPattern))
        XCTAssertEqual(result.plain, expected.map(\.bitPattern))
    }

    func testVectorAndPlainVariantsAgreeBitForBit() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<300 {
            let rows = 1 + generator.nextIndex(below: 11), k = 1 + generator.nextIndex(below: 40), n = 1 + generator.nextIndex(below: 41)
            let a = randomMatrix(rows * k, &generator), b = randomMatrix(k * n, &generator), bias = randomMatrix(n, &generator)
            let forward = bothWays {
                var out = [Float](repeating: .nan, count: rows * n)
                MatrixKernels.multiplyAddingBias(a, b, bias: bias, into: &out, rows: rows, inner: k, columns: n)
                return out
            }
            XCTAssertEqual(forward.vector, forward.plain, "forward \(rows)x\(k)x\(n)")
            var reference = [Float](repeating: 0, count: rows * n)
            for r in 0..<rows {
                for j in 0..<n {
                    var c = bias[j]
                    for i in 0..<k { c += a[r * k + i] * b[i * n + j] }
                    reference[r * n + j] = c
                }
            }
            XCTAssertEqual(forward.plain, reference.map(\.bitPattern), "forward order \(rows)x\(k)x\(n)")

            let g = randomMatrix(rows * n, &generator), initial = randomMatrix(k * n, &generator)
            let weights = bothWays {
                var out = initial
                MatrixKernels.accumulateTransposedProduct(a, g, into: &out, rows: rows, inner: k, columns: n)
                return out
            }
            XCTAssertEqual(weights.vector, weights.plain, "kernel gradient \(rows)x\(k)x\(n)")

            let inputs = bothWays {
                var out = [Float](repeating: .nan, count: rows * k)
                MatrixKernels.multiply(g, b, into: &out, rows: rows, inner: n, columns: k)
                return out
            }
            XCTAssertEqual(inputs.vector, inputs.plain, "input gradient \(rows)x\(n)x\(k)")
        }
    }
}
