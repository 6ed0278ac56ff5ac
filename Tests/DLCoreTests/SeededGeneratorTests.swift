// The seeded generator: the same seed and stream give the same numbers (pinned, so that a change of
// algorithm is noticed: it would change every trained model), streams differ, and the derived draws
// have the right ranges and moments.

@testable import DLCore
import XCTest

final class SeededGeneratorTests: XCTestCase {
    func testSequenceIsPinned() {
        var generator = SeededGenerator(seed: 3)
        let first = (0..<3).map { _ in generator.next() }
        var again = SeededGenerator(seed: 3)
        XCTAssertEqual(first, (0..<3).map { _ in again.next() })
        XCTAssertEqual(first, SeededGeneratorTests.pinnedSeed3)
    }

    /// The first three outputs for seed 3; recorded once from this implementation.
    static let pinnedSeed3: [UInt64] = [12_740_027_877_540_924_608, 11_816_633_889_728_259_310, 4_026_230_140_863_905_105]

    /// xoshiro256** from the state (1, 2, 3, 4), as its authors' reference implementation gives it.
    func testMatchesReferenceXoshiro256StarStar() {
        var generator = SeededGenerator(state: (1, 2, 3, 4))
        XCTAssertEqual((0..<4).map { _ in generator.next() }, [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    func testStreamsAreIndependent() {
        var a = SeededGenerator(seed: 3, stream: 1, 0)
        var b = SeededGenerator(seed: 3, stream: 1, 1)
        var c = SeededGenerator(seed: 3, stream: 2, 0)
        let x = a.next(), y = b.next(), z = c.next()
        XCTAssertNotEqual(x, y)
        XCTAssertNotEqual(x, z)
        XCTAssertNotEqual(y, z)
    }

    func testIndexIsInRangeAndUniform() {
        var generator = SeededGenerator(seed: 5)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[generator.nextIndex(below: 7)] += 1 }
        for count in counts { XCTAssertEqual(Double(count), 10_000, accuracy: 400) }
    }

    func testShuffleIsAPermutation() {
        var generator = SeededGenerator(seed: 9)
        var values = Array(0..<1000)
        generator.shuffle(&values)
        XCTAssertNotEqual(values, Array(0..<1000))
        XCTAssertEqual(values.sorted(), Array(0..<1000))
    }

    func testTruncatedNormalMoments() {
        var generator = SeededGenerator(seed: 13)
        let samples = (0..<100_000).map { _ in generator.nextTruncatedNormal(standardDeviation: 1) }
        XCTAssertLessThanOrEqual(samples.map(abs).max()!, 2)
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        // The variance of a unit normal truncated to [-2, 2].
        XCTAssertEqual(variance, 0.7737413, accuracy: 0.01)
    }

    func testInitializersFollowKerasScales() throws {
        let fanIn = 200, fanOut = 100
        for (initializer, expectedVariance) in [
            (Initializer.glorotUniform, 2.0 / 300), (.glorotNormal, 2.0 / 300),
            (.heUniform, 2.0 / 200), (.heNormal, 2.0 / 200),
        ] {
            var values = [Float](repeating: 0, count: fanIn * fanOut)
            var generator = SeededGenerator(seed: 17)
            values.withUnsafeMutableBufferPointer {
                initializer.fill($0, fanIn: fanIn, fanOut: fanOut, using: &generator)
            }
            let variance = values.map { Double($0 * $0) }.reduce(0, +) / Double(values.count)
            XCTAssertEqual(variance, expectedVariance, accuracy: expectedVariance * 0.03, "\(initializer)")
        }
        var zeros = [Float](repeating: 1, count: 10)
        var generator = SeededGenerator(seed: 1)
        zeros.withUnsafeMutableBufferPointer { Initializer.zeros.fill($0, fanIn: 2, fanOut: 5, using: &generator) }
        XCTAssertEqual(zeros, [Float](repeating: 0, count: 10))
    }
}
