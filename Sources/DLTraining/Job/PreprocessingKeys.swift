// The job file's preprocessing keys, read and written:
//
//   "feature_types": {"island": "string_categorical", "year": {"type": "integer_categorical", "max_tokens": 8}}
//   "feature_crosses": ["island*sex:crossing_dim=16", {"features": ["island", "sex"], "crossing_dim": 16}]
//   "na_values": ["", "NA", "?"], "fill": "median" (or a number), "missing_indicators": true,
//   "max_vocabulary": 50000
//
// Each key also takes its flag's text (`"feature_types": "island=string_categorical,year=float"`),
// as the job file's lists do. A type or cross is checked by the same parser as its flag
// (DLPreprocessing's; a type's object is written as the flag's text first), so the two accept the
// same things (a cross's object is checked as the parser checks a cross, by FeatureCross.problem);
// a mistake is a decoding error at its key, which JobFile turns into the file's line and column.

import DLCore
import DLPreprocessing

extension PreprocessingSettings {
    /// The preprocessing keys of a job file; each one absent keeps its default.
    init(jobFile c: KeyedDecodingContainer<JobSettings.CodingKeys>) throws {
        self.init()
        if let text = try? c.decodeIfPresent(String.self, forKey: .featureTypes) {
            featureTypes = try parsing(at: c.codingPath + [JobSettings.CodingKeys.featureTypes]) { () throws(PreprocessingError) in
                try Self.parseFeatureTypes(text)
            }
        } else if let types = try Self.shaped([String: FeatureTypeEntry].self, c, .featureTypes,
            "an object of columns and their types, such as {\"island\": \"string_categorical\"}") {
            featureTypes = types.mapValues(\.type)
        }
        if let text = try? c.decodeIfPresent(String.self, forKey: .featureCrosses) {
            crosses = try parsing(at: c.codingPath + [JobSettings.CodingKeys.featureCrosses]) { () throws(PreprocessingError) in
                try Self.parseCrosses(text)
            }
        } else if let crosses = try Self.shaped([FeatureCrossEntry].self, c, .featureCrosses, "a list of crosses, such as [\"island*sex\"]") {
            self.crosses = crosses.flatMap(\.crosses)
        }
        if let text = try? c.decodeIfPresent(String.self, forKey: .naValues) {
            naValues = Self.parseNAValues(text)
        } else if let naValues = try Self.shaped([String].self, c, .naValues, "a list of cell texts, such as [\"\", \"NA\"]") {
            self.naValues = naValues
        }
        if let fill = try c.decodeIfPresent(FillEntry.self, forKey: .fill) { self.fill = fill.fill }
        if let indicators = try c.decodeIfPresent(Bool.self, forKey: .missingIndicators) { missingIndicators = indicators }
        if let bound = try c.wholeNumber(Int.self, .maxVocabulary) { maxVocabulary = bound }
    }

    /// The value under `key`; one of another shape is refused saying what it should be.
    private static func shaped<Value: Decodable>(
        _ type: Value.Type, _ c: KeyedDecodingContainer<JobSettings.CodingKeys>, _ key: JobSettings.CodingKeys, _ shape: String
    ) throws -> Value? {
        do {
            return try c.decodeIfPresent(type, forKey: key)
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.count == c.codingPath.count + 1 {
            throw DecodingError.dataCorrupted(.init(codingPath: context.codingPath, debugDescription: "should be \(shape)"))
        }
    }

    /// Writes the keys that differ from their defaults, in the forms the job file reads back: a
    /// type as its flag text, a cross as an object (a column name may hold `*` or `:`).
    func encode(jobFile c: inout KeyedEncodingContainer<JobSettings.CodingKeys>) throws {
        let defaults = PreprocessingSettings()
        if !featureTypes.isEmpty { try c.encode(featureTypes.mapValues(\.text), forKey: .featureTypes) }
        if !crosses.isEmpty { try c.encode(crosses.map(FeatureCrossEntry.Object.init), forKey: .featureCrosses) }
        if naValues != defaults.naValues { try c.encode(naValues, forKey: .naValues) }
        if fill != defaults.fill { try c.encode(FillEntry(fill: fill), forKey: .fill) }
        if missingIndicators != defaults.missingIndicators { try c.encode(missingIndicators, forKey: .missingIndicators) }
        if maxVocabulary != defaults.maxVocabulary { try c.encode(maxVocabulary, forKey: .maxVocabulary) }
    }
}

/// A key of a JSON object that is data, not a field: a column name, a type's option.
struct NameKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    init(_ name: String) { stringValue = name }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// A `feature_types` value: `"TYPE[:OPTION=VALUE...]"`, or `{"type": "TYPE", "OPTION": VALUE, ...}`.
struct FeatureTypeEntry: Decodable {
    let type: FeatureType

    /// The options a type may take, under Keras's names.
    static let options = ["num_bins", "max_tokens", "num_oov_indices", "output_mode", "scale", "offset"]

    init(from decoder: Decoder) throws {
        let text: String
        if let single = try? decoder.singleValueContainer(), let written = try? single.decode(String.self) {
            text = written
        } else if let object = try? decoder.container(keyedBy: NameKey.self) {
            guard object.contains(NameKey("type")) else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath,
                    debugDescription: "an object gives its type under \"type\", e.g. {\"type\": \"float_discretized\", \"num_bins\": 8}"))
            }
            var parts = [try object.decode(String.self, forKey: NameKey("type"))]
            for key in object.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) where key.stringValue != "type" {
                guard Self.options.contains(key.stringValue) else {
                    let meant = EditDistance.nearest(to: key.stringValue, among: Self.options).map { "; did you mean \($0)?" } ?? ""
                    throw DecodingError.dataCorrupted(.init(
                        codingPath: decoder.codingPath + [key],
                        debugDescription: "unknown option: a type takes \(Self.options.joined(separator: ", "))\(meant)"))
                }
                parts.append("\(key.stringValue)=\(try object.decode(OptionValue.self, forKey: key).text)")
            }
            text = parts.joined(separator: ":")
        } else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "should be a type such as \"string_categorical\" or \"float_discretized:num_bins=8\", "
                    + "or an object such as {\"type\": \"float_discretized\", \"num_bins\": 8}"))
        }
        type = try parsing(at: decoder.codingPath) { () throws(PreprocessingError) in try FeatureType.parse(text) }
    }
}

/// A `feature_crosses` item: `"A*B[:crossing_dim=N][:output_mode=M]"`, or
/// `{"features": ["A", "B"], "crossing_dim": N, "output_mode": "M"}`.
struct FeatureCrossEntry: Decodable {
    let crosses: [FeatureCross]

    /// A cross as an object, the form written back.
    struct Object: Codable {
        let features: [String]
        let crossingDim: Int?
        let outputMode: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case features, crossingDim = "crossing_dim", outputMode = "output_mode"
        }

        init(_ cross: FeatureCross) {
            features = cross.columns
            crossingDim = cross.crossingDim
            outputMode = cross.outputMode.rawValue
        }

        init(from decoder: Decoder) throws {
            let keys = try decoder.container(keyedBy: NameKey.self)
            let known = CodingKeys.allCases.map(\.rawValue)
            for key in keys.allKeys where !known.contains(key.stringValue) {
                let meant = EditDistance.nearest(to: key.stringValue, among: known).map { "; did you mean \($0)?" } ?? ""
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath + [key],
                    debugDescription: "unknown key: a cross takes \(known.joined(separator: ", "))\(meant)"))
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            features = try c.decode([String].self, forKey: .features)
            crossingDim = try c.decodeIfPresent(OptionValue.self, forKey: .crossingDim).map { value throws in
                guard let whole = value.whole else {
                    throw DecodingError.dataCorrupted(.init(
                        codingPath: decoder.codingPath + [CodingKeys.crossingDim], debugDescription: "should be a whole number"))
                }
                return whole
            }
            outputMode = try c.decodeIfPresent(String.self, forKey: .outputMode)
        }
    }

    init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            crosses = try parsing(at: decoder.codingPath) { () throws(PreprocessingError) in try PreprocessingSettings.parseCrosses(text) }
            return
        }
        guard (try? decoder.container(keyedBy: NameKey.self)) != nil else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "should be a cross such as \"island*sex:crossing_dim=16\", "
                    + "or an object such as {\"features\": [\"island\", \"sex\"], \"crossing_dim\": 16}"))
        }
        let object = try Object(from: decoder)
        var cross = FeatureCross(columns: object.features)
        if let crossingDim = object.crossingDim { cross.crossingDim = crossingDim }
        if let mode = object.outputMode {
            guard let outputMode = EncodingMode(rawValue: mode) else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath + [Object.CodingKeys.outputMode], debugDescription: "should be one_hot or int"))
            }
            cross.outputMode = outputMode
        }
        if let problem = cross.problem {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem))
        }
        crosses = [cross]
    }
}

/// `fill`: `"mean"`, `"median"`, `"zero"`, or a number.
struct FillEntry: Codable {
    let fill: Fill

    init(fill: Fill) { self.fill = fill }

    init(from decoder: Decoder) throws {
        let value = try OptionValue(from: decoder)
        fill = try parsing(at: decoder.codingPath) { () throws(PreprocessingError) in try Fill.parse(value.text) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch fill {
        case .mean: try c.encode("mean")
        case .median: try c.encode("median")
        case .zero: try c.encode("zero")
        case let .value(number): try c.encode(number)
        }
    }
}

/// An option's value in a job file, a string or a number, as the flag's text writes it.
struct OptionValue: Decodable {
    let text: String
    /// The value as a whole number, if it is one.
    let whole: Int?

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let string = try? c.decode(String.self) {
            text = string
            whole = Int(string)
            return
        }
        let number: Double
        do {
            number = try c.decode(Double.self)
        } catch is DecodingError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "should be a string or a number"))
        } catch {
            // Foundation refuses 1e400 as "not valid JSON", naming no key.
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "a number beyond the range of a 64-bit float"))
        }
        // Written as the flag would be: 8, not 8.0, where the number is whole.
        whole = number.rounded() == number && abs(number) < 0x1p53 ? Int(number) : nil
        text = whole.map(String.init) ?? "\(number)"
    }
}

/// What `parse` makes of a job file's value at `codingPath`; its error, a decoding error there.
func parsing<Value>(at codingPath: [CodingKey], _ parse: () throws(PreprocessingError) -> Value) throws -> Value {
    do {
        return try parse()
    } catch {
        throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: error.reason))
    }
}

extension PreprocessingError {
    /// What is wrong, for a message that says itself where (the flag, the file's line and key):
    /// an option's text and why, without the parser's own naming of the option.
    public var reason: String {
        if case let .badOption(_, text, reason) = self { return "\"\(text)\": \(reason)" }
        return description
    }
}
