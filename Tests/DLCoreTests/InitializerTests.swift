// Keras's initializers, statistically: each fills a weight with the mean, variance and bounds of
// Keras's distribution for a Dense kernel's fans (fan_in = inputs, fan_out = units) or a bias's
// (both its length); orthogonal gives orthonormal rows or columns; identity and the constants are
// exact; and a seed gives the same bits every time.

@testable import DLCore
import XCTest

final class InitializerTests: XCTestCase {
    private func drawn(_ initializer: Initializer, rows: Int, columns: Int, seed: UInt64 = 9) -> [Float] {
        var values = [Float](repeating: .nan, count: rows * columns)
        var generator = SeededGenerator(seed: seed, stream: 4)
        values.withUnsafeMutableBufferPointer { initializer.fill($0, fanIn: rows, fanOut: columns, using: &generator) }
        return values
    }

    private func moments(_ values: [Float]) -> (mean: Double, variance: Double) {
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        return (mean, variance)
    }

    func testEachRandomInitializerHasKerassMeanVarianceAndBounds() {
        let (rows, columns) = (200, 100)
        let fanAverage = Double(rows + columns) / 2
        // Keras's variance of each (the truncated normals are corrected to it) and the bound of a draw.
        let cases: [(Initializer, variance: Double, bound: Double)] = [
            (.glorotUniform, 1 / fanAverage, (3 / fanAverage).squareRoot()),
            (.glorotNormal, 1 / fanAverage, 2 * (1 / fanAverage).squareRoot() / 0.87962566103423978),
            (.heUniform, 2.0 / Double(rows), (6.0 / Double(rows)).squareRoot()),
            (.heNormal, 2.0 / Double(rows), 2 * (2.0 / Double(rows)).squareRoot() / 0.87962566103423978),
            (.lecunUniform, 1.0 / Double(rows), (3.0 / Double(rows)).squareRoot()),
            (.lecunNormal, 1.0 / Double(rows), 2 * (1.0 / Double(rows)).squareRoot() / 0.87962566103423978),
            (.randomNormal, 0.05 * 0.05, .infinity),
            (.randomUniform, 0.1 * 0.1 / 12, 0.05),
            // A normal of deviation 0.05 cut at two deviations: variance 0.05² x 0.8796².
            (.truncatedNormal, 0.05 * 0.05 * 0.87962566103423978 * 0.87962566103423978, 0.1),
        ]
        for (initializer, variance, bound) in cases {
            let values = drawn(initializer, rows: rows, columns: columns)
            let (mean, measured) = moments(values)
            let n = Double(values.count)
            // Within 5 standard errors of the mean and of the variance (kurtosis at most 3).
            XCTAssertLessThan(abs(mean), 5 * (variance / n).squareRoot(), "\(initializer) mean")
            XCTAssertLessThan(abs(measured - variance), 5 * variance * (2 / n).squareRoot(), "\(initializer) variance \(measured)")
            XCTAssertTrue(values.allSatisfy { abs(Double($0)) <= bound }, "\(initializer) bound")
        }
    }

    func testABiasTakesItsLengthAsBothFans() throws {
        // A he_normal bias of 4000 units: variance 2 / 4000 (Keras's fans of a shape (units,)).
        let spec = try ModelSpec(
            inputDim: 3, layers: [DenseSpec(units: 4000, activation: .relu, biasInitializer: .heUniform)])
        let parameters = spec.initialParameters(seed: 3)
        let bias = Array(parameters[spec.layout.biasRange(0)])
        XCTAssertTrue(bias.allSatisfy { abs($0) <= Float((6.0 / 4000).squareRoot()) })
        XCTAssertEqual(moments(bias).variance, 2.0 / 4000, accuracy: 5 * (2.0 / 4000) * (2.0 / 4000).squareRoot())
    }

    func testOrthogonalGivesOrthonormalColumnsOrRows() {
        for (rows, columns) in [(12, 5), (5, 12), (7, 7)] {
            let values = drawn(.orthogonal, rows: rows, columns: columns)
            // Q^T Q = I for the shorter side.
            let tall = rows >= columns
            let count = min(rows, columns), length = max(rows, columns)
            for a in 0..<count {
                for b in 0..<count {
                    var dot = 0.0
                    for k in 0..<length {
                        let x = tall ? values[k * columns + a] : values[a * columns + k]
                        let y = tall ? values[k * columns + b] : values[b * columns + k]
                        dot += Double(x) * Double(y)
                    }
                    XCTAssertEqual(dot, a == b ? 1 : 0, accuracy: 1e-5, "\(rows)x\(columns) (\(a), \(b))")
                }
            }
        }
    }

    func testConstantsAndIdentityAreExact() {
        XCTAssertEqual(drawn(.zeros, rows: 2, columns: 3), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(drawn(.ones, rows: 2, columns: 3), [1, 1, 1, 1, 1, 1])
        XCTAssertEqual(drawn(.identity, rows: 2, columns: 3), [1, 0, 0, 0, 1, 0])
        XCTAssertEqual(drawn(.identity, rows: 3, columns: 2), [1, 0, 0, 1, 0, 0])
    }

    func testASeedGivesTheSameBits() {
        for initializer in Initializer.allCases {
            XCTAssertEqual(
                drawn(initializer, rows: 6, columns: 4).map(\.bitPattern), drawn(initializer, rows: 6, columns: 4).map(\.bitPattern),
                "\(initializer)")
        }
        XCTAssertNotEqual(drawn(.randomNormal, rows: 6, columns: 4, seed: 1), drawn(.randomNormal, rows: 6, columns: 4, seed: 2))
    }

    func testNamesAreKerassAndAMisspeltOneGetsAHint() {
        XCTAssertEqual(try Initializer(name: "He_Normal"), .heNormal)
        XCTAssertThrowsError(try Initializer(name: "glorot_unifrom")) { error in
            XCTAssertTrue("\(error)".contains("did you mean glorot_uniform?"), "\(error)")
        }
    }
}
