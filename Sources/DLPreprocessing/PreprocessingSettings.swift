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
        var types: [String: FeatureType] = [:]
        for item in try items(text, option: "--feature-types") {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw .badOption(option: "--feature-types", text: item, reason: "expected COLUMN=TYPE, as in island=string_categorical")
            }
            let column = String(item[..<equals]).trimmingWhitespace
            guard types[column] == nil else {
                throw .badOption(option: "--feature-types", text: item, reason: "column \"\(column)\" is given a type twice")
            }
            types[column] = try FeatureType.parse(String(item[item.index(after: equals)...]).trimmingWhitespace)
        }
        return types
    }

    /// Parses --feature-crosses: `A*B[:crossing_dim=N][:output_mode=M],...` (two columns a cross,
    /// as Keras's HashedCrossing takes).
    public static func parseCrosses(_ text: String) throws(PreprocessingError) -> [FeatureCross] {
        var crosses: [FeatureCross] = []
        for item in try items(text, option: "--feature-crosses") {
            func bad(_ reason: String) -> PreprocessingError { .badOption(option: "--feature-crosses", text: item, reason: reason) }
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            var cross = FeatureCross(columns: parts[0].split(separator: "*", omittingEmptySubsequences: false).map(String.init))
            var seen: Set<String> = []
            for option in parts.dropFirst() {
                let pair = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                guard pair.count == 2, seen.insert(pair[0]).inserted else { throw bad("\"\(option)\" is not a new OPTION=VALUE") }
                switch pair[0] {
                case "crossing_dim":
                    guard let dim = Int(pair[1]), (1...FeatureType.largestBinCount).contains(dim) else {
                        throw bad("crossing_dim must be a whole number from 1 to \(FeatureType.largestBinCount)")
                    }
                    cross.crossingDim = dim
                case "output_mode":
                    guard let mode = EncodingMode(rawValue: pair[1]) else { throw bad("output_mode must be one_hot or int") }
                    cross.outputMode = mode
                default:
                    throw bad("a cross has no option \(pair[0]) (it takes crossing_dim and output_mode)")
                }
            }
            if let reason = cross.problem { throw bad(reason) }
            guard !crosses.contains(where: { $0.name == cross.name }) else { throw bad("the cross is given twice") }
            crosses.append(cross)
        }
        return crosses
    }

    /// Parses --na-values: comma-separated texts; an empty item is the empty cell.
    public static func parseNAValues(_ text: String) -> [String] {
        var values: [String] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let value = String(item).trimmingWhitespace
            if !values.contains(value) { values.append(value) }
        }
        return values
    }

    /// The non-empty items of a comma-separated option.
    private static func items(_ text: String, option: String) throws(PreprocessingError) -> [String] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace }
        if items.contains(where: \.isEmpty) { throw .badOption(option: option, text: text, reason: "an item is empty") }
        return items
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
        switch text {
        case "mean": return .mean
        case "median": return .median
        case "zero": return .zero
        default:
            guard let value = Double(text), value.isFinite, abs(value) <= Double(Float.greatestFiniteMagnitude) else {
                throw .badOption(option: "--fill", text: text, reason: "expected mean, median, zero or a finite number")
            }
            return .value(value)
        }
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

    /// What makes this cross one Keras's FeatureSpace cannot make, or nil.
    public var problem: String? {
        // Keras's HashedCrossing crosses exactly two features (a third is refused by Keras).
        if columns.count != 2 { return "a cross takes two columns, as in island*sex (Keras's HashedCrossing crosses two)" }
        if columns.contains(where: \.isEmpty) { return "a column name is empty" }
        if Set(columns).count != columns.count { return "a column is crossed with itself" }
        if !(1...FeatureType.largestBinCount).contains(crossingDim) {
            return "crossing_dim must be from 1 to \(FeatureType.largestBinCount)"
        }
        return nil
    }

    /// Keras's name for the cross: the column names joined by `_X_`.
    public var name: String { columns.joined(separator: "_X_") }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
