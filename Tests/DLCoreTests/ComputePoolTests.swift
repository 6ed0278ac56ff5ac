// The compute pool: every part of a piece of work runs exactly once, whatever the number of threads,
// also from inside a part and back to back thousands of times (threads that wake late must not run
// a part again); the ranges it splits an index range into cover it exactly, on block boundaries;
// and small work is not split.

@testable import DLCore
import XCTest

/// A task whose parts run a closure (a test need not avoid the closure's allocation).
private struct Parts: ComputeTask {
    let parts: Int
    let body: (Int) -> Void

    init(_ parts: Int, _ body: @escaping (Int) -> Void) {
        self.parts = parts
        self.body = body
    }

    func run(part: Int) { body(part) }
}

final class ComputePoolTests: XCTestCase {
    /// How many times each part ran, counted by the parts themselves (each writes its own slot).
    private func runCounts(_ pool: ComputePool, parts: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: parts)
        counts.withUnsafeMutableBufferPointer { buffer in
            let counts = buffer
            pool.run(Parts(parts) { part in counts[part] += 1 })
        }
        return counts
    }

    func testEveryPartRunsExactlyOnce() {
        for threads in 1...4 {
            let pool = ComputePool(threads: threads)
            XCTAssertEqual(pool.threads, threads)
            for parts in [0, 1, 2, 3, 7, 64, 1000] {
                XCTAssertEqual(runCounts(pool, parts: parts), [Int](repeating: 1, count: parts), "\(threads) threads, \(parts) parts")
            }
        }
    }

    func testOnlyWorkOfSeveralPartsOnSeveralThreadsIsHandedToThreads() {
        let serial = ComputePool(threads: 1), pool = ComputePool(threads: 2)
        _ = runCounts(serial, parts: 8)
        _ = runCounts(pool, parts: 1)
        XCTAssertEqual(serial.parallelRuns, 0)
        XCTAssertEqual(pool.parallelRuns, 0)
        _ = runCounts(pool, parts: 2)
        XCTAssertEqual(pool.parallelRuns, 1)
    }

    /// A part that hands the pool more work gets it done on its own thread, in order.
    func testWorkGivenFromInsideAPartRunsThere() {
        let pool = ComputePool(threads: 3)
        var inner = [[Int]](repeating: [], count: 4)
        inner.withUnsafeMutableBufferPointer { buffer in
            let inner = buffer
            pool.run(Parts(4) { outer in
                pool.run(Parts(5) { part in inner[outer].append(part) })
            })
        }
        XCTAssertEqual(inner, [[Int]](repeating: [0, 1, 2, 3, 4], count: 4))
        XCTAssertEqual(pool.parallelRuns, 1)
    }

    /// Many short pieces in a row, as a training step makes them: no part is lost or run twice.
    func testPiecesBackToBackEachRunCompletely() {
        let pool = ComputePool(threads: 3)
        var counts = [Int](repeating: 0, count: 6)
        counts.withUnsafeMutableBufferPointer { buffer in
            let counts = buffer
            for piece in 0..<20_000 {
                let parts = 2 + piece % 5
                pool.run(Parts(parts) { part in counts[part] += 1 })
            }
        }
        // Part p runs in every piece with more than p parts: 2 + piece % 5 cycles through 2...6.
        XCTAssertEqual(counts, [20_000, 20_000, 16_000, 12_000, 8_000, 4_000])
    }

    func testRangesCoverTheIndicesOnBlockBoundaries() {
        for count in [0, 1, 5, 6, 7, 64, 100, 256, 1000] {
            for parts in 1...5 {
                for multiple in [1, 6, 8, 16] {
                    let ranges = (0..<parts).map { ComputePool.range($0, of: parts, count: count, multiple: multiple) }
                    XCTAssertEqual(ranges.first?.lowerBound, 0)
                    XCTAssertEqual(ranges.last?.upperBound, count)
                    for (left, right) in zip(ranges, ranges.dropFirst()) {
                        XCTAssertEqual(left.upperBound, right.lowerBound, "\(count) in \(parts) by \(multiple)")
                        XCTAssertTrue(left.upperBound % multiple == 0 || left.upperBound == count)
                    }
                }
            }
        }
        XCTAssertEqual((0..<2).map { ComputePool.range($0, of: 2, count: 256, multiple: 6) }, [0..<126, 126..<256])
    }

    func testSmallWorkIsOnePart() {
        let minimum = ComputePool.MinimumPerPart(multiplyAdds: 4096, elements: 100)
        let pool = ComputePool(threads: 4, minimumPerPart: minimum)
        XCTAssertEqual(pool.parts(multiplyAdds: 1000), 1)
        XCTAssertEqual(pool.parts(multiplyAdds: 3 * 4096), 3)
        XCTAssertEqual(pool.parts(multiplyAdds: 100 * 4096), 4)
        XCTAssertEqual(pool.parts(elements: 99), 1)
        XCTAssertEqual(pool.parts(elements: 250), 2)
        XCTAssertEqual(ComputePool(threads: 1, minimumPerPart: minimum).parts(multiplyAdds: 100 * 4096), 1)
        // The seed job's step (10 rows of 17 -> 30 -> 1) stays whole under the default minimum.
        XCTAssertEqual(ComputePool(threads: 4).parts(multiplyAdds: 10 * (17 * 30 + 30 * 1)), 1)
    }
}
