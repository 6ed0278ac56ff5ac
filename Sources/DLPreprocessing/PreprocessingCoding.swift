// Raw cells to codes, and codes to the model's inputs: what every holder of rows applies (the
// coordinator codes the rows it streams, a worker expands its shards' rows, `--local` and
// `dlmodel` do both), so that a row is encoded to the same bits wherever it is.
//
// Keras's arithmetic, in float32: Normalization (x - mean) / max(sqrt(variance), 1e-7),
// Rescaling x * scale + offset, Discretization's bin = how many boundaries are <= x, IndexLookup
// (OOV indices first; an unseen string goes to OOV index to_hash_bucket_fast(s, num_oov_indices),
// an unseen integer to floormod(x, num_oov_indices)), Hashing, HashedCrossing of the crossed
// columns' indices, one-hot through CategoryEncoding. A missing number takes the column's fill
// first; a missing category is out of vocabulary (a string as Keras would take its text, an
// integer at the first OOV index or bucket 0).

extension Preprocessing {
    /// How the reader must take each feature column to code it.
    public var readings: [RawReading] { columns.map { $0.type.kind.takesText ? .text : .numberOrText } }

    /// The codes of `cells`' rows, row-major, `codeWidth` per row: a number as it is (NaN where
    /// missing), an index (out-of-vocabulary ones included) or a bucket as a float. Throws at a cell
    /// the column's type cannot hold (a word in a numeric column, a fraction in an integer one).
    /// `path` names the file in errors.
    public func codes(_ cells: RawCells, path: String) throws(PreprocessingError) -> [Float] {
        precondition(cells.columns.count == columns.count && cells.fileColumns.count == columns.count, "RawCells: one column per feature")
        precondition(cells.lineNumbers.count >= cells.rowCount, "RawCells: a line per row")
        let width = codeWidth
        var codes = [Float](repeating: 0, count: cells.rowCount * width)
        let missing = MissingValues(naValues)
        // The file's first bad cell: the earliest row's, the leftmost column's among them.
        var first: (row: Int, error: PreprocessingError)?
        for (c, column) in columns.enumerated() {
            let coder = ColumnCoder(column, missing: missing)
            let raw = cells.columns[c]
            precondition(raw.codes.count >= cells.rowCount, "RawCells: a code per row")
            // Each of the chunk's texts is coded once; a row then only looks its code up.
            var textValues = [Float](repeating: 0, count: raw.texts.count)
            var textProblems = [String?](repeating: nil, count: raw.texts.count)
            for (index, text) in raw.texts.enumerated() {
                switch coder.code(text: text) {
                case .code(let value): textValues[index] = value
                case .bad(let expected): textProblems[index] = expected
                }
            }
            for row in 0..<min(cells.rowCount, first?.row ?? cells.rowCount) {
                let rawCode = raw.codes[row]
                var problem: String?
                if rawCode == RawColumn.number {
                    switch coder.code(number: raw.numbers[row]) {
                    case .code(let value): codes[row * width + c] = value
                    case .bad(let expected): problem = expected
                    }
                } else {
                    let index = Int(rawCode)
                    precondition(index >= 0 && index < textValues.count, "RawCells: a text code out of its table")
                    codes[row * width + c] = textValues[index]
                    problem = textProblems[index]
                }
                if let problem {
                    let found = rawCode == RawColumn.number ? numberText(raw.numbers[row]) : raw.texts[Int(rawCode)]
                    first = (row, .badCell(
                        path: path, line: Int(cells.lineNumbers[row]), column: cells.fileColumns[c], name: column.name,
                        found: found, type: column.type.kind, expected: problem))
                    break
                }
            }
        }
        if let first { throw first.error }
        for (x, fitted) in crosses.enumerated() {
            var indices = [Int64](repeating: 0, count: fitted.columnIndices.count)
            let bins = fitted.columnIndices.map { columns[$0].type.kind == .floatDiscretized ? Bins(columns[$0]) : nil }
            for row in 0..<cells.rowCount {
                for (i, c) in fitted.columnIndices.enumerated() {
                    let code = codes[row * width + c]
                    indices[i] = Int64(bins[i].map { $0.bin(code) } ?? Int(code))
                }
                codes[row * width + columns.count + x] = Float(KerasHashing.crossBucket(indices, bins: fitted.cross.crossingDim))
            }
        }
        return codes
    }

    /// Expands `rows` rows of codes into the model's inputs, `outputWidth` per row, writing every
    /// input. Codes are checked: a holder that got them from outside (a message) has validated
    /// them with `codeProblem` first.
    public func expand(codes: UnsafeBufferPointer<Float>, rows: Int, into inputs: UnsafeMutableBufferPointer<Float>) {
        PreprocessingExpansion(self).expand(codes: codes, rows: rows, into: inputs)
    }

    /// The same into a new array.
    public func expand(codes: [Float]) -> [Float] {
        let rows = codeWidth > 0 ? codes.count / codeWidth : 0
        var inputs = [Float](repeating: 0, count: rows * outputWidth)
        codes.withUnsafeBufferPointer { c in
            inputs.withUnsafeMutableBufferPointer { i in expand(codes: c, rows: rows, into: i) }
        }
        return inputs
    }

    /// The first code no coding gives (an index out of range, a non-integral index, a NaN in a
    /// column that cannot be missing), as (row, column position, description); nil when all are
    /// codes `codes(_:path:)` could give.
    public func codeProblem(_ codes: UnsafeBufferPointer<Float>) -> (row: Int, position: Int, problem: String)? {
        let width = codeWidth
        guard width > 0, codes.count % width == 0 else {
            return (codes.count / max(width, 1), 0, "\(codes.count) codes are not whole rows of \(width)")
        }
        let counts: [Int?] = columns.map { $0.type.kind.isNumeric ? nil : $0.indexCount } + crosses.map { $0.cross.crossingDim }
        for row in 0..<(codes.count / width) {
            for position in 0..<width {
                let x = codes[row * width + position]
                if let count = counts[position] {
                    guard x >= 0, x < Float(count), x.rounded(.down) == x else {
                        return (row, position, "\(x) is not an index below \(count)")
                    }
                } else if x.isInfinite {
                    return (row, position, "\(x) is not a number or missing")
                }
            }
        }
        return nil
    }

    /// The model's inputs in order, each with where its code is.
}

/// Keras's Discretization: a value's bin is how many boundaries are at most it (Bucketize).
struct Bins: Sendable {
    let boundaries: [Float]

    init(_ column: FittedColumn) {
        boundaries = column.boundaries ?? []
        fill = column.fill ?? 0
    }

    private let fill: Float

    /// The bin of a code (a missing one takes the fill).
    func bin(_ code: Float) -> Int {
        let x = code.isNaN ? fill : code
        var low = 0
        var high = boundaries.count
        while low < high {
            let middle = (low + high) / 2
            if boundaries[middle] <= x { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// A cell's code, or what the column takes instead.
enum CellCode {
    case code(Float)
    case bad(expected: String)
}

/// One column's coding of a cell.
struct ColumnCoder {
    let column: FittedColumn
    let missing: MissingValues
    private let strings: [String: Int]
    private let integers: [Int64: Int]

    init(_ column: FittedColumn, missing: MissingValues) {
        self.column = column
        self.missing = missing
        strings = Dictionary((column.vocabulary ?? []).enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        integers = Dictionary((column.integerVocabulary ?? []).enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func code(number: Double) -> CellCode {
        let kind = column.type.kind
        if kind.takesText { return code(text: numberText(number)) }
        if missing.isMissing(number) { return missingCode }
        if kind.isNumeric {
            guard abs(number) <= Double(Float.greatestFiniteMagnitude) else { return .bad(expected: PreprocessingError.expectedFiniteNumber) }
            return .code(Float(number))
        }
        guard let value = integerValue(number) else { return .bad(expected: PreprocessingError.expectedInteger) }
        if kind == .integerHashed { return .code(Float(KerasHashing.bucket(value, bins: column.type.numBins ?? 1))) }
        let oov = column.type.oovIndexCount
        if let index = integers[value] { return .code(Float(oov + index)) }
        guard oov > 0 else { return .bad(expected: PreprocessingError.expectedKnownValue) }
        return .code(Float(KerasHashing.oovIndex(value, oovCount: oov)))
    }

    func code(text: String) -> CellCode {
        let kind = column.type.kind
        let isMissing = missing.texts.contains(text)
        switch kind {
        case .stringHashed:
            return .code(Float(KerasHashing.bucket(text, bins: column.type.numBins ?? 1)))
        case .stringCategorical:
            let oov = column.type.oovIndexCount
            if !isMissing, let index = strings[text] { return .code(Float(oov + index)) }
            guard oov > 0 else { return .bad(expected: PreprocessingError.expectedKnownValue) }
            return .code(Float(KerasHashing.oovIndex(text, oovCount: oov)))
        default:
            guard isMissing else { return .bad(expected: kind.takesIntegers ? PreprocessingError.expectedInteger : PreprocessingError.expectedNumber) }
            return missingCode
        }
    }

    /// A missing cell of a column that is not a string one: NaN for a number (filled at expand),
    /// the first OOV index of an integer category, bucket 0 of a hashed integer.
    private var missingCode: CellCode {
        let kind = column.type.kind
        if kind.isNumeric { return .code(.nan) }
        if kind == .integerCategorical && column.type.oovIndexCount == 0 { return .bad(expected: PreprocessingError.expectedKnownValue) }
        return .code(0)
    }
}
