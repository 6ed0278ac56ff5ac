// What a caller can choose about a CSV file's format, and how a user names a column.

/// Whether the first record is a header row.
public enum HeaderMode: Sendable, Equatable {
    /// The first record is a header when some column is text there and a number in the second
    /// record (or, in a one-record file, when every field is text).
    case detect
    case present
    case absent
}

public struct CSVOptions: Sendable, Equatable {
    /// The field separator byte. Spaces and tabs around unquoted fields are trimmed, except the delimiter itself.
    public var delimiter: UInt8
    public var header: HeaderMode
    /// When false, NaN, infinities and values beyond the Float range are reported as errors.
    public var allowNonFinite: Bool

    public init(
        delimiter: UInt8 = UInt8(ascii: ","), header: HeaderMode = .detect, allowNonFinite: Bool = false
    ) {
        self.delimiter = delimiter
        self.header = header
        self.allowNonFinite = allowNonFinite
    }
}

/// A column as a user names it on the command line: a 0-based index, or a header name.
public enum ColumnReference: Sendable, Equatable, CustomStringConvertible {
    case index(Int)
    case name(String)

    /// Text made only of ASCII digits is an index ("3"); anything else, "-1" included, is a header name.
    public init(parsing text: String) {
        let isAllDigits = !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        if isAllDigits, let index = Int(text) {
            self = .index(index)
        } else {
            self = .name(text)
        }
    }

    /// The reference as a user would type it.
    public var description: String {
        switch self {
        case .index(let index): return String(index)
        case .name(let name): return name
        }
    }
}
