// The job's secret: read from a file that only its owner may read (as ssh refuses a private key
// that others can read), or made for one run (`dlcoord --spawn`).

import Foundation

public enum JobSecret {
    /// The least number of bytes a secret may have.
    public static let minimumLength = 16

    /// A command that makes a secret file only its owner can read, for messages and the README.
    public static let makeCommand = "(umask 077; head -c 32 /dev/urandom | base64 > ~/.dltrain-secret)"

    /// Why a secret file cannot be used.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case unwritable(path: String, reason: String)
        /// Group or others may read it (its mode, octal).
        case readableByOthers(path: String, mode: String)
        case tooShort(path: String, length: Int)
        /// A file that must be this user's belongs to another (its uid).
        case ownedByAnotherUser(path: String, owner: UInt32)

        public var description: String {
            switch self {
            case let .unreadable(path, reason):
                "cannot read the secret file \(path): \(reason)"
            case let .unwritable(path, reason):
                "cannot write the secret file \(path): \(reason)"
            case let .readableByOthers(path, mode):
                "the secret file \(path) can be read by others (mode \(mode)); make it private with: chmod 600 \(path)"
            case let .tooShort(path, length):
                "the secret file \(path) holds \(length) byte(s); a secret needs at least \(JobSecret.minimumLength). "
                    + "Make one with: \(JobSecret.makeCommand)"
            case let .ownedByAnotherUser(path, owner):
                "the secret file \(path) belongs to another user (uid \(owner)); remove it, and the next run makes one of this user's"
            }
        }
    }

    /// The secret in the file at `path`, without leading or trailing white space (so an editor's
    /// final newline does not change it).
    public static func read(path: String) throws(Problem) -> [UInt8] {
        var status = stat()
        guard stat(path, &status) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard status.st_mode & 0o077 == 0 else {
            throw .readableByOthers(path: path, mode: String(status.st_mode & 0o777, radix: 8))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "permission denied or not a regular file")
        }
        let whiteSpace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        let bytes = Array(data)
        let start = bytes.firstIndex { !whiteSpace.contains($0) } ?? bytes.endIndex
        let end = bytes.lastIndex { !whiteSpace.contains($0) }.map { $0 + 1 } ?? start
        let secret = Array(bytes[start..<max(start, end)])
        guard secret.count >= minimumLength else { throw .tooShort(path: path, length: secret.count) }
        return secret
    }

    /// Writes `secret` to a new file at `path` that only its owner can read (a spawned run's secret,
    /// which its workers are given).
    public static func writePrivateFile(_ secret: [UInt8], to path: String) throws(Problem) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw .unwritable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0,
            secret.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == secret.count
        else { throw .unwritable(path: path, reason: String(cString: strerror(errno))) }
    }

    /// A new random secret for one run: 32 bytes from the system's generator, as base64 text (what
    /// `makeCommand` makes, and what `read` gives back unchanged).
    public static func generate() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Array(Data(random).base64EncodedString().utf8)
    }
}
