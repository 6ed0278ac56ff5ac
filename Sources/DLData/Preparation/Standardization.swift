// Z-score standardization of the features, fitted on the training rows only and kept with the model
// so that prediction applies the same transform.

public struct Standardization: Sendable, Equatable, Codable {
    public let mean: [Float]
    /// The population standard deviation of each feature; 1 where a feature is constant.
    public let scale: [Float]

    public init(mean: [Float], scale: [Float]) {
        self.mean = mean
        self.scale = scale
    }

    /// What makes these statistics ones no fit of `features` columns gives (from an edited file),
    /// or nil: a mean and a scale per feature, the means finite, the scales finite and positive
    /// (a constant feature's scale is 1), so that no value is divided by zero or turned into NaN.
    public func inconsistency(features: Int) -> String? {
        guard mean.count == features, scale.count == features else {
            return "\(mean.count) mean(s) and \(scale.count) scale(s) for \(features) feature(s)"
        }
        if let index = mean.firstIndex(where: { !$0.isFinite }) { return "the mean of feature \(index) is \(mean[index])" }
        if let index = scale.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            return "the scale of feature \(index) is \(scale[index]); scales are finite and positive"
        }
        return nil
    }

    /// Fits mean and standard deviation (ddof = 0, as scikit-learn's StandardScaler) to `rows`.
    init(fittedTo rows: TabularRows, columns: ResolvedColumns, nonFinite: NonFiniteCell?) throws {
        var fit = Fit(featureCount: rows.featureCount)
        rows.features.withUnsafeBufferPointer { fit.add($0) }
        self = try fit.result(columns: columns, nonFinite: nonFinite)
    }

    /// The fit in one pass over the rows, given in row order and in as many parts as wanted, so
    /// that rows read a chunk at a time (as the coordinator streams them to the workers) fit to the
    /// same bits as rows held at once. The mean is the sum over the count; the squared deviations
    /// are Welford's running ones, which need no second pass and do not cancel as a sum of squares
    /// would.
    struct Fit {
        let featureCount: Int
        private var rows = 0
        private var sum: [Double]
        private var runningMean: [Double]
        private var squares: [Double]

        init(featureCount: Int) {
            self.featureCount = featureCount
            sum = [Double](repeating: 0, count: featureCount)
            runningMean = sum
            squares = sum
        }

        /// Adds the rows of `features` (row-major).
        mutating func add(_ features: UnsafeBufferPointer<Float>) {
            let width = featureCount, count = features.count / width
            for row in 0..<count {
                rows += 1
                let n = Double(rows)
                for j in 0..<width {
                    let x = Double(features[row * width + j])
                    sum[j] += x
                    let before = x - runningMean[j]
                    runningMean[j] += before / n
                    squares[j] += before * (x - runningMean[j])
                }
            }
        }

        /// The fit of `columns`' features, refused where a column holds NaN or an infinity (which only
        /// --allow-non-finite lets in): its mean would be NaN, and so would every value it standardizes.
        /// `nonFinite` is the data's first such cell, named when it lies in that column.
        func result(columns: ResolvedColumns, nonFinite: NonFiniteCell?) throws -> Standardization {
            if let slot = sum.firstIndex(where: { !$0.isFinite }) ?? squares.firstIndex(where: { !$0.isFinite }) {
                let column = columns.features[slot]
                throw DataError.cannotStandardize(
                    path: columns.document.path, column: column, name: columns.document.columnNames?[column],
                    firstNonFinite: nonFinite?.column == column ? nonFinite : nil)
            }
            return Standardization(
                mean: sum.map { Float($0 / Double(rows)) },
                scale: squares.map { sum in
                    let deviation = (sum / Double(rows)).squareRoot()
                    return deviation > 0 ? Float(deviation) : 1
                })
        }
    }

    /// (x - mean) / scale on every feature of `rows`.
    public func apply(to rows: inout TabularRows) {
        precondition(rows.featureCount == mean.count)
        rows.features.withUnsafeMutableBufferPointer { apply(to: $0) }
    }

    /// The same on row-major features.
    public func apply(to features: UnsafeMutableBufferPointer<Float>) {
        let width = mean.count, count = features.count / width
        for row in 0..<count {
            for j in 0..<width {
                features[row * width + j] = (features[row * width + j] - mean[j]) / scale[j]
            }
        }
    }
}
