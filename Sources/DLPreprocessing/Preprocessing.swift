// A job's fitted preprocessing: for every feature column its type (given, or typed from the data)
// and what the training rows taught it (a vocabulary, a mean and variance, bin boundaries, the fill
// of a missing number), and the crosses. It is what the model file stores, what the coordinator
// sends every worker, and what turns raw cells into the model's inputs, in two steps:
//
//   codes:  raw cells -> one float32 code per column and per cross (a number as it is, NaN where
//           missing; a vocabulary or bin index; a hash bucket). Rows travel and wait as codes,
//           as narrow as the file.
//   expand: codes -> the model's inputs, concatenated in Keras FeatureSpace's order (features by
//           name, then crosses by name), then one 0/1 missing indicator per column that has one.

public struct Preprocessing: Sendable, Equatable, Codable {
    /// One per feature column, in the job's feature order (the order of the codes).
    public var columns: [FittedColumn]
    public var crosses: [FittedCross]
    /// Cell texts that mean "missing".
    public var naValues: [String]

    public init(columns: [FittedColumn], crosses: [FittedCross], naValues: [String]) {
        self.columns = columns
        self.crosses = crosses
        self.naValues = naValues
    }

    /// Codes per row: one per column, then one per cross.
    public var codeWidth: Int { columns.count + crosses.count }

    /// The model's inputs per row.
    public var outputWidth: Int {
        columns.reduce(0) { $0 + $1.outputWidth + ($1.indicator ? 1 : 0) }
            + crosses.reduce(0) { $0 + ($1.cross.outputMode == .oneHot ? $1.cross.crossingDim : 1) }
    }

    /// A name per model input, in order: `bill_length_mm`, `island=Biscoe`, `island=[OOV]`,
    /// `bill_length_mm[missing]`, `island_X_sex#3`.
    public var outputNames: [String] {
        var names: [String] = []
        for c in featureOrder { names += columns[c].outputNames }
        for x in crossOrder {
            let cross = crosses[x].cross
            names += cross.outputMode == .oneHot ? (0..<cross.crossingDim).map { "\(cross.name)#\($0)" } : [cross.name]
        }
        for column in columns where column.indicator { names.append("\(column.name)[missing]") }
        return names
    }

    /// What makes this preprocessing one that no fit gives (from an edited model file or a forged
    /// message), or nil: types and options in range, vocabularies without duplicates and within
    /// bounds, finite statistics and fills, sorted finite boundaries, crosses of existing
    /// categorical columns. Checked before anything is sized from it.
    public func inconsistency() -> String? {
        firstInconsistency()
    }
}

/// One feature column's fitted preprocessing.
public struct FittedColumn: Sendable, Equatable, Codable {
    /// The header name, or `column K` in a file without a header.
    public var name: String
    /// Never auto: the type given, or the one the data showed.
    public var type: FeatureType
    /// Whether `type` was inferred from the data rather than given.
    public var inferred: Bool
    /// Numeric kinds: the value a missing cell takes.
    public var fill: Float?
    /// Numeric kinds: whether a 0/1 input says the cell was missing (--missing-indicators, and the
    /// training rows had a gap in this column).
    public var indicator: Bool
    /// float_normalized: the training rows' mean and population variance (Keras's Normalization).
    public var mean: Float?
    public var variance: Float?
    /// float_discretized: the bin boundaries (Keras's Discretization after adapt).
    public var boundaries: [Float]?
    /// string_categorical: the vocabulary in index order, out-of-vocabulary indices not included.
    public var vocabulary: [String]?
    /// integer_categorical: the same for integers.
    public var integerVocabulary: [Int64]?

    public init(
        name: String, type: FeatureType, inferred: Bool, fill: Float? = nil, indicator: Bool = false, mean: Float? = nil,
        variance: Float? = nil, boundaries: [Float]? = nil, vocabulary: [String]? = nil, integerVocabulary: [Int64]? = nil
    ) {
        self.name = name
        self.type = type
        self.inferred = inferred
        self.fill = fill
        self.indicator = indicator
        self.mean = mean
        self.variance = variance
        self.boundaries = boundaries
        self.vocabulary = vocabulary
        self.integerVocabulary = integerVocabulary
    }

    /// How many model inputs the column becomes (its indicator not counted).
    public var outputWidth: Int {
        guard type.mode == .oneHot else { return 1 }
        switch type.kind {
        case .float, .floatNormalized, .floatRescaled: return 1
        default: return indexCount
        }
    }
}

public struct FittedCross: Sendable, Equatable, Codable {
    public var cross: FeatureCross
    /// The crossed columns' positions in `Preprocessing.columns`.
    public var columnIndices: [Int]

    public init(cross: FeatureCross, columnIndices: [Int]) {
        self.cross = cross
        self.columnIndices = columnIndices
    }
}
