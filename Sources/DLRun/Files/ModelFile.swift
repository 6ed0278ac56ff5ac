// model.safetensors: a trained model in one file that is enough to rebuild and use it.
//
// Tensors are float32, named by layer as Keras names them (`dense/kernel`, `dense/bias`,
// `dense_1/kernel`, ...), kernels shaped (inputs, units). `__metadata__` holds, as JSON strings, the
// architecture, the loss and metrics, the optimizer, the model's inputs, the standardization
// statistics or the fitted preprocessing of the raw columns, the label mapping, and how the model
// was trained.

import DLTraining
import DLCore
import DLData
import DLPreprocessing
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
        /// Keras's ReduceLROnPlateau as the job stated it (every argument named), and the optimizer's
        /// rate at the end when it lowered it (what training would go on with); written when set.
        public var reduceLROnPlateau: String?
        public var learningRate: Float?

        // The snake_case key reduce_lr_on_plateau reads back as reduceLrOnPlateau.
        private enum CodingKeys: String, CodingKey {
            case epochs, batchSize, seed, shards, trainingRows, validationRows, reduceLROnPlateau = "reduceLrOnPlateau", learningRate
        }

        /// What no training has (from an edited file), or nil.
        var inconsistency: String? {
            if epochs < 0 { return "\(epochs) epochs" }
            if let learningRate, !(learningRate.isFinite && learningRate > 0) { return "learning rate \(learningRate)" }
            if batchSize < 1 { return "batch size \(batchSize)" }
            if shards < 1 || trainingRows < shards { return "\(shards) shard(s) for \(trainingRows) training row(s)" }
            if validationRows < 0 { return "\(validationRows) validation rows" }
            return nil
        }
    }

    public var model: ModelSpec
    public var parameters: [Float]
    public var loss: Loss
    public var metrics: [String]
    public var optimizer: String
    public var optimizerArguments: [String: Double]
    /// The learning-rate schedule in its text form (LearningRateSchedule.text), when training had one.
    public var optimizerSchedule: String?
    public var features: [String]
    public var labels: LabelEncoding
    public var standardization: Standardization?
    /// The fitted preprocessing of a model trained on a table that needed one: `features` are then
    /// the model's inputs, and `preprocessing.columns` the file's columns it reads.
    public var preprocessing: Preprocessing?
    /// The column that weighed each row's loss in training (Keras's sample_weight), by its header
    /// name: no feature, and what `dlmodel evaluate` weighs by. Written only when set.
    public var sampleWeightColumn: String?
    public var training: Training

    /// The model file of a job's trained parameters; `learningRate`, the optimizer's rate at the end.
    public init(job: TrainingJob, parameters: [Float], epochs: Int, learningRate: Float? = nil) {
        model = job.model
        self.parameters = parameters
        loss = job.loss
        metrics = job.metricNames
        optimizer = job.optimizer.name
        optimizerArguments = job.optimizer.arguments
        optimizerSchedule = job.optimizer.schedule?.text
        features = job.data.featureNames
        labels = job.data.labels
        precondition(
            !job.data.standardizes || job.data.standardization != nil || job.data.preprocessing != nil,
            "the standardization is fitted before training")
        standardization = job.data.standardization
        preprocessing = job.data.preprocessing
        sampleWeightColumn = job.data.sampleWeightColumn
        training = Training(
            epochs: epochs, batchSize: job.settings.batchSize, seed: job.settings.seed,
            shards: job.schedule.shardCount, trainingRows: job.data.trainingCount,
            validationRows: job.data.validationCount, reduceLROnPlateau: job.reduceLROnPlateau?.text,
            learningRate: learningRate == job.optimizer.learningRate ? nil : learningRate)
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

    public func safeTensors() -> SafeTensors {
        let tensors = Self.layerTensors(parameters[...], model: model)
        var metadata = [
            "format": Self.format,
            "model": Self.json(model),
            "loss": loss.rawValue,
            "metrics": Self.json(metrics),
            "optimizer": Self.json(OptimizerEntry(name: optimizer, arguments: optimizerArguments, schedule: optimizerSchedule)),
            "features": Self.json(features),
            "labels": Self.json(labels),
            "training": Self.json(training),
        ]
        if let standardization { metadata["standardization"] = Self.json(standardization) }
        if let preprocessing { metadata["preprocessing"] = Self.json(preprocessing, spelledOut: true) }
        if let sampleWeightColumn { metadata["sample_weight_column"] = sampleWeightColumn }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    public func write(to path: String) throws {
        try AtomicFile.write(safeTensors().encoded(), to: path)
    }

    /// The largest file a model of `ModelSpec.maximumParameters` is written in, with its header.
    static let maximumFileSize = 4 * ModelSpec.maximumParameters + 8 + SafeTensors.maximumHeaderSize

    public static func read(path: String) throws -> ModelFile {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path, maximum: maximumFileSize, bound: "a model file can take")
        } catch {
            throw RunError.badModelFile(path: path, reason: "\(error)")
        }
        return try ModelFile(SafeTensors(decoding: bytes, path: path), path: path)
    }

    /// Rebuilds a model file from its tensors and metadata, checking every value and that they
    /// agree: a file dltrain wrote reads back; anything else is refused, saying what is wrong.
    public init(_ file: SafeTensors, path: String) throws {
        guard file.metadata["format"] == Self.format else {
            throw RunError.badModelFile(path: path, reason: "metadata format is \(file.metadata["format"] ?? "missing"), expected \(Self.format)")
        }
        func bad(_ reason: String) -> RunError { .inconsistentModelFile(path: path, reason: reason) }
        func field<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            try Self.field(key, type, of: file, bad: bad)
        }
        model = try field("model", ModelSpec.self)
        let outputs = model.outputWidth
        guard let loss = Loss(rawValue: file.metadata["loss"] ?? "") else { throw bad("unknown loss") }
        do { try loss.validate(outputs: outputs) } catch { throw bad("\(error)") }
        // As training refuses it: its predictions would name one class whatever the input.
        if model.outputActivation == .softmax && outputs == 1 { throw bad("a softmax over one unit always outputs 1") }
        self.loss = loss
        metrics = try field("metrics", [String].self)
        for metric in metrics {
            do { _ = try Metric(name: metric, loss: loss, outputs: outputs) } catch { throw bad("metrics: \(error)") }
        }
        let optimizerEntry = try field("optimizer", OptimizerEntry.self)
        do {
            _ = try OptimizerConfig(name: optimizerEntry.name, arguments: optimizerEntry.arguments, schedule: optimizerEntry.schedule)
        } catch {
            throw bad("optimizer: \(error)")
        }
        optimizer = optimizerEntry.name
        optimizerArguments = optimizerEntry.arguments
        optimizerSchedule = optimizerEntry.schedule
        features = try field("features", [String].self)
        guard features.count == model.inputDim else {
            throw bad("\(features.count) features for a model of \(model.inputDim) inputs")
        }
        labels = try field("labels", LabelEncoding.self)
        if let reason = labels.inconsistency(outputs: outputs, loss: loss) { throw bad("labels: \(reason)") }
        standardization = file.metadata["standardization"] == nil ? nil : try field("standardization", Standardization.self)
        if let reason = standardization?.inconsistency(features: model.inputDim) { throw bad("standardization: \(reason)") }
        preprocessing = file.metadata["preprocessing"] == nil
            ? nil : try Self.field("preprocessing", Preprocessing.self, of: file, decoder: Self.decoder(spelledOut: true), bad: bad)
        if let preprocessing, let reason = Self.inconsistency(of: preprocessing, features: features, standardization: standardization) {
            throw bad("preprocessing: \(reason)")
        }
        sampleWeightColumn = file.metadata["sample_weight_column"]
        if let column = sampleWeightColumn, features.contains(column) || labels.columns.contains(column) {
            throw bad("sample_weight_column \(column) is also a feature or a label")
        }
        training = try field("training", Training.self)
        if let reason = training.inconsistency { throw bad("training: \(reason)") }

        var tensors = LayerTensorReader(file, bad: bad)
        parameters = try tensors.read(model: model)
        try tensors.finish()
    }

    /// What makes `preprocessing` one that no training writes beside these `features` (the model's
    /// inputs, as many as the model has, checked before) and `standardization`, or nil. Its own
    /// ranges are checked first, so nothing is sized from it before.
    static func inconsistency(of preprocessing: Preprocessing, features: [String], standardization: Standardization?) -> String? {
        if let reason = preprocessing.inconsistency() { return reason }
        // Its float_normalized columns carry the statistics; --standardize makes no second one.
        if standardization != nil { return "a standardization beside it (dltrain writes one or the other)" }
        let width = preprocessing.outputWidth
        guard width == features.count else {
            return "its columns make \(width) input(s); the model has \(features.count) (metadata features)"
        }
        let names = preprocessing.outputNames
        if let index = names.indices.first(where: { names[$0] != features[$0] }) {
            return "its input \(index) is \(names[index]), metadata features says \(features[index])"
        }
        return nil
    }

    /// The metadata value under `key`, JSON decoded as `type`; `bad` makes the error.
    static func field<T: Decodable>(
        _ key: String, _ type: T.Type, of file: SafeTensors, decoder: JSONDecoder = decoder, bad: (String) -> RunError
    ) throws -> T {
        guard let text = file.metadata[key] else { throw bad("metadata lacks \(key)") }
        do { return try decoder.decode(T.self, from: Data(text.utf8)) } catch let error as DecodingError {
            throw bad("metadata \(key): \(error.located)")
        } catch {
            throw bad("metadata \(key): \(error)")
        }
    }

    /// `schedule` is written only when set, so a model trained without one is written as before.
    private struct OptimizerEntry: Codable {
        let name: String
        let arguments: [String: Double]
        var schedule: String? = nil
    }

    /// `value` as the metadata holds it: keys sorted and, unless its type spells them out
    /// (`spelledOut`, as the preprocessing's do), in snake_case.
    static func json<T: Encodable>(_ value: T, spelledOut: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if !spelledOut { encoder.keyEncodingStrategy = .convertToSnakeCase }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Encoding these plain value types cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static var decoder: JSONDecoder { decoder(spelledOut: false) }

    /// The decoder of `json(_:spelledOut:)`'s text. A type that spells out its keys is read without
    /// a key strategy: convertFromSnakeCase would look for `num_oov_indices` as `numOovIndices`.
    static func decoder(spelledOut: Bool) -> JSONDecoder {
        let decoder = JSONDecoder()
        if !spelledOut { decoder.keyDecodingStrategy = .convertFromSnakeCase }
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
