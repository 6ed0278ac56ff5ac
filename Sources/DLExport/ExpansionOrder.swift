// What both exports of a preprocessed model share: the order in which the columns' encodings are
// concatenated (Keras FeatureSpace's: features sorted by name, then crosses sorted by name, then
// dltrain's missing indicators in column order), and how many indices each column's lookup,
// bins or buckets can give, which sizes its one-hot encoding and a cross's table.

import DLPreprocessing

/// One part of the model's inputs, in concatenation order.
enum ExpansionPart: Equatable {
    /// The encoding of `Preprocessing.columns[index]`.
    case column(Int)
    /// The encoding of `Preprocessing.crosses[index]`.
    case cross(Int)
    /// The 0/1 missing indicator of `Preprocessing.columns[index]`.
    case indicator(Int)

    static func order(_ preprocessing: Preprocessing) -> [ExpansionPart] {
        // Python's sorted() on str: by code points.
        func before(_ a: String, _ b: String) -> Bool { a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) }
        let columns = preprocessing.columns.indices.sorted { before(preprocessing.columns[$0].name, preprocessing.columns[$1].name) }
        let crosses = preprocessing.crosses.indices.sorted {
            before(preprocessing.crosses[$0].cross.name, preprocessing.crosses[$1].cross.name)
        }
        let indicators = preprocessing.columns.indices.filter { preprocessing.columns[$0].indicator }
        return columns.map(ExpansionPart.column) + crosses.map(ExpansionPart.cross) + indicators.map(ExpansionPart.indicator)
    }
}

extension FittedColumn {
    /// How many indices the column's lookup, bins or hash buckets give; nil for the kinds that
    /// stay numbers.
    var indexCount: Int? {
        switch type.kind {
        case .float, .floatNormalized, .floatRescaled: nil
        // Keras's Discretization has num_bins indices, though adapt may find fewer boundaries.
        case .floatDiscretized: type.numBins ?? ((boundaries?.count ?? 0) + 1)
        case .integerCategorical: type.oovIndexCount + (integerVocabulary?.count ?? 0)
        case .stringCategorical: type.oovIndexCount + (vocabulary?.count ?? 0)
        case .integerHashed, .stringHashed: type.numBins ?? 0
        }
    }

    /// The index a value outside the vocabulary takes with at most one OOV index: 0, or -1 (which
    /// one-hot encodes as all zeros) where Keras has none (num_oov_indices 0).
    var singleOOVIndex: Int64 { type.oovIndexCount == 1 ? 0 : -1 }
}
