// Everything a training job is made of, as a user states it: in a JSON job file (`--config`), by
// command-line flags (which override the file), or nothing at all, which gives the seed job:
// the thoracic-surgery CSV, Dense(30, relu) then Dense(1, sigmoid), mean squared error, Adam,
// 100 epochs of batch 10, seed 3.

import DLCore
import DLData
import DLPreprocessing

public struct JobSettings: Sendable, Equatable, Codable {
    public var data: String = "dataset/ThoraricSurgery.csv"
    /// true, false, or nil to detect a header row.
    public var header: Bool?
    public var delimiter: String = ","
    /// The label column(s): 0-based indices or header names; the last column when nil.
    public var labelColumn: [String]?
    /// The feature columns: 0-based indices, `A-B` index ranges or header names; all others when nil.
    public var features: [String]?
    public var allowNonFinite: Bool = false
    /// Layers as `UNITS:ACTIVATION` (or `UNITS`, linear), comma-separated; the last may be `auto`.
    public var layers: String = "30:relu,1:sigmoid"
    /// A loss by its Keras name or alias, or `auto`.
    public var loss: String = "mean_squared_error"
    public var optimizer: String = "adam"
    /// Overrides the optimizer's default learning rate when set.
    public var learningRate: Double?
    /// Further optimizer arguments under their Keras names (`momentum`, `beta_1`, ...).
    public var optimizerArguments: [String: Double] = [:]
    public var metrics: [String] = ["accuracy"]
    public var epochs: Int = 100
    /// The global batch size: rows per step over all shards.
    public var batchSize: Int = 10
    public var seed: UInt64 = 3
    /// The number of logical shards S; the trained model depends on it. When not given: 1 in one
    /// process, the number of workers in a distributed run.
    public var shards: Int?
    public var validationSplit: Double = 0
    public var standardize: Bool = false
    /// Keras's EarlyStopping: epochs without improvement of `monitor` before training stops; nil
    /// for no early stopping.
    public var earlyStoppingPatience: Int?
    /// The value early stopping watches: `val_loss` (Keras's default), `loss`, `val_accuracy`, ...
    public var monitor: String = "val_loss"
    /// The least change of `monitor` that counts as an improvement.
    public var minDelta: Double = 0
    /// Whether the model ends with the weights of the best epoch instead of the last.
    public var restoreBestWeights: Bool = false
    /// The feature columns' types, crosses and missing values (job-file keys `feature_types`,
    /// `feature_crosses`, `na_values`, `fill`, `missing_indicators`, `max_vocabulary`:
    /// PreprocessingKeys.swift reads and writes them).
    public var preprocessing = PreprocessingSettings()
    /// The rest of Keras's `fit` a tabular model uses, each nil when not asked for (job-file keys
    /// `kernel_regularizer`, `bias_regularizer`, `kernel_initializer`, `bias_initializer`,
    /// `class_weight`, `sample_weight_column`, `lr_schedule`, `reduce_lr_on_plateau`: FitKeys.swift
    /// reads and writes them, each in the text form its flag takes).
    public var fit = FitSettings()

    public init() {}

    /// The word that leaves the output layer (last in `layers`) or the loss to the label.
    public static let auto = LayerList.auto

    /// The keys a job file may hold.
    public static let keys = CodingKeys.allCases.map(\.rawValue)

    enum CodingKeys: String, CodingKey, CaseIterable {
        case data, header, delimiter, features, layers, loss, optimizer, metrics, epochs, seed, shards, standardize
        case labelColumn = "label_column", allowNonFinite = "allow_non_finite", learningRate = "learning_rate"
        case optimizerArguments = "optimizer_arguments", batchSize = "batch_size"
        case validationSplit = "validation_split"
        case earlyStoppingPatience = "early_stopping_patience", monitor, minDelta = "min_delta"
        case restoreBestWeights = "restore_best_weights"
        case featureTypes = "feature_types", featureCrosses = "feature_crosses", naValues = "na_values", fill
        case missingIndicators = "missing_indicators", maxVocabulary = "max_vocabulary"
        case kernelRegularizer = "kernel_regularizer", biasRegularizer = "bias_regularizer"
        case kernelInitializer = "kernel_initializer", biasInitializer = "bias_initializer"
        case classWeight = "class_weight", sampleWeightColumn = "sample_weight_column"
        case lrSchedule = "lr_schedule", reduceLROnPlateau = "reduce_lr_on_plateau"
    }

    /// Decodes a job file; every key is optional and falls back to the seed job's value.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = JobSettings()
        data = try c.decodeIfPresent(String.self, forKey: .data) ?? d.data
        header = try c.decodeIfPresent(Bool.self, forKey: .header)
        delimiter = try c.decodeIfPresent(String.self, forKey: .delimiter) ?? d.delimiter
        labelColumn = try c.decodeIfPresent(ColumnList.self, forKey: .labelColumn)?.items
        features = try c.decodeIfPresent(ColumnList.self, forKey: .features)?.items
        allowNonFinite = try c.decodeIfPresent(Bool.self, forKey: .allowNonFinite) ?? d.allowNonFinite
        layers = try c.decodeIfPresent(String.self, forKey: .layers) ?? d.layers
        loss = try c.decodeIfPresent(String.self, forKey: .loss) ?? d.loss
        optimizer = try c.decodeIfPresent(String.self, forKey: .optimizer) ?? d.optimizer
        learningRate = try c.number(Double.self, .learningRate)
        optimizerArguments = try c.number([String: OptimizerArgument].self, .optimizerArguments)?.mapValues(\.value) ?? [:]
        metrics = try c.decodeIfPresent(ColumnList.self, forKey: .metrics)?.items ?? d.metrics
        epochs = try c.wholeNumber(Int.self, .epochs) ?? d.epochs
        batchSize = try c.wholeNumber(Int.self, .batchSize) ?? d.batchSize
        seed = try c.wholeNumber(UInt64.self, .seed) ?? d.seed
        shards = try c.wholeNumber(Int.self, .shards)
        validationSplit = try c.number(Double.self, .validationSplit) ?? d.validationSplit
        standardize = try c.decodeIfPresent(Bool.self, forKey: .standardize) ?? d.standardize
        earlyStoppingPatience = try c.wholeNumber(Int.self, .earlyStoppingPatience)
        monitor = try c.decodeIfPresent(String.self, forKey: .monitor) ?? d.monitor
        minDelta = try c.number(Double.self, .minDelta) ?? d.minDelta
        restoreBestWeights = try c.decodeIfPresent(Bool.self, forKey: .restoreBestWeights) ?? d.restoreBestWeights
        preprocessing = try PreprocessingSettings(jobFile: c)
        fit = try FitSettings(jobFile: c)
    }

    /// Writes the job file's keys (a checkpoint keeps the settings so); a setting that is nil, and a
    /// preprocessing key at its default, is left out, so that the settings of a job that asks for
    /// no preprocessing are written as they were before there was any.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(data, forKey: .data)
        try c.encodeIfPresent(header, forKey: .header)
        try c.encode(delimiter, forKey: .delimiter)
        try c.encodeIfPresent(labelColumn, forKey: .labelColumn)
        try c.encodeIfPresent(features, forKey: .features)
        try c.encode(allowNonFinite, forKey: .allowNonFinite)
        try c.encode(layers, forKey: .layers)
        try c.encode(loss, forKey: .loss)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encodeIfPresent(learningRate, forKey: .learningRate)
        try c.encode(optimizerArguments, forKey: .optimizerArguments)
        try c.encode(metrics, forKey: .metrics)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(seed, forKey: .seed)
        try c.encodeIfPresent(shards, forKey: .shards)
        try c.encode(validationSplit, forKey: .validationSplit)
        try c.encode(standardize, forKey: .standardize)
        try c.encodeIfPresent(earlyStoppingPatience, forKey: .earlyStoppingPatience)
        try c.encode(monitor, forKey: .monitor)
        try c.encode(minDelta, forKey: .minDelta)
        try c.encode(restoreBestWeights, forKey: .restoreBestWeights)
        try preprocessing.encode(jobFile: &c)
        try fit.encode(jobFile: &c)
    }
}

extension KeyedDecodingContainer {
    /// A number (or numbers) under `key`. Foundation refuses one beyond a float64 (1e400) as "not
    /// valid JSON", without the key: here it is an error under the key.
    func number<Value: Decodable>(_: Value.Type, _ key: Key) throws -> Value? {
        do {
            return try decodeIfPresent(Value.self, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [key], debugDescription: "a number beyond the range of a 64-bit float"))
        }
    }

    /// A whole number under `key`. Foundation refuses a fraction (1.5) or a number out of the type's
    /// range (1e30) as "not valid JSON", without the key: here it is a type error under the key.
    func wholeNumber<Number: FixedWidthInteger & Decodable>(_: Number.Type, _ key: Key) throws -> Number? {
        do {
            return try decodeIfPresent(Number.self, forKey: key)
        } catch {
            guard let number = try? decodeIfPresent(Double.self, forKey: key) else { throw error }
            let range = (key as? JobSettings.CodingKeys).flatMap { JobSettings.ranges[$0] }
            let reason = number.rounded() != number ? "\(number) is not a whole number"
                : "\(number) is out of range: it must be from \(range?.lowerBound.description ?? "\(Number.min)") to "
                    + (range?.upperBound.description ?? "\(Number.max)")
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: reason))
        }
    }
}

/// An optimizer argument in a job file: a number, or true or false (1 or 0), as --optimizer-args
/// takes them (`"amsgrad": true`).
struct OptimizerArgument: Decodable {
    let value: Double

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            value = flag ? 1 : 0
        } else {
            value = try container.decode(Double.self)
        }
    }
}

/// A list of names in a job file, written as a JSON array or as one comma-separated string.
struct ColumnList: Decodable {
    let items: [String]

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            items = JobSettings.splitList(text)
        } else if let number = try? container.decode(Int.self) {
            items = [String(number)]
        } else {
            items = try container.decode([ColumnEntry].self).map(\.text)
        }
    }

    /// A column given as a number or a name.
    struct ColumnEntry: Decodable {
        let text: String
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) { text = String(number) } else {
                text = try container.decode(String.self)
            }
        }
    }
}

extension JobSettings {
    /// Splits `a,b, c` into its trimmed, non-empty items.
    public static func splitList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        String(drop(while: { set.contains($0) }).reversed().drop(while: { set.contains($0) }).reversed())
    }
}
