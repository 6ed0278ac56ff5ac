// Dropout's keep-or-drop decisions, each a pure function of where it is made.
//
// Keras's Dropout draws each step's mask from a stateful seed generator; a run whose shards are
// computed by any number of processes, on any number of threads, and resumed from checkpoints has
// no such state to share. Here the decision for one value is a function of (seed, epoch, step,
// shard, dropout layer, row of the shard's step batch, unit) alone, computed where it is needed:
// the same bits on every worker, for every split of a batch into blocks of rows, after a resume.
//
// The generator is counter-based:
// - the step's key chains (seed, RandomStream.dropout, epoch, step, shard) through SplitMix64 as
//   SeededGenerator separates its streams;
// - a row's key is SplitMix64's output function (a bijection) of step key ^ (layer << 32 | row):
//   distinct for every (layer, row) of a step;
// - the row's units read the wyrand sequence that starts at the row's key: output k =
//   wymix(row key + (k + 1)·γ) (γ = 0xA0761D6478BD642F; wymix(c) = the high and low halves of the
//   128-bit product c · (c ^ 0xE7037ED1A0B428DB), xored) decides unit 2k with its high 32 bits and
//   unit 2k + 1 with its low ones.
// A decision takes the top 24 bits u of its 32 and keeps the value when u·2⁻²⁴ >= rate, as
// TensorFlow's stateless dropout keeps where a float32 uniform in [0, 1) is >= rate. A kept value is
// multiplied by 1/(1 - rate), computed as Keras does (in double precision from the rate as written,
// then rounded to float32); a dropped one is 0. One 64-bit multiply per two values, and no branch,
// keep the masks a few percent of a step's work.

/// Which step's masks: the job's seed, the epoch and step (0-based) and the logical shard. Every
/// holder of a shard derives the same key, so the masks never depend on who computes it.
public struct DropoutKey: Sendable, Equatable {
    public let seed: UInt64
    public let epoch: Int
    public let step: Int
    public let shard: Int
    /// The five values chained, where the rows' keys start.
    let stepKey: UInt64

    public init(seed: UInt64, epoch: Int, step: Int, shard: Int) {
        self.seed = seed
        self.epoch = epoch
        self.step = step
        self.shard = shard
        var key = Self.chain(seed, RandomStream.dropout)
        key = Self.chain(key, UInt64(truncatingIfNeeded: epoch))
        key = Self.chain(key, UInt64(truncatingIfNeeded: step))
        key = Self.chain(key, UInt64(truncatingIfNeeded: shard))
        stepKey = SplitMix64.mix(key &+ SplitMix64.increment)
    }

    /// The state SplitMix64 continues from after separating `value` (SeededGenerator's stream rule).
    private static func chain(_ state: UInt64, _ value: UInt64) -> UInt64 {
        SplitMix64.mix(state &+ SplitMix64.increment) ^ value
    }

    /// Where the decisions of row `row` (its position in the shard's step batch) at dropout layer
    /// `layer` start.
    @inline(__always)
    func rowKey(layer: Int, row: Int) -> UInt64 {
        SplitMix64.mix(stepKey ^ (UInt64(truncatingIfNeeded: layer) << 32 ^ UInt64(truncatingIfNeeded: row)))
    }
}

/// One Dropout layer's rule: its rate, the decision threshold and the scale of kept values.
///
/// Layers are numbered by the Dense layer whose input they drop: 0 for a Dropout on the model's
/// inputs, i for the one after Dense layer i - 1.
public struct DropoutMask: Sendable, Equatable {
    public let rate: Float
    /// 1/(1 - rate) in float32, as Keras computes it.
    public let scale: Float
    /// A decision's 24 bits below this drop the value: ceil(rate · 2²⁴).
    let threshold: UInt32

    /// The rule of Keras's `Dropout(rate)`; nil for no rate or rate 0, which Keras's Dropout passes
    /// through unchanged. Rates come checked to [0, 1) (the layer list and ModelSpec refuse others);
    /// a rate of 1 or more drops everything, and no rate traps here.
    public init?(rate: Float?) {
        guard let rate, rate != 0 else { return nil }
        self.rate = rate
        // Keras: 1 / (1 - rate) with the rate as the user wrote it (a Python float), then float32.
        let written = Double(rate.description) ?? Double(rate)
        scale = Float(1 / (1 - written))
        let scaled = (rate * 0x1p24).rounded(.up)
        threshold = scaled > 0 ? (scaled < 0x1p24 ? UInt32(scaled) : 1 << 24) : (rate.isNaN ? 1 << 24 : 0)
    }

    /// Writes the multipliers of `units` values of row `row` at dropout layer `layer` of `key`'s step:
    /// `scale` where kept, 0 where dropped.
    public func fill(
        _ multipliers: UnsafeMutablePointer<Float>, units: Int, key: DropoutKey, layer: Int, row: Int
    ) {
        var counter = key.rowKey(layer: layer, row: row)
        var unit = 0
        while unit + 1 < units {
            counter &+= Self.increment
            let bits = Self.mix(counter)
            multipliers[unit] = multiplier(UInt32(truncatingIfNeeded: bits >> 40))
            multipliers[unit + 1] = multiplier(UInt32(truncatingIfNeeded: bits >> 8) & 0xFF_FFFF)
            unit += 2
        }
        if unit < units {
            multipliers[unit] = multiplier(UInt32(truncatingIfNeeded: Self.mix(counter &+ Self.increment) >> 40))
        }
    }

    /// wyrand's increment and output function (Wang Yi's wyhash): one 64 x 64 -> 128-bit multiply of
    /// the counter and the counter xor a constant, its halves xored. Half the work of SplitMix64's.
    static let increment: UInt64 = 0xA076_1D64_78BD_642F

    @inline(__always)
    static func mix(_ counter: UInt64) -> UInt64 {
        let product = counter.multipliedFullWidth(by: counter ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }

    /// `scale` when the 24-bit `decision` keeps, 0 when it drops; without a branch, which half the
    /// decisions would mispredict at rate 0.5.
    @inline(__always)
    private func multiplier(_ decision: UInt32) -> Float {
        // Both below 2^25: the difference is negative exactly when the value drops.
        let drops = UInt32(bitPattern: Int32(bitPattern: decision &- threshold) >> 31)
        return Float(bitPattern: scale.bitPattern & ~drops)
    }

    /// Whether the value of unit `unit` of row `row` at dropout layer `layer` is kept: the decision
    /// `fill` makes, one at a time.
    public func keeps(unit: Int, key: DropoutKey, layer: Int, row: Int) -> Bool {
        let output = Self.mix(key.rowKey(layer: layer, row: row) &+ UInt64(truncatingIfNeeded: unit / 2 + 1) &* Self.increment)
        let half = unit % 2 == 0 ? output >> 32 : output & 0xFFFF_FFFF
        return UInt32(truncatingIfNeeded: half >> 8) >= threshold
    }

    /// `values` dropped into `output`: each value times its multiplier, and exactly 0 where dropped
    /// (as TensorFlow's `where`, also for a value that is not finite).
    @inline(__always)
    static func apply(
        _ values: UnsafePointer<Float>, _ multipliers: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count {
            // The product first, then a select: no branch, and the loop vectorizes.
            let product = values[i] * multipliers[i]
            output[i] = multipliers[i] != 0 ? product : 0
        }
    }
}
