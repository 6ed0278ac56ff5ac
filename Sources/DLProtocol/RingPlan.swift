// The ring plan: the order in which a step's gradient is summed and spread, which both sides derive
// from the same JSON payload (the `ring` message).
//
// The step's gradient must be the shards' gradients added in shard order, whoever computes them:
// g0 + g1 + g2 + ..., left to right, as the single-process trainer adds them. So the sum travels
// along the shards: the shards are cut into segments of consecutive shards with the same owner;
// the owner of segment 0 starts the running sum with its shards, each next owner adds its
// segment's shards to the running sum it receives (a `partial`) and passes it on, and the owner of
// the last segment holds the total. It sends the total on (a `total`) through every other member,
// and the last of them sends it to the coordinator. Each travels in chunks, so a worker adds and
// forwards the first chunk while the next ones are still on their way.
//
// Bytes per step on any host's link: a partial and a total out and in (twice the parameters each
// way at most), plus small control messages; nothing grows with the number of workers.
//
// A model whose gradient fits in one chunk is summed by the coordinator instead (`star`): each
// worker sends the coordinator every shard's gradient with its step-done, the coordinator adds them
// in shard order, and sends the total with each member's next compute-step (before an epoch's
// validation, in a total message). Such a gradient is as small as a control message, and two hops
// per step (instead of one per worker in a ring) keep a small model's steps as short as the
// latency allows.

public struct RingPlan: Codable, Sendable, Equatable {
    public struct Segment: Codable, Sendable, Equatable {
        public var worker: Int
        /// Consecutive shards, in increasing order.
        public var shards: [Int]

        public init(worker: Int, shards: [Int]) {
            self.worker = worker
            self.shards = shards
        }

        enum CodingKeys: String, CodingKey { case worker, shards }
    }

    public struct Peer: Codable, Sendable, Equatable {
        public var worker: Int
        /// Where the worker's peer socket listens, as the others connect to it.
        public var endpoint: String

        public init(worker: Int, endpoint: String) {
            self.worker = worker
            self.endpoint = endpoint
        }

        enum CodingKeys: String, CodingKey { case worker, endpoint }
    }

    /// Parameters per chunk unless a plan says otherwise: 64 KiB of float32, small enough that a
    /// worker adds and forwards the first chunk while the next ones travel.
    public static let defaultChunkSize = 16_384

    /// Whether a model of `parameterCount` parameters is summed by the coordinator (one chunk or less).
    public static func usesStar(parameterCount: Int) -> Bool { parameterCount <= defaultChunkSize }

    /// Increases with every new plan of a run, so messages of an abandoned plan are told apart.
    public var version: UInt32
    /// Parameters per chunk of a partial or total.
    public var chunkSize: Int
    /// The coordinator sums the step (see above), rather than the ring.
    public var star: Bool
    public let segments: [Segment]
    public let peers: [Peer]
    /// The workers taking part, in the order of their first segment (the peers' order).
    public let members: [Int]
    /// The order the total travels in: the last segment's owner (which finishes it), then the other
    /// members in ring order after it. The last of them sends it to the coordinator.
    public let broadcastOrder: [Int]

    // `members` and `broadcastOrder` follow from the segments and peers; they are kept, not
    // recomputed, because every message of a step consults them.
    public init(version: UInt32, chunkSize: Int, star: Bool, segments: [Segment], peers: [Peer]) {
        self.version = version
        self.chunkSize = chunkSize
        self.star = star
        self.segments = segments
        self.peers = peers
        members = peers.map { $0.worker }
        if let last = segments.last?.worker, let start = members.firstIndex(of: last) {
            broadcastOrder = Array(members[start...] + members[..<start])
        } else {
            broadcastOrder = []
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            version: try container.decode(UInt32.self, forKey: .version),
            chunkSize: try container.decode(Int.self, forKey: .chunkSize),
            star: try container.decode(Bool.self, forKey: .star),
            segments: try container.decode([Segment].self, forKey: .segments),
            peers: try container.decode([Peer].self, forKey: .peers))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(chunkSize, forKey: .chunkSize)
        try container.encode(star, forKey: .star)
        try container.encode(segments, forKey: .segments)
        try container.encode(peers, forKey: .peers)
    }

    /// The plan for shards owned as `owners` says (owner of shard s at index s).
    public init(version: UInt32, chunkSize: Int, star: Bool, owners: [Int], endpoints: [Int: String]) {
        var segments: [Segment] = []
        for (shard, owner) in owners.enumerated() {
            if segments.last?.worker == owner {
                segments[segments.count - 1].shards.append(shard)
            } else {
                segments.append(Segment(worker: owner, shards: [shard]))
            }
        }
        var members: [Int] = []
        for segment in segments where !members.contains(segment.worker) { members.append(segment.worker) }
        self.init(
            version: version, chunkSize: chunkSize, star: star, segments: segments,
            peers: members.map { Peer(worker: $0, endpoint: endpoints[$0] ?? "") })
    }

    enum CodingKeys: String, CodingKey {
        case version
        case chunkSize = "chunk_size"
        case star, segments, peers
    }

    public func endpoint(of worker: Int) -> String? { peers.first { $0.worker == worker }?.endpoint }

    /// The segments a worker adds, by index.
    public func segments(of worker: Int) -> [Int] { segments.indices.filter { segments[$0].worker == worker } }

    public func chunkCount(parameterCount: Int) -> Int { max(1, (parameterCount + chunkSize - 1) / chunkSize) }

    public func chunkRange(_ chunk: Int, parameterCount: Int) -> Range<Int> {
        chunk * chunkSize..<min((chunk + 1) * chunkSize, parameterCount)
    }

    /// Whether the plan is well formed for `shardCount` shards: every shard exactly once, in order,
    /// segments non-empty, the peers exactly the segments' owners, each once, and chunks no larger
    /// than the peer sockets accept.
    public func isValid(shardCount: Int) -> Bool {
        chunkSize > 0 && chunkSize <= Self.defaultChunkSize && segments.flatMap(\.shards) == Array(0..<shardCount)
            && segments.allSatisfy { !$0.shards.isEmpty } && Set(members).count == members.count
            && Set(members) == Set(segments.map(\.worker))
    }
}
