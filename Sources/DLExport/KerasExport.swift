// `dlmodel export --format keras`: a trained model as a Keras 3 .keras file, which
// keras.saving.load_model opens as a compiled model taking raw feature values:
//   config.json       a Sequential model: InputLayer, a Normalization layer holding the stored
//                     standardization (when the model has one), the Dense layers; or for a
//                     preprocessed model a Functional one with an input per source column and
//                     Keras's preprocessing layers in front (KerasPreprocessing); and the loss,
//                     metrics and optimizer;
//   metadata.json     the Keras version the layout was checked against, and the date;
//   model.weights.h5  the layers' variables as Keras lays them out (layers/<name>/vars/<i>, each
//                     layer named by its class and position) and the optimizer's, written through
//                     libhdf5.
// The optimizer's variables are what a fresh Keras optimizer starts from (iteration 0, zero or
// initial-value slots): a model file keeps the weights, not the optimizer's state, and Keras
// warns when a compiled model's file lacks them. The JSON keeps to keys Keras 3.3 to 3.15 read.

import DLCore
import DLRun
import Foundation
import ZIPFoundation

public enum KerasExport {
    /// The Keras version whose file layout this follows.
    public static let kerasVersion = "3.15.1"

    /// The .keras file's bytes: a zip of the three files, stored uncompressed as Keras stores them.
    public static func encoded(_ model: ModelFile, date: Date = Date()) throws -> [UInt8] {
        // A model file's optimizer was checked when it was read.
        let optimizer = try OptimizerConfig(
            name: model.optimizer, arguments: model.optimizerArguments, schedule: model.optimizerSchedule)
        let files: [(String, Data)] = [
            ("metadata.json", try json(["keras_version": kerasVersion, "date_saved": savedDate(date)])),
            ("config.json", try json(config(model, optimizer: optimizer))),
            ("model.weights.h5", Data(try weights(model, optimizer: optimizer))),
        ]
        do {
            let archive = try Archive(accessMode: .create)
            for (name, contents) in files {
                try archive.addEntry(
                    with: name, type: .file, uncompressedSize: Int64(contents.count), modificationDate: date,
                    compressionMethod: .none
                ) { position, size in
                    contents.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
            guard let data = archive.data else { throw ExportError.zip("the archive has no bytes") }
            return Array(data)
        } catch let error as ExportError {
            throw error
        } catch {
            throw ExportError.zip("\(error)")
        }
    }

    /// The layers in order with the names Keras gives them: by class, counted per class.
    /// (A preprocessed model's Normalization of a standardization holds its statistics in its config.)
    static func layerNames(_ model: ModelFile) -> (normalization: String?, dense: [String]) {
        (model.standardization == nil || model.preprocessing != nil ? nil : "normalization", model.model.layers.indices.map(ModelFile.layerName))
    }

    static func config(_ model: ModelFile, optimizer: OptimizerConfig) -> [String: Any] {
        var config = model.preprocessing == nil ? sequential(model) : functional(model)
        config["compile_config"] = compileConfig(model, optimizer: optimizer)
        return config
    }

    static func sequential(_ model: ModelFile) -> [String: Any] {
        let spec = model.model
        let inputShape: [Any] = [NSNull(), spec.inputDim]
        var layers: [[String: Any]] = [
            layer("InputLayer", ["batch_shape": inputShape, "dtype": "float32", "sparse": false, "name": "input_layer"]),
        ]
        let names = layerNames(model)
        if let name = names.normalization {
            // mean and variance are the layer's weights (model.weights.h5), as after adapt().
            layers.append(layer(
                "Normalization",
                [
                    "name": name, "trainable": true, "dtype": "float32", "axis": [-1], "invert": false,
                    "mean": NSNull(), "variance": NSNull(),
                ],
                inputShape: inputShape))
        }
        for sequential in spec.sequentialLayers {
            switch sequential {
            case let .dense(index, name):
                var config = denseConfig(spec, index: index)
                config["name"] = name
                layers.append(layer("Dense", config, inputShape: [NSNull(), spec.fanIn(ofLayer: index)]))
            case let .dropout(rate, _, name):
                var config = dropoutConfig(rate)
                config["name"] = name
                layers.append(layer("Dropout", config))
            }
        }
        return [
            "module": "keras", "class_name": "Sequential", "registered_name": NSNull(),
            "config": ["name": "sequential", "trainable": true, "dtype": "float32", "layers": layers, "build_input_shape": inputShape],
            "build_config": ["input_shape": inputShape],
        ]
    }

    /// A preprocessed model: a Functional model taking a dict of raw columns (KerasPreprocessing).
    static func functional(_ model: ModelFile) -> [String: Any] {
        guard let preprocessing = model.preprocessing else { return sequential(model) }
        let spec = model.model
        var graph = FunctionalGraph(reserved: [])
        let (inputs, preprocessed) = front(preprocessing, graph: &graph)
        var current = preprocessed
        if let standardization = model.standardization {
            current = graph.layer(
                "Normalization", "normalization",
                config: [
                    "trainable": true, "dtype": "float32", "axis": [-1], "invert": false,
                    "mean": standardization.mean.map(Double.init), "variance": standardization.scale.map { Double($0 * $0) },
                ],
                arguments: [current.reference], buildShape: [NSNull(), current.width] as [Any], width: current.width, dtype: "float32")
        }
        for sequential in spec.sequentialLayers {
            switch sequential {
            case let .dense(index, name):
                current = graph.layer(
                    "Dense", name, config: denseConfig(spec, index: index), arguments: [current.reference],
                    buildShape: [NSNull(), spec.fanIn(ofLayer: index)] as [Any], width: spec.layers[index].units, dtype: "float32")
            case let .dropout(rate, width, name):
                current = graph.layer(
                    "Dropout", name, config: dropoutConfig(rate), arguments: [current.reference],
                    buildShape: [NSNull(), width] as [Any], width: width, dtype: "float32")
            }
        }
        // Keyed by the input's name: Keras matches a dict's keys to its inputs' names.
        var inputLayers: [String: Any] = [:]
        for (_, tensor) in inputs { inputLayers[tensor.layer] = [tensor.layer, 0, 0] }
        return [
            "module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": [
                "name": "functional", "trainable": true, "layers": graph.layers, "input_layers": inputLayers,
                "output_layers": [current.layer, 0, 0],
            ] as [String: Any],
            "build_config": ["input_shape": NSNull()],
        ]
    }

    /// A Dense layer's config but its name: its initializers and regularizers as Keras serializes them.
    static func denseConfig(_ spec: ModelSpec, index: Int) -> [String: Any] {
        let dense = spec.layers[index]
        return [
            "trainable": true, "dtype": "float32", "units": dense.units,
            "activation": dense.activation.rawValue, "use_bias": true,
            "kernel_initializer": initializerConfig(dense.kernelInitializer),
            "bias_initializer": initializerConfig(dense.biasInitializer),
            "kernel_regularizer": regularizerConfig(dense.kernelRegularizer),
            "bias_regularizer": regularizerConfig(dense.biasRegularizer), "activity_regularizer": NSNull(),
            "kernel_constraint": NSNull(), "bias_constraint": NSNull(),
        ]
    }

    /// A Dropout layer's config but its name (identity at inference, as in Keras).
    static func dropoutConfig(_ rate: Float) -> [String: Any] {
        ["trainable": true, "dtype": "float32", "rate": Double(rate), "seed": NSNull(), "noise_shape": NSNull()]
    }

    /// keras.initializers' class and config of `initializer` (seedless, as Keras's defaults).
    static func initializerConfig(_ initializer: Initializer) -> [String: Any] {
        let deviation = ["seed": NSNull(), "mean": 0.0, "stddev": 0.05] as [String: Any]
        let (className, config): (String, [String: Any]) = switch initializer {
        case .glorotUniform: ("GlorotUniform", ["seed": NSNull()])
        case .glorotNormal: ("GlorotNormal", ["seed": NSNull()])
        case .heUniform: ("HeUniform", ["seed": NSNull()])
        case .heNormal: ("HeNormal", ["seed": NSNull()])
        case .lecunUniform: ("LecunUniform", ["seed": NSNull()])
        case .lecunNormal: ("LecunNormal", ["seed": NSNull()])
        case .randomNormal: ("RandomNormal", deviation)
        case .truncatedNormal: ("TruncatedNormal", deviation)
        case .randomUniform: ("RandomUniform", ["seed": NSNull(), "minval": -0.05, "maxval": 0.05])
        case .orthogonal: ("Orthogonal", ["seed": NSNull(), "gain": 1.0])
        case .identity: ("Identity", ["gain": 1.0])
        case .zeros: ("Zeros", [:])
        case .ones: ("Ones", [:])
        }
        return serialized("keras.initializers", className, config)
    }

    /// keras.regularizers' L1, L2 or L1L2 of `regularizer`; null for none.
    static func regularizerConfig(_ regularizer: Regularizer?) -> Any {
        guard let regularizer else { return NSNull() }
        let l1 = Double(regularizer.l1), l2 = Double(regularizer.l2)
        return switch (l1 != 0, l2 != 0) {
        case (true, true): serialized("keras.regularizers", "L1L2", ["l1": l1, "l2": l2])
        case (true, false): serialized("keras.regularizers", "L1", ["l1": l1])
        default: serialized("keras.regularizers", "L2", ["l2": l2])
        }
    }

    static func compileConfig(_ model: ModelFile, optimizer: OptimizerConfig) -> [String: Any] {
        return [
            "optimizer": KerasOptimizerConfig.serialized(optimizer),
            "loss": model.loss.rawValue, "loss_weights": NSNull(), "metrics": model.metrics, "weighted_metrics": NSNull(),
            "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false,
        ]
    }

    /// model.weights.h5: each layer's variables, then the optimizer's.
    static func weights(_ model: ModelFile, optimizer: OptimizerConfig) throws -> [UInt8] {
        let file = try HDF5Image()
        let names = layerNames(model), layout = model.model.layout
        try file.group("/layers")
        if let name = names.normalization, let standardization = model.standardization {
            try file.group("/layers/\(name)")
            try file.group("/layers/\(name)/vars", name: name)
            let width = standardization.mean.count
            try file.dataset("/layers/\(name)/vars/0", shape: [width], values: standardization.mean)
            // Keras divides by sqrt(variance); the square root of a float32 square gives the scale back exactly.
            try file.dataset("/layers/\(name)/vars/1", shape: [width], values: standardization.scale.map { $0 * $0 })
            try file.dataset("/layers/\(name)/vars/2", shape: [], values: [Int64(0)])
        }
        // Keras's trainable variables in order: each Dense layer's kernel, then its bias.
        var variables: [[Int]] = []
        for index in model.model.layers.indices {
            let name = names.dense[index], shape = layout.shapes[index]
            try file.group("/layers/\(name)")
            try file.group("/layers/\(name)/vars", name: name)
            try file.dataset(
                "/layers/\(name)/vars/0", shape: [shape.inputs, shape.units], values: Array(model.parameters[layout.kernelRange(index)]))
            try file.dataset("/layers/\(name)/vars/1", shape: [shape.units], values: Array(model.parameters[layout.biasRange(index)]))
            variables += [[shape.inputs, shape.units], [shape.units]]
        }
        // Dropout layers hold no variables: an empty group each, as Keras writes them.
        for case let .dropout(_, _, name) in model.model.sequentialLayers {
            try file.group("/layers/\(name)")
            try file.group("/layers/\(name)/vars", name: name)
        }
        try file.group("/optimizer")
        try file.group("/optimizer/vars", name: optimizer.name)
        try file.dataset("/optimizer/vars/0", shape: [], values: [Int64(0)])
        var index = 1
        // A schedule is no variable: Keras's optimizer then has no learning_rate among its variables.
        if optimizer.schedule == nil {
            try file.dataset("/optimizer/vars/1", shape: [], values: [optimizer.learningRate])
            index = 2
        }
        for slots in KerasOptimizerConfig.slotGroups(optimizer) {
            for shape in variables {
                for slot in slots {
                    let initial = optimizer.initialValue(ofSlot: slot)
                    try file.dataset(
                        "/optimizer/vars/\(index)", shape: shape, values: [Float](repeating: initial, count: shape.reduce(1, *)))
                    index += 1
                }
            }
        }
        if case .nadam = optimizer.rule {
            // Nadam's u_product, a variable of its own after the slots.
            try file.dataset("/optimizer/vars/\(index)", shape: [], values: [Float(1)])
        }
        try file.group("/vars", name: model.preprocessing == nil ? "sequential" : "functional")
        return try file.bytes()
    }

    private static func layer(_ className: String, _ config: [String: Any], inputShape: [Any]? = nil) -> [String: Any] {
        var layer = serialized("keras.layers", className, config)
        if let inputShape { layer["build_config"] = ["input_shape": inputShape] }
        return layer
    }

    private static func serialized(_ module: String, _ className: String, _ config: [String: Any]) -> [String: Any] {
        ["module": module, "class_name": className, "config": config, "registered_name": NSNull()]
    }

    private static func json(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// Keras's date_saved: local time as YYYY-mm-dd@HH:MM:SS.
    private static func savedDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.string(from: date)
    }
}
