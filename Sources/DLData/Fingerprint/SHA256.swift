// SHA-256 (FIPS 180-4), written out here because the data layer links no Foundation and
// no crypto library, yet must name a data file's exact content so that separate processes
// can tell whether they hold the same bytes. It streams, so a file can be hashed in chunks
// as it is read, and it hashes whole 64-byte blocks in place from the caller's memory,
// because data files run to hundreds of megabytes and a copy per block would dominate.
// The rounds themselves are CDigest's: on the CPU's SHA extensions where it has them (about ten
// times faster), portable C elsewhere.

import CDigest

public struct SHA256: Sendable {
    /// The eight working hash words H0...H7.
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    /// A block begun by one update and finished by a later one (64 bytes, of which `buffered` are used).
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    private var buffered: Int
    /// Message length so far, in bytes.
    private var length: UInt64
    private var finalized: Bool
    private let usesHardware: Bool

    /// Whether this CPU has the SHA extensions.
    public static let hardwareAvailable = dl_sha256_hardware_available() != 0

    /// `usingHardware: false` forces the portable rounds (for tests comparing the two).
    public init(usingHardware: Bool = SHA256.hardwareAvailable) {
        precondition(!usingHardware || Self.hardwareAvailable, "this CPU has no SHA extensions")
        usesHardware = usingHardware
        state = (0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
        pending = (0, 0, 0, 0, 0, 0, 0, 0)
        buffered = 0
        length = 0
        finalized = false
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finalized, "SHA256.update called after finalize()")
        guard var input = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        length &+= UInt64(remaining)

        if buffered > 0 {
            let taken = min(64 - buffered, remaining)
            let offset = buffered
            withUnsafeMutableBytes(of: &pending) { block in
                (block.baseAddress! + offset).copyMemory(from: input, byteCount: taken)
            }
            buffered += taken
            input += taken
            remaining -= taken
            guard buffered == 64 else { return }
            let block = pending
            withUnsafeBytes(of: block) { compress($0.baseAddress!, blocks: 1) }
            buffered = 0
        }

        let blocks = remaining / 64
        if blocks > 0 {
            compress(input, blocks: blocks)
            input += blocks * 64
            remaining -= blocks * 64
        }

        if remaining > 0 {
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.copyMemory(from: input, byteCount: remaining)
            }
            buffered = remaining
        }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest. Padding is fed through `update`, so the value cannot take more input afterwards.
    public mutating func finalize() -> [UInt8] {
        precondition(!finalized, "SHA256.finalize called twice")
        let bitLength = length &<< 3
        // A 0x80 byte, zeros up to 8 bytes short of a block boundary, then the bit length big-endian.
        let padding = buffered < 56 ? 56 - buffered : 120 - buffered
        var tail: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                   UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &tail) { tail in
            tail[0] = 0x80
            tail.storeBytes(of: bitLength.bigEndian, toByteOffset: padding, as: UInt64.self)
            update(UnsafeRawBufferPointer(rebasing: tail[0..<(padding + 8)]))
        }
        finalized = true

        let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
        return [UInt8](unsafeUninitializedCapacity: 32) { digest, count in
            for (index, word) in words.enumerated() {
                digest[index * 4] = UInt8(truncatingIfNeeded: word >> 24)
                digest[index * 4 + 1] = UInt8(truncatingIfNeeded: word >> 16)
                digest[index * 4 + 2] = UInt8(truncatingIfNeeded: word >> 8)
                digest[index * 4 + 3] = UInt8(truncatingIfNeeded: word)
            }
            count = 32
        }
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

    /// Runs the compression function over `blocks` consecutive 64-byte blocks at `data` (any alignment).
    private mutating func compress(_ data: UnsafeRawPointer, blocks: Int) {
        let rounds = usesHardware ? dl_sha256_blocks_hardware : dl_sha256_blocks_portable
        withUnsafeMutableBytes(of: &state) { words in
            rounds(words.baseAddress!.assumingMemoryBound(to: UInt32.self), data.assumingMemoryBound(to: UInt8.self), blocks)
        }
    }
}
