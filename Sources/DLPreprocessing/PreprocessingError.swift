// What can go wrong preprocessing a table, each case with what to do about it.

public enum PreprocessingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An option of --feature-types, --feature-crosses or --fill that cannot be read.
    case badOption(option: String, text: String, reason: String)
    /// A type or cross names a column that is not a feature column.
    case unknownColumn(option: String, name: String, available: [String])
    /// A cell that the column's type cannot hold: `expected` says what it takes.
    case badCell(path: String, line: Int, column: Int, name: String, found: String, type: FeatureKind, expected: String)
    /// A categorical column with more distinct values than the bound.
    case vocabularyTooLarge(path: String, column: Int, name: String, bound: Int)
    /// A column missing in every training row.
    case entirelyMissing(path: String, column: Int, name: String)

    public var description: String {
        switch self {
        case .badOption(let option, let text, let reason):
            return "\(option) \(Self.quoted(text)): \(reason)"
        case .unknownColumn(let option, let name, let available):
            return "\(option): no feature column named \(Self.quoted(name)); the feature columns are "
                + available.prefix(20).map(Self.quoted).joined(separator: ", ") + (available.count > 20 ? ", …" : "")
        case .badCell(let path, let line, let column, let name, let found, let type, let expected):
            let place = "\(path):\(line): column \(column) (\(Self.quoted(name)))"
            let cell = found.isEmpty ? "an empty field" : Self.quoted(Self.excerpt(found))
            switch expected {
            case Self.expectedInteger where Double(found) != nil:
                return "\(place): found \(cell) where \(type.rawValue) takes \(expected); for a number give "
                    + "--feature-types \(name)=float (or \(name)=string_categorical to take each text as a category)"
            case Self.expectedKnownValue:
                return "\(place): found \(cell), which the training rows do not hold, and \(type.rawValue) with "
                    + "num_oov_indices=0 has no out-of-vocabulary index; give the column num_oov_indices=1 in --feature-types"
            default:
                return "\(place): found \(cell) where \(type.rawValue) takes \(expected); if the column holds categories give "
                    + "--feature-types \(name)=string_categorical, or if \(cell) means a missing value add it to --na-values"
            }
        case .vocabularyTooLarge(let path, let column, let name, let bound):
            return "\(path): column \(column) (\(Self.quoted(name))) holds more than \(bound) distinct values "
                + "(--max-vocabulary); hash it with --feature-types \(name)=string_hashed:num_bins=N "
                + "(e.g. N=1024), or raise --max-vocabulary"
        case .entirelyMissing(let path, let column, let name):
            return "\(path): column \(column) (\(Self.quoted(name))) is missing in every training row (each cell is one "
                + "of --na-values); leave the column out of --features, or check --na-values"
        }
    }

    /// The file line the error is on; Int.max for one that has none.
    var line: Int {
        if case .badCell(_, let line, _, _, _, _, _) = self { return line }
        return Int.max
    }

    /// What `badCell` says a column takes.
    public static let expectedNumber = "a number"
    public static let expectedInteger = "an integer"
    public static let expectedFiniteNumber = "a number within the 32-bit float range"
    public static let expectedKnownValue = "a value of the training rows"

    private static func quoted(_ text: String) -> String { "\"\(text)\"" }

    /// Cell text as quoted in a message: at most 40 characters.
    static func excerpt(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}
