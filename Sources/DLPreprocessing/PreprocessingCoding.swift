// Raw cells to codes, and codes to the model's inputs: what every holder of rows applies (the
// coordinator codes the rows it streams, a worker expands its shards' rows, `--local` and
// `dlmodel` do both), so that a row is encoded to the same bits wherever it is.

extension Preprocessing {
    /// How the reader must take each feature column to code it.
    public var readings: [RawReading] {
        fatalError("DLPreprocessing: readings lands with the core change")
    }

    /// The codes of `cells`' rows, row-major, `codeWidth` per row: a number as it is (NaN where
    /// missing), an index (out-of-vocabulary ones included) or a bucket as a float. Throws at a cell
    /// the column's type cannot hold (a word in a numeric column, a fraction in an integer one).
    /// `path` names the file in errors.
    public func codes(_ cells: RawCells, path: String) throws(PreprocessingError) -> [Float] {
        fatalError("DLPreprocessing: codes lands with the core change")
    }

    /// Expands `rows` rows of codes into the model's inputs, `outputWidth` per row, writing every
    /// input. Codes are checked: a holder that got them from outside (a message) has validated
    /// them with `codeProblem` first.
    public func expand(codes: UnsafeBufferPointer<Float>, rows: Int, into inputs: UnsafeMutableBufferPointer<Float>) {
        fatalError("DLPreprocessing: expand lands with the core change")
    }

    /// The same into a new array.
    public func expand(codes: [Float]) -> [Float] {
        fatalError("DLPreprocessing: expand lands with the core change")
    }

    /// The first code no coding gives (an index out of range, a non-integral index, a NaN in a
    /// column that cannot be missing), as (row, column position, description); nil when all are
    /// codes `codes(_:path:)` could give.
    public func codeProblem(_ codes: UnsafeBufferPointer<Float>) -> (row: Int, position: Int, problem: String)? {
        fatalError("DLPreprocessing: codeProblem lands with the core change")
    }
}
