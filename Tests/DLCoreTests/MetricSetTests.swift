// Metrics: Keras's resolution of "accuracy", its thresholds, AUC, and that sums from parts of a batch
// add up to exactly the sums of the whole (what lets shards report sums instead of averages).

import DLCore
import XCTest

final class MetricSetTests: XCTestCase {
    func testAccuracyResolvesAsKerasDoes() throws {
        XCTAssertEqual(try Metric(name: "accuracy", loss: .meanSquaredError, outputs: 1), .binaryAccuracy)
        XCTAssertEqual(try Metric(name: "acc", loss: .binaryCrossentropy, outputs: 3), .binaryAccuracy)
        XCTAssertEqual(try Metric(name: "accuracy", loss: .sparseCategoricalCrossentropy, outputs: 4), .sparseCategoricalAccuracy)
        XCTAssertEqual(try Metric(name: "accuracy", loss: .categoricalCrossentropy, outputs: 4), .categoricalAccuracy)
        XCTAssertThrowsError(try Metric(name: "f1", loss: .meanSquaredError, outputs: 1)) { error in
            XCTAssertEqual(
                "\(error)", "unknown metric \"f1\"; known: accuracy, acc, mae, mean_absolute_error, mse, mean_squared_error, auc")
        }
        XCTAssertThrowsError(try Metric(name: "auc", loss: .categoricalCrossentropy, outputs: 3))
    }

    func testBinaryAccuracyCountsStrictlyAboveHalf() {
        let set = MetricSet([.binaryAccuracy])
        let outputs: [Float] = [0.5, 0.5000001, 0.2, 0.9]
        let targets: [Float] = [0, 1, 1, 1]
        var sums = set.makeSums()
        set.accumulate(lossSum: 2, a: outputs, y: targets, rows: 4, width: 1, targetWidth: 1, into: &sums)
        let results = set.results(sums)
        XCTAssertEqual(results.map(\.name), ["loss", "accuracy"])
        XCTAssertEqual(results[0].value, 0.5)
        XCTAssertEqual(results[1].value, 0.75)
    }

    func testCategoricalAndSparseAccuracyTakeTheFirstLargestOutput() {
        let outputs: [Float] = [0.2, 0.7, 0.1, 0.4, 0.4, 0.2]
        var sums = MetricSet([.categoricalAccuracy]).makeSums()
        MetricSet([.categoricalAccuracy]).accumulate(
            lossSum: 0, a: outputs, y: [0, 1, 0, 0, 1, 0], rows: 2, width: 3, targetWidth: 3, into: &sums)
        XCTAssertEqual(sums[2], 1)
        var sparse = MetricSet([.sparseCategoricalAccuracy]).makeSums()
        MetricSet([.sparseCategoricalAccuracy]).accumulate(
            lossSum: 0, a: outputs, y: [1, 0], rows: 2, width: 3, targetWidth: 1, into: &sparse)
        XCTAssertEqual(sparse[2], 2)
    }

    func testAUCApproximatesTheExactAreaAndHandlesExtremes() {
        var generator = SeededGenerator(seed: 21)
        var outputs: [Float] = [], targets: [Float] = []
        for _ in 0..<2000 {
            let positive = generator.nextIndex(below: 2) == 1
            targets.append(positive ? 1 : 0)
            outputs.append(min(1, max(0, (positive ? 0.6 : 0.4) + 0.25 * (2 * generator.nextUnitFloat() - 1))))
        }
        let set = MetricSet([.auc])
        var sums = set.makeSums()
        set.accumulate(lossSum: 0, a: outputs, y: targets, rows: 2000, width: 1, targetWidth: 1, into: &sums)
        // The exact area: the probability that a random positive scores above a random negative.
        let positives = zip(outputs, targets).filter { $0.1 == 1 }.map(\.0)
        let negatives = zip(outputs, targets).filter { $0.1 == 0 }.map(\.0)
        var wins = 0.0
        for p in positives { for n in negatives { wins += p > n ? 1 : (p == n ? 0.5 : 0) } }
        let exact = wins / Double(positives.count * negatives.count)
        XCTAssertEqual(set.results(sums)[1].value, exact, accuracy: 0.005)

        var perfect = set.makeSums()
        set.accumulate(lossSum: 0, a: [0.1, 0.2, 0.8, 0.9], y: [0, 0, 1, 1], rows: 4, width: 1, targetWidth: 1, into: &perfect)
        XCTAssertEqual(set.results(perfect)[1].value, 1, accuracy: 1e-12)
        var reversed = set.makeSums()
        set.accumulate(lossSum: 0, a: [0.9, 0.8, 0.2, 0.1], y: [0, 0, 1, 1], rows: 4, width: 1, targetWidth: 1, into: &reversed)
        XCTAssertEqual(set.results(reversed)[1].value, 0, accuracy: 1e-12)
    }

    func testSumsOfPartsEqualSumsOfTheWhole() {
        let set = MetricSet([.binaryAccuracy, .meanAbsoluteError, .meanSquaredError, .auc])
        let outputs: [Float] = [0.1, 0.7, 0.4, 0.9, 0.55, 0.3]
        let targets: [Float] = [0, 1, 1, 1, 0, 0]
        var whole = set.makeSums()
        set.accumulate(lossSum: 3, a: outputs, y: targets, rows: 6, width: 1, targetWidth: 1, into: &whole)
        var parts = set.makeSums()
        set.accumulate(lossSum: 1, a: outputs, y: targets, rows: 2, width: 1, targetWidth: 1, into: &parts)
        outputs.withUnsafeBufferPointer { a in
            targets.withUnsafeBufferPointer { y in
                set.accumulate(
                    lossSum: 2, a: a.baseAddress! + 2, y: y.baseAddress! + 2, rows: 4, width: 1, targetWidth: 1, into: &parts)
            }
        }
        XCTAssertEqual(whole, parts)
        let results = set.results(whole)
        XCTAssertEqual(results.map(\.name), ["loss", "accuracy", "mae", "mse", "auc"])
        XCTAssertEqual(results[1].value, 4.0 / 6, accuracy: 1e-12)
    }
}
