// A data file's identity for checking that two copies are the same. Paths and timestamps
// differ from machine to machine, so the content itself is named: the byte count, which
// makes a truncated or padded copy obvious in a message, and the SHA-256, which catches
// any other change. It is Codable so it can be written beside a model or sent between processes.

/// What identifies a data file's content: its size and SHA-256.
public struct DataFingerprint: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The content's length in bytes.
    public let size: Int
    /// The content's SHA-256 digest as 64 lowercase hexadecimal digits.
    public let sha256: String

    public init(size: Int, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    /// The fingerprint of `bytes`, a file's whole content.
    public init(bytes: UnsafeRawBufferPointer) {
        var hasher = SHA256()
        hasher.update(bytes)
        self.init(size: bytes.count, sha256: SHA256.hex(hasher.finalize()))
    }

    /// Short enough for a log line; eight hex digits tell files apart at a glance.
    public var description: String {
        "\(size) bytes, sha256 \(sha256.prefix(8))…"
    }
}
