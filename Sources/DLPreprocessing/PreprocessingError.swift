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
        fatalError("DLPreprocessing: messages land with the core change")
    }
}
