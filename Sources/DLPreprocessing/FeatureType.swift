// A feature column's preprocessing type, with Keras FeatureSpace's names and options
// (`keras.utils.FeatureSpace.float_normalized()`, `.string_categorical(max_tokens=...)`, ...), as
// `--feature-types COL=TYPE[:OPTION=VALUE...]` and the job file's `feature_types` write it.

/// What a feature column becomes, named as Keras's FeatureSpace names it.
public enum FeatureKind: String, Sendable, Codable, CaseIterable {
    case float
    case floatNormalized = "float_normalized"
    case floatRescaled = "float_rescaled"
    case floatDiscretized = "float_discretized"
    case integerCategorical = "integer_categorical"
    case stringCategorical = "string_categorical"
    case integerHashed = "integer_hashed"
    case stringHashed = "string_hashed"

    /// Whether the column's cells are numbers that are used as numbers (or bucketed).
    public var isNumeric: Bool {
        switch self {
        case .float, .floatNormalized, .floatRescaled, .floatDiscretized: true
        default: false
        }
    }
}

/// How a categorical, hashed or discretized feature enters the model: Keras's `output_mode`.
public enum EncodingMode: String, Sendable, Codable {
    /// One column per index, 1 at the row's index (Keras's default).
    case oneHot = "one_hot"
    /// One column holding the index itself.
    case int
}

/// A feature type with its options; options that do not apply to the kind are nil.
public struct FeatureType: Sendable, Equatable, Codable {
    public var kind: FeatureKind
    /// float_discretized, integer_hashed and string_hashed: how many bins.
    public var numBins: Int?
    /// integer_categorical and string_categorical: the vocabulary's size bound, out-of-vocabulary
    /// indices included (Keras's `max_tokens`); nil for no bound but `--max-vocabulary`.
    public var maxTokens: Int?
    /// integer_categorical and string_categorical: Keras's `num_oov_indices` (default 1).
    public var numOOVIndices: Int?
    /// Categorical, hashed and discretized kinds: Keras's `output_mode` (default one_hot).
    public var outputMode: EncodingMode?
    /// float_rescaled: x * scale + offset (Keras's defaults 1 and 0).
    public var scale: Double?
    public var offset: Double?

    public init(
        _ kind: FeatureKind, numBins: Int? = nil, maxTokens: Int? = nil, numOOVIndices: Int? = nil,
        outputMode: EncodingMode? = nil, scale: Double? = nil, offset: Double? = nil
    ) {
        self.kind = kind
        self.numBins = numBins
        self.maxTokens = maxTokens
        self.numOOVIndices = numOOVIndices
        self.outputMode = outputMode
        self.scale = scale
        self.offset = offset
    }

    /// Parses `TYPE[:OPTION=VALUE...]` (what follows `COL=` in --feature-types), e.g.
    /// `string_categorical:max_tokens=10:output_mode=int`, checking every option's range and that
    /// it belongs to the type (`num_bins` is required for float_discretized and the hashed kinds).
    public static func parse(_ text: String) throws(PreprocessingError) -> FeatureType {
        fatalError("DLPreprocessing: FeatureType.parse lands with the core change")
    }

    /// The text `parse` reads back, options in a fixed order.
    public var text: String {
        fatalError("DLPreprocessing: FeatureType.text lands with the core change")
    }
}
