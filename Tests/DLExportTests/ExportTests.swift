// dlmodel export, read by the tools it exports for: each model (a sigmoid classifier with text
// classes, a softmax classifier through tanh, elu and leaky_relu layers, a linear regression;
// standardized or not; each of the four optimizers) goes out as an ONNX file, which the `onnx`
// package's checker accepts and onnxruntime runs, and as a .keras file, which Keras 3 loads
// (numpy backend) compiled with the model's loss and optimizer and without a warning. Both must
// give dlmodel predict's outputs on the raw feature values within 1e-6 (relative above 1), which
// also checks predict against Keras's own forward pass, and Keras's evaluate of the loaded model
// must give dlmodel evaluate's loss and metrics. KERAS_BACKEND chooses another backend (docs/cli.md,
// "Checking an export with TensorFlow").

import DLCore
import DLData
@testable import DLExport
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class ExportTests: XCTestCase {
    /// For each case: the ONNX checker, then onnxruntime's and Keras's largest deviation from the
    /// predictions, Keras's warnings, and what the loaded Keras model was compiled with.
    private static let check = """
        import json, os, sys, warnings
        os.environ.setdefault("KERAS_BACKEND", "numpy")
        import numpy as np, onnx, onnxruntime
        try:
            import keras
        except ImportError as error:
            print(json.dumps({"skip": str(error)})); sys.exit(0)
        results = []
        for case in json.loads(sys.argv[1]):
            features = np.loadtxt(case["features"], delimiter=",", dtype=np.float32, ndmin=2)
            targets = np.loadtxt(case["targets"], delimiter=",", dtype=np.float32, ndmin=2)
            expected = np.loadtxt(case["predictions"], delimiter=",", dtype=np.float64, ndmin=2)
            def deviation(outputs):
                outputs = np.asarray(outputs, dtype=np.float64)
                assert outputs.shape == expected.shape, (outputs.shape, expected.shape)
                return float(np.max(np.abs(outputs - expected) / np.maximum(1, np.abs(expected))))
            model = onnx.load(case["onnx"])
            onnx.checker.check_model(model, full_check=True)
            session = onnxruntime.InferenceSession(case["onnx"], providers=["CPUExecutionProvider"])
            result = {"onnx": deviation(session.run(["output"], {"features": features})[0]),
                      "opset": model.opset_import[0].version,
                      "metadata": {p.key: p.value for p in model.metadata_props}}
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                loaded = keras.saving.load_model(case["keras"])
                result["keras"] = deviation(loaded.predict(features, verbose=0))
                result["evaluation"] = {k: float(v) for k, v in loaded.evaluate(features, targets, verbose=0, return_dict=True).items()}
            result["warnings"] = [str(w.message) for w in caught]
            result["backend"] = keras.backend.backend()
            result["layers"] = [type(layer).__name__ for layer in loaded.layers]
            result["loss"] = loaded.loss
            result["optimizer"] = loaded.optimizer.name
            result["learning_rate"] = float(loaded.optimizer.learning_rate)
            results.append(result)
        print(json.dumps({"results": results}))
        """

    private struct Checked: Decodable {
        let skip: String?
        let results: [Result]?
        struct Result: Decodable {
            let onnx: Double
            let opset: Int
            let metadata: [String: String]
            let keras: Double
            let evaluation: [String: Double]
            let warnings: [String]
            let backend: String
            let layers: [String]
            let loss: String
            let optimizer: String
            let learningRate: Double

            enum CodingKeys: String, CodingKey {
                case onnx, opset, metadata, keras, evaluation, warnings, backend, layers, loss, optimizer
                case learningRate = "learning_rate"
            }
        }
    }

    private struct Case {
        let settings: JobSettings
        let model: ModelFile
        let evaluation: Evaluation
        let files: [String: String]
    }

    /// Trains `settings` briefly, and writes the raw features, predictions and both exports.
    private func exported(_ settings: JobSettings, name: String, in directory: String) throws -> Case {
        var settings = settings
        settings.epochs = 2
        let job = try TrainingJob(settings)
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        let model = ModelFile(job: job, parameters: trainer.parameters, epochs: 2)
        let options = try settings.csvOptions()
        let labels = ModelData.Labels(encoding: model.labels, loss: model.loss, outputs: model.model.outputWidth)
        let raw = try ModelData.read(
            path: settings.data, options: options, features: model.features, standardization: nil, labels: labels)
        func lines(_ values: [Float], width: Int) -> String {
            (0..<raw.rowCount).map { row in
                values[(row * width)..<((row + 1) * width)].map { "\($0)" }.joined(separator: ",")
            }.joined(separator: "\n")
        }
        let targets = try XCTUnwrap(raw.targets)
        let features = lines(raw.features, width: model.model.inputDim)
        var predictions = ""
        try Predictor(model: model).predict(csv: settings.data, options: options) { line in
            // The output columns only: the probabilities or values, not the predicted class.
            let fields = line.split(separator: ",").prefix(model.model.outputWidth)
            predictions += fields.joined(separator: ",") + "\n"
        }
        let files = [
            "features": "\(directory)/\(name).features.csv", "predictions": "\(directory)/\(name).predictions.csv",
            "onnx": "\(directory)/\(name).onnx", "keras": "\(directory)/\(name).keras",
            "targets": "\(directory)/\(name).targets.csv",
        ]
        try features.write(toFile: files["features"]!, atomically: true, encoding: .utf8)
        try lines(targets, width: targets.count / raw.rowCount).write(toFile: files["targets"]!, atomically: true, encoding: .utf8)
        try String(predictions.drop { $0 != "\n" }.dropFirst()).write(toFile: files["predictions"]!, atomically: true, encoding: .utf8)
        try Data(ONNXExport.encoded(model)).write(to: URL(fileURLWithPath: files["onnx"]!))
        try Data(KerasExport.encoded(model)).write(to: URL(fileURLWithPath: files["keras"]!))
        let evaluation = try Evaluator(model: model).evaluate(csv: settings.data, options: options)
        return Case(settings: settings, model: model, evaluation: evaluation, files: files)
    }

    func testOnnxruntimeAndKerasComputeWhatPredictDoes() throws {
        let directory = try temporaryDirectory(self)
        let three = directory + "/three.csv"
        try SyntheticData.writeThreeClasses(to: three)

        var softmax = JobSettings()
        softmax.data = three
        softmax.labelColumn = ["kind"]
        softmax.features = ["a", "b"]
        softmax.layers = "8:tanh,8:elu,8:leaky_relu,3:softmax"
        softmax.loss = "categorical_crossentropy"
        softmax.standardize = true
        softmax.optimizer = "sgd"
        softmax.optimizerArguments = ["momentum": 0.9, "nesterov": 1]

        var regression = softmax
        regression.labelColumn = ["size"]
        regression.layers = "8:relu,1:linear"
        regression.loss = "mean_absolute_error"
        regression.metrics = []
        regression.standardize = false
        regression.optimizer = "rmsprop"
        regression.optimizerArguments = ["momentum": 0.5]

        var adagrad = JobSettings.breastCancerJob
        adagrad.optimizer = "adagrad"

        let cases = try [
            exported(.breastCancerJob, name: "sigmoid", in: directory),
            exported(.seedJob, name: "seed", in: directory),
            exported(softmax, name: "softmax", in: directory),
            exported(regression, name: "regression", in: directory),
            exported(adagrad, name: "adagrad", in: directory),
        ]
        let output = try Python.run(Self.check, arguments: [String(decoding: try JSONEncoder().encode(cases.map(\.files)), as: UTF8.self)])
        let checked = try JSONDecoder().decode(Checked.self, from: Data(output.utf8))
        if let skip = checked.skip {
            throw XCTSkip("Keras is not in the test environment (deploy/install-deps.sh --test installs it): \(skip)")
        }
        let results = try XCTUnwrap(checked.results)
        XCTAssertEqual(results.count, cases.count)
        for (exported, result) in zip(cases, results) {
            let model = exported.model, name = exported.files["onnx"]!
            XCTAssertLessThanOrEqual(result.onnx, 1e-6, "onnxruntime, \(name)")
            XCTAssertLessThanOrEqual(result.keras, 1e-6, "Keras, \(name)")
            XCTAssertEqual(result.opset, 17)
            XCTAssertEqual(result.metadata["features"], String(decoding: try JSONEncoder().encode(model.features), as: UTF8.self))
            XCTAssertEqual(result.warnings, [], name)
            XCTAssertEqual(result.backend, ProcessInfo.processInfo.environment["KERAS_BACKEND"] ?? "numpy")
            XCTAssertEqual(Set(result.evaluation.keys), Set(exported.evaluation.values.map(\.name)), name)
            for value in exported.evaluation.values {
                // Keras sums float32 batch means; dltrain sums exactly.
                XCTAssertEqual(try XCTUnwrap(result.evaluation[value.name]), value.value, accuracy: 1e-6 * max(1, abs(value.value)), "\(name) \(value.name)")
            }
            XCTAssertEqual(
                result.layers, (model.standardization == nil ? [] : ["Normalization"]) + model.model.layers.map { _ in "Dense" }, name)
            XCTAssertEqual(result.loss, model.loss.rawValue)
            XCTAssertEqual(result.optimizer, model.optimizer)
            XCTAssertEqual(Float(result.learningRate), Float(try XCTUnwrap(model.optimizerArguments["learning_rate"])))
        }
        XCTAssertEqual(results[0].metadata["classes"], "[\"B\",\"M\"]")
    }

    func testAKerasFileHoldsExactlyWhatKerasReads() throws {
        let directory = try temporaryDirectory(self)
        var settings = JobSettings.seedJob
        settings.epochs = 1
        let job = try TrainingJob(settings)
        let model = ModelFile(job: job, parameters: job.model.initialParameters(seed: 1), epochs: 1)
        let path = directory + "/seed.keras"
        try Data(KerasExport.encoded(model)).write(to: URL(fileURLWithPath: path))
        let listing = try Python.run(
            """
            import json, sys, zipfile, io
            import h5py
            archive = zipfile.ZipFile(sys.argv[1])
            names = [(i.filename, i.compress_type) for i in archive.infolist()]
            h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
            datasets = []
            h5.visititems(lambda name, item: datasets.append([name, list(item.shape), str(item.dtype)]) if isinstance(item, h5py.Dataset) else None)
            print(json.dumps({"names": names, "datasets": datasets, "metadata": json.loads(archive.read("metadata.json"))}))
            """, arguments: [path])
        struct Listing: Decodable {
            let names: [[JSONValue]]
            let datasets: [[JSONValue]]
            let metadata: [String: String]
        }
        let read = try JSONDecoder().decode(Listing.self, from: Data(listing.utf8))
        XCTAssertEqual(read.names, [[.text("metadata.json"), .number(0)], [.text("config.json"), .number(0)], [.text("model.weights.h5"), .number(0)]], "three files, stored")
        XCTAssertEqual(read.metadata["keras_version"], KerasExport.kerasVersion)
        XCTAssertEqual(read.datasets.map { $0[0] }, [
            "layers/dense/vars/0", "layers/dense/vars/1", "layers/dense_1/vars/0", "layers/dense_1/vars/1",
        ].map(JSONValue.text) + (0..<10).map { .text("optimizer/vars/\($0)") })
        XCTAssertEqual(read.datasets[0][1], .list([.number(17), .number(30)]))
        XCTAssertEqual(read.datasets[4][2], .text("int64"), "Adam's iteration count")
    }
}

/// A JSON value of the few kinds the listing holds.
private enum JSONValue: Decodable, Equatable {
    case text(String), number(Double), list([JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .list(try container.decode([JSONValue].self))
        }
    }
}
