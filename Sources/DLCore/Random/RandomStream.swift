// The purposes random draws are made for, each with a generator stream of its own, so that adding
// a draw for one purpose never shifts the numbers of another (initial weights, the shard deal, each
// epoch's shuffle of each shard, dropout's masks).

/// The purposes random draws are made for; each gets its own generator stream.
public enum RandomStream {
    public static let initialWeights: UInt64 = 1
    public static let shardDeal: UInt64 = 2
    public static let shardShuffle: UInt64 = 3
    public static let dropout: UInt64 = 4
}
