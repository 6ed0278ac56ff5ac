// A model trained on the penguins table, words and gaps as the file has them, exported by `dlmodel
// export` and run by onnxruntime and by Keras (on TensorFlow, which its string lookups need) on raw
// rows, an unseen island, an empty sex and missing measurements included: both give `dlmodel
// predict`'s probabilities within 1e-6.

import DLTestSupport
import Foundation
import XCTest

final class RawTableExportTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlmodel = Executable(name: "dlmodel")

    /// The rows both exports and `dlmodel predict` read, as JSON columns and as CSV.
    private let columns: [(name: String, values: [String])] = [
        ("island", ["Dream", "Atlantis", "Biscoe"]), ("bill_length_mm", ["46.5", "NA", "39.1"]),
        ("bill_depth_mm", ["17.9", "NA", "18.7"]), ("flipper_length_mm", ["192", "210", "181"]),
        ("body_mass_g", ["3500", "NA", "3750"]), ("sex", ["", "female", "male"]), ("year", ["2009", "2008", "2007"]),
    ]

    private let script = #"""
        import json, os, sys
        import numpy as np
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        onnx_path, keras_path, rows_json = sys.argv[1:4]
        rows = json.loads(rows_json)
        def value(text, numeric):
            return (float("nan") if text in ("", "NA") else float(text)) if numeric else text
        import onnxruntime as ort
        session = ort.InferenceSession(onnx_path)
        feed = {}
        for spec in session.get_inputs():
            numeric = "string" not in spec.type
            feed[spec.name] = np.array([value(t, numeric) for t in rows[spec.name]],
                                       dtype=np.float32 if numeric else object).reshape(-1, 1)
        onnx_out = session.run(None, feed)[0].tolist()
        try:
            import tensorflow as tf
            import keras
        except ImportError:
            print(json.dumps({"onnx": onnx_out, "keras": None}))
            sys.exit(0)
        model = keras.saving.load_model(keras_path)
        keras_feed = {}
        for name, texts in rows.items():
            numeric = name not in ("island", "sex")
            keras_feed[name] = (tf.constant(np.array([value(t, True) for t in texts], dtype=np.float32).reshape(-1, 1))
                                if numeric else tf.constant(texts, shape=(len(texts), 1)))
        print(json.dumps({"onnx": onnx_out, "keras": model(keras_feed).numpy().tolist()}))
        """#

    func testBothExportsOfARawTableModelGivePredictsProbabilities() throws {
        let directory = try temporaryDirectory(self), run = directory + "/run"
        let trained = try dlcoord.run([
            "--local", "--data", Repository.dataset("penguins.csv"), "--layers", "16:relu,auto", "--loss", "auto",
            "--standardize", "--validation-split", "0.2", "--epochs", "20", "--verbose", "0", "--run-dir", run,
        ])
        XCTAssertEqual(trained.status, 0, trained.errors)
        let csv = directory + "/new.csv"
        var text = columns.map(\.name).joined(separator: ",") + "\n"
        for row in 0..<3 { text += columns.map { $0.values[row] }.joined(separator: ",") + "\n" }
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        let predicted = try dlmodel.run(["predict", run, "--data", csv])
        XCTAssertEqual(predicted.status, 0, predicted.errors)
        // Adelie,Chinstrap,Gentoo,predicted: the three probabilities of each row.
        let expected = predicted.output.split(separator: "\n").dropFirst().map { line in
            line.split(separator: ",").prefix(3).compactMap { Double($0) }
        }
        XCTAssertEqual(expected.map(\.count), [3, 3, 3], predicted.output)

        let onnx = directory + "/p.onnx", keras = directory + "/p.keras"
        for (format, path) in [("onnx", onnx), ("keras", keras)] {
            let exported = try dlmodel.run(["export", run, "--format", format, "--output", path])
            XCTAssertEqual(exported.status, 0, exported.errors)
        }
        let rows = Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0.values) })
        let rowsJSON = String(decoding: try JSONSerialization.data(withJSONObject: rows), as: UTF8.self)
        let output = try Python.run(script, arguments: [onnx, keras, rowsJSON], timeout: 300)
        let line = try XCTUnwrap(output.split(separator: "\n").last)
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let onnxRows = try XCTUnwrap(results["onnx"] as? [[Double]])
        for (row, probabilities) in expected.enumerated() {
            for (index, probability) in probabilities.enumerated() {
                XCTAssertEqual(onnxRows[row][index], probability, accuracy: 1e-6, "onnx row \(row)")
            }
        }
        guard let kerasRows = results["keras"] as? [[Double]] else {
            throw XCTSkip("TensorFlow is not in the test environment (deploy/install-deps.sh --test installs it): the .keras half needs it")
        }
        for (row, probabilities) in expected.enumerated() {
            for (index, probability) in probabilities.enumerated() {
                XCTAssertEqual(kerasRows[row][index], probability, accuracy: 1e-6, "keras row \(row)")
            }
        }
    }
}
