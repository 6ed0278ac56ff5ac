// Where each column's and cross's inputs sit among the model's inputs (Keras FeatureSpace's concat
// order: features sorted by name as Python sorts strings, then crosses sorted by name, then
// dltrain's missing indicators in feature order), their names, and the checks that a
// preprocessing read from outside is one a fit gives.

extension Preprocessing {
    /// The most indices (OOV ones included), buckets or bins a column may have: every index up to
    /// 2^24 is exact in a float32 code.
    public static let largestIndexCount = (1 << 24) + 1
    /// The most model inputs a preprocessing may make.
    public static let largestOutputWidth = 1 << 28
    /// The most columns, and na-values, a preprocessing may hold.
    static let largestColumnCount = 1 << 20
    static let largestNAValueCount = 1 << 12

    /// Column positions in Keras's concat order: by name, as Python's `sorted` orders strings
    /// (by Unicode scalar values).
    var featureOrder: [Int] { columns.indices.sorted { Self.precedes(columns[$0].name, columns[$1].name) } }
    var crossOrder: [Int] { crosses.indices.sorted { Self.precedes(crosses[$0].cross.name, crosses[$1].cross.name) } }

    static func precedes(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lazy.map(\.value).lexicographicallyPrecedes(b.unicodeScalars.lazy.map(\.value))
    }

    func firstInconsistency() -> String? {
        guard !columns.isEmpty, columns.count <= Self.largestColumnCount else {
            return "it has \(columns.count) columns (1 to \(Self.largestColumnCount) allowed)"
        }
        guard crosses.count <= Self.largestColumnCount, naValues.count <= Self.largestNAValueCount else {
            return "it has \(crosses.count) crosses and \(naValues.count) na-values"
        }
        var names: Set<String> = []
        for column in columns {
            guard names.insert(column.name).inserted else { return "two columns are named \"\(column.name)\"" }
            if let problem = column.inconsistency() { return "column \"\(column.name)\": \(problem)" }
        }
        for fitted in crosses {
            let cross = fitted.cross
            if let problem = cross.problem { return "cross \"\(cross.name)\": \(problem)" }
            guard names.insert(cross.name).inserted else { return "two features or crosses are named \"\(cross.name)\"" }
            guard fitted.columnIndices.count == cross.columns.count else { return "cross \"\(cross.name)\": its column positions do not match its columns" }
            for (index, name) in zip(fitted.columnIndices, cross.columns) {
                guard columns.indices.contains(index), columns[index].name == name else {
                    return "cross \"\(cross.name)\": column position \(index) is not \"\(name)\""
                }
                guard columns[index].type.kind.isIndexed else {
                    return "cross \"\(cross.name)\": \"\(name)\" is \(columns[index].type.kind.rawValue), which a cross cannot take"
                }
            }
        }
        // Each width is at most largestIndexCount, so the sum cannot overflow.
        guard outputWidth <= Self.largestOutputWidth else {
            return "it makes \(outputWidth) model inputs (at most \(Self.largestOutputWidth))"
        }
        return nil
    }
}

extension FittedColumn {
    /// The indices a categorical column has (OOV ones first), the buckets of a hashed one, the
    /// bins of a discretized one; 1 for the others.
    var indexCount: Int {
        switch type.kind {
        case .float, .floatNormalized, .floatRescaled: 1
        case .floatDiscretized, .integerHashed, .stringHashed: type.numBins ?? 1
        case .stringCategorical: type.oovIndexCount + (vocabulary?.count ?? 0)
        case .integerCategorical: type.oovIndexCount + (integerVocabulary?.count ?? 0)
        }
    }

    /// The names of the column's model inputs (its indicator not included).
    var outputNames: [String] {
        guard type.kind.isIndexed, type.mode == .oneHot else { return [name] }
        switch type.kind {
        case .stringCategorical, .integerCategorical:
            let oov = type.oovIndexCount
            let oovNames = oov == 1 ? ["\(name)=[OOV]"] : (0..<oov).map { "\(name)=[OOV\($0)]" }
            let values = vocabulary ?? integerVocabulary?.map(String.init) ?? []
            return oovNames + values.map { "\(name)=\($0)" }
        case .floatDiscretized:
            return (0..<outputWidth).map { "\(name)[bin \($0)]" }
        default:
            return (0..<outputWidth).map { "\(name)#\($0)" }
        }
    }

    func inconsistency() -> String? {
        if let problem = type.problem { return problem }
        let kind = type.kind
        guard kind.isNumeric || (fill == nil && !indicator) else { return "a fill or indicator on a \(kind.rawValue) column" }
        guard kind == .floatNormalized || (mean == nil && variance == nil) else { return "a mean or variance on a \(kind.rawValue) column" }
        guard kind == .floatDiscretized || boundaries == nil else { return "bin boundaries on a \(kind.rawValue) column" }
        guard kind == .stringCategorical || vocabulary == nil else { return "a vocabulary on a \(kind.rawValue) column" }
        guard kind == .integerCategorical || integerVocabulary == nil else { return "an integer vocabulary on a \(kind.rawValue) column" }
        if kind.isNumeric {
            guard let fill, fill.isFinite else { return "no finite fill" }
        }
        switch kind {
        case .floatNormalized:
            guard let mean, let variance, mean.isFinite, variance.isFinite, variance >= 0 else {
                return "float_normalized needs a finite mean and a finite variance of at least 0"
            }
        case .floatDiscretized:
            guard let boundaries, boundaries.count < (type.numBins ?? 1) else { return "more bin boundaries than num_bins - 1" }
            guard boundaries.allSatisfy(\.isFinite), zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                return "bin boundaries must be finite and ascending"
            }
        case .stringCategorical:
            guard let vocabulary else { return "no vocabulary" }
            if let problem = vocabularyProblem(vocabulary.count, distinct: Set(vocabulary).count, hasOOVToken: vocabulary.contains("[UNK]")) {
                return problem
            }
        case .integerCategorical:
            guard let integerVocabulary else { return "no integer vocabulary" }
            let outside = integerVocabulary.contains { abs($0) > 9_007_199_254_740_992 }
            if outside { return "an integer vocabulary value beyond ±2^53" }
            if let problem = vocabularyProblem(
                integerVocabulary.count, distinct: Set(integerVocabulary).count, hasOOVToken: integerVocabulary.contains(-1))
            {
                return problem
            }
        default:
            break
        }
        return nil
    }

    private func vocabularyProblem(_ count: Int, distinct: Int, hasOOVToken: Bool) -> String? {
        guard distinct == count else { return "the vocabulary repeats a value" }
        guard count + type.oovIndexCount >= 1 else { return "no vocabulary and no OOV index" }
        guard !hasOOVToken else { return "the vocabulary holds the out-of-vocabulary token" }
        let bound = min(Preprocessing.largestIndexCount, type.maxTokens ?? Preprocessing.largestIndexCount)
        guard count + type.oovIndexCount <= bound else {
            return "\(count) vocabulary values and \(type.oovIndexCount) OOV indices are more than \(bound)"
        }
        return nil
    }
}
