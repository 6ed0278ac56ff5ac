// SHA-256 (FIPS 180-4) of data files, from swift-crypto: BoringSSL's, which runs on the CPU's SHA
// extensions where it has them. A data file must be named by its exact content so that separate
// processes can tell whether they hold the same bytes. The hasher streams, so a file can be
// hashed in chunks as it is read, straight from the caller's memory.

import Crypto

public struct SHA256 {
    private var hasher = Crypto.SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest.
    public func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Lowercase hexadecimal, two digits per byte.
    public static func hex(_ digest: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: digest.count * 2) { text in
            var index = 0
            for byte in digest {
                text[index] = hexDigit(byte >> 4)
                text[index + 1] = hexDigit(byte & 0x0f)
                index += 2
            }
            return index
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x57 + nibble  // "0"... or "a"...
    }
}
