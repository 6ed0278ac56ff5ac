// The fit of a job's preprocessing in one streaming pass over its rows, in file order, a chunk at a
// time: the types of the columns not given (numeric when every cell that is not missing is a
// number), each column's statistics, vocabulary or quantile summary from the training rows only,
// and the checks that locate a bad cell. Memory is bounded by the vocabularies (each at most
// `maxVocabulary` distinct values) and the quantile summaries, never by the rows.

public struct PreprocessingFit: Sendable {
    private let settings: PreprocessingSettings
    private let standardize: Bool
    private let path: String
    private let missingValues: MissingValues
    private var columns: [ColumnFit]
    /// After `rereading(_:)`: the only columns `add` reads.
    private var rereadColumns: Set<Int>?
    /// The columns' 0-based places in the file, from the first rows added (for located errors).
    private var fileColumns: [Int]?

    /// `columnNames`: the feature columns' names, in the job's feature order (RawCells carries their
    /// file positions). `standardize` (--standardize) makes the columns typed from the data as
    /// numbers float_normalized. `path` names the file in errors. Throws for settings that name no
    /// feature column or cross a column that cannot be crossed.
    public init(
        settings: PreprocessingSettings, standardize: Bool, columnNames: [String], path: String
    ) throws(PreprocessingError) {
        for (name, type) in settings.featureTypes.sorted(by: { $0.key < $1.key }) {
            guard columnNames.contains(name) else {
                throw .unknownColumn(option: "--feature-types", name: name, available: columnNames)
            }
            if let reason = type.problem { throw .badOption(option: "--feature-types", text: "\(name)=\(type.text)", reason: reason) }
        }
        for cross in settings.crosses {
            if let reason = cross.problem { throw .badOption(option: "--feature-crosses", text: cross.name, reason: reason) }
            for name in cross.columns {
                guard columnNames.contains(name) else {
                    throw .unknownColumn(option: "--feature-crosses", name: name, available: columnNames)
                }
                if let type = settings.featureTypes[name], !type.kind.isIndexed {
                    throw .badOption(
                        option: "--feature-crosses", text: cross.name,
                        reason: "\(name) is \(type.kind.rawValue), and a cross takes categorical, hashed or discretized columns")
                }
            }
            if columnNames.contains(cross.name) || settings.crosses.filter({ $0.name == cross.name }).count > 1 {
                throw .badOption(option: "--feature-crosses", text: cross.name, reason: "another feature or cross has this name")
            }
        }
        if let name = columnNames.enumerated().first(where: { columnNames[..<$0.offset].contains($0.element) })?.element {
            throw .badOption(option: "--features", text: name, reason: "two feature columns have this name; rename one in the header")
        }
        guard (1...PreprocessingSettings.largestMaxVocabulary).contains(settings.maxVocabulary) else {
            throw .badOption(
                option: "--max-vocabulary", text: String(settings.maxVocabulary),
                reason: "must be from 1 to \(PreprocessingSettings.largestMaxVocabulary)")
        }
        if case .value(let value) = settings.fill, !(value.isFinite && abs(value) <= Double(Float.greatestFiniteMagnitude)) {
            throw .badOption(option: "--fill", text: String(value), reason: "must be a finite 32-bit float")
        }
        self.settings = settings
        self.standardize = standardize
        self.path = path
        missingValues = MissingValues(settings.naValues)
        columns = columnNames.map {
            ColumnFit(name: $0, given: settings.featureTypes[$0], keepsSummary: settings.fill == .median)
        }
    }

    /// How the reader must take each feature column: text for the string kinds given, a number
    /// where it is one for the rest.
    public var readings: [RawReading] { columns.map(\.reading) }

    /// Adds the next rows in file order; the first `trainingRows` of them (counting from the
    /// chunk's first row) are training rows and fit the statistics; all of them decide the types.
    /// Throws at a cell that the column's given type cannot hold (a word in a numeric column,
    /// which names the line and suggests string_categorical), and when a vocabulary outgrows
    /// `maxVocabulary` (suggesting string_hashed).
    public mutating func add(_ cells: RawCells, trainingRows: Int) throws(PreprocessingError) {
        precondition(cells.columns.count == columns.count && cells.fileColumns.count == columns.count, "RawCells: one column per feature")
        precondition(cells.lineNumbers.count >= cells.rowCount, "RawCells: a line per row")
        if fileColumns == nil { fileColumns = cells.fileColumns }
        // Every column is read, so that the error is the file's first (a fit that threw is not used again).
        var first: PreprocessingError?
        for c in columns.indices where rereadColumns?.contains(c) ?? true {
            do {
                try add(cells.columns[c], to: c, of: cells, trainingRows: trainingRows)
            } catch {
                if first.map({ error.line < $0.line }) ?? true { first = error }
            }
        }
        if let first { throw first }
    }

    private mutating func add(_ raw: RawColumn, to c: Int, of cells: RawCells, trainingRows: Int) throws(PreprocessingError) {
        precondition(raw.codes.count >= cells.rowCount, "RawCells: a code per row")
        let textMissing = raw.texts.map { missingValues.texts.contains($0) }
        // The training rows' count of each of the chunk's texts: a text is hashed once a chunk,
        // not once a row.
        var textCounts = [Int](repeating: 0, count: raw.texts.count)
        // The column is taken out of the array while it changes, so that its dictionaries are not
        // copied (the array would otherwise still hold them).
        var column = ColumnFit(name: "", given: nil, keepsSummary: false)
        swap(&column, &columns[c])
        defer { swap(&column, &columns[c]) }
        let kind = column.rereadAsText ? FeatureKind.stringCategorical : column.given?.kind
        for row in 0..<cells.rowCount {
            let code = raw.codes[row]
            let training = row < trainingRows
            func bad(_ found: String, _ expected: String) -> PreprocessingError {
                .badCell(
                    path: path, line: Int(cells.lineNumbers[row]), column: cells.fileColumns[c], name: column.name,
                    found: found, type: kind ?? .float, expected: expected)
            }
            if code == RawColumn.number {
                let number = raw.numbers[row]
                if missingValues.isMissing(number) {
                    if training { column.missing += 1 }
                    continue
                }
                switch kind {
                case nil, .float, .floatNormalized, .floatRescaled, .floatDiscretized:
                    guard abs(number) <= Double(Float.greatestFiniteMagnitude) else {
                        // A column typed from the data may be a table of numbers that needs no
                        // preprocessing, where --allow-non-finite lets infinities in; coding it
                        // otherwise refuses the cell, located.
                        guard kind == nil else { throw bad(numberText(number), PreprocessingError.expectedFiniteNumber) }
                        column.sawNumber = true
                        continue
                    }
                    column.addNumber(number, training: training)
                case .integerCategorical, .integerHashed:
                    guard let value = integerValue(number) else { throw bad(numberText(number), PreprocessingError.expectedInteger) }
                    column.sawNumber = true
                    guard training else { continue }
                    column.present += 1
                    if kind == .integerCategorical {
                        column.integerCounts[value, default: 0] += 1
                        if column.integerCounts.count > settings.maxVocabulary { throw tooLarge(column.name, c, cells) }
                    }
                case .stringCategorical, .stringHashed:
                    column.sawText = true
                    guard training else { continue }
                    column.present += 1
                    try count(numberText(number), 1, in: &column, c, cells)
                }
            } else {
                let index = Int(code)
                precondition(index >= 0 && index < raw.texts.count, "RawCells: a text code out of its table")
                if textMissing[index] {
                    if training { column.missing += 1 }
                    continue
                }
                switch kind {
                case nil, .stringCategorical, .stringHashed:
                    column.sawText = true
                    if training {
                        column.present += 1
                        textCounts[index] += 1
                    }
                case .float, .floatNormalized, .floatRescaled, .floatDiscretized:
                    throw bad(raw.texts[index], PreprocessingError.expectedNumber)
                case .integerCategorical, .integerHashed:
                    throw bad(raw.texts[index], PreprocessingError.expectedInteger)
                }
            }
        }
        for (index, count) in textCounts.enumerated() where count > 0 {
            try self.count(raw.texts[index], count, in: &column, c, cells)
        }
    }

    /// Counts a training text of a column that keeps a vocabulary, never holding more than the
    /// bound's distinct values.
    private func count(_ text: String, _ count: Int, in column: inout ColumnFit, _ c: Int, _ cells: RawCells) throws(PreprocessingError) {
        guard column.given?.kind != .stringHashed else { return }
        column.textCounts[text, default: 0] += count
        if column.textCounts.count > settings.maxVocabulary { throw tooLarge(column.name, c, cells) }
    }

    private func tooLarge(_ name: String, _ c: Int, _ cells: RawCells) -> PreprocessingError {
        .vocabularyTooLarge(path: path, column: cells.fileColumns[c], name: name, bound: settings.maxVocabulary)
    }

    /// Columns typed from the data that hold both numbers and words: their categories are the
    /// file's texts, which a `.numberOrText` reading did not keep, so the caller reads these
    /// columns again as `.text` into a fit made with `rereading(_:)` before `result()`.
    public var mixedColumns: [Int] { columns.indices.filter { columns[$0].isMixed } }

    /// A fresh fit for the same settings that reads `columns` as text and types them
    /// string_categorical (inferred). The other columns keep what this fit learned: `add` on
    /// the new fit reads only `columns` (the others' cells are not looked at), and its `result()`
    /// is the whole preprocessing.
    public func rereading(_ columns: [Int]) -> PreprocessingFit {
        var fit = self
        fit.rereadColumns = Set(columns)
        for c in columns where fit.columns.indices.contains(c) {
            var fresh = ColumnFit(name: self.columns[c].name, given: nil, keepsSummary: false)
            fresh.rereadAsText = true
            fit.columns[c] = fresh
        }
        return fit
    }

    /// The fitted preprocessing, once every row was added. Throws for a column that is missing in
    /// every row (named), and for a cross of a column the data typed as a number.
    public func result() throws(PreprocessingError) -> Preprocessing {
        var fitted: [FittedColumn] = []
        for (c, column) in columns.enumerated() {
            precondition(!column.isMixed, "PreprocessingFit: read the mixed columns again (rereading) before result()")
            guard column.present > 0 else {
                throw .entirelyMissing(path: path, column: fileColumns?[c] ?? c, name: column.name)
            }
            fitted.append(try fit(column))
        }
        var crosses: [FittedCross] = []
        for cross in settings.crosses {
            var indices: [Int] = []
            for name in cross.columns {
                guard let c = columns.firstIndex(where: { $0.name == name }) else {
                    throw .unknownColumn(option: "--feature-crosses", name: name, available: columns.map(\.name))
                }
                guard fitted[c].type.kind.isIndexed else {
                    throw .badOption(
                        option: "--feature-crosses", text: cross.name,
                        reason: "\(name) holds numbers, and a cross takes categorical, hashed or discretized columns; "
                            + "give it a type, as in --feature-types \(name)=integer_categorical")
                }
                indices.append(c)
            }
            crosses.append(FittedCross(cross: cross, columnIndices: indices))
        }
        let preprocessing = Preprocessing(columns: fitted, crosses: crosses, naValues: settings.naValues)
        if let problem = preprocessing.inconsistency() {
            throw .badOption(option: "--feature-types", text: columns.map(\.name).joined(separator: ","), reason: problem)
        }
        return preprocessing
    }

    private func fit(_ column: ColumnFit) throws(PreprocessingError) -> FittedColumn {
        let type: FeatureType
        if let given = column.given {
            type = given
        } else if column.rereadAsText || column.sawText {
            type = FeatureType(.stringCategorical)
        } else {
            type = FeatureType(standardize ? .floatNormalized : .float)
        }
        var fitted = FittedColumn(name: column.name, type: type, inferred: column.given == nil)
        let kind = type.kind
        if kind.isNumeric {
            switch settings.fill {
            case .mean: fitted.fill = Float(column.moments.mean)
            case .median: fitted.fill = column.summary?.median ?? Float(column.moments.mean)
            case .zero: fitted.fill = 0
            case .value(let value): fitted.fill = Float(value)
            }
            fitted.indicator = settings.missingIndicators && column.missing > 0
        }
        switch kind {
        case .floatNormalized:
            fitted.mean = Float(column.moments.mean)
            fitted.variance = Float(column.moments.variance)
        case .floatDiscretized:
            fitted.boundaries = column.summary?.boundaries(bins: type.numBins ?? 1) ?? []
        case .stringCategorical:
            var counts = column.textCounts
            counts["[UNK]"] = nil  // StringLookup's oov_token is never a vocabulary entry
            fitted.vocabulary = kerasVocabulary(counts, limit: learnedLimit(type), by: utf8Descending)
        case .integerCategorical:
            var counts = column.integerCounts
            counts[-1] = nil  // IntegerLookup's oov_token is never a vocabulary entry
            fitted.integerVocabulary = kerasVocabulary(counts, limit: learnedLimit(type), by: >)
        default:
            break
        }
        return fitted
    }

    /// How many values the vocabulary keeps: Keras's `max_tokens` less the OOV indices, and never
    /// so many that an index stops being exact in a float32 code.
    private func learnedLimit(_ type: FeatureType) -> Int {
        let exact = Preprocessing.largestIndexCount - type.oovIndexCount
        guard let maxTokens = type.maxTokens else { return exact }
        return min(maxTokens - type.oovIndexCount, exact)
    }
}
