// The fit of a job's preprocessing in one streaming pass over its rows, in file order, a chunk at a
// time: the types of the columns not given (numeric when every cell that is not missing is a
// number), each column's statistics, vocabulary or quantile summary from the training rows only,
// and the checks that locate a bad cell. Memory is bounded by the vocabularies (each at most
// `maxVocabulary` distinct values) and the quantile summaries, never by the rows.

public struct PreprocessingFit: Sendable {
    /// `columnNames`: the feature columns' names, in the job's feature order (RawCells carries their
    /// file positions). `standardize` (--standardize) makes the columns typed from the data as
    /// numbers float_normalized. `path` names the file in errors. Throws for settings that name no
    /// feature column or cross a column that cannot be crossed.
    public init(
        settings: PreprocessingSettings, standardize: Bool, columnNames: [String], path: String
    ) throws(PreprocessingError) {
        fatalError("DLPreprocessing: PreprocessingFit lands with the core change")
    }

    /// How the reader must take each feature column: text for the string kinds given, a number
    /// where it is one for the rest.
    public var readings: [RawReading] {
        fatalError("DLPreprocessing: readings lands with the core change")
    }

    /// Adds the next rows in file order; the first `trainingRows` of them (counting from the
    /// chunk's first row) are training rows and fit the statistics; all of them decide the types.
    /// Throws at a cell that the column's given type cannot hold (a word in a numeric column,
    /// which names the line and suggests string_categorical), and when a vocabulary outgrows
    /// `maxVocabulary` (suggesting string_hashed).
    public mutating func add(_ cells: RawCells, trainingRows: Int) throws(PreprocessingError) {
        fatalError("DLPreprocessing: add lands with the core change")
    }

    /// Columns typed from the data that hold both numbers and words: their categories are the
    /// file's texts, which a `.numberOrText` reading did not keep, so the caller reads these
    /// columns again as `.text` into a fit made with `rereading(_:)` before `result()`.
    public var mixedColumns: [Int] {
        fatalError("DLPreprocessing: mixedColumns lands with the core change")
    }

    /// A fresh fit for the same settings that reads `columns` as text and types them
    /// string_categorical (inferred).
    public func rereading(_ columns: [Int]) -> PreprocessingFit {
        fatalError("DLPreprocessing: rereading lands with the core change")
    }

    /// The fitted preprocessing, once every row was added. Throws for a column that is missing in
    /// every row (named).
    public func result() throws(PreprocessingError) -> Preprocessing {
        fatalError("DLPreprocessing: result lands with the core change")
    }
}
