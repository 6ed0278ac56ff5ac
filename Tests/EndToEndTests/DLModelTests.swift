// dlmodel as users run it, on a run dlcoord just made: the summary, predictions to standard output
// and to a file (the same bytes; the file appears only once complete), an evaluation on the
// validation rows that gives fit's own val_ figures, exports to ONNX and Keras, a checkpoint as the
// model, and one error line with exit status 1 for a missing model, a file that is not a model, a
// CSV without the model's columns and an export that cannot be written. The predicted numbers
// themselves are checked against an independent forward pass in DLRunTests.ModelUseTests, and the
// exports by onnxruntime and Keras in DLExportTests.

import DLTestSupport
import Foundation
import XCTest

final class DLModelTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlmodel = Executable(name: "dlmodel")

    private func trainedRun() throws -> String {
        let directory = try temporaryDirectory(self) + "/run"
        let trained = try dlcoord.run([
            "--local", "--data", "dataset/breast_cancer.csv", "--label-column", "diagnosis", "--layers", "16:relu,1:sigmoid",
            "--loss", "binary_crossentropy", "--standardize", "--validation-split", "0.2", "--epochs", "2", "--verbose", "0",
            "--run-dir", directory,
        ])
        XCTAssertEqual(trained.status, 0, trained.errors)
        return directory
    }

    func testASummaryPredictionsAndAnEvaluationOfATrainedRun() throws {
        let run = try trainedRun()
        let summary = try dlmodel.run(["summary", run])
        XCTAssertEqual(summary.status, 0, summary.errors)
        XCTAssertTrue(summary.output.contains("│ dense (Dense)                   │ (None, 16)             │           496 │"), summary.output)
        XCTAssertTrue(summary.output.contains(" Total params: 513 (2.00 KB)"), summary.output)
        XCTAssertTrue(summary.output.contains("Labels: diagnosis (values); classes in index order: B, M"), summary.output)

        let printed = try dlmodel.run(["predict", run, "--data", "dataset/breast_cancer.csv"])
        XCTAssertEqual(printed.status, 0, printed.errors)
        let lines = printed.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 570)
        XCTAssertEqual(lines.first, "probability,predicted")
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.hasSuffix(",B") || $0.hasSuffix(",M") })

        let file = try temporaryDirectory(self) + "/predictions.csv"
        let written = try dlmodel.run(["predict", run + "/model.safetensors", "--data", "dataset/breast_cancer.csv", "--output", file])
        XCTAssertEqual(written.status, 0, written.errors)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), printed.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: file + ".partial"))

        // The validation rows (the file's last 114, as Keras splits) give fit's last val_ figures.
        let rows = try String(contentsOfFile: Repository.dataset("breast_cancer.csv"), encoding: .utf8).split(separator: "\n")
        let validation = try temporaryDirectory(self) + "/validation.csv"
        try (([rows[0]] + rows.suffix(114)).joined(separator: "\n") + "\n").write(toFile: validation, atomically: true, encoding: .utf8)
        let evaluated = try dlmodel.run(["evaluate", run, "--data", validation, "--json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.errors)
        let values = try JSONDecoder().decode([String: Double].self, from: Data(evaluated.output.utf8))
        let log = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let fit = try JSONSerialization.jsonObject(with: Data(log.last!.utf8)) as! [String: Any]
        XCTAssertEqual(Set(values.keys), ["loss", "accuracy"])
        for (name, value) in values {
            let reported = try XCTUnwrap(fit["val_" + name] as? Double)
            XCTAssertEqual(value, reported, accuracy: 1e-12, name)
        }
        let line = try dlmodel.run(["evaluate", run, "--data", validation])
        XCTAssertTrue(line.output.hasPrefix("4/4 - "), line.output)
        XCTAssertTrue(line.output.contains(String(format: " - loss: %.4f - accuracy: %.4f", values["loss"]!, values["accuracy"]!)), line.output)

        for (format, magic) in [("onnx", [UInt8(0x08)]), ("keras", Array("PK".utf8))] {
            let file = try temporaryDirectory(self) + "/model." + format
            let exported = try dlmodel.run(["export", run, "--format", format, "--output", file])
            XCTAssertEqual(exported.status, 0, exported.errors)
            let bytes = try XCTUnwrap(FileManager.default.contents(atPath: file))
            XCTAssertEqual(Array(bytes.prefix(magic.count)), magic, "\(format): an ONNX ModelProto starts with ir_version, a .keras file is a zip")
        }

        let chart = try temporaryDirectory(self) + "/runs.svg"
        let plotted = try dlmodel.run(["plot", run, run, "--output", chart])
        XCTAssertEqual(plotted.status, 0, plotted.errors)
        let svg = try String(contentsOfFile: chart, encoding: .utf8)
        XCTAssertTrue(svg.contains(">run (validation)</text>") && svg.contains(">run #2 (validation)</text>"), "labelled apart")

        let checkpoint = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("checkpoint-") }.max())
        let fromCheckpoint = try dlmodel.run(["predict", run + "/" + checkpoint, "--data", "dataset/breast_cancer.csv"])
        XCTAssertEqual(fromCheckpoint.output, printed.output, "the last checkpoint holds the final weights")
    }

    func testErrorsNameTheFileAndTheProblem() throws {
        let run = try trainedRun()
        let missing = try dlmodel.run(["summary", run + "/nothing"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.errors, "dlmodel: error: \(run)/nothing: not a valid dltrain model file: no such file or directory\n")

        let notAModel = try dlmodel.run(["summary", "dataset/breast_cancer.csv"])
        XCTAssertEqual(notAModel.status, 1)
        XCTAssertTrue(notAModel.errors.hasPrefix("dlmodel: error: dataset/breast_cancer.csv: "), notAModel.errors)

        let output = try temporaryDirectory(self) + "/out.csv"
        let wrongColumns = try dlmodel.run(["predict", run, "--data", "dataset/ThoraricSurgery.csv", "--output", output])
        XCTAssertEqual(wrongColumns.status, 1)
        XCTAssertTrue(wrongColumns.errors.hasPrefix("dlmodel: error: dataset/ThoraricSurgery.csv: no column named"), wrongColumns.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "nothing is written")
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + ".partial"), "nothing is left behind")

        let plot = try dlmodel.run(["plot", run, run + "/nothing"])
        XCTAssertEqual(plot.status, 1)
        XCTAssertEqual(plot.errors, "dlmodel: error: \(run)/nothing: not a run directory: no such directory\n")
        let notARun = try dlmodel.run(["plot", "dataset"])
        XCTAssertEqual(notARun.status, 1)
        XCTAssertTrue(notARun.errors.hasPrefix("dlmodel: error: dataset: not a run directory: it holds no metrics.jsonl"), notARun.errors)

        let unwritable = try dlmodel.run(["export", run, "--format", "onnx", "--output", run + "/no/such/dir/model.onnx"])
        XCTAssertEqual(unwritable.status, 1)
        XCTAssertTrue(unwritable.errors.hasPrefix("dlmodel: error: cannot write \(run)/no/such/dir/model.onnx: "), unwritable.errors)
        let format = try dlmodel.run(["export", run, "--format", "pmml", "--output", run + "/model.pmml"])
        XCTAssertNotEqual(format.status, 0)
        XCTAssertTrue(format.errors.contains("pmml"), format.errors)

        let help = try dlmodel.run(["--help"])
        XCTAssertTrue(["summary", "predict", "evaluate", "export", "plot"].allSatisfy(help.output.contains), help.output)
    }
}
