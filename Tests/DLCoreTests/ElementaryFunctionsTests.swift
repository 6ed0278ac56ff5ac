// dltrain's own exp, log, tanh and sigmoid against the C library's double-precision functions,
// rounded to float32: they must agree to one float32 unit in the last place over the whole range
// a network meets.

import DLCore
import Foundation
import XCTest

final class ElementaryFunctionsTests: XCTestCase {
    private func assertWithinOneULP(_ actual: Float, _ expected: Double, _ what: String, line: UInt = #line) {
        let reference = Float(expected)
        if reference.isInfinite || reference == 0 {
            XCTAssertEqual(actual, reference, what, line: line)
            return
        }
        XCTAssertLessThanOrEqual(abs(actual - reference), reference.ulp, "\(what): \(actual) vs \(reference)", line: line)
    }

    private var samples: [Float] {
        var generator = SeededGenerator(seed: 1)
        var values: [Float] = [0, 1e-8, -1e-8, 1e-4, 0.5, 1, -1, 20, -20, 88, -87, 89, -104, -110]
        for _ in 0..<20_000 { values.append(Float(generator.nextUnitDouble() * 200 - 100)) }
        for _ in 0..<5_000 { values.append(Float(generator.nextUnitDouble() * 2 - 1) * 1e-3) }
        return values
    }

    func testExp() {
        for x in samples { assertWithinOneULP(ElementaryFunctions.exp(x), Foundation.exp(Double(x)), "exp(\(x))") }
    }

    func testLog() {
        var generator = SeededGenerator(seed: 2)
        var values: [Float] = [1, 2, 0.5, 1e-7, 1 - 1e-7, 3.4e38, 1e-38]
        for _ in 0..<20_000 { values.append(Float(Foundation.exp(generator.nextUnitDouble() * 160 - 80))) }
        for x in values { assertWithinOneULP(ElementaryFunctions.log(x), Foundation.log(Double(x)), "log(\(x))") }
        XCTAssertEqual(ElementaryFunctions.log(0), -.infinity)
        XCTAssertTrue(ElementaryFunctions.log(-1).isNaN)
    }

    func testTanhAndSigmoid() {
        for x in samples {
            assertWithinOneULP(ElementaryFunctions.tanh(x), Foundation.tanh(Double(x)), "tanh(\(x))")
            assertWithinOneULP(ElementaryFunctions.sigmoid(x), 1 / (1 + Foundation.exp(-Double(x))), "sigmoid(\(x))")
        }
    }

    func testPowerBySquaring() {
        XCTAssertEqual(ElementaryFunctions.power(0.9, 0), 1)
        XCTAssertEqual(ElementaryFunctions.power(2, 10), 1024)
        XCTAssertEqual(ElementaryFunctions.power(0.999, 1000), Foundation.pow(0.999, 1000), accuracy: 1e-14)
    }
}
