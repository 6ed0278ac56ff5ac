// dlcoord's options for tables that are not all numbers: the feature columns' types with Keras
// FeatureSpace's names, crosses, what counts as missing and how a missing number is filled. Each
// overrides the job file's key of the same name (`--feature-types` column by column).

import ArgumentParser
import DLPreprocessing
import DLTraining

struct PreprocessingOptions: ParsableArguments {
    @Option(name: .customLong("feature-types"), help: ArgumentHelp(
        "Types for feature columns, as COL=TYPE[:OPTION=VALUE...], comma-separated; every column not named is typed from "
            + "the data (auto: numbers -> float, or float_normalized with --standardize; anything else -> "
            + "string_categorical). Types and options are Keras FeatureSpace's: float, float_normalized, "
            + "float_rescaled (scale, offset), float_discretized (num_bins), integer_categorical and string_categorical "
            + "(max_tokens, num_oov_indices, output_mode one_hot|int), integer_hashed and string_hashed (num_bins, "
            + "output_mode). E.g. island=string_categorical,year=integer_categorical:output_mode=int.",
        valueName: "col=type,..."))
    var featureTypes: String?

    @Option(name: .customLong("feature-crosses"), help: ArgumentHelp(
        "Crosses of categorical columns, as Keras's FeatureSpace.cross: A*B[:crossing_dim=N][:output_mode=one_hot|int], "
            + "comma-separated (defaults: crossing_dim=\(FeatureCross.defaultCrossingDim), output_mode=one_hot).",
        valueName: "a*b,..."))
    var featureCrosses: String?

    @Option(name: .customLong("na-values"), parsing: .unconditional, help: ArgumentHelp(
        "The cell texts that mean missing, comma-separated; an empty item is the empty cell (default: the empty cell, "
            + "\(PreprocessingSettings.defaultNAValues.filter { !$0.isEmpty }.joined(separator: ", ")), written "
            + "\(PreprocessingSettings.defaultNAValues.joined(separator: ","))).",
        valueName: "texts"))
    var naValues: String?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "What a missing number becomes: mean or median of the training rows, zero, or VALUE (default: mean). "
            + "A missing category is out of vocabulary.",
        valueName: "mean|median|zero|VALUE"))
    var fill: String?

    @Flag(name: .customLong("missing-indicators"), inversion: .prefixedNo, help: ArgumentHelp(
        "Add a 0/1 input per numeric feature column that had missing cells in the training rows (default: --no-missing-indicators)."))
    var missingIndicators: Bool?

    @Option(name: .customLong("max-vocabulary"), parsing: .unconditional, help: ArgumentHelp(
        "The most distinct values a categorical column may hold, from 1 to \(PreprocessingSettings.largestMaxVocabulary); "
            + "more is refused with the advice to hash the column (default: \(PreprocessingSettings.defaultMaxVocabulary)).",
        valueName: "n"))
    var maxVocabulary: Int?

    func validate() throws {
        var settings = JobSettings()
        try apply(to: &settings)
        try JobFlags.check(settings)
    }

    /// Sets what the flags give; a value the parsers refuse is a usage error naming its flag.
    func apply(to settings: inout JobSettings) throws {
        if let featureTypes {
            let types = try Self.parsed("--feature-types", featureTypes) { text throws(PreprocessingError) in
                try PreprocessingSettings.parseFeatureTypes(text)
            }
            settings.preprocessing.featureTypes.merge(types) { _, given in given }
        }
        if let featureCrosses {
            settings.preprocessing.crosses = try Self.parsed("--feature-crosses", featureCrosses) { text throws(PreprocessingError) in
                try PreprocessingSettings.parseCrosses(text)
            }
        }
        if let naValues { settings.preprocessing.naValues = PreprocessingSettings.parseNAValues(naValues) }
        if let fill {
            settings.preprocessing.fill = try Self.parsed("--fill", fill) { text throws(PreprocessingError) in try Fill.parse(text) }
        }
        if let missingIndicators { settings.preprocessing.missingIndicators = missingIndicators }
        if let maxVocabulary { settings.preprocessing.maxVocabulary = maxVocabulary }
    }

    /// `parse(text)`, its error a usage error that starts with the flag.
    private static func parsed<Value>(
        _ flag: String, _ text: String, _ parse: (String) throws(PreprocessingError) -> Value
    ) throws -> Value {
        do {
            return try parse(text)
        } catch {
            throw ValidationError("\(flag) \(error.reason)")
        }
    }
}
