// The exports of a model with Dropout layers (on the inputs and between Dense layers), kernel and
// bias regularizers and non-default initializers: Keras 3 loads the .keras file (numpy backend)
// with the Dropout layers where the layer list has them and each Dense layer's regularizers and
// initializers as Keras serializes them, predicts what dlmodel predict does (Dropout is identity at
// inference) and evaluates the loss dlmodel evaluate reports (both add the penalty, as Keras's
// evaluate adds model.losses); the ONNX export leaves the Dropout layers out and onnxruntime gives
// the same predictions.

import DLCore
import DLData
@testable import DLExport
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class LayerOptionsExportTests: XCTestCase {
    private static let check = """
        import json, os, sys, warnings
        os.environ.setdefault("KERAS_BACKEND", "numpy")
        import numpy as np
        try:
            import keras, onnxruntime
        except ImportError as error:
            print(json.dumps({"skip": str(error)})); sys.exit(0)
        case = json.loads(sys.argv[1])
        features = np.loadtxt(case["features"], delimiter=",", dtype=np.float32, ndmin=2)
        targets = np.loadtxt(case["targets"], delimiter=",", dtype=np.float32, ndmin=2)
        expected = np.loadtxt(case["predictions"], delimiter=",", dtype=np.float64, ndmin=2)
        def deviation(outputs):
            outputs = np.asarray(outputs, dtype=np.float64)
            return float(np.max(np.abs(outputs - expected) / np.maximum(1, np.abs(expected))))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = keras.saving.load_model(case["keras"])
            outputs = model.predict(features, verbose=0)
            # What evaluate computes: the loss plus model.losses (the numpy backend's evaluate
            # cannot sum the regularizers' list itself).
            penalty = sum(float(np.asarray(loss)) for loss in model.losses)
            data = float(np.mean(np.asarray(keras.losses.get(model.loss)(targets, outputs))))
            result = {"keras": deviation(outputs), "loss": data + penalty, "penalty": penalty}
        session = onnxruntime.InferenceSession(case["onnx"], providers=["CPUExecutionProvider"])
        result["onnx"] = deviation(session.run(["output"], {"features": features})[0])
        result["warnings"] = [str(w.message) for w in caught]
        result["layers"] = []
        for layer in model.layers:
            config = layer.get_config()
            entry = {"class": type(layer).__name__, "name": layer.name}
            if "rate" in config: entry["rate"] = float(config["rate"])
            for key in ("kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer"):
                if key in config:
                    value = config[key]
                    entry[key] = None if value is None else {"class": value["class_name"], "config": {
                        k: float(v) for k, v in value["config"].items() if isinstance(v, (int, float)) and not isinstance(v, bool)}}
            result["layers"].append(entry)
        print(json.dumps(result))
        """

    private struct Checked: Decodable {
        let skip: String?
        let keras: Double?
        let onnx: Double?
        let loss: Double?
        let penalty: Double?
        let warnings: [String]?
        let layers: [Layer]?
        struct Layer: Decodable, Equatable {
            let `class`: String
            let name: String
            let rate: Double?
            let kernel_initializer: Serialized?
            let bias_initializer: Serialized?
            let kernel_regularizer: Serialized?
            let bias_regularizer: Serialized?
        }
        struct Serialized: Decodable, Equatable {
            let `class`: String
            let config: [String: Double]
        }
    }

    func testKerasAndOnnxruntimeLoadAModelWithDropoutRegularizersAndInitializers() throws {
        let directory = try temporaryDirectory(self)
        var settings = JobSettings.breastCancerJob
        settings.epochs = 2
        settings.layers = "dropout:0.1,8:relu,dropout:0.25,6:tanh:l1=0.001:l2=0.01:kernel_initializer=orthogonal,auto"
        settings.fit.kernelRegularizer = "l2:0.02"
        settings.fit.biasRegularizer = "l1:0.005"
        settings.fit.kernelInitializer = "he_uniform"
        settings.fit.biasInitializer = "random_normal"
        let job = try TrainingJob(settings)
        let trainer = LocalTrainer(job: job)
        try trainer.train()
        let model = ModelFile(job: job, parameters: trainer.parameters, epochs: 2)

        let options = try settings.csvOptions()
        let labels = ModelData.Labels(encoding: model.labels, loss: model.loss, outputs: model.model.outputWidth)
        let raw = try ModelData.read(path: settings.data, options: options, features: model.features, standardization: nil, labels: labels)
        let targets = try XCTUnwrap(raw.targets)
        func lines(_ values: [Float], width: Int) -> String {
            (0..<raw.rowCount).map { row in values[(row * width)..<((row + 1) * width)].map { "\($0)" }.joined(separator: ",") }
                .joined(separator: "\n")
        }
        var predictions = ""
        try Predictor(model: model).predict(csv: settings.data, options: options) { line in
            predictions += line.split(separator: ",").prefix(model.model.outputWidth).joined(separator: ",") + "\n"
        }
        let files = [
            "features": "\(directory)/m.features.csv", "targets": "\(directory)/m.targets.csv",
            "predictions": "\(directory)/m.predictions.csv", "keras": "\(directory)/m.keras", "onnx": "\(directory)/m.onnx",
        ]
        try lines(raw.features, width: model.model.inputDim).write(toFile: files["features"]!, atomically: true, encoding: .utf8)
        try lines(targets, width: targets.count / raw.rowCount).write(toFile: files["targets"]!, atomically: true, encoding: .utf8)
        try String(predictions.drop { $0 != "\n" }.dropFirst()).write(toFile: files["predictions"]!, atomically: true, encoding: .utf8)
        try Data(KerasExport.encoded(model)).write(to: URL(fileURLWithPath: files["keras"]!))
        try Data(ONNXExport.encoded(model)).write(to: URL(fileURLWithPath: files["onnx"]!))
        let evaluation = try Evaluator(model: model).evaluate(csv: settings.data, options: options)

        let output = try Python.run(Self.check, arguments: [String(decoding: try JSONEncoder().encode(files), as: UTF8.self)])
        let checked = try JSONDecoder().decode(Checked.self, from: Data(output.utf8))
        if let skip = checked.skip {
            throw XCTSkip("Keras is not in the test environment (deploy/install-deps.sh --test installs it): \(skip)")
        }
        XCTAssertLessThanOrEqual(try XCTUnwrap(checked.keras), 1e-6, "Keras's predictions")
        XCTAssertLessThanOrEqual(try XCTUnwrap(checked.onnx), 1e-6, "onnxruntime's predictions")
        XCTAssertEqual(checked.warnings, [])
        let loss = try XCTUnwrap(evaluation.values.first { $0.name == "loss" }?.value)
        XCTAssertEqual(try XCTUnwrap(checked.loss), loss, accuracy: 1e-6 * max(1, loss), "evaluate's loss with the penalty")
        let penalty = Double(Regularization(model.model).penalty(model.parameters))
        XCTAssertGreaterThan(penalty, 0)
        XCTAssertEqual(try XCTUnwrap(checked.penalty), penalty, accuracy: 1e-6 * max(1, penalty), "Keras's model.losses")

        func serialized(_ name: String, _ config: [String: Double] = [:]) -> Checked.Serialized { .init(class: name, config: config) }
        let l2 = serialized("L2", ["l2": Double(Float(0.02))]), l1 = serialized("L1", ["l1": Double(Float(0.005))])
        let layers = try XCTUnwrap(checked.layers)
        XCTAssertEqual(layers.map(\.class), ["Normalization", "Dropout", "Dense", "Dropout", "Dense", "Dense"])
        XCTAssertEqual(layers.map(\.name), ["normalization", "dropout", "dense", "dropout_1", "dense_1", "dense_2"])
        XCTAssertEqual(layers[1].rate, Double(Float(0.1)))
        XCTAssertEqual(layers[3].rate, Double(Float(0.25)))
        XCTAssertEqual(layers[2].kernel_initializer, serialized("HeUniform"))
        XCTAssertEqual(layers[2].bias_initializer, serialized("RandomNormal", ["mean": 0, "stddev": 0.05]))
        XCTAssertEqual(layers[2].kernel_regularizer, l2)
        XCTAssertEqual(layers[2].bias_regularizer, l1)
        XCTAssertEqual(layers[4].kernel_initializer, serialized("Orthogonal", ["gain": 1]))
        XCTAssertEqual(
            layers[4].kernel_regularizer, serialized("L1L2", ["l1": Double(Float(0.001)), "l2": Double(Float(0.01))]))
        XCTAssertEqual(layers[5].kernel_regularizer, l2, "the output layer auto chose takes the defaults")
    }
}
