// Dropout's masks: a pure function of (seed, epoch, step, shard, layer, row, unit), pinned so a
// change of algorithm is noticed (it would change every model trained with dropout); the fraction
// kept within 5 standard deviations of the binomial's mean for rates 0.1, 0.5 and 0.9; every part of
// the key giving masks that agree no more than independent ones do (again within 5 standard
// deviations); the scale exactly Keras's 1/(1 - rate) in float32.

@testable import DLCore
import XCTest

final class DropoutMaskTests: XCTestCase {
    private let key = DropoutKey(seed: 42, epoch: 3, step: 7, shard: 1)

    private func mask(_ rule: DropoutMask, key: DropoutKey, layer: Int, row: Int, units: Int) -> [Float] {
        var multipliers = [Float](repeating: .nan, count: units)
        multipliers.withUnsafeMutableBufferPointer { rule.fill($0.baseAddress!, units: units, key: key, layer: layer, row: row) }
        return multipliers
    }

    func testNoRateOrRateZeroIsNoDropout() {
        XCTAssertNil(DropoutMask(rate: nil))
        XCTAssertNil(DropoutMask(rate: 0))
        XCTAssertNotNil(DropoutMask(rate: 0.3))
    }

    /// Keras scales by 1/(1 - rate) computed from the Python float: for 0.111 that is 1.1248593 in
    /// float32, where the float32 rate would give 1.1248595.
    func testScaleIsKerasFloat32OfTheWrittenRate() throws {
        for (rate, written) in [(Float(0.3), 0.3), (0.111, 0.111), (0.5, 0.5), (0.9, 0.9), (0.25, 0.25), (0.147, 0.147)] {
            let rule = try XCTUnwrap(DropoutMask(rate: rate))
            XCTAssertEqual(rule.scale, Float(1 / (1 - written)), "rate \(rate)")
        }
        XCTAssertEqual(DropoutMask(rate: 0.111)?.scale.bitPattern, Float(1.1248593).bitPattern)
        XCTAssertEqual(DropoutMask(rate: 0.5)?.threshold, 1 << 23)
    }

    func testMultipliersAreTheScaleOrZeroAndFillAgreesWithEachDecision() throws {
        let rule = try XCTUnwrap(DropoutMask(rate: 0.3))
        for units in [1, 2, 7, 64] {
            for row in 0..<5 {
                let multipliers = mask(rule, key: key, layer: 2, row: row, units: units)
                XCTAssertTrue(multipliers.allSatisfy { $0 == 0 || $0 == rule.scale })
                XCTAssertEqual(
                    multipliers.map { $0 != 0 }, (0..<units).map { rule.keeps(unit: $0, key: key, layer: 2, row: row) },
                    "\(units) units, row \(row)")
                XCTAssertEqual(multipliers, mask(rule, key: key, layer: 2, row: row, units: units), "the same key, the same mask")
            }
        }
        // A row's first units do not depend on how many units the row has.
        XCTAssertEqual(mask(rule, key: key, layer: 0, row: 3, units: 7), Array(mask(rule, key: key, layer: 0, row: 3, units: 64).prefix(7)))
    }

    /// The decisions of one row, recorded once from this implementation and checked against a
    /// transcription of DropoutMask's header (its description of the algorithm) in Python.
    func testMasksArePinned() throws {
        let rule = try XCTUnwrap(DropoutMask(rate: 0.5))
        let bits = mask(rule, key: key, layer: 1, row: 4, units: 32).map { $0 == 0 ? "0" : "1" }.joined()
        XCTAssertEqual(bits, Self.pinned)
    }

    static let pinned = "00001111010010001011000010111011"

    /// Over 100,000 decisions the fraction kept is 1 - rate within 5 standard deviations of the
    /// binomial, for the units drawn from the high and from the low half of an output alike.
    func testFractionKeptIsWithinTheBinomialBound() throws {
        for rate: Float in [0.1, 0.5, 0.9] {
            let rule = try XCTUnwrap(DropoutMask(rate: rate))
            let rows = 200, units = 500
            var kept = [0, 0]  // even units, odd units
            for row in 0..<rows {
                for (unit, multiplier) in mask(rule, key: key, layer: 1, row: row, units: units).enumerated() where multiplier != 0 {
                    kept[unit % 2] += 1
                }
            }
            let p = 1 - Double(rate)
            for half in 0..<2 {
                let n = Double(rows * units / 2)
                let bound = 5 * (n * p * (1 - p)).squareRoot()
                XCTAssertEqual(Double(kept[half]), n * p, accuracy: bound, "rate \(rate), \(half == 0 ? "even" : "odd") units")
            }
        }
    }

    /// Masks for keys that differ in one part agree on a fraction p² + (1-p)² of their values, as
    /// independent masks do (within 5 standard deviations), for each part of the key.
    func testEveryPartOfTheKeyGivesIndependentMasks() throws {
        let rule = try XCTUnwrap(DropoutMask(rate: 0.5))
        let rows = 40, units = 256
        func masks(_ key: DropoutKey, layer: Int = 1, rowOffset: Int = 0) -> [Bool] {
            (0..<rows).flatMap { mask(rule, key: key, layer: layer, row: $0 + rowOffset, units: units).map { $0 != 0 } }
        }
        func agreement(_ a: [Bool], _ b: [Bool]) -> Double {
            Double(zip(a, b).filter { $0 == $1 }.count) / Double(a.count)
        }
        let n = Double(rows * units), bound = 5 * (0.25 / n).squareRoot()
        let base = masks(key)
        let others: [(String, [Bool])] = [
            ("seed", masks(DropoutKey(seed: 43, epoch: 3, step: 7, shard: 1))),
            ("epoch", masks(DropoutKey(seed: 42, epoch: 4, step: 7, shard: 1))),
            ("step", masks(DropoutKey(seed: 42, epoch: 3, step: 8, shard: 1))),
            ("shard", masks(DropoutKey(seed: 42, epoch: 3, step: 7, shard: 2))),
            ("layer", masks(key, layer: 2)),
            ("row", masks(key, rowOffset: 1)),
            // epoch and step swapped: the parts are not summed
            ("epoch and step swapped", masks(DropoutKey(seed: 42, epoch: 7, step: 3, shard: 1))),
        ]
        for (part, other) in others {
            XCTAssertEqual(agreement(base, other), 0.5, accuracy: bound, "another \(part)")
        }
        // Units: each unit against the next, over the rows (pairs that share an output included).
        var same = 0, pairs = 0
        for row in 0..<rows {
            let values = Array(base[(row * units)..<((row + 1) * units)])
            for unit in 0..<(units - 1) {
                same += values[unit] == values[unit + 1] ? 1 : 0
                pairs += 1
            }
        }
        XCTAssertEqual(Double(same) / Double(pairs), 0.5, accuracy: 5 * (0.25 / Double(pairs)).squareRoot(), "neighbouring units")
    }

    /// A rate that ModelSpec would refuse still computes, without trapping: 1 or more drops all.
    func testRatesOutsideTheRangeDoNotTrap() throws {
        for rate: Float in [1, 2, .infinity, .nan] {
            let rule = try XCTUnwrap(DropoutMask(rate: rate))
            XCTAssertTrue(mask(rule, key: key, layer: 0, row: 0, units: 9).allSatisfy { $0 == 0 }, "rate \(rate)")
        }
    }
}
