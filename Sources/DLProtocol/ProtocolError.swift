// Why a received message was refused. A refused message is dropped and logged with its sender; it
// never reaches the training state.

public enum ProtocolError: Error, Equatable, CustomStringConvertible {
    /// Fewer bytes than a message header, or a header without dltrain's magic number.
    case notADltrainMessage(size: Int)
    /// A dltrain message of another protocol version.
    case versionMismatch(theirs: UInt16, ours: UInt16)
    /// A message type this version does not know.
    case unknownType(UInt16)
    /// A payload whose size does not fit its type: the type, the size, and what was expected.
    case badSize(type: String, size: Int, expected: String)
    /// A JSON payload that does not decode as its type.
    case badContent(type: String, reason: String)
    /// A message for another job than this one.
    case wrongJob(theirs: UInt64, ours: UInt64)

    public var description: String {
        switch self {
        case let .notADltrainMessage(size):
            return "not a dltrain message (\(size) bytes without the DLTR header)"
        case let .versionMismatch(theirs, ours):
            return "protocol version \(theirs), but this process speaks version \(ours)"
        case let .unknownType(type):
            return "unknown message type \(type)"
        case let .badSize(type, size, expected):
            return "\(type) message of \(size) bytes, expected \(expected)"
        case let .badContent(type, reason):
            return "\(type) message with invalid content: \(reason)"
        case let .wrongJob(theirs, ours):
            return "message for job \(String(theirs, radix: 16)), this is job \(String(ours, radix: 16))"
        }
    }
}
