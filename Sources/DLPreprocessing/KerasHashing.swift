// The hashes Keras's preprocessing layers use, so that a hashed feature, a cross and an
// out-of-vocabulary bucket land where Keras 3 on TensorFlow puts them (checked value for value
// against keras 3.15.1 + tensorflow 2.20: Tests/Reference/record_keras_hashing.py):
// - `Hashing(num_bins)` on a string is `tf.strings.to_hash_bucket_fast`: FarmHash's Fingerprint64
//   of the UTF-8 bytes, modulo the bins (as unsigned 64-bit numbers).
// - `Hashing` on an integer first turns it into its decimal text (`tf.as_string`), then as above.
// - `HashedCrossing(num_bins)` is `tf.sparse.cross_hashed` with TensorFlow's default key: starting
//   from the key, each value in the crossed features' order is folded in with
//   `FingerprintCat64`; an integer value enters as its own 64 bits (not fingerprinted); the result
//   modulo the bins.
// - `StringLookup`/`IntegerLookup` with `num_oov_indices` > 1 send an unknown string to
//   `to_hash_bucket_fast(text, num_oov_indices)` and an unknown integer to
//   `floormod(value, num_oov_indices)` (the default `oov_method="floormod"`).
// FarmHash is hand-written here (about 100 lines): no maintained Swift package or Debian library
// offers its Fingerprint64, and every result is checked against FarmHash's own published values.

public enum KerasHashing {
    /// `tf.sparse.cross_hashed`'s default `hash_key` (TensorFlow's `_DEFAULT_HASH_KEY`, 0xDECAFCAFFE).
    static let crossHashKey: UInt64 = 0xDE_CAFC_AFFE

    /// FarmHash Fingerprint64 (farmhash's `Fingerprint64`, the `farmhashna` variant).
    public static func fingerprint64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        FarmHash.hash64(bytes)
    }

    /// FarmHash Fingerprint64 of a string's UTF-8 bytes (what TensorFlow hashes for a string).
    public static func fingerprint64(_ text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { FarmHash.hash64(UnsafeRawBufferPointer($0)) }
    }

    /// Keras's Hashing(num_bins) on a string: its bucket in 0..<bins.
    /// Bins below 1 have no bucket but 0 (Keras refuses them; callers check bins where they enter).
    public static func bucket(_ text: String, bins: Int) -> Int {
        modulo(fingerprint64(text), bins: bins)
    }

    /// Keras's Hashing(num_bins) on an integer: its bucket in 0..<bins (the bucket of its decimal
    /// text, e.g. -5 hashes as "-5").
    public static func bucket(_ value: Int64, bins: Int) -> Int {
        bucket(String(value), bins: bins)
    }

    /// Keras's HashedCrossing(num_bins) of one row's integer values, in the crossed features'
    /// order: its bucket in 0..<bins. Keras crosses two or more features; any count is hashed.
    public static func crossBucket(_ values: [Int64], bins: Int) -> Int {
        var hash = crossHashKey
        for value in values {
            hash = fingerprintCat64(hash, UInt64(bitPattern: value))
        }
        return modulo(hash, bins: bins)
    }

    /// The out-of-vocabulary index StringLookup gives an unknown string when it has `oovCount`
    /// OOV indices (no mask token): `to_hash_bucket_fast(text, oovCount)`, the same as `bucket`.
    public static func oovIndex(_ text: String, oovCount: Int) -> Int {
        bucket(text, bins: oovCount)
    }

    /// The out-of-vocabulary index IntegerLookup gives an unknown integer when it has `oovCount`
    /// OOV indices (no mask token, the default `oov_method="floormod"`): `value` modulo `oovCount`,
    /// never negative (-1 with 3 OOV indices is 2). Not the integer's hash, unlike `bucket`.
    public static func oovIndex(_ value: Int64, oovCount: Int) -> Int {
        guard oovCount > 1 else { return 0 }
        let count = Int64(oovCount)
        let remainder = value % count
        return Int(remainder < 0 ? remainder + count : remainder)
    }

    /// TensorFlow's `FingerprintCat64`: two 64-bit fingerprints folded into one (not commutative).
    static func fingerprintCat64(_ first: UInt64, _ second: UInt64) -> UInt64 {
        let mul: UInt64 = 0xC6A4_A793_5BD1_E995
        var result = first ^ mul
        result ^= FarmHash.shiftMix(second &* mul) &* mul
        result = result &* mul
        result = FarmHash.shiftMix(result) &* mul
        return FarmHash.shiftMix(result)
    }

    /// `hash % bins` as TensorFlow takes it: both unsigned 64-bit.
    private static func modulo(_ hash: UInt64, bins: Int) -> Int {
        guard bins > 1 else { return 0 }
        return Int(truncatingIfNeeded: hash % UInt64(bins))
    }
}

/// FarmHash's `farmhashna::Hash64` (= `Fingerprint64`): little-endian 64-bit reads, four length
/// classes (0–16, 17–32, 33–64 bytes, and a 64-byte loop beyond). All arithmetic wraps, as in C.
enum FarmHash {
    static let k0: UInt64 = 0xC3A5_C85C_97CB_3127
    static let k1: UInt64 = 0xB492_B66F_BE98_F273
    static let k2: UInt64 = 0x9AE1_6A3B_2F90_404F

    static func hash64(_ s: UnsafeRawBufferPointer) -> UInt64 {
        let length = s.count
        if length <= 16 { return hashUpTo16(s) }
        if length <= 32 { return hash17To32(s) }
        if length <= 64 { return hash33To64(s) }
        return hashLonger(s)
    }

    static func shiftMix(_ value: UInt64) -> UInt64 { value ^ (value >> 47) }

    private static func fetch64(_ s: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: s.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    private static func fetch32(_ s: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(UInt32(littleEndian: s.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }

    /// Rotation to the right by 1...63 bits.
    private static func rotate(_ value: UInt64, _ shift: UInt64) -> UInt64 {
        (value >> shift) | (value << (64 - shift))
    }

    private static func hash16(_ u: UInt64, _ v: UInt64, _ mul: UInt64) -> UInt64 {
        let a = shiftMix((u ^ v) &* mul)
        let b = shiftMix((v ^ a) &* mul)
        return b &* mul
    }

    private static func hashUpTo16(_ s: UnsafeRawBufferPointer) -> UInt64 {
        let length = UInt64(s.count)
        if s.count >= 8 {
            let mul = k2 &+ length &* 2
            let a = fetch64(s, 0) &+ k2
            let b = fetch64(s, s.count - 8)
            let c = rotate(b, 37) &* mul &+ a
            let d = (rotate(a, 25) &+ b) &* mul
            return hash16(c, d, mul)
        }
        if s.count >= 4 {
            let mul = k2 &+ length &* 2
            let a = fetch32(s, 0)
            return hash16(length &+ (a << 3), fetch32(s, s.count - 4), mul)
        }
        if s.count > 0 {
            let a = UInt64(s[0])
            let b = UInt64(s[s.count >> 1])
            let c = UInt64(s[s.count - 1])
            let y = a + (b << 8)
            let z = length + (c << 2)
            return shiftMix((y &* k2) ^ (z &* k0)) &* k2
        }
        return k2
    }

    private static func hash17To32(_ s: UnsafeRawBufferPointer) -> UInt64 {
        let mul = k2 &+ UInt64(s.count) &* 2
        let a = fetch64(s, 0) &* k1
        let b = fetch64(s, 8)
        let c = fetch64(s, s.count - 8) &* mul
        let d = fetch64(s, s.count - 16) &* k2
        return hash16(
            rotate(a &+ b, 43) &+ rotate(c, 30) &+ d,
            a &+ rotate(b &+ k2, 18) &+ c, mul)
    }

    private static func hash33To64(_ s: UnsafeRawBufferPointer) -> UInt64 {
        let n = s.count
        let mul = k2 &+ UInt64(n) &* 2
        let a = fetch64(s, 0) &* k2
        let b = fetch64(s, 8)
        let c = fetch64(s, n - 8) &* mul
        let d = fetch64(s, n - 16) &* k2
        let y = rotate(a &+ b, 43) &+ rotate(c, 30) &+ d
        let z = hash16(y, a &+ rotate(b &+ k2, 18) &+ c, mul)
        let e = fetch64(s, 16) &* mul
        let f = fetch64(s, 24)
        let g = (y &+ fetch64(s, n - 32)) &* mul
        let h = (z &+ fetch64(s, n - 24)) &* mul
        return hash16(
            rotate(e &+ f, 43) &+ rotate(g, 30) &+ h,
            e &+ rotate(f &+ a, 18) &+ g, mul)
    }

    /// Two 64-bit lanes mixed from 32 bytes at `offset` and two seeds.
    private static func weakHash32(
        _ s: UnsafeRawBufferPointer, _ offset: Int, _ seedA: UInt64, _ seedB: UInt64
    ) -> (UInt64, UInt64) {
        let w = fetch64(s, offset), x = fetch64(s, offset + 8)
        let y = fetch64(s, offset + 16), z = fetch64(s, offset + 24)
        var a = seedA &+ w
        var b = rotate(seedB &+ a &+ z, 21)
        let c = a
        a = a &+ x &+ y
        b = b &+ rotate(a, 44)
        return (a &+ z, b &+ c)
    }

    /// More than 64 bytes: a 64-byte loop over all but the last 1...64 bytes, then the last 64.
    private static func hashLonger(_ s: UnsafeRawBufferPointer) -> UInt64 {
        let n = s.count
        let seed: UInt64 = 81
        var x = seed
        var y = seed &* k1 &+ 113
        var z = shiftMix(y &* k2 &+ 113) &* k2
        var v: (UInt64, UInt64) = (0, 0)
        var w: (UInt64, UInt64) = (0, 0)
        x = x &* k2 &+ fetch64(s, 0)

        let end = ((n - 1) / 64) * 64
        var p = 0
        repeat {
            x = rotate(x &+ y &+ v.0 &+ fetch64(s, p + 8), 37) &* k1
            y = rotate(y &+ v.1 &+ fetch64(s, p + 48), 42) &* k1
            x ^= w.1
            y = y &+ v.0 &+ fetch64(s, p + 40)
            z = rotate(z &+ w.0, 33) &* k1
            v = weakHash32(s, p, v.1 &* k1, x &+ w.0)
            w = weakHash32(s, p + 32, z &+ w.1, y &+ fetch64(s, p + 16))
            swap(&z, &x)
            p += 64
        } while p != end

        let mul = k1 &+ ((z & 0xFF) << 1)
        let last = n - 64
        w.0 = w.0 &+ UInt64((n - 1) & 63)
        v.0 = v.0 &+ w.0
        w.0 = w.0 &+ v.0
        x = rotate(x &+ y &+ v.0 &+ fetch64(s, last + 8), 37) &* mul
        y = rotate(y &+ v.1 &+ fetch64(s, last + 48), 42) &* mul
        x ^= w.1 &* 9
        y = y &+ v.0 &* 9 &+ fetch64(s, last + 40)
        z = rotate(z &+ w.0, 33) &* mul
        v = weakHash32(s, last, v.1 &* mul, x &+ w.0)
        w = weakHash32(s, last + 32, z &+ w.1, y &+ fetch64(s, last + 16))
        swap(&z, &x)
        return hash16(
            hash16(v.0, w.0, mul) &+ shiftMix(y) &* k0 &+ z,
            hash16(v.1, w.1, mul) &+ x, mul)
    }
}
