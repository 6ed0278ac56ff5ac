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

    /// The largest `num_bins` (and `crossing_dim`): a bucket must be exact in a float32 code.
    public static let largestBinCount = 1 << 24
    /// The most out-of-vocabulary indices a categorical column may have (Keras has no bound; a
    /// few are what anyone uses, and an index must stay exact in a float32 code).
    public static let largestOOVIndexCount = 1 << 16

    /// Parses `TYPE[:OPTION=VALUE...]` (what follows `COL=` in --feature-types), e.g.
    /// `string_categorical:max_tokens=10:output_mode=int`, checking every option's range and that
    /// it belongs to the type (`num_bins` is required for float_discretized and the hashed kinds).
    public static func parse(_ text: String) throws(PreprocessingError) -> FeatureType {
        func bad(_ reason: String) -> PreprocessingError {
            .badOption(option: "--feature-types", text: text, reason: reason)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let kind = FeatureKind(rawValue: parts[0]) else {
            throw bad("no type \"\(parts[0])\"; the types are " + FeatureKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var type = FeatureType(kind)
        var seen: Set<String> = []
        for option in parts.dropFirst() {
            guard let equals = option.firstIndex(of: "=") else { throw bad("\"\(option)\" is not OPTION=VALUE") }
            let name = String(option[..<equals])
            let value = String(option[option.index(after: equals)...])
            guard kind.options.contains(name) else {
                let takes = kind.options.isEmpty ? "no options" : "only " + kind.options.joined(separator: ", ")
                throw bad("\(kind.rawValue) has no option \(name) (it takes \(takes))")
            }
            guard seen.insert(name).inserted else { throw bad("\(name) is given twice") }
            switch name {
            case "num_bins":
                type.numBins = try count(value, name, 1...largestBinCount, bad)
            case "max_tokens":
                type.maxTokens = try count(value, name, 1...(largestBinCount + largestOOVIndexCount), bad)
            case "num_oov_indices":
                type.numOOVIndices = try count(value, name, 0...largestOOVIndexCount, bad)
            case "output_mode":
                guard let mode = EncodingMode(rawValue: value) else { throw bad("output_mode must be one_hot or int, not \"\(value)\"") }
                type.outputMode = mode
            default:  // scale, offset
                guard let number = Double(value), number.isFinite else { throw bad("\(name) must be a finite number, not \"\(value)\"") }
                if name == "scale" { type.scale = number } else { type.offset = number }
            }
        }
        if let reason = type.problem { throw bad(reason) }
        return type
    }

    private static func count(
        _ value: String, _ name: String, _ range: ClosedRange<Int>, _ bad: (String) -> PreprocessingError
    ) throws(PreprocessingError) -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw bad("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(value)\"")
        }
        return number
    }

    /// What makes this type one that `parse` refuses (an option missing, out of range or not the
    /// kind's), or nil.
    public var problem: String? {
        let given: [(String, Bool)] = [
            ("num_bins", numBins != nil), ("max_tokens", maxTokens != nil), ("num_oov_indices", numOOVIndices != nil),
            ("output_mode", outputMode != nil), ("scale", scale != nil), ("offset", offset != nil),
        ]
        for (name, isGiven) in given where isGiven && !kind.options.contains(name) {
            return "\(kind.rawValue) has no option \(name)"
        }
        if kind.needsBinCount && numBins == nil {
            return "\(kind.rawValue) needs num_bins, as in \(kind.rawValue):num_bins=32"
        }
        if let numBins, !(1...Self.largestBinCount).contains(numBins) {
            return "num_bins must be from 1 to \(Self.largestBinCount)"
        }
        if let numOOVIndices, !(0...Self.largestOOVIndexCount).contains(numOOVIndices) {
            return "num_oov_indices must be from 0 to \(Self.largestOOVIndexCount)"
        }
        if let maxTokens {
            let oov = oovIndexCount
            guard maxTokens > oov, maxTokens <= Self.largestBinCount + Self.largestOOVIndexCount else {
                return "max_tokens (\(maxTokens)) must be more than num_oov_indices (\(oov)) and at most "
                    + "\(Self.largestBinCount + Self.largestOOVIndexCount)"
            }
        }
        if let scale, !scale.isFinite { return "scale must be finite" }
        if let offset, !offset.isFinite { return "offset must be finite" }
        return nil
    }

    /// The text `parse` reads back, options in a fixed order.
    public var text: String {
        var parts = [kind.rawValue]
        if let numBins { parts.append("num_bins=\(numBins)") }
        if let maxTokens { parts.append("max_tokens=\(maxTokens)") }
        if let numOOVIndices { parts.append("num_oov_indices=\(numOOVIndices)") }
        if let outputMode { parts.append("output_mode=\(outputMode.rawValue)") }
        if let scale { parts.append("scale=\(scale)") }
        if let offset { parts.append("offset=\(offset)") }
        return parts.joined(separator: ":")
    }

    /// Keras's defaults where an option is not given.
    public var oovIndexCount: Int { numOOVIndices ?? 1 }
    public var mode: EncodingMode { outputMode ?? .oneHot }
}

extension FeatureKind {
    /// The options `--feature-types` takes for the kind, as Keras's FeatureSpace names them.
    public var options: [String] {
        switch self {
        case .float, .floatNormalized: []
        case .floatRescaled: ["scale", "offset"]
        case .floatDiscretized, .integerHashed, .stringHashed: ["num_bins", "output_mode"]
        case .integerCategorical, .stringCategorical: ["max_tokens", "num_oov_indices", "output_mode"]
        }
    }

    var needsBinCount: Bool { self == .floatDiscretized || self == .integerHashed || self == .stringHashed }

    /// Whether the column becomes an index (a vocabulary index, a bucket or a bin), which is what
    /// a cross takes.
    public var isIndexed: Bool {
        switch self {
        case .float, .floatNormalized, .floatRescaled: false
        default: true
        }
    }

    /// Whether the column's cells are integers (the integer kinds).
    var takesIntegers: Bool { self == .integerCategorical || self == .integerHashed }

    /// Whether the column's cells are read as text as the file has them.
    var takesText: Bool { self == .stringCategorical || self == .stringHashed }
}
