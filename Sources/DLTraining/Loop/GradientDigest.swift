// What `dlcoord --audit` compares when a ring keeps the shard gradients on the workers: a shard
// gradient's SHA-256 over its float32 bytes (little-endian, as in memory and on the wire). Equal
// digests mean the same bits; 32 bytes travel instead of the gradient.

import DLData

public enum GradientDigest {
    public static func of(_ gradient: UnsafeBufferPointer<Float>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(UnsafeRawBufferPointer(gradient))
        return hasher.finalize()
    }

    public static func of(_ gradient: [Float]) -> [UInt8] {
        gradient.withUnsafeBufferPointer { of($0) }
    }
}
