// dltrain's own pow and cos (ElementaryFunctions+Power) against the C library's in double
// precision: within one float32 rounding of the exact value over the ranges the schedules and
// optimizers use, and exact where C defines them exactly.

import DLCore
import Foundation
import XCTest

final class ElementaryPowerTests: XCTestCase {
    func testCosineIsCorrectlyRoundedToFloat32() {
        var worst = 0.0
        for i in -4000...4000 {
            let x = Float(i) * 0.00314159 * 2.5
            let exact = Foundation.cos(Double(x))
            let ulp = Double(Float(exact).ulp)
            worst = max(worst, abs(Double(ElementaryFunctions.cos(x)) - exact) / ulp)
        }
        XCTAssertLessThanOrEqual(worst, 0.5 + 1e-6, "in float32 ulps")
        XCTAssertEqual(ElementaryFunctions.cos(0), 1)
        XCTAssertEqual(ElementaryFunctions.cos(Float.pi), -1)
        XCTAssertTrue(ElementaryFunctions.cos(.infinity).isNaN)
    }

    func testPowerIsCorrectlyRoundedToFloat32() {
        var worst = 0.0
        for base in stride(from: Float(0.001), through: 3, by: 0.0137) {
            for exponent in [-2.5, -0.7, -0.5, 0.3, 1.5, 2, 7, 31.25] as [Float] {
                let exact = Foundation.pow(Double(base), Double(exponent))
                let ulp = Double(Float(exact).ulp)
                worst = max(worst, abs(Double(ElementaryFunctions.power(base, exponent)) - exact) / ulp)
            }
        }
        XCTAssertLessThanOrEqual(worst, 0.5 + 1e-6, "in float32 ulps")
        XCTAssertEqual(ElementaryFunctions.power(Float(0.3), 1), 0.3)
        XCTAssertEqual(ElementaryFunctions.power(Float(5), 0), 1)
        XCTAssertEqual(ElementaryFunctions.power(Float(0), 2), 0)
        XCTAssertEqual(ElementaryFunctions.power(Float(0), -1), .infinity)
        XCTAssertEqual(ElementaryFunctions.power(Float(-2), 3), -8)
        XCTAssertTrue(ElementaryFunctions.power(Float(-2), 0.5).isNaN)
        XCTAssertEqual(ElementaryFunctions.power(Float(2.25), 0.5), 1.5)
    }
}
