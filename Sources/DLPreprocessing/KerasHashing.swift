// The hashes Keras's preprocessing layers use, so that a hashed feature, a cross and an
// out-of-vocabulary bucket land where Keras puts them: TensorFlow's
// `tf.strings.to_hash_bucket_fast` (FarmHash's Fingerprint64 of the UTF-8 bytes, modulo the bins),
// Keras's Hashing on integers (the same on the integer's decimal text), and `HashedCrossing`
// (`tf.sparse.cross_hashed`: the values' fingerprints combined in order).

public enum KerasHashing {
    /// FarmHash Fingerprint64 (farmhash's `Fingerprint64`, the `farmhashna` variant).
    public static func fingerprint64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        fatalError("DLPreprocessing: hashing lands with its change")
    }

    /// Keras's Hashing(num_bins) on a string: its bucket in 0..<bins.
    public static func bucket(_ text: String, bins: Int) -> Int {
        fatalError("DLPreprocessing: hashing lands with its change")
    }

    /// Keras's Hashing(num_bins) on an integer: its bucket in 0..<bins.
    public static func bucket(_ value: Int64, bins: Int) -> Int {
        fatalError("DLPreprocessing: hashing lands with its change")
    }

    /// Keras's HashedCrossing(num_bins) of one row's integer values, in the crossed features'
    /// order: its bucket in 0..<bins.
    public static func crossBucket(_ values: [Int64], bins: Int) -> Int {
        fatalError("DLPreprocessing: hashing lands with its change")
    }
}
