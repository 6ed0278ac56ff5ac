// The front of a .keras export of a preprocessed model: a Functional model with one
// `keras.Input` per source column (string, int64 or float32, shape (None, 1), taken as a dict keyed
// by column name, a `/` in it written `_`) and Keras's preprocessing layers computing what `Preprocessing.expand` computes
// from the columns' codes, as keras.utils.FeatureSpace builds them:
//   missing number   keras.ops nodes: where(isnan(x), fill, x) (Keras has no imputer layer; a
//                    Functional model saves ops as nodes and loads them with safe_mode on);
//   float_normalized Normalization(mean, variance); float_rescaled Rescaling(scale, offset);
//   float_discretized Discretization(bin_boundaries) to an index;
//   categorical      StringLookup / IntegerLookup(vocabulary, num_oov_indices) to an index; a missing
//                    cell's text is not in the vocabulary, so it takes an out-of-vocabulary index;
//   hashed           Hashing(num_bins) to a bucket;
//   crosses          HashedCrossing(crossing_dim) of the crossed columns' indices;
//   one_hot          CategoryEncoding(num_tokens, one_hot); int: cast(index, float32);
//   indicator        cast(isnan(x), float32),
// all concatenated in FeatureSpace's order (ExpansionOrder), then the Dense stack. The fitted
// values live in the layers' configs, so the preprocessing layers have no weights. The lookups,
// Hashing and HashedCrossing run on TensorFlow (KERAS_BACKEND=tensorflow).

import DLPreprocessing
import Foundation

extension KerasExport {
    /// A tensor of the Functional graph: the layer that makes it, its width and dtype.
    struct GraphTensor {
        let layer: String
        let width: Int
        let dtype: String

        var reference: [String: Any] {
            [
                "class_name": "__keras_tensor__",
                "config": ["shape": [NSNull(), width], "dtype": dtype, "keras_history": [layer, 0, 0]] as [String: Any],
            ]
        }
    }

    /// The Functional config's layers, built in an order where every layer follows its inputs.
    struct FunctionalGraph {
        var layers: [[String: Any]] = []
        private var taken: Set<String>

        init(reserved: Set<String>) { taken = reserved }

        /// `base`, or `base_1`, `base_2`, ... the first no other layer or input has.
        mutating func name(_ base: String) -> String {
            var candidate = base, count = 0
            while taken.contains(candidate) {
                count += 1
                candidate = "\(base)_\(count)"
            }
            taken.insert(candidate)
            return candidate
        }

        /// A keras.layers layer called on `arguments` (tensors' references or values).
        mutating func layer(
            _ className: String, _ base: String, config: [String: Any], arguments: [Any], buildShape: Any?, width: Int, dtype: String
        ) -> GraphTensor {
            let name = name(base)
            var config = config
            config["name"] = name
            var entry: [String: Any] = [
                "module": "keras.layers", "class_name": className, "config": config, "registered_name": NSNull(), "name": name,
                "inbound_nodes": [["args": arguments, "kwargs": [String: Any]()]],
            ]
            if let buildShape { entry["build_config"] = ["input_shape": buildShape] }
            layers.append(entry)
            return GraphTensor(layer: name, width: width, dtype: dtype)
        }

        /// A keras.ops operation (`module` keras.src.ops.numpy or .core) as a node of the graph.
        mutating func operation(
            _ className: String, module: String, _ base: String, config: [String: Any] = [:], arguments: [Any], width: Int, dtype: String
        ) -> GraphTensor {
            let name = name(base)
            var config = config
            config["name"] = name
            layers.append([
                "module": module, "class_name": className, "config": config, "registered_name": className, "name": name,
                "inbound_nodes": [["args": arguments, "kwargs": [String: Any]()]],
            ])
            return GraphTensor(layer: name, width: width, dtype: dtype)
        }

        mutating func cast(_ tensor: GraphTensor, _ base: String) -> GraphTensor {
            operation("Cast", module: "keras.src.ops.core", base, config: ["dtype": "float32"], arguments: [tensor.reference], width: tensor.width, dtype: "float32")
        }

        mutating func isnan(_ tensor: GraphTensor, _ base: String) -> GraphTensor {
            operation("Isnan", module: "keras.src.ops.numpy", base, arguments: [tensor.reference], width: tensor.width, dtype: "bool")
        }
    }

    /// The inputs (by column name) and the layers that turn them into the model's inputs, which
    /// `output` holds (rows x `Preprocessing.outputWidth`).
    static func front(_ preprocessing: Preprocessing, graph: inout FunctionalGraph) -> (inputs: [(String, GraphTensor)], output: GraphTensor) {
        let columns = preprocessing.columns
        var inputs: [(String, GraphTensor)] = []
        for column in columns {
            let dtype: String
            switch column.type.kind {
            case .float, .floatNormalized, .floatRescaled, .floatDiscretized: dtype = "float32"
            case .integerCategorical, .integerHashed: dtype = "int64"
            case .stringCategorical, .stringHashed: dtype = "string"
            }
            // Keras refuses a `/` in a layer's name: it becomes `_` (and the name is made unique).
            let name = graph.name(column.name.replacingOccurrences(of: "/", with: "_"))
            graph.layers.append([
                "module": "keras.layers", "class_name": "InputLayer", "registered_name": NSNull(), "name": name, "inbound_nodes": [],
                "config": ["batch_shape": [NSNull(), 1], "dtype": dtype, "sparse": false, "name": name] as [String: Any],
            ])
            inputs.append((column.name, GraphTensor(layer: name, width: 1, dtype: dtype)))
        }
        var missing: [Int: GraphTensor] = [:]
        var indices: [Int: GraphTensor] = [:]
        var parts: [Int: GraphTensor] = [:]
        let one: Any = [NSNull(), 1]
        for (position, column) in columns.enumerated() {
            let input = inputs[position].1, base = "preprocessing_\(position)"
            var value = input
            if column.type.kind.isNumeric, let fill = column.fill {
                let isMissing = graph.isnan(input, "\(base)_missing")
                missing[position] = isMissing
                value = graph.operation(
                    "Where", module: "keras.src.ops.numpy", "\(base)_filled",
                    arguments: [isMissing.reference, Double(fill), input.reference], width: 1, dtype: "float32")
            }
            switch column.type.kind {
            case .float:
                parts[position] = value
            case .floatNormalized:
                parts[position] = graph.layer(
                    "Normalization", "\(base)_normalization",
                    config: [
                        "trainable": true, "dtype": "float32", "axis": [-1], "invert": false,
                        "mean": Double(column.mean ?? 0), "variance": Double(column.variance ?? 1),
                    ],
                    arguments: [value.reference], buildShape: one, width: 1, dtype: "float32")
            case .floatRescaled:
                parts[position] = graph.layer(
                    "Rescaling", "\(base)_rescaling",
                    config: ["trainable": true, "dtype": "float32", "scale": column.type.scale ?? 1, "offset": column.type.offset ?? 0],
                    arguments: [value.reference], buildShape: one, width: 1, dtype: "float32")
            case .floatDiscretized:
                indices[position] = graph.layer(
                    "Discretization", "\(base)_discretization",
                    config: [
                        "bin_boundaries": (column.boundaries ?? []).map(Double.init), "num_bins": NSNull(), "epsilon": 0.01,
                        "output_mode": "int", "sparse": false, "dtype": "float32",
                    ],
                    arguments: [value.reference], buildShape: one, width: 1, dtype: "int32")
            case .integerCategorical, .stringCategorical:
                let isString = column.type.kind == .stringCategorical
                var config: [String: Any] = [
                    "trainable": true, "dtype": "float32", "invert": false, "max_tokens": NSNull(),
                    "num_oov_indices": column.type.oovIndexCount, "mask_token": NSNull(), "output_mode": "int", "sparse": false,
                    "pad_to_max_tokens": false, "idf_weights": NSNull(),
                ]
                if isString {
                    // (A consistent preprocessing's vocabulary never holds Keras's OOV token.)
                    config["vocabulary"] = column.vocabulary ?? []
                    config["encoding"] = "utf-8"
                    config["oov_token"] = "[UNK]"
                } else {
                    config["vocabulary"] = column.integerVocabulary ?? []
                    config["vocabulary_dtype"] = "int64"
                    config["oov_token"] = -1
                }
                indices[position] = graph.layer(
                    isString ? "StringLookup" : "IntegerLookup", "\(base)_lookup", config: config,
                    arguments: [input.reference], buildShape: nil, width: 1, dtype: "int64")
            case .integerHashed, .stringHashed:
                indices[position] = graph.layer(
                    "Hashing", "\(base)_hashing",
                    config: [
                        "trainable": true, "dtype": "int64", "num_bins": column.type.numBins ?? 1, "mask_value": NSNull(),
                        "salt": NSNull(), "output_mode": "int", "sparse": false,
                    ],
                    arguments: [input.reference], buildShape: one, width: 1, dtype: "int64")
            }
            if let index = indices[position] {
                parts[position] = encoded(index, count: column.indexCount ?? 0, mode: column.type.mode, base: base, graph: &graph)
            }
        }
        var crossParts: [Int: GraphTensor] = [:]
        for (position, fitted) in preprocessing.crosses.enumerated() {
            let crossed = fitted.columnIndices.compactMap { indices[$0] }
            let base = "preprocessing_cross_\(position)"
            let bucket = graph.layer(
                "HashedCrossing", base,
                config: ["num_bins": fitted.cross.crossingDim, "output_mode": "int", "sparse": false, "dtype": "int64"],
                arguments: [crossed.map(\.reference)], buildShape: crossed.map { _ in one }, width: 1, dtype: "int64")
            crossParts[position] = encoded(bucket, count: fitted.cross.crossingDim, mode: fitted.cross.outputMode, base: base, graph: &graph)
        }
        var ordered: [GraphTensor] = []
        for part in ExpansionPart.order(preprocessing) {
            switch part {
            case let .column(position):
                if let tensor = parts[position] { ordered.append(tensor) }
            case let .cross(position):
                if let tensor = crossParts[position] { ordered.append(tensor) }
            case let .indicator(position):
                let isMissing = missing[position] ?? graph.isnan(inputs[position].1, "preprocessing_\(position)_missing")
                ordered.append(graph.cast(isMissing, "preprocessing_\(position)_indicator"))
            }
        }
        if ordered.count == 1 { return (inputs, ordered[0]) }
        let width = ordered.map(\.width).reduce(0, +)
        let output = graph.layer(
            "Concatenate", "concatenate", config: ["trainable": true, "dtype": "float32", "axis": -1],
            arguments: [ordered.map(\.reference)], buildShape: ordered.map { [NSNull(), $0.width] as [Any] }, width: width, dtype: "float32")
        return (inputs, output)
    }

    /// CategoryEncoding(one_hot) of an index, or the index as float32 (output_mode int).
    private static func encoded(_ index: GraphTensor, count: Int, mode: EncodingMode, base: String, graph: inout FunctionalGraph) -> GraphTensor {
        switch mode {
        case .int:
            return graph.cast(index, "\(base)_index")
        case .oneHot:
            return graph.layer(
                "CategoryEncoding", "\(base)_one_hot",
                config: ["trainable": true, "dtype": "float32", "num_tokens": count, "output_mode": "one_hot"],
                arguments: [index.reference], buildShape: [NSNull(), 1] as [Any], width: count, dtype: "float32")
        }
    }
}
