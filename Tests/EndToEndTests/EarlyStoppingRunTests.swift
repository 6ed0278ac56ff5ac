// Early stopping with the real executables: workers spawned by the coordinator stop after the same
// epoch as one process and write the same model file, byte for byte, with Keras's closing lines;
// --save-best keeps the best epoch's weights in model-best.safetensors; curves.svg and TensorBoard's
// event files (as the tensorboard package reads them) end with every epoch; and `--resume auto`
// leaves a run that stopped early alone, its model file (standardization included) unchanged.

import DLRun
import DLTestSupport
import Foundation
import XCTest

final class EarlyStoppingRunTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")

    func testWorkersStopWhereOneProcessStopsAndAStoppedRunIsFinished() throws {
        let flags = [
            "--data", "dataset/breast_cancer.csv", "--label-column", "diagnosis", "--layers", "16:relu,1:sigmoid",
            "--loss", "binary_crossentropy", "--standardize", "--validation-split", "0.2", "--epochs", "300",
            "--early-stopping-patience", "3", "--restore-best-weights", "--shards", "2", "--save-best",
        ]
        let directory = try temporaryDirectory(self)
        let result = try dlcoord.run(["--workers", "2", "--spawn", "--verbose", "2", "--run-dir", directory] + flags)
        XCTAssertEqual(result.status, 0, result.errors)
        let stopped = try XCTUnwrap(result.output.firstMatch(of: /\nEpoch (\d+): early stopping\n/), result.output)
        let restored = try XCTUnwrap(result.output.firstMatch(of: /Restoring model weights from the end of the best epoch: (\d+)\./))
        XCTAssertEqual(Int(stopped.1)!, Int(restored.1)! + 3)
        let epochs = try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").count
        XCTAssertEqual(epochs, Int(stopped.1)!)
        // The chart is drawn at the end, with every epoch, though the run stopped before its last.
        let chart = try String(contentsOfFile: directory + "/curves.svg", encoding: .utf8)
        let line = try XCTUnwrap(chart.firstMatch(of: /class="training"[^>]* points="([^"]*)"/))
        XCTAssertEqual(line.1.split(separator: " ").count, epochs)
        // So do the event files the coordinator wrote, the validation loss of every epoch.
        let events = try TensorBoardEvents.read(directory)
        let logged = try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(
            events.validation?["epoch_loss"], try logged.enumerated().map { [Double($0), Double(Float(try XCTUnwrap($1["val_loss"] as? Double)))] })
        XCTAssertEqual(try model(in: directory), try localModel(flags))
        // --save-best kept the same epoch's weights as the restored ones (both watch val_loss).
        let best = try ModelFile.read(path: directory + "/model-best.safetensors")
        XCTAssertEqual(best.parameters.map(\.bitPattern), try ModelFile.read(path: directory + "/model.safetensors").parameters.map(\.bitPattern))
        XCTAssertEqual(best.training.epochs, Int(restored.1)!)

        // Distributed, with nothing to train, no rows go out: the model file still gets its standardization.
        let again = try dlcoord.run(["--workers", "2", "--spawn", "--resume", "auto", "--run-dir", directory] + flags)
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertTrue(again.output.contains("stopped early after epoch \(stopped.1): nothing to train"), again.output)
        XCTAssertEqual(try model(in: directory), try localModel(flags))
    }
}
