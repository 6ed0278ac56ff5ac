// What `dlmodel summary` says of each raw column a preprocessed model reads, as typed values (the
// JSON summary) and as lines: the column's type with its options, given or inferred from the data,
// and what it becomes: how many model inputs, the values a categorical column's indices stand for
// (out-of-vocabulary ones first, as Keras's lookup layers number them), a number's normalization,
// fill and missing indicator, a discretized column's bin boundaries, a hashed column's buckets; the
// same for each cross.

import DLPreprocessing

/// One raw column of a preprocessed model.
public struct InputColumn: Sendable, Equatable, Codable {
    public var name: String
    public var type: FeatureKind
    /// The type with its options, as --feature-types takes it (`float_discretized:num_bins=4`).
    public var declared: String
    /// Whether the type was inferred from the data rather than given.
    public var inferred: Bool
    public var outputMode: EncodingMode?
    /// How many model inputs the column becomes, its missing indicator not counted.
    public var inputs: Int
    /// Categorical kinds: what each index stands for, in index order: `[OOV]` (`[OOV0]`, `[OOV1]`,
    /// ... for several out-of-vocabulary indices, as the model's input names have them), then the
    /// vocabulary.
    public var values: [String]?
    /// Hashed kinds: the buckets.
    public var bins: Int?
    /// float_discretized: the boundaries between its bins.
    public var boundaries: [Float]?
    /// float_normalized: (x - mean) / sqrt(variance).
    public var mean: Float?
    public var variance: Float?
    /// float_rescaled: x * scale + offset.
    public var scale: Double?
    public var offset: Double?
    /// Numeric kinds: what a missing cell becomes.
    public var fill: Float?
    /// Whether a 0/1 input says the cell was missing.
    public var indicator: Bool

    public init(_ column: FittedColumn) {
        let type = column.type
        name = column.name
        self.type = type.kind
        declared = type.text
        inferred = column.inferred
        outputMode = type.kind.isIndexed ? type.mode : nil
        inputs = column.outputWidth
        let known = column.vocabulary ?? column.integerVocabulary?.map(String.init)
        values = known.map { vocabulary in
            let unknown = type.oovIndexCount
            return (unknown == 1 ? ["[OOV]"] : (0..<max(0, unknown)).map { "[OOV\($0)]" }) + vocabulary
        }
        bins = type.kind == .integerHashed || type.kind == .stringHashed ? type.numBins : nil
        boundaries = column.boundaries
        mean = column.mean
        variance = column.variance
        scale = type.kind == .floatRescaled ? type.scale ?? 1 : nil
        offset = type.kind == .floatRescaled ? type.offset ?? 0 : nil
        fill = column.fill
        indicator = column.indicator
    }

    /// `island: string_categorical (inferred) -> 4 inputs: [OOV], Biscoe, Dream, Torgersen`.
    public var line: String {
        var becomes: String
        if let values {
            let shown = values.count > Self.valuesShown
                ? values.prefix(Self.valuesShown).joined(separator: ", ") + ", ... (\(values.count - Self.valuesShown) more)"
                : values.joined(separator: ", ")
            becomes = outputMode == .int ? "the index of \(shown)" : shown
        } else if let bins {
            becomes = outputMode == .int ? "its hash bucket of \(bins)" : "\(bins) hash buckets"
        } else if let boundaries {
            let split = boundaries.isEmpty ? "one bin" : "bins split at " + boundaries.map { "\($0)" }.joined(separator: ", ")
            becomes = outputMode == .int ? "the bin index, \(split)" : split
        } else if let mean, let variance {
            becomes = "(x - \(mean)) / sqrt(\(variance))"
        } else if let scale, let offset {
            becomes = "x * \(scale) + \(offset)"
        } else {
            becomes = "x"
        }
        if let fill { becomes += "; missing: \(fill)" }
        if indicator { becomes += "; and 1 input \(name)[missing]: 1 where missing" }
        return "\(name): \(declared)\(inferred ? " (inferred)" : "") -> \(inputs) input\(inputs == 1 ? "" : "s"): \(becomes)"
    }

    /// How many of a vocabulary the text lists (the JSON lists all).
    static let valuesShown = 20
}

/// One cross of a preprocessed model: its columns' indices hashed together.
public struct InputCross: Sendable, Equatable, Codable {
    /// Keras's name: the columns joined by `_X_`.
    public var name: String
    public var columns: [String]
    public var crossingDim: Int
    public var outputMode: EncodingMode
    public var inputs: Int

    public init(_ cross: FittedCross) {
        name = cross.cross.name
        columns = cross.cross.columns
        crossingDim = cross.cross.crossingDim
        outputMode = cross.cross.outputMode
        inputs = outputMode == .int ? 1 : crossingDim
    }

    /// `island_X_sex: cross of island, sex -> 32 inputs: 32 hash buckets`.
    public var line: String {
        let becomes = outputMode == .int ? "its hash bucket of \(crossingDim)" : "\(crossingDim) hash buckets"
        return "\(name): cross of \(columns.joined(separator: ", ")) -> \(inputs) input\(inputs == 1 ? "" : "s"): \(becomes)"
    }
}
