// dlmodel export of a preprocessed model, read by the tools it exports for: a model whose
// preprocessing has every kind of column ONNX can compute (float with a fill and an indicator,
// float_normalized, float_rescaled, float_discretized one_hot and int, integer_categorical one_hot
// and int with three out-of-vocabulary indices, string_categorical one_hot and int, a cross of two
// categorical columns) and one with the hashed kinds and a cross of a hashed column, random
// weights, and raw rows with unseen categories, the missing-value texts and missing numbers.
// onnxruntime (after the onnx checker) and Keras (TensorFlow backend: its lookup and hashing layers
// need it) must give what dltrain computes on the same raw cells, Preprocessing.codes then expand
// then the forward pass as dlmodel predict runs it, within 1e-6 (relative above 1), and the model's
// inputs (before the Dense layers) must be dltrain's expansion exactly. ONNX refusals
// are typed errors: the hashed model's, a string lookup with several out-of-vocabulary indices, a
// cross table over its bound, a column named as a tensor of the graph. Without TensorFlow in the
// test environment the Keras half skips, saying so.

import DLCore
@testable import DLExport
import DLPreprocessing
import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class PreprocessedExportTests: XCTestCase {
    /// A raw cell as the CSV reader hands it over: a number, or a text.
    private enum Cell {
        case number(Double)
        case text(String)
    }

    private static let naValues = PreprocessingSettings.defaultNAValues

    /// Every kind ONNX computes, the expansion order differing from the column order.
    private static let everyKind = Preprocessing(
        columns: [
            FittedColumn(name: "island", type: FeatureType(.stringCategorical), inferred: true, vocabulary: ["Biscoe", "Dream", "Torgersen"]),
            // A "/" that Keras refuses in an input's name.
            FittedColumn(name: "bill/mm", type: FeatureType(.float), inferred: true, fill: 43.5, indicator: true),
            FittedColumn(
                name: "depth", type: FeatureType(.floatNormalized), inferred: false, fill: 17.25, indicator: true, mean: 17.25,
                variance: 3.875),
            FittedColumn(name: "mass", type: FeatureType(.floatRescaled, scale: 0.001, offset: -4), inferred: false, fill: 4200),
            // Fewer boundaries than num_bins - 1, as adapt may find: still num_bins one-hot columns.
            FittedColumn(
                name: "flipper", type: FeatureType(.floatDiscretized, numBins: 5), inferred: false, fill: 200,
                boundaries: [190, 197.5, 213]),
            FittedColumn(
                name: "age", type: FeatureType(.floatDiscretized, numBins: 3, outputMode: .int), inferred: false, fill: 5,
                boundaries: [3, 8]),
            FittedColumn(name: "year", type: FeatureType(.integerCategorical), inferred: false, integerVocabulary: [2008, 2009, 2007, 2010]),
            FittedColumn(name: "sex", type: FeatureType(.stringCategorical, outputMode: .int), inferred: false, vocabulary: ["male", "female"]),
            FittedColumn(
                name: "clutch", type: FeatureType(.integerCategorical, numOOVIndices: 3, outputMode: .int), inferred: false,
                integerVocabulary: [2, 1, 3]),
        ],
        crosses: [FittedCross(cross: FeatureCross(columns: ["island", "sex"], crossingDim: 8), columnIndices: [0, 7])],
        naValues: naValues)

    private static let everyKindRows: [[Cell]] = [
        [.text("Biscoe"), .number(39.1), .number(18.7), .number(3750), .number(181), .number(2), .number(2007), .text("male"), .number(2)],
        [.text("Dream"), .text("NA"), .number(17.4), .number(3800), .number(197.5), .number(8), .number(2008), .text("female"), .number(1)],
        [.text("Atlantis"), .number(40.3), .text(""), .text("?"), .number(213), .number(3), .number(2009), .text("NA"), .number(7)],
        [.text(""), .number(-2.5), .number(19.3), .number(3250), .text("NaN"), .text("null"), .number(2010), .text("unknown"), .number(-4)],
        [.text("Torgersen"), .number(250.75), .number(20.6), .number(3450), .number(230.5), .number(0.5), .number(1999), .text("female"), .text("N/A")],
        [.text("NA"), .text("?"), .text("NA"), .number(0), .number(100), .number(12), .text("NA"), .text(""), .number(2)],
    ]

    /// The hashed kinds and a cross of a hashed column: Keras only.
    private static let hashed = Preprocessing(
        columns: [
            FittedColumn(name: "word", type: FeatureType(.stringHashed, numBins: 5), inferred: false),
            FittedColumn(name: "code", type: FeatureType(.integerHashed, numBins: 4, outputMode: .int), inferred: false),
            FittedColumn(name: "color", type: FeatureType(.stringCategorical), inferred: true, vocabulary: ["red", "green"]),
            FittedColumn(name: "size", type: FeatureType(.float), inferred: true, fill: 1.5),
        ],
        crosses: [FittedCross(cross: FeatureCross(columns: ["word", "color"], crossingDim: 6), columnIndices: [0, 2])],
        naValues: naValues)

    private static let hashedRows: [[Cell]] = [
        [.text("apple"), .number(12), .text("red"), .number(1)],
        [.text("kiwi"), .number(-3), .text("blue"), .text("NA")],
        [.text("NA"), .number(0), .text(""), .number(2.25)],
        [.text("apple"), .number(123_456_789), .text("green"), .number(-7)],
    ]

    /// For each case: the checker and onnxruntime (when there is an ONNX file), then Keras with
    /// safe_mode on; each one's largest deviation from dltrain's outputs.
    private static let check = """
        import json, os, sys, warnings
        os.environ["KERAS_BACKEND"] = "tensorflow"
        import numpy as np
        results = []
        cases = json.loads(sys.argv[1])
        def arrays(case, for_keras):
            feeds = {}
            for name, column in case["columns"].items():
                if column["dtype"] == "string":
                    values = np.array([[v] for v in column["values"]], dtype=object)
                else:
                    values = np.array([[float(v)] for v in column["values"]], dtype=column["dtype"])
                feeds[name] = values
            return feeds
        def deviation(case, outputs, key="expected"):
            # (float32 first: the JSON holds each float32's shortest text.)
            expected = np.array(case[key], dtype=np.float32).astype(np.float64)
            outputs = np.asarray(outputs, dtype=np.float64)
            assert outputs.shape == expected.shape, (outputs.shape, expected.shape)
            return float(np.max(np.abs(outputs - expected) / np.maximum(1, np.abs(expected))))
        for case in cases:
            result = {}
            if case.get("onnx"):
                import onnx, onnxruntime
                model = onnx.load(case["onnx"])
                onnx.checker.check_model(model, full_check=True)
                session = onnxruntime.InferenceSession(case["onnx"], providers=["CPUExecutionProvider"])
                result["onnx"] = deviation(case, session.run(["output"], arrays(case, False))[0])
                # The model's inputs, before the Dense layers: exactly dltrain's expansion.
                model.graph.output.append(onnx.helper.make_tensor_value_info("preprocessing/inputs", onnx.TensorProto.FLOAT, None))
                inputs = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
                result["onnx_inputs_deviation"] = deviation(case, inputs.run(["preprocessing/inputs"], arrays(case, False))[0], "inputs")
                result["onnx_inputs"] = {i.name: i.type for i in session.get_inputs()}
                result["metadata"] = {p.key: p.value for p in model.metadata_props}
            results.append(result)
        try:
            import tensorflow as tf
            import keras
        except ImportError as error:
            print(json.dumps({"results": results, "skip": str(error)})); sys.exit(0)
        for case, result in zip(cases, results):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                loaded = keras.saving.load_model(case["keras"], safe_mode=True)
                # Keras refuses a "/" in an input's name: the export writes it "_".
                feeds = {name.replace("/", "_"): tf.constant(values) for name, values in arrays(case, True).items()}
                result["keras"] = deviation(case, loaded.predict(feeds, verbose=0))
                front = keras.Model(loaded.inputs, loaded.get_layer("concatenate").output)
                result["keras_inputs_deviation"] = deviation(case, front.predict(feeds, verbose=0), "inputs")
            result["warnings"] = [str(w.message) for w in caught]
            result["layers"] = sorted({type(layer).__name__ for layer in loaded.layers})
        print(json.dumps({"results": results}))
        """

    private struct Checked: Decodable {
        let skip: String?
        let results: [Result]
        struct Result: Decodable {
            let onnx: Double?
            let onnxInputs: [String: String]?
            let metadata: [String: String]?
            let onnxInputsDeviation: Double?
            let keras: Double?
            let kerasInputsDeviation: Double?
            let warnings: [String]?
            let layers: [String]?

            enum CodingKeys: String, CodingKey {
                case onnx, keras, warnings, layers, metadata
                case onnxInputs = "onnx_inputs"
                case onnxInputsDeviation = "onnx_inputs_deviation"
                case kerasInputsDeviation = "keras_inputs_deviation"
            }
        }
    }

    /// A model of random weights behind `preprocessing`.
    private func model(_ preprocessing: Preprocessing, layers: [DenseSpec], seed: UInt64) throws -> ModelFile {
        XCTAssertNil(preprocessing.inconsistency(), "a preprocessing a fit could give")
        var settings = JobSettings.seedJob
        settings.epochs = 1
        let job = try TrainingJob(settings)
        var file = ModelFile(job: job, parameters: job.model.initialParameters(seed: 1), epochs: 1)
        file.model = try ModelSpec(inputDim: preprocessing.outputWidth, layers: layers)
        // Non-zero biases, so that every parameter shows in the outputs; weights small enough that
        // the float32 sums of raw values (43.5, 3750) round alike in every Gemm.
        var generator = SeededGenerator(seed: seed)
        file.parameters = (0..<file.model.layout.count).map { _ in Float.random(in: -0.1...0.1, using: &generator) }
        file.features = preprocessing.outputNames
        file.standardization = nil
        file.preprocessing = preprocessing
        return file
    }

    /// The raw cells as the reader hands them to Preprocessing.codes.
    private func rawCells(_ rows: [[Cell]], _ preprocessing: Preprocessing) -> RawCells {
        let columns = preprocessing.columns.indices.map { position in
            var codes: [Int32] = [], numbers: [Double] = [], texts: [String] = []
            let asText = preprocessing.readings[position] == .text
            for row in rows {
                switch row[position] {
                case let .number(value) where !asText:
                    codes.append(RawColumn.number)
                    numbers.append(value)
                case let .number(value):
                    // (A text column's cell is its text; the rows here give such columns texts.)
                    codes.append(Int32(texts.count))
                    texts.append("\(value)")
                    numbers.append(0)
                case let .text(text):
                    if let index = texts.firstIndex(of: text) {
                        codes.append(Int32(index))
                    } else {
                        codes.append(Int32(texts.count))
                        texts.append(text)
                    }
                    numbers.append(0)
                }
            }
            return RawColumn(codes: codes, numbers: asText ? [] : numbers, texts: texts)
        }
        return RawCells(
            rowCount: rows.count, columns: columns, fileColumns: Array(preprocessing.columns.indices),
            lineNumbers: rows.indices.map { Int32($0 + 2) })
    }

    /// dltrain's model inputs and outputs for the raw rows: codes, expand, then the training
    /// kernels' forward pass.
    private func predictions(_ model: ModelFile, rows: [[Cell]]) throws -> (inputs: [[Float]], outputs: [[Float]]) {
        let preprocessing = try XCTUnwrap(model.preprocessing)
        let codes = try preprocessing.codes(rawCells(rows, preprocessing), path: "rows.csv")
        let inputs = preprocessing.expand(codes: codes)
        XCTAssertEqual(inputs.count, rows.count * model.model.inputDim)
        let engine = BatchEngine(spec: model.model, loss: model.loss, metrics: MetricSet([]), capacity: rows.count)
        _ = engine.inputs.update(fromContentsOf: inputs)
        model.parameters.withUnsafeBufferPointer { engine.forward(parameters: $0, rows: rows.count) }
        let width = model.model.outputWidth, inputWidth = model.model.inputDim
        return (
            (0..<rows.count).map { row in Array(inputs[(row * inputWidth)..<((row + 1) * inputWidth)]) },
            (0..<rows.count).map { row in (0..<width).map { engine.outputs[row * width + $0] } }
        )
    }

    /// The columns as the exported models take them: float32 with NaN for a missing number, int64
    /// (a missing integer is any value outside the vocabulary), or the cell's text.
    private func feeds(_ rows: [[Cell]], _ preprocessing: Preprocessing) -> [String: Feed] {
        var feeds: [String: Feed] = [:]
        for (position, column) in preprocessing.columns.enumerated() {
            let cells = rows.map { $0[position] }
            switch column.type.kind {
            case .stringCategorical, .stringHashed:
                feeds[column.name] = Feed(dtype: "string", values: cells.map {
                    if case let .text(text) = $0 { return text } else { return "" }
                })
            case .integerCategorical, .integerHashed:
                feeds[column.name] = Feed(dtype: "int64", values: cells.map {
                    if case let .number(value) = $0 { return "\(Int64(value))" } else { return "-999999" }
                })
            default:
                feeds[column.name] = Feed(dtype: "float32", values: cells.map {
                    if case let .number(value) = $0 { return "\(Float(value))" } else { return "nan" }
                })
            }
        }
        return feeds
    }

    private struct Feed: Encodable {
        let dtype: String
        let values: [String]
    }

    private struct Case: Encodable {
        let columns: [String: Feed]
        let inputs: [[Float]]
        let expected: [[Float]]
        let onnx: String?
        let keras: String
    }

    func testOnnxruntimeAndKerasComputeWhatDltrainComputesOnRawRows() throws {
        let directory = try temporaryDirectory(self)
        // Linear outputs, which no large input saturates: every input shows in them.
        let classifier = try model(
            Self.everyKind, layers: [DenseSpec(units: 6, activation: .relu), DenseSpec(units: 2, activation: .linear)], seed: 7)
        let softmax = try model(
            Self.hashed, layers: [DenseSpec(units: 5, activation: .tanh), DenseSpec(units: 3, activation: .softmax)], seed: 8)
        try Data(ONNXExport.encoded(classifier)).write(to: URL(fileURLWithPath: directory + "/every.onnx"))
        try Data(KerasExport.encoded(classifier)).write(to: URL(fileURLWithPath: directory + "/every.keras"))
        try Data(KerasExport.encoded(softmax)).write(to: URL(fileURLWithPath: directory + "/hashed.keras"))
        let expected = try predictions(classifier, rows: Self.everyKindRows), hashed = try predictions(softmax, rows: Self.hashedRows)
        let cases = [
            Case(
                columns: feeds(Self.everyKindRows, Self.everyKind), inputs: expected.inputs, expected: expected.outputs,
                onnx: directory + "/every.onnx", keras: directory + "/every.keras"),
            Case(
                columns: feeds(Self.hashedRows, Self.hashed), inputs: hashed.inputs, expected: hashed.outputs, onnx: nil,
                keras: directory + "/hashed.keras"),
        ]
        let output = try Python.run(
            Self.check, arguments: [String(decoding: try JSONEncoder().encode(cases), as: UTF8.self)], timeout: 300)
        let checked = try JSONDecoder().decode(Checked.self, from: Data(output.utf8))
        XCTAssertEqual(checked.results.count, 2)
        let every = checked.results[0]
        XCTAssertEqual(every.onnxInputsDeviation, 0, "onnxruntime's model inputs are dltrain's expansion, exactly")
        XCTAssertLessThanOrEqual(try XCTUnwrap(every.onnx), 1e-6, "onnxruntime")
        XCTAssertEqual(every.onnxInputs, [
            "island": "tensor(string)", "bill/mm": "tensor(float)", "depth": "tensor(float)", "mass": "tensor(float)",
            "flipper": "tensor(float)", "age": "tensor(float)", "year": "tensor(int64)", "sex": "tensor(string)",
            "clutch": "tensor(int64)",
        ], "one input per source column, typed by its kind")
        let columns = try JSONDecoder().decode([[String: String]].self, from: Data(try XCTUnwrap(every.metadata?["columns"]).utf8))
        XCTAssertEqual(columns.map { $0["name"] }, Self.everyKind.columns.map(\.name))
        XCTAssertEqual(columns.map { $0["type"] }, Self.everyKind.columns.map(\.type.kind.rawValue))
        if let skip = checked.skip {
            throw XCTSkip("TensorFlow is not in the test environment (deploy/install-deps.sh --test installs it); the .keras half needs it: \(skip)")
        }
        for (name, result) in zip(["every kind", "hashed"], checked.results) {
            XCTAssertEqual(result.kerasInputsDeviation, 0, "Keras's model inputs are dltrain's expansion, exactly: \(name)")
            XCTAssertLessThanOrEqual(try XCTUnwrap(result.keras), 1e-6, "Keras, \(name)")
            XCTAssertEqual(result.warnings, [], name)
        }
        XCTAssertEqual(every.layers, [
            "CategoryEncoding", "Concatenate", "Dense", "Discretization", "HashedCrossing", "InputLayer", "IntegerLookup",
            "Normalization", "Rescaling", "StringLookup",
        ])
        XCTAssertEqual(checked.results[1].layers, [
            "CategoryEncoding", "Concatenate", "Dense", "HashedCrossing", "Hashing", "InputLayer", "StringLookup",
        ])
    }

    /// The seed job's model behind `preprocessing`: enough for what ONNX refuses before the layers.
    private func unsized(_ preprocessing: Preprocessing) throws -> ModelFile {
        XCTAssertNil(preprocessing.inconsistency(), "a preprocessing a fit could give")
        let job = try TrainingJob(JobSettings.seedJob)
        var file = ModelFile(job: job, parameters: job.model.initialParameters(seed: 1), epochs: 1)
        file.preprocessing = preprocessing
        return file
    }

    /// The typed error `body` throws, or a failure.
    private func exportError(_ body: () throws -> Any) -> ExportError? {
        do {
            _ = try body()
            XCTFail("the export was not refused")
        } catch let error as ExportError {
            return error
        } catch {
            XCTFail("expected an ExportError, got \(error)")
        }
        return nil
    }

    func testAnONNXExportRefusesWhatOnlyFarmHashComputes() throws {
        let hashed = try unsized(Self.hashed)
        guard case let .onnxCannotHash(feature, why) = exportError({ try ONNXExport.model(hashed) }) else {
            return XCTFail("expected onnxCannotHash")
        }
        XCTAssertEqual(feature, "the column word")
        XCTAssertTrue(why.contains("string_hashed"), why)
        let message = "\(ExportError.onnxCannotHash(feature: feature, why: why))"
        XCTAssertTrue(message.contains("--format keras") && message.contains("string_categorical"), "says what to do: \(message)")

        var several = Self.everyKind
        several.columns[0].type.numOOVIndices = 3
        let spread = try unsized(several)
        guard case let .onnxCannotHash(feature, why) = exportError({ try ONNXExport.model(spread) }) else {
            return XCTFail("expected onnxCannotHash")
        }
        XCTAssertEqual(feature, "the column island")
        XCTAssertTrue(why.contains("num_oov_indices=3"), why)
    }

    func testAnONNXExportRefusesACrossTableTooLargeAndANameTheGraphUses() throws {
        let words = (0..<1500).map { "w\($0)" }
        let wide = Preprocessing(
            columns: [
                FittedColumn(name: "a", type: FeatureType(.stringCategorical), inferred: true, vocabulary: words),
                FittedColumn(name: "b", type: FeatureType(.stringCategorical), inferred: true, vocabulary: words),
            ],
            crosses: [FittedCross(cross: FeatureCross(columns: ["a", "b"]), columnIndices: [0, 1])], naValues: Self.naValues)
        let crossed = try unsized(wide)
        XCTAssertEqual(
            exportError { try ONNXExport.model(crossed) },
            .crossTooLarge(cross: "a_X_b", combinations: 1501 * 1501, bound: ONNXExport.largestCrossTable))

        var named = Self.everyKind
        named.crosses = []
        named.columns[1].name = "output"
        let clashing = try unsized(named)
        XCTAssertEqual(exportError { try ONNXExport.model(clashing) }, .nameClash(column: "output", format: "ONNX"))
    }
}
