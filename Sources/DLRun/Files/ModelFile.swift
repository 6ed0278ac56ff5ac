// model.safetensors: a trained model in one file that is enough to rebuild and use it.
//
// Tensors are float32, named by layer as Keras names them (`dense/kernel`, `dense/bias`,
// `dense_1/kernel`, ...), kernels shaped (inputs, units). `__metadata__` holds, as JSON strings, the
// architecture, the loss and metrics, the optimizer, the feature columns, the standardization
// statistics and the label mapping, and how the model was trained.

import DLTraining
import DLCore
import DLData
import Foundation

public struct ModelFile: Sendable, Equatable {
    /// The value of the `format` metadata key; a reader refuses other formats.
    public static let format = "dltrain.model.v1"

    public struct Training: Sendable, Equatable, Codable {
        public var epochs: Int
        public var batchSize: Int
        public var seed: UInt64
        public var shards: Int
        public var trainingRows: Int
        public var validationRows: Int
    }

    public var model: ModelSpec
    public var parameters: [Float]
    public var loss: Loss
    public var metrics: [String]
    public var optimizer: String
    public var optimizerArguments: [String: Double]
    public var features: [String]
    public var labels: LabelEncoding
    public var standardization: Standardization?
    public var training: Training

    /// The model file of a job's trained parameters.
    public init(job: TrainingJob, parameters: [Float], epochs: Int) {
        model = job.model
        self.parameters = parameters
        loss = job.loss
        metrics = job.metricNames
        optimizer = job.optimizer.name
        optimizerArguments = job.optimizer.arguments
        features = job.data.featureNames
        labels = job.data.labels
        precondition(!job.data.standardizes || job.data.standardization != nil, "the standardization is fitted before training")
        standardization = job.data.standardization
        training = Training(
            epochs: epochs, batchSize: job.settings.batchSize, seed: job.settings.seed,
            shards: job.schedule.shardCount, trainingRows: job.data.trainingCount,
            validationRows: job.data.validationCount)
    }

    /// Keras's default layer names: dense, dense_1, dense_2, ...
    public static func layerName(_ index: Int) -> String { index == 0 ? "dense" : "dense_\(index)" }

    /// A flat buffer in the parameters' layout as named tensors: `PREFIXdense/kernel`, ...
    static func layerTensors(_ values: ArraySlice<Float>, model: ModelSpec, prefix: String = "") -> [SafeTensors.Tensor] {
        let layout = model.layout
        precondition(values.count == layout.count)
        let base = values.startIndex
        var tensors: [SafeTensors.Tensor] = []
        for index in model.layers.indices {
            let shape = layout.shapes[index]
            let kernel = layout.kernelRange(index), bias = layout.biasRange(index)
            tensors.append(.init(
                name: "\(prefix)\(layerName(index))/kernel", shape: [shape.inputs, shape.units],
                values: Array(values[(base + kernel.lowerBound)..<(base + kernel.upperBound)])))
            tensors.append(.init(
                name: "\(prefix)\(layerName(index))/bias", shape: [shape.units],
                values: Array(values[(base + bias.lowerBound)..<(base + bias.upperBound)])))
        }
        return tensors
    }

    /// The inverse of `layerTensors`: the named tensors back into one flat buffer, checking shapes.
    static func flatten(_ file: SafeTensors, model: ModelSpec, prefix: String = "", path: String) throws -> [Float] {
        let layout = model.layout
        var values = [Float](repeating: 0, count: layout.count)
        for index in model.layers.indices {
            let shape = layout.shapes[index]
            for (suffix, range, expectedShape) in [
                ("kernel", layout.kernelRange(index), [shape.inputs, shape.units]),
                ("bias", layout.biasRange(index), [shape.units]),
            ] {
                let name = "\(prefix)\(layerName(index))/\(suffix)"
                guard let tensor = file.tensor(named: name) else {
                    throw RunError.badModelFile(path: path, reason: "tensor \(name) is missing")
                }
                guard tensor.shape == expectedShape else {
                    throw RunError.badModelFile(
                        path: path, reason: "tensor \(name) has shape \(tensor.shape), the architecture says \(expectedShape)")
                }
                values.replaceSubrange(range, with: tensor.values)
            }
        }
        return values
    }

    public func safeTensors() -> SafeTensors {
        let tensors = Self.layerTensors(parameters[...], model: model)
        var metadata = [
            "format": Self.format,
            "model": Self.json(model),
            "loss": loss.rawValue,
            "metrics": Self.json(metrics),
            "optimizer": Self.json(OptimizerEntry(name: optimizer, arguments: optimizerArguments)),
            "features": Self.json(features),
            "labels": Self.json(labels),
            "training": Self.json(training),
        ]
        if let standardization { metadata["standardization"] = Self.json(standardization) }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    public func write(to path: String) throws {
        try AtomicFile.write(safeTensors().encoded(), to: path)
    }

    public static func read(path: String) throws -> ModelFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunError.badModelFile(path: path, reason: "cannot read the file")
        }
        return try ModelFile(SafeTensors(decoding: Array(data), path: path), path: path)
    }

    /// Rebuilds a model file from its tensors and metadata, checking that they agree.
    public init(_ file: SafeTensors, path: String) throws {
        func bad(_ reason: String) -> RunError { .badModelFile(path: path, reason: reason) }
        guard file.metadata["format"] == Self.format else {
            throw bad("metadata format is \(file.metadata["format"] ?? "missing"), expected \(Self.format)")
        }
        func field<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let text = file.metadata[key] else { throw bad("metadata lacks \(key)") }
            do { return try Self.decoder.decode(T.self, from: Data(text.utf8)) } catch {
                throw bad("metadata \(key) is not valid: \(error)")
            }
        }
        model = try field("model", ModelSpec.self)
        guard model.inputDim > 0, !model.layers.isEmpty, model.layers.allSatisfy({ $0.units > 0 }) else {
            throw bad("the architecture has no inputs or no layers")
        }
        guard let loss = Loss(rawValue: file.metadata["loss"] ?? "") else { throw bad("unknown loss") }
        self.loss = loss
        metrics = try field("metrics", [String].self)
        let optimizerEntry = try field("optimizer", OptimizerEntry.self)
        do {
            _ = try OptimizerConfig(name: optimizerEntry.name, arguments: optimizerEntry.arguments)
        } catch {
            throw bad("optimizer: \(error)")
        }
        optimizer = optimizerEntry.name
        optimizerArguments = optimizerEntry.arguments
        features = try field("features", [String].self)
        labels = try field("labels", LabelEncoding.self)
        standardization = file.metadata["standardization"] == nil ? nil : try field("standardization", Standardization.self)
        training = try field("training", Training.self)
        guard features.count == model.inputDim else {
            throw bad("\(features.count) features for a model of \(model.inputDim) inputs")
        }

        parameters = try Self.flatten(file, model: model, path: path)
    }

    private struct OptimizerEntry: Codable {
        let name: String
        let arguments: [String: Double]
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Encoding these plain value types cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
