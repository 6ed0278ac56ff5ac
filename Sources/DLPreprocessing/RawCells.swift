// A chunk of a table's feature cells as the CSV reader finds them, before any preprocessing: per
// column, a number where the cell is one, otherwise the cell's text (through a table of the
// chunk's distinct texts). Which texts mean "missing" is the preprocessing's to say.

public struct RawCells: Sendable {
    public let rowCount: Int
    /// One per feature column, in the job's feature order.
    public var columns: [RawColumn]
    /// The file's 0-based index of each column, for located errors.
    public var fileColumns: [Int]
    /// The 1-based file line of each row, for located errors.
    public var lineNumbers: [Int32]

    public init(rowCount: Int, columns: [RawColumn], fileColumns: [Int], lineNumbers: [Int32]) {
        self.rowCount = rowCount
        self.columns = columns
        self.fileColumns = fileColumns
        self.lineNumbers = lineNumbers
    }
}

public struct RawColumn: Sendable, Equatable {
    /// A code that marks a cell as a number (its value in `numbers`).
    public static let number: Int32 = -1

    /// Per row: `RawColumn.number`, or the index of the cell's text in `texts`.
    public var codes: [Int32]
    /// Per row: the cell's value where its code is `RawColumn.number` (0 elsewhere). Empty for a
    /// column read as text only.
    public var numbers: [Double]
    /// The distinct texts of the chunk's cells that are not numbers (every cell of a column read as
    /// text), in first-seen order.
    public var texts: [String]

    public init(codes: [Int32], numbers: [Double], texts: [String]) {
        self.codes = codes
        self.numbers = numbers
        self.texts = texts
    }
}

/// How the reader takes a feature column's cells.
public enum RawReading: Sendable, Equatable {
    /// A number where the cell is one (the file's text is not kept), text otherwise.
    case numberOrText
    /// The text as the file has it, whatever it holds (string_categorical, string_hashed).
    case text
}
