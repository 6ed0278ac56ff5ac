// Everything a training job is made of, as a user states it: in a JSON job file (`--config`), by
// command-line flags (which override the file), or nothing at all, which gives the seed job:
// the thoracic-surgery CSV, Dense(30, relu) then Dense(1, sigmoid), mean squared error, Adam,
// 100 epochs of batch 10, seed 3.

import DLCore
import DLData

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

    public init() {}

    /// The word that leaves the output layer (last in `layers`) or the loss to the label.
    public static let auto = LayerList.auto

    enum CodingKeys: String, CodingKey {
        case data, header, delimiter, features, layers, loss, optimizer, metrics, epochs, seed, shards, standardize
        case labelColumn = "label_column", allowNonFinite = "allow_non_finite", learningRate = "learning_rate"
        case optimizerArguments = "optimizer_arguments", batchSize = "batch_size"
        case validationSplit = "validation_split"
        case earlyStoppingPatience = "early_stopping_patience", monitor, minDelta = "min_delta"
        case restoreBestWeights = "restore_best_weights"
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
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate)
        optimizerArguments = try c.decodeIfPresent([String: Double].self, forKey: .optimizerArguments) ?? [:]
        metrics = try c.decodeIfPresent(ColumnList.self, forKey: .metrics)?.items ?? d.metrics
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        shards = try c.decodeIfPresent(Int.self, forKey: .shards)
        validationSplit = try c.decodeIfPresent(Double.self, forKey: .validationSplit) ?? d.validationSplit
        standardize = try c.decodeIfPresent(Bool.self, forKey: .standardize) ?? d.standardize
        earlyStoppingPatience = try c.decodeIfPresent(Int.self, forKey: .earlyStoppingPatience)
        monitor = try c.decodeIfPresent(String.self, forKey: .monitor) ?? d.monitor
        minDelta = try c.decodeIfPresent(Double.self, forKey: .minDelta) ?? d.minDelta
        restoreBestWeights = try c.decodeIfPresent(Bool.self, forKey: .restoreBestWeights) ?? d.restoreBestWeights
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
