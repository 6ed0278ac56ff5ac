// What a user reads: Keras-style epoch lines and the metrics.jsonl log.

import DLCore
@testable import DLRun
import DLTraining
import Foundation
import DLTestSupport
import XCTest

final class OutputTests: XCTestCase {
    private func report() -> EpochReport {
        let metrics = MetricSet([.binaryAccuracy])
        // 47 steps, 470 rows: loss sum 68.714 (mean 0.1462), 400 correct (0.8511).
        return EpochReport(
            epoch: 3, seconds: 0.094, steps: 47, metrics: metrics, training: [68.714, 470, 400],
            validation: [7.0, 50, 43])
    }

    func testEpochLineLooksLikeKeras() throws {
        var text = ""
        let console = ConsoleProgress(verbose: 2, isTerminal: false) { text += $0 }
        console.epochStarted(epoch: 3, of: 100, steps: 47)
        try console.epochFinished(report(), of: 100)
        XCTAssertEqual(
            text,
            "Epoch 3/100\n47/47 - 0s - 2ms/step - loss: 0.1462 - accuracy: 0.8511 - val_loss: 0.1400 - val_accuracy: 0.8600\n")
    }

    func testVerboseZeroPrintsNothing() throws {
        var text = ""
        let console = ConsoleProgress(verbose: 0, isTerminal: true) { text += $0 }
        console.epochStarted(epoch: 1, of: 1, steps: 1)
        try console.epochFinished(report(), of: 1)
        XCTAssertEqual(text, "")
    }

    func testValuesFormatAsKerasFormatsThem() {
        XCTAssertEqual(ConsoleProgress.formatValue(0.14625), "0.1462")  // as printf rounds the binary value
        XCTAssertEqual(ConsoleProgress.formatValue(1.0), "1.0000")
        XCTAssertEqual(ConsoleProgress.formatValue(0.00012345), "1.2345e-04")
        XCTAssertEqual(ConsoleProgress.formatValue(0), "0.0000")
        XCTAssertEqual(ConsoleProgress.formatValue(-2.5), "-2.5000")
        XCTAssertEqual(ConsoleProgress.perStep(0.0021), "2ms/step")
        XCTAssertEqual(ConsoleProgress.perStep(0.00021), "210us/step")
    }

    func testMetricsLogWritesOneObjectPerEpoch() throws {
        let path = try temporaryDirectory(self) + "/metrics.jsonl"
        let log = try MetricsLog(path: path)
        try log.epochFinished(report(), of: 100)
        try log.epochFinished(report(), of: 100)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Double])
        XCTAssertEqual(Set(object.keys), ["epoch", "seconds", "loss", "accuracy", "val_loss", "val_accuracy"])
        XCTAssertEqual(object["epoch"], 3)
        XCTAssertEqual(try XCTUnwrap(object["accuracy"]), 400.0 / 470, accuracy: 1e-15)
    }
}
