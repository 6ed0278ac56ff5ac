// The project's random number generator: xoshiro256** seeded through SplitMix64.
//
// Every random choice in a run (initial weights, the shard deal, each shard's shuffle) comes from a
// generator derived from the user's seed and the purpose of the draw, never from global state, so a
// seed fixes the whole run on every platform and in every process that computes a part of it.

public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator for `seed`, further separated by `stream` values (for example epoch and shard),
    /// so that generators for different purposes never share a sequence.
    public init(seed: UInt64, stream: UInt64...) {
        var mixer = SplitMix64(state: seed)
        for value in stream {
            mixer = SplitMix64(state: mixer.next() ^ value)
        }
        state = (mixer.next(), mixer.next(), mixer.next(), mixer.next())
    }

    /// A generator in a given raw state, for checking the algorithm against its reference.
    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// A uniform integer in 0..<bound without modulo bias (Lemire's multiply-and-reject method).
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0)
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A uniform float in [0, 1) with 24 random bits, the full precision of a float32 in that range.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A normal sample with the given standard deviation, redrawn until it lies within two standard
    /// deviations of zero, as Keras's truncated normal does. Rejection sampling from a uniform
    /// proposal keeps the draw to basic arithmetic and our own exp.
    public mutating func nextTruncatedNormal(standardDeviation: Double) -> Double {
        while true {
            let x = 4 * nextUnitDouble() - 2
            if nextUnitDouble() < ElementaryFunctions.expDouble(-0.5 * x * x) {
                return x * standardDeviation
            }
        }
    }

    /// Fisher-Yates shuffle of a buffer in place. Inlinable, so that callers in other modules get
    /// a version specialized to their element type, which swaps without allocating.
    @inlinable
    public mutating func shuffle<T>(_ buffer: inout [T]) {
        var i = buffer.count - 1
        while i > 0 {
            let j = nextIndex(below: i + 1)
            buffer.swapAt(i, j)
            i -= 1
        }
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}

/// SplitMix64 turns one 64-bit seed into well-mixed state words: its outputs are `mix` of a counter
/// advanced by `increment`.
struct SplitMix64 {
    var state: UInt64

    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }

    /// SplitMix64's output function: a bijection of 64-bit words (xor-shifts and odd multipliers,
    /// each invertible), so distinct inputs give distinct outputs.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
