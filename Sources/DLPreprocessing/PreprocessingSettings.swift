// What a job says about preprocessing its feature columns: the types given per column (the rest
// typed from the data), the crosses, which cells count as missing and how a missing number is
// filled, and the bound on a vocabulary in memory.

public struct PreprocessingSettings: Sendable, Equatable, Codable {
    /// Types given per column (by header name, or `column K` in a file without a header); every
    /// other feature column is typed from the data.
    public var featureTypes: [String: FeatureType]
    public var crosses: [FeatureCross]
    /// Cell texts that mean "missing", compared exactly (unquoted, trimmed).
    public var naValues: [String]
    public var fill: Fill
    /// Adds a 0/1 input per numeric feature that had missing cells in the training rows.
    public var missingIndicators: Bool
    /// The most distinct values a categorical column may hold; more is an error that suggests
    /// string_hashed. It bounds every vocabulary in memory while the data is read.
    public var maxVocabulary: Int

    public static let defaultNAValues = ["", "NA", "N/A", "NaN", "null", "?"]
    public static let defaultMaxVocabulary = 10_000
    /// The largest --max-vocabulary: an index must be exact in a float32 code.
    public static let largestMaxVocabulary = 1 << 24

    public init(
        featureTypes: [String: FeatureType] = [:], crosses: [FeatureCross] = [], naValues: [String] = defaultNAValues,
        fill: Fill = .mean, missingIndicators: Bool = false, maxVocabulary: Int = defaultMaxVocabulary
    ) {
        self.featureTypes = featureTypes
        self.crosses = crosses
        self.naValues = naValues
        self.fill = fill
        self.missingIndicators = missingIndicators
        self.maxVocabulary = maxVocabulary
    }

    /// Whether nothing is asked beyond what a numeric table needs: no type given, no cross, no
    /// indicator. Such a job on a table of numbers without gaps trains as dltrain always has.
    public var asksNothing: Bool { featureTypes.isEmpty && crosses.isEmpty && !missingIndicators }

    /// Parses --feature-types: `COL=TYPE[:OPTION=VALUE...],...`.
    public static func parseFeatureTypes(_ text: String) throws(PreprocessingError) -> [String: FeatureType] {
        fatalError("DLPreprocessing: parseFeatureTypes lands with the core change")
    }

    /// Parses --feature-crosses: `A*B[*C][:crossing_dim=N][:output_mode=M],...`.
    public static func parseCrosses(_ text: String) throws(PreprocessingError) -> [FeatureCross] {
        fatalError("DLPreprocessing: parseCrosses lands with the core change")
    }

    /// Parses --na-values: comma-separated texts; an empty item is the empty cell.
    public static func parseNAValues(_ text: String) -> [String] {
        fatalError("DLPreprocessing: parseNAValues lands with the core change")
    }
}

/// What a missing number becomes (--fill).
public enum Fill: Sendable, Equatable, Codable {
    /// The training rows' mean of the column (the default).
    case mean
    /// The training rows' median, from the same quantile summary as float_discretized's bins.
    case median
    case zero
    case value(Double)

    /// Parses `mean`, `median`, `zero` or a number.
    public static func parse(_ text: String) throws(PreprocessingError) -> Fill {
        fatalError("DLPreprocessing: Fill.parse lands with the core change")
    }
}

/// Columns crossed as Keras's FeatureSpace.feature_cross crosses them: their indices hashed
/// together into `crossingDim` bins.
public struct FeatureCross: Sendable, Equatable, Codable {
    public var columns: [String]
    public var crossingDim: Int
    public var outputMode: EncodingMode

    public static let defaultCrossingDim = 32

    public init(columns: [String], crossingDim: Int = defaultCrossingDim, outputMode: EncodingMode = .oneHot) {
        self.columns = columns
        self.crossingDim = crossingDim
        self.outputMode = outputMode
    }

    /// Keras's name for the cross: the column names joined by `_X_`.
    public var name: String { columns.joined(separator: "_X_") }
}
