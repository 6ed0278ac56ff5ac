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

    /// Fits mean and standard deviation (ddof = 0, as scikit-learn's StandardScaler) to `rows`.
    public init(fittedTo rows: TabularRows) {
        var fit = Fit(featureCount: rows.featureCount)
        rows.features.withUnsafeBufferPointer { fit.addToSums($0) }
        fit.finishSums()
        rows.features.withUnsafeBufferPointer { fit.addToSquares($0) }
        self = fit.result()
    }

    /// The fit in two passes over the rows, each given in row order and in as many parts as
    /// wanted, so that rows read a chunk at a time fit to the same bits as rows held at once: the
    /// sums give the mean, then the squared deviations from it give the scale.
    struct Fit {
        let featureCount: Int
        private var rows = 0
        private var sum: [Double]
        private var mean: [Double] = []
        private var squares: [Double]

        init(featureCount: Int) {
            self.featureCount = featureCount
            sum = [Double](repeating: 0, count: featureCount)
            squares = sum
        }

        /// The first pass: adds the rows of `features` (row-major) to the sums.
        mutating func addToSums(_ features: UnsafeBufferPointer<Float>) {
            let width = featureCount, count = features.count / width
            for row in 0..<count {
                for j in 0..<width { sum[j] += Double(features[row * width + j]) }
            }
            rows += count
        }

        mutating func finishSums() {
            mean = sum.map { $0 / Double(rows) }
        }

        /// The second pass, after `finishSums`.
        mutating func addToSquares(_ features: UnsafeBufferPointer<Float>) {
            let width = featureCount, count = features.count / width
            for row in 0..<count {
                for j in 0..<width {
                    let d = Double(features[row * width + j]) - mean[j]
                    squares[j] += d * d
                }
            }
        }

        func result() -> Standardization {
            Standardization(
                mean: mean.map { Float($0) },
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
    func apply(to features: UnsafeMutableBufferPointer<Float>) {
        let width = mean.count, count = features.count / width
        for row in 0..<count {
            for j in 0..<width {
                features[row * width + j] = (features[row * width + j] - mean[j]) / scale[j]
            }
        }
    }
}
