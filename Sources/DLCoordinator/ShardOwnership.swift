// Which worker computes each logical shard, and which shards are on their way to a worker (rows
// sent, its ready not yet received). A value without I/O or time: every rule of who computes what
// (the initial deal, adopting orphaned shards, handing shards over at a step boundary, moving shards
// to a newcomer) is here, and its unit tests check the rules directly.
//
// Ownership never affects the weights: a shard's result depends only on its rows, the step and the
// parameters, and the coordinator adds the results in shard order whoever computed them. What it
// decides is that exactly one worker's result for a shard is accepted.

struct ShardOwnership {
    /// The worker that computes each shard now (nil while none does).
    private(set) var owners: [Int?]
    /// Shards on their way to a worker: shard -> worker.
    private(set) var incoming: [Int: Int] = [:]
    /// Each worker's shards in increasing order, rebuilt when ownership changes, because every step
    /// asks for them and ownership changes only when workers come and go.
    private var shardsByOwner: [Int: [Int]] = [:]

    init(shardCount: Int) {
        owners = [Int?](repeating: nil, count: shardCount)
    }

    var shardCount: Int { owners.count }

    /// Every shard has a worker computing it.
    var isComplete: Bool { owners.allSatisfy { $0 != nil } }

    func owned(by worker: Int) -> [Int] { shardsByOwner[worker] ?? [] }

    func incoming(to worker: Int) -> [Int] { incoming.filter { $0.value == worker }.map(\.key).sorted() }

    /// How many shards a worker computes or is being sent.
    func load(of worker: Int) -> Int { owned(by: worker).count + incoming.values.filter { $0 == worker }.count }

    /// The initial deal: consecutive blocks of shards, as even as they can be, to the N `workers`
    /// in order (shard s to the (s * N / S)-th), so each worker adds one segment to the step's sum
    /// in the ring. Returns each one's shards, in the order of `workers`.
    mutating func deal(among workers: [Int]) -> [[Int]] {
        for shard in owners.indices { incoming[shard] = workers[shard * workers.count / owners.count] }
        return workers.map { incoming(to: $0) }
    }

    /// A worker has loaded the rows it was sent: the shards among them that nobody computes become
    /// its own at once. Returns those shards. (Shards it takes over from a live worker change hands
    /// at the next step boundary, `completeHandovers`.)
    mutating func adoptUnowned(by worker: Int) -> [Int] {
        let adopted = incoming(to: worker).filter { owners[$0] == nil }
        for shard in adopted {
            owners[shard] = worker
            incoming[shard] = nil
        }
        if !adopted.isEmpty { refresh() }
        return adopted
    }

    /// A worker is gone: it computes nothing and is sent nothing any more.
    mutating func release(_ worker: Int) {
        for shard in owners.indices where owners[shard] == worker { owners[shard] = nil }
        for (shard, target) in incoming where target == worker { incoming[shard] = nil }
        refresh()
    }

    /// Shards that no worker computes or is being sent go to the least loaded of `candidates`
    /// (the lowest index among equals). Returns what each worker is given, by increasing worker.
    mutating func assignOrphans(to candidates: [Int]) -> [(worker: Int, shards: [Int])] {
        let orphans = self.orphans
        guard !orphans.isEmpty, !candidates.isEmpty else { return [] }
        var load = Dictionary(uniqueKeysWithValues: candidates.map { ($0, self.load(of: $0)) })
        var given: [Int: [Int]] = [:]
        for shard in orphans {
            let target = candidates.min { (load[$0]!, $0) < (load[$1]!, $1) }!
            incoming[shard] = target
            load[target]! += 1
            given[target, default: []].append(shard)
        }
        return given.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Shards with neither a worker computing them nor one being sent them.
    var orphans: [Int] { owners.indices.filter { owners[$0] == nil && incoming[$0] == nil } }

    /// At a step boundary: shards whose new worker has loaded them change hands.
    mutating func completeHandovers(isLoaded: (Int) -> Bool) {
        var changed = false
        for (shard, worker) in incoming where isLoaded(worker) {
            owners[shard] = worker
            incoming[shard] = nil
            changed = true
        }
        if changed { refresh() }
    }

    /// Moves shards from the busiest to the least busy of `participants` until their loads differ by
    /// at most one (the busiest gives its highest shard; ties go to the lowest index). Returns what
    /// each worker is to be sent, by increasing worker.
    mutating func rebalance(among participants: [Int]) -> [(worker: Int, shards: [Int])] {
        guard !participants.isEmpty else { return [] }
        var load = Dictionary(uniqueKeysWithValues: participants.map { ($0, self.load(of: $0)) })
        var given: [Int: [Int]] = [:]
        while true {
            let busiest = participants.max { (load[$0]!, -$0) < (load[$1]!, -$1) }!
            let idlest = participants.min { (load[$0]!, $0) < (load[$1]!, $1) }!
            guard load[busiest]! - load[idlest]! > 1, let shard = owned(by: busiest).last(where: { incoming[$0] == nil })
            else { break }
            incoming[shard] = idlest
            load[busiest]! -= 1
            load[idlest]! += 1
            given[idlest, default: []].append(shard)
        }
        return given.sorted { $0.key < $1.key }.map { ($0.key, $0.value.sorted()) }
    }

    /// Changes whenever any shard's owner does: a plan made at the same revision is still right.
    private(set) var revision = 0

    private mutating func refresh() {
        revision += 1
        shardsByOwner = Dictionary(grouping: owners.indices.filter { owners[$0] != nil }) { owners[$0]! }
    }
}
