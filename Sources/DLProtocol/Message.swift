// The messages coordinator and workers exchange, and the content of the binary ones (the JSON ones
// are in JSONPayloads.swift). docs/protocol.md describes them, their byte layout, and the state
// machines of both sides.

/// A message's type code, the third field of every header.
public enum MessageType: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case hello = 1
    case welcome = 2
    case shardRows = 3
    case ready = 4
    case computeStep = 5
    case shardGradient = 6
    case evaluate = 7
    case validationSums = 8
    case heartbeat = 9
    case stop = 10
    case failure = 11
    case assign = 12
    /// Refusal of a peer, readable by every protocol version: the header's first eight bytes and this
    /// code never change, and its payload is plain UTF-8 text.
    case reject = 0xFFFF

    public var description: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .shardRows: "shard-rows"
        case .ready: "ready"
        case .computeStep: "compute-step"
        case .shardGradient: "shard-gradient"
        case .evaluate: "evaluate"
        case .validationSums: "validation-sums"
        case .heartbeat: "heartbeat"
        case .stop: "stop"
        case .failure: "failure"
        case .assign: "assign"
        case .reject: "reject"
        }
    }
}

/// One shard's rows: its training rows in the schedule's dealt order, and its validation block.
public struct ShardRows: Sendable, Equatable {
    public var shard: Int
    public var featureCount: Int
    public var targetWidth: Int
    public var trainingFeatures: [Float]
    public var trainingTargets: [Float]
    public var validationFeatures: [Float]
    public var validationTargets: [Float]

    public init(
        shard: Int, featureCount: Int, targetWidth: Int, trainingFeatures: [Float], trainingTargets: [Float],
        validationFeatures: [Float], validationTargets: [Float]
    ) {
        self.shard = shard
        self.featureCount = featureCount
        self.targetWidth = targetWidth
        self.trainingFeatures = trainingFeatures
        self.trainingTargets = trainingTargets
        self.validationFeatures = validationFeatures
        self.validationTargets = validationTargets
    }
}

/// One shard's result for one step: the gradient summed over its rows and its loss and metric sums.
public struct ShardGradient: Sendable, Equatable {
    public var shard: Int
    /// How long the worker took for this shard, for spotting slow workers.
    public var computeMicroseconds: UInt32
    public var gradient: [Float]
    public var sums: [Double]

    public init(shard: Int, computeMicroseconds: UInt32, gradient: [Float], sums: [Double]) {
        self.shard = shard
        self.computeMicroseconds = computeMicroseconds
        self.gradient = gradient
        self.sums = sums
    }
}

/// One shard's loss and metric sums over its validation rows.
public struct ValidationSums: Sendable, Equatable {
    public var shard: Int
    public var sums: [Double]

    public init(shard: Int, sums: [Double]) {
        self.shard = shard
        self.sums = sums
    }
}

/// Which shards to compute (or evaluate), in shard order, with which parameters.
public struct ShardRequest: Sendable, Equatable {
    public var shards: [Int]
    public var parameters: [Float]

    public init(shards: [Int], parameters: [Float]) {
        self.shards = shards
        self.parameters = parameters
    }
}

/// A message with its content. `round` in the header is the global step (epoch * steps + step) for
/// compute-step and shard-gradient, the epoch for evaluate and validation-sums, else 0.
public enum Message: Sendable, Equatable {
    case hello(WorkerInfo)
    case welcome(WorkerJob)
    case shardRows(ShardRows)
    case ready
    case computeStep(ShardRequest)
    case shardGradient(ShardGradient)
    case evaluate(ShardRequest)
    case validationSums(ValidationSums)
    case heartbeat
    case stop(StopNotice)
    case failure(reason: String)
    /// More shards for this worker: their rows follow in shard-rows messages, then it says ready.
    case assign(shards: [Int])
    case reject(reason: String)

    public var type: MessageType {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .shardRows: .shardRows
        case .ready: .ready
        case .computeStep: .computeStep
        case .shardGradient: .shardGradient
        case .evaluate: .evaluate
        case .validationSums: .validationSums
        case .heartbeat: .heartbeat
        case .stop: .stop
        case .failure: .failure
        case .assign: .assign
        case .reject: .reject
        }
    }
}

/// A decoded message with the header fields that route and order it.
public struct Envelope: Sendable, Equatable {
    public var jobId: UInt64
    public var round: UInt64
    public var message: Message

    public init(jobId: UInt64, round: UInt64, message: Message) {
        self.jobId = jobId
        self.round = round
        self.message = message
    }
}
