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
    case stepDone = 6
    case evaluate = 7
    case validationSums = 8
    case heartbeat = 9
    case stop = 10
    case failure = 11
    case assign = 12
    case ring = 13
    case partial = 14
    case total = 15
    case state = 16
    case audit = 17
    case auditDigests = 18
    case rowsReceived = 19
    case standardization = 20
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
        case .stepDone: "step-done"
        case .evaluate: "evaluate"
        case .validationSums: "validation-sums"
        case .heartbeat: "heartbeat"
        case .stop: "stop"
        case .failure: "failure"
        case .assign: "assign"
        case .ring: "ring"
        case .partial: "partial"
        case .total: "total"
        case .state: "state"
        case .audit: "audit"
        case .auditDigests: "audit-digests"
        case .rowsReceived: "rows-received"
        case .standardization: "standardization"
        case .reject: "reject"
        }
    }
}

/// Some of one shard's rows, as the coordinator reads them from the file: training rows, each with
/// its slot in the shard's dealt order, or validation rows, each with its offset in the shard's
/// validation block. A shard's rows arrive in several of these, in file order.
public struct ShardRows: Sendable, Equatable {
    public enum Part: UInt32, Sendable {
        case training = 0
        case validation = 1
    }

    public var shard: Int
    public var part: Part
    public var featureCount: Int
    public var targetWidth: Int
    /// Where each row goes: a slot (training) or an offset (validation).
    public var places: [UInt32]
    /// places.count x featureCount and places.count x targetWidth, row-major.
    public var features: [Float]
    public var targets: [Float]

    public init(
        shard: Int, part: Part, featureCount: Int, targetWidth: Int, places: [UInt32], features: [Float], targets: [Float]
    ) {
        self.shard = shard
        self.part = part
        self.featureCount = featureCount
        self.targetWidth = targetWidth
        self.places = places
        self.features = features
        self.targets = targets
    }
}

/// A worker's report that its part of a step is done: its shards' loss and metric sums, and that it
/// holds the step's whole summed gradient (so it can apply the step when told to go on).
public struct StepDone: Sendable, Equatable {
    /// The ring plan the step was computed under.
    public var ringVersion: UInt32
    /// How long the worker computed its shards, for spotting slow workers.
    public var computeMicroseconds: UInt32
    /// The worker's shards, in increasing order, and each one's sums.
    public var shards: [Int]
    public var sums: [[Double]]
    /// In a star, each shard's gradient, for the coordinator to add (empty in a ring).
    public var gradients: [[Float]]

    public init(ringVersion: UInt32, computeMicroseconds: UInt32, shards: [Int], sums: [[Double]], gradients: [[Float]] = []) {
        self.ringVersion = ringVersion
        self.computeMicroseconds = computeMicroseconds
        self.shards = shards
        self.sums = sums
        self.gradients = gradients
    }

    /// Whether it has one set of sums per shard, all of one length, and no gradients or one per
    /// shard, all of one length: what the binary layout can carry. Checked on every send, so it
    /// allocates nothing.
    var isRectangular: Bool {
        let sumsWidth = sums.first?.count ?? 0, gradientWidth = gradients.first?.count ?? 0
        return sums.count == shards.count && sums.allSatisfy { $0.count == sumsWidth }
            && (gradients.isEmpty || gradients.count == shards.count) && gradients.allSatisfy { $0.count == gradientWidth }
    }
}

/// A piece of a step's gradient on its way around the ring: a running sum (partial) after the
/// shards of segments 0 through `hop`, or the finished sum (total) on its `hop`-th forwarding.
/// Chunk `chunk` covers parameters chunk * chunkSize ..< min((chunk + 1) * chunkSize, count).
public struct GradientChunk: Sendable, Equatable {
    public var ringVersion: UInt32
    public var hop: Int
    public var chunk: Int
    public var values: [Float]

    public init(ringVersion: UInt32, hop: Int, chunk: Int, values: [Float]) {
        self.ringVersion = ringVersion
        self.hop = hop
        self.chunk = chunk
        self.values = values
    }
}

/// The training state a worker takes over: the parameters and the optimizer's state, as they are
/// before the round named in the header.
public struct ReplicaState: Sendable, Equatable {
    public var optimizerIterations: Int
    /// The optimizer's base learning rate (ReduceLROnPlateau may have lowered it), finite and above 0.
    public var learningRate: Float
    public var parameters: [Float]
    public var optimizerState: [Float]

    public init(optimizerIterations: Int, learningRate: Float, parameters: [Float], optimizerState: [Float]) {
        self.optimizerIterations = optimizerIterations
        self.learningRate = learningRate
        self.parameters = parameters
        self.optimizerState = optimizerState
    }
}

/// The digests of shard gradients a ring's member computed for a round, for `dlcoord --audit`: each
/// shard's SHA-256 of its gradient's float32 bytes (little-endian), which the coordinator compares with
/// the digest of its own computation.
public struct AuditDigests: Sendable, Equatable {
    public static let digestSize = 32
    public var shards: [Int]
    /// One digest of `digestSize` bytes per shard.
    public var digests: [[UInt8]]

    public init(shards: [Int], digests: [[UInt8]]) {
        precondition(shards.count == digests.count && digests.allSatisfy { $0.count == Self.digestSize })
        self.shards = shards
        self.digests = digests
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

/// A message with its content. `round` in the header is the global step (epoch * steps + step) for
/// compute-step, step-done, partial, total and state, the epoch for evaluate and validation-sums,
/// else 0.
public enum Message: Sendable, Equatable {
    case hello(WorkerInfo)
    case welcome(WorkerJob)
    case shardRows(ShardRows)
    case ready
    /// Compute this round under the ring plan of this version, first applying the previous round's
    /// summed gradient: the one the worker holds (ring), or `total` (star; empty otherwise), then
    /// taking `learningRate` as the optimizer's base rate from this round on (finite, above 0).
    case computeStep(ringVersion: UInt32, learningRate: Float, total: [Float])
    case stepDone(StepDone)
    /// Evaluate these shards' validation rows with the current parameters.
    case evaluate(shards: [Int])
    case validationSums(ValidationSums)
    case heartbeat
    case stop(StopNotice)
    case failure(reason: String)
    /// More shards for this worker: their rows follow in shard-rows messages, then it says ready.
    case assign(shards: [Int])
    /// The order in which the step's gradient travels, and where each worker listens.
    case ring(RingPlan)
    case partial(GradientChunk)
    case total(GradientChunk)
    case state(ReplicaState)
    /// `dlcoord --audit` on a ring: the digests of these shards' gradients of the round, which the
    /// worker still holds (it has not been told to go on).
    case audit(shards: [Int])
    case auditDigests(AuditDigests)
    /// A worker stored a shard-rows message; the coordinator reads on when the workers keep up.
    case rowsReceived
    /// The standardization of a job that standardizes, once the coordinator has read every training
    /// row: per feature, x becomes (x - mean) / scale, in float32, on every row the worker holds.
    case standardization(mean: [Float], scale: [Float])
    case reject(reason: String)

    public var type: MessageType {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .shardRows: .shardRows
        case .ready: .ready
        case .computeStep: .computeStep
        case .stepDone: .stepDone
        case .evaluate: .evaluate
        case .validationSums: .validationSums
        case .heartbeat: .heartbeat
        case .stop: .stop
        case .failure: .failure
        case .assign: .assign
        case .ring: .ring
        case .partial: .partial
        case .total: .total
        case .state: .state
        case .audit: .audit
        case .auditDigests: .auditDigests
        case .rowsReceived: .rowsReceived
        case .standardization: .standardization
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
