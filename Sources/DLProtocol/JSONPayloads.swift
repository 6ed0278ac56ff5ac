// The payloads that travel as JSON objects (hello, welcome, stop), with their keys on the wire.
//
// Every key is spelled out in a CodingKeys enum, in snake_case, rather than derived from the Swift
// names by a key strategy: renaming a property must not change the wire, and docs/protocol.md lists
// these exact keys (a test compares them). Every listed key is required but the welcome's
// `preprocessing`, present only in a job that has one; unknown keys are ignored.

import DLCore
import DLPreprocessing

/// What a worker says about itself when it registers.
public struct WorkerInfo: Codable, Sendable, Equatable {
    public var name: String
    public var host: String
    public var pid: Int32
    /// The dltrain version the worker runs, for the log.
    public var version: String
    /// Where the worker's peer socket listens for the other workers (a `tcp://` endpoint with the
    /// address the coordinator is reached from, or an `ipc://` path).
    public var peerEndpoint: String

    public init(name: String, host: String, pid: Int32, version: String, peerEndpoint: String) {
        self.name = name
        self.host = host
        self.pid = pid
        self.version = version
        self.peerEndpoint = peerEndpoint
    }

    enum CodingKeys: String, CodingKey {
        case name, host, pid, version
        case peerEndpoint = "peer_endpoint"
    }
}

/// Everything a worker needs to compute its shards: the model, the loss and metrics, the schedule's
/// parameters, and which shards are its own. The rows follow in shard-rows messages.
public struct WorkerJob: Codable, Sendable, Equatable {
    public var workerIndex: Int
    public var model: ModelSpec
    public var loss: String
    public var metrics: [String]
    public var trainingRows: Int
    /// The rows held out for validation (0 without a validation split): each shard's block of them
    /// is ShardSchedule.validationRange.
    public var validationRows: Int
    public var shardCount: Int
    public var batchSize: Int
    public var seed: UInt64
    /// The model's inputs per row: the features after any preprocessing.
    public var featureCount: Int
    /// The targets per row as the rows arrive: the loss's, then the row's weight when `sampleWeighted`.
    public var targetWidth: Int
    /// The optimizer by its Keras name and arguments: every worker applies each step's update to
    /// its own copy of the parameters, with the same bits as the coordinator.
    public var optimizer: String
    public var optimizerArguments: [String: Double]
    /// The learning-rate schedule in its text form (LearningRateSchedule.text); sent only when set.
    public var lrSchedule: String?
    /// The shards this worker computes, in increasing order.
    public var shards: [Int]
    /// Whether the features are standardized: the rows arrive as the file has them, and the worker
    /// applies the standardization message's transform to them before it trains.
    public var standardizes: Bool
    /// The fitted preprocessing of a table that needs one: the rows then arrive as its codes
    /// (`rowWidth` per row), and the worker expands them into the model's inputs once a shard's rows
    /// have all arrived. Nil for a table of numbers.
    public var preprocessing: Preprocessing?
    /// Keras's class_weight: the weight of each class by class index (classes past the end weigh 1),
    /// which every training row's loss is multiplied by; nil when the rows are not class-weighted.
    public var classWeights: [Float]?
    /// Keras's sample_weight: each row's targets end with its weight, which weighs its loss in
    /// training and in validation. Sent only when true.
    public var sampleWeighted: Bool

    /// The values per row as the rows arrive.
    public var rowWidth: Int { preprocessing?.codeWidth ?? featureCount }

    public init(
        workerIndex: Int, model: ModelSpec, loss: String, metrics: [String], trainingRows: Int, validationRows: Int,
        shardCount: Int, batchSize: Int, seed: UInt64, featureCount: Int, targetWidth: Int, optimizer: String,
        optimizerArguments: [String: Double], lrSchedule: String? = nil, shards: [Int], standardizes: Bool,
        preprocessing: Preprocessing? = nil, classWeights: [Float]? = nil, sampleWeighted: Bool = false
    ) {
        self.workerIndex = workerIndex
        self.model = model
        self.loss = loss
        self.metrics = metrics
        self.trainingRows = trainingRows
        self.validationRows = validationRows
        self.shardCount = shardCount
        self.batchSize = batchSize
        self.seed = seed
        self.featureCount = featureCount
        self.targetWidth = targetWidth
        self.optimizer = optimizer
        self.optimizerArguments = optimizerArguments
        self.lrSchedule = lrSchedule
        self.shards = shards
        self.standardizes = standardizes
        self.preprocessing = preprocessing
        self.classWeights = classWeights
        self.sampleWeighted = sampleWeighted
    }

    enum CodingKeys: String, CodingKey {
        case workerIndex = "worker_index"
        case model
        case loss
        case metrics
        case trainingRows = "training_rows"
        case validationRows = "validation_rows"
        case shardCount = "shard_count"
        case batchSize = "batch_size"
        case seed
        case featureCount = "feature_count"
        case targetWidth = "target_width"
        case optimizer
        case optimizerArguments = "optimizer_arguments"
        case lrSchedule = "lr_schedule"
        case shards
        case standardizes
        case preprocessing
        case classWeights = "class_weights"
        case sampleWeighted = "sample_weighted"
    }

    // Written out only because the model travels in its wire form (below), not in ModelSpec's own.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        workerIndex = try container.decode(Int.self, forKey: .workerIndex)
        model = try container.decode(WireModel.self, forKey: .model).spec
        loss = try container.decode(String.self, forKey: .loss)
        metrics = try container.decode([String].self, forKey: .metrics)
        trainingRows = try container.decode(Int.self, forKey: .trainingRows)
        validationRows = try container.decode(Int.self, forKey: .validationRows)
        shardCount = try container.decode(Int.self, forKey: .shardCount)
        batchSize = try container.decode(Int.self, forKey: .batchSize)
        seed = try container.decode(UInt64.self, forKey: .seed)
        featureCount = try container.decode(Int.self, forKey: .featureCount)
        targetWidth = try container.decode(Int.self, forKey: .targetWidth)
        optimizer = try container.decode(String.self, forKey: .optimizer)
        optimizerArguments = try container.decode([String: Double].self, forKey: .optimizerArguments)
        lrSchedule = try container.decodeIfPresent(String.self, forKey: .lrSchedule)
        shards = try container.decode([Int].self, forKey: .shards)
        standardizes = try container.decode(Bool.self, forKey: .standardizes)
        preprocessing = try container.decodeIfPresent(Preprocessing.self, forKey: .preprocessing)
        classWeights = try container.decodeIfPresent([Float].self, forKey: .classWeights)
        sampleWeighted = try container.decodeIfPresent(Bool.self, forKey: .sampleWeighted) ?? false
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(workerIndex, forKey: .workerIndex)
        try container.encode(WireModel(spec: model), forKey: .model)
        try container.encode(loss, forKey: .loss)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(trainingRows, forKey: .trainingRows)
        try container.encode(validationRows, forKey: .validationRows)
        try container.encode(shardCount, forKey: .shardCount)
        try container.encode(batchSize, forKey: .batchSize)
        try container.encode(seed, forKey: .seed)
        try container.encode(featureCount, forKey: .featureCount)
        try container.encode(targetWidth, forKey: .targetWidth)
        try container.encode(optimizer, forKey: .optimizer)
        try container.encode(optimizerArguments, forKey: .optimizerArguments)
        try container.encodeIfPresent(lrSchedule, forKey: .lrSchedule)
        try container.encode(shards, forKey: .shards)
        try container.encode(standardizes, forKey: .standardizes)
        try container.encodeIfPresent(preprocessing, forKey: .preprocessing)
        try container.encodeIfPresent(classWeights, forKey: .classWeights)
        if sampleWeighted { try container.encode(sampleWeighted, forKey: .sampleWeighted) }
    }
}

/// The model as a welcome carries it. ModelSpec's own Codable form belongs to the model files
/// (DLTraining writes it through a snake-case key strategy), so the wire has its own keys here,
/// and a model that ModelSpec would refuse (no layers, a zero width) is refused as bad content.
struct WireModel: Codable {
    var spec: ModelSpec

    init(spec: ModelSpec) {
        self.spec = spec
    }

    enum CodingKeys: String, CodingKey {
        case inputDim = "input_dim"
        case layers
        case inputDropout = "input_dropout"
    }

    struct Layer: Codable {
        var units: Int
        var activation: Activation
        var kernelInitializer: Initializer
        var biasInitializer: Initializer
        var kernelRegularizer: Regularizer?
        var biasRegularizer: Regularizer?
        var dropout: Float?

        enum CodingKeys: String, CodingKey {
            case units
            case activation
            case kernelInitializer = "kernel_initializer"
            case biasInitializer = "bias_initializer"
            case kernelRegularizer = "kernel_regularizer"
            case biasRegularizer = "bias_regularizer"
            case dropout
        }
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let layers = try container.decode([Layer].self, forKey: .layers).map {
            DenseSpec(
                units: $0.units, activation: $0.activation, kernelInitializer: $0.kernelInitializer,
                biasInitializer: $0.biasInitializer, kernelRegularizer: $0.kernelRegularizer,
                biasRegularizer: $0.biasRegularizer, dropout: $0.dropout)
        }
        let inputDim = try container.decode(Int.self, forKey: .inputDim)
        let inputDropout = try container.decodeIfPresent(Float.self, forKey: .inputDropout)
        do {
            spec = try ModelSpec(inputDim: inputDim, layers: layers, inputDropout: inputDropout)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .layers, in: container, debugDescription: "\(error)")
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(spec.inputDim, forKey: .inputDim)
        try container.encode(
            spec.layers.map {
                Layer(
                    units: $0.units, activation: $0.activation, kernelInitializer: $0.kernelInitializer,
                    biasInitializer: $0.biasInitializer, kernelRegularizer: $0.kernelRegularizer,
                    biasRegularizer: $0.biasRegularizer, dropout: $0.dropout)
            }, forKey: .layers)
        try container.encodeIfPresent(spec.inputDropout, forKey: .inputDropout)
    }
}

/// The end of a job, or of a worker's part in it.
public struct StopNotice: Codable, Sendable, Equatable {
    /// Whether the job finished (true) or was stopped by a failure or the user (false).
    public var finished: Bool
    public var reason: String
    /// The coordinator does not know this worker (it was declared lost, or the coordinator was
    /// restarted): the worker should register again rather than exit.
    public var rejoin: Bool

    public init(finished: Bool, reason: String, rejoin: Bool = false) {
        self.finished = finished
        self.reason = reason
        self.rejoin = rejoin
    }

    enum CodingKeys: String, CodingKey { case finished, reason, rejoin }
}
