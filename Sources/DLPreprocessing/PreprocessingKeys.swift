// The JSON keys of the preprocessing's stored forms, spelled out in snake_case: the model file's
// `preprocessing` metadata and the welcome's `preprocessing` (docs/model-file.md,
// docs/protocol.md) must not change when a Swift name does.

extension FeatureType {
    enum CodingKeys: String, CodingKey {
        case kind = "type"
        case numBins = "num_bins"
        case maxTokens = "max_tokens"
        case numOOVIndices = "num_oov_indices"
        case outputMode = "output_mode"
        case scale, offset
    }
}

extension FeatureCross {
    enum CodingKeys: String, CodingKey {
        case columns = "features"
        case crossingDim = "crossing_dim"
        case outputMode = "output_mode"
    }
}

extension Preprocessing {
    enum CodingKeys: String, CodingKey {
        case columns, crosses
        case naValues = "na_values"
    }
}

extension FittedColumn {
    enum CodingKeys: String, CodingKey {
        case name, type, inferred, fill, indicator, mean, variance, boundaries, vocabulary
        case integerVocabulary = "integer_vocabulary"
    }
}

extension FittedCross {
    enum CodingKeys: String, CodingKey {
        case cross
        case columnIndices = "column_indices"
    }
}
