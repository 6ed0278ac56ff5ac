// Using a trained model (dlmodel's library side): the summary Keras would print; predictions
// checked against a forward pass written here from the file's tensors, for a sigmoid classifier
// with text classes and standardization, a softmax classifier, and a regression; an evaluation
// against the training's own validation figures and against the loss computed here; the model
// loaded from a file, a run directory and a checkpoint; and located errors for what cannot be
// predicted or evaluated.

import DLCore
import DLData
@testable import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class ModelUseTests: XCTestCase {
    private func trained(_ settings: JobSettings, epochs: Int = 3) throws -> (ModelFile, TrainingJob) {
        var settings = settings
        settings.epochs = epochs
        let job = try TrainingJob(settings)
        let trainer = LocalTrainer(job: job)
        _ = try trainer.train()
        return (ModelFile(job: job, parameters: trainer.parameters, epochs: epochs), job)
    }

    /// The model's outputs for raw feature rows, computed here without dltrain's kernels: the
    /// standardization, then each layer's x·W + b and activation, in Double, from the tensors.
    private func reference(_ model: ModelFile, rows: [[Float]]) throws -> [[Double]] {
        let file = try SafeTensors(decoding: model.safeTensors().encoded(), path: "reference")
        return rows.map { raw in
            var x = raw.enumerated().map { column, value in
                model.standardization.map { Double((value - $0.mean[column]) / $0.scale[column]) } ?? Double(value)
            }
            for (index, layer) in model.model.layers.enumerated() {
                let kernel = file.tensor(named: "\(ModelFile.layerName(index))/kernel")!
                let bias = file.tensor(named: "\(ModelFile.layerName(index))/bias")!
                let units = layer.units
                var z = (0..<units).map { unit in
                    Double(bias.values[unit]) + x.indices.reduce(0) { $0 + x[$1] * Double(kernel.values[$1 * units + unit]) }
                }
                switch layer.activation {
                case .relu: z = z.map { max(0, $0) }
                case .sigmoid: z = z.map { 1 / (1 + exp(-$0)) }
                case .softmax:
                    let top = z.max()!, exps = z.map { exp($0 - top) }, sum = exps.reduce(0, +)
                    z = exps.map { $0 / sum }
                case .linear: break
                default: XCTFail("the reference has no \(layer.activation)")
                }
                x = z
            }
            return x
        }
    }

    /// The CSV's rows as text fields, and the predictions for it as parsed lines.
    private func predict(_ model: ModelFile, csv path: String) throws -> (header: [String], rows: [[String]]) {
        var text = ""
        try Predictor(model: model, batchSize: 7).predict(csv: path) { text += $0 }
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (lines[0], Array(lines.dropFirst()))
    }

    private func rows(of path: String, columns: [Int]) throws -> [[Float]] {
        let document = try CSVDocument.open(path: path)
        let read = try document.read(features: columns, labels: [])
        return (0..<read.rowCount).map { Array(read.features[($0 * columns.count)..<(($0 + 1) * columns.count)]) }
    }

    func testASigmoidClassifierPredictsItsClassesAsTheReferenceComputes() throws {
        let (model, _) = try trained(.breastCancerJob)
        let data = Repository.dataset("breast_cancer.csv")
        let (header, predicted) = try predict(model, csv: data)
        XCTAssertEqual(header, ["probability", "predicted"])
        let document = try CSVDocument.open(path: data)
        let expected = try reference(model, rows: try rows(of: data, columns: try model.features.map { try document.resolve(.name($0)) }))
        XCTAssertEqual(predicted.count, expected.count)
        XCTAssertEqual(predicted.count, 569)
        for (line, want) in zip(predicted, expected) {
            let probability = try XCTUnwrap(Double(line[0]))
            XCTAssertEqual(probability, want[0], accuracy: 1e-5)
            XCTAssertEqual(line[1], want[0] >= 0.5 ? "M" : "B", "classes in index order: \(model.labels.classes!)")
        }
        XCTAssertEqual(Set(predicted.map { $0[1] }), ["B", "M"], "both classes are predicted")
    }

    func testASoftmaxClassifierAndARegressionNameTheirColumns() throws {
        let directory = try temporaryDirectory(self)
        let csv = directory + "/three.csv"
        try SyntheticData.writeThreeClasses(to: csv)

        var softmax = JobSettings()
        softmax.data = csv
        softmax.labelColumn = ["kind"]
        softmax.features = ["a", "b"]
        softmax.layers = "8:relu,3:softmax"
        softmax.loss = "categorical_crossentropy"
        let (classifier, _) = try trained(softmax)
        let (header, predicted) = try predict(classifier, csv: csv)
        XCTAssertEqual(header, ["high", "low", "mid", "predicted"], "classes in index order, sorted")
        let expected = try reference(classifier, rows: try rows(of: csv, columns: [0, 1]))
        for (line, want) in zip(predicted, expected) {
            for column in 0..<3 { XCTAssertEqual(try XCTUnwrap(Double(line[column])), want[column], accuracy: 1e-5) }
            XCTAssertEqual(line[3], ["high", "low", "mid"][want.indices.max { want[$0] < want[$1] }!])
        }

        var regression = softmax
        regression.labelColumn = ["size"]
        regression.layers = "8:relu,1:linear"
        regression.loss = "mean_squared_error"
        regression.metrics = []
        let (regressor, _) = try trained(regression)
        let (regressionHeader, values) = try predict(regressor, csv: csv)
        XCTAssertEqual(regressionHeader, ["size"])
        let expectedValues = try reference(regressor, rows: try rows(of: csv, columns: [0, 1]))
        for (line, want) in zip(values, expectedValues) {
            XCTAssertEqual(line.count, 1)
            XCTAssertEqual(try XCTUnwrap(Double(line[0])), want[0], accuracy: 1e-4)
        }
    }

    func testAnEvaluationGivesFitsValidationFiguresAndTheLossComputedHere() throws {
        var settings = JobSettings.breastCancerJob
        settings.metrics = ["accuracy", "auc"]
        settings.epochs = 3
        let job = try TrainingJob(settings)
        let trainer = LocalTrainer(job: job)
        let reports = try trainer.train()
        let model = ModelFile(job: job, parameters: trainer.parameters, epochs: 3)
        // The validation rows: the last 114 of the file (Keras's split), with its header.
        let lines = try String(contentsOfFile: Repository.dataset("breast_cancer.csv"), encoding: .utf8).split(separator: "\n")
        let csv = try temporaryDirectory(self) + "/validation.csv"
        try ([lines[0]] + lines.suffix(114)).joined(separator: "\n").appending("\n").write(toFile: csv, atomically: true, encoding: .utf8)

        let evaluation = try Evaluator(model: model, batchSize: 13).evaluate(csv: csv)
        XCTAssertEqual(evaluation.rows, 114)
        XCTAssertEqual(evaluation.values.map(\.name), ["loss", "accuracy", "auc"])
        let last = try XCTUnwrap(reports.last)
        let fit = try ["val_loss", "val_accuracy", "val_auc"].map { try XCTUnwrap(last.value($0), $0) }
        for (value, reported) in zip(evaluation.values, fit) {
            // The same sums, added in another order (fit adds them per shard, in its batches).
            XCTAssertEqual(value.value, reported, accuracy: 1e-12 * max(1, abs(reported)), value.name)
        }

        let document = try CSVDocument.open(path: csv)
        let outputs = try reference(model, rows: try rows(of: csv, columns: try model.features.map { try document.resolve(.name($0)) }))
        let truth: [Double] = lines.suffix(114).map { $0.hasSuffix(",M") ? 1 : 0 }
        var loss = 0.0
        for (output, y) in zip(outputs, truth) {
            let p = min(max(output[0], 1e-7), 1 - 1e-7)  // Keras's epsilon
            loss -= y * log(p) + (1 - y) * log(1 - p)
        }
        loss /= 114
        XCTAssertEqual(evaluation.values[0].value, loss, accuracy: 1e-5)
        let accuracy = Double(zip(outputs, truth).filter { ($0[0] > 0.5 ? 1.0 : 0.0) == $1 }.count) / 114
        XCTAssertEqual(evaluation.values[1].value, accuracy)
        XCTAssertTrue(evaluation.line.hasPrefix("4/4 - 0s - "), evaluation.line)
        XCTAssertTrue(evaluation.line.hasSuffix(String(format: " - loss: %.4f - accuracy: %.4f - auc: %.4f", fit[0], fit[1], fit[2])))

        let unknown = try temporaryDirectory(self) + "/unknown.csv"
        var changed = [lines[0]] + lines.suffix(3)
        changed[2] = changed[2].dropLast() + "X"  // the label is the last field
        try (changed.joined(separator: "\n") + "\n").write(toFile: unknown, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Evaluator(model: model).evaluate(csv: unknown)) {
            XCTAssertTrue("\($0)".hasPrefix("\(unknown):3: column "), "\($0)")
            XCTAssertTrue("\($0)".hasSuffix("class \"X\" is not one the model was trained on (\"B\", \"M\")"), "\($0)")
        }
    }

    func testTheSummaryIsKerasesTableThenWhatTheFileKnows() throws {
        let (model, _) = try trained(.seedJob, epochs: 1)
        let lines = ModelSummary.text(of: model).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(Array(lines[0..<9]), [
            "Model: \"sequential\"",
            "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓",
            "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃",
            "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩",
            "│ dense (Dense)                   │ (None, 30)             │           540 │",
            "├─────────────────────────────────┼────────────────────────┼───────────────┤",
            "│ dense_1 (Dense)                 │ (None, 1)              │            31 │",
            "└─────────────────────────────────┴────────────────────────┴───────────────┘",
            " Total params: 571 (2.23 KB)",
        ])
        XCTAssertTrue(lines.contains("Loss: mean_squared_error"))
        XCTAssertTrue(lines.contains("Optimizer: adam (beta_1=0.9, beta_2=0.999, epsilon=1e-07, learning_rate=0.001)"), "\(lines)")
        XCTAssertTrue(lines.contains("Features (17): " + (0..<17).map { "column \($0)" }.joined(separator: ", ")))
        XCTAssertTrue(lines.contains("Training: 1 epoch(s), batch 10, seed 3, 1 shard(s), 470 training row(s), 0 validation row(s)"))
        XCTAssertEqual(ModelSummary.grouped(1_234_567), "1,234,567")
        XCTAssertEqual(ModelSummary.size(bytes: 3 * 1024 * 1024), "3.00 MB")
    }

    func testAModelLoadsFromItsFileItsRunDirectoryAndACheckpoint() throws {
        let directory = try temporaryDirectory(self)
        var settings = JobSettings.breastCancerJob
        settings.epochs = 2
        let job = try TrainingJob(settings)
        let checkpointer = Checkpointer(job: job, directory: directory, policy: CheckpointPolicy(everyEpochs: 1))
        let trainer = LocalTrainer(job: job)
        _ = try trainer.train(checkpointer: checkpointer)
        try checkpointer.finish()
        let model = ModelFile(job: job, parameters: trainer.parameters, epochs: 2)
        try model.write(to: directory + "/model.safetensors")

        XCTAssertEqual(try ModelFile.load(from: directory + "/model.safetensors"), model)
        XCTAssertEqual(try ModelFile.load(from: directory), model)
        let (_, newest) = try Checkpointer.newest(in: directory) { _ in }
        XCTAssertEqual(try ModelFile.load(from: newest), model, "the last checkpoint holds the final weights")

        XCTAssertThrowsError(try ModelFile.load(from: directory + "/none")) {
            XCTAssertEqual("\($0)", "\(directory)/none: not a valid dltrain model file: no such file or directory")
        }
        try FileManager.default.removeItem(atPath: directory + "/model.safetensors")
        XCTAssertThrowsError(try ModelFile.load(from: directory)) {
            XCTAssertTrue("\($0)".contains("the run directory has no model.safetensors"), "\($0)")
        }
    }

    func testWhatCannotBePredictedIsRefusedWithItsPlace() throws {
        let (model, _) = try trained(.breastCancerJob, epochs: 1)
        let directory = try temporaryDirectory(self)
        let missing = directory + "/missing.csv"
        try "mean_radius,diagnosis\n1.5,M\n".write(toFile: missing, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try predict(model, csv: missing)) {
            XCTAssertTrue("\($0)".hasPrefix("\(missing): no column named"), "\($0)")
        }
        let source = try String(contentsOfFile: Repository.dataset("breast_cancer.csv"), encoding: .utf8)
        var lines = source.split(separator: "\n").map(String.init)
        lines[3] = lines[3].replacingOccurrences(of: ",", with: ",x", options: [], range: lines[3].range(of: ","))
        let bad = directory + "/bad.csv"
        try (lines.joined(separator: "\n") + "\n").write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try predict(model, csv: bad)) {
            XCTAssertTrue("\($0)".hasPrefix("\(bad):4: column 1 (\"mean_texture\"): expected a number"), "\($0)")
        }
    }
}
