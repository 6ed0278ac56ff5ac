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
        let width = rows.featureCount, count = Double(rows.count)
        var sum = [Double](repeating: 0, count: width)
        for row in 0..<rows.count {
            for j in 0..<width { sum[j] += Double(rows.features[row * width + j]) }
        }
        let mean = sum.map { $0 / count }
        var squares = [Double](repeating: 0, count: width)
        for row in 0..<rows.count {
            for j in 0..<width {
                let d = Double(rows.features[row * width + j]) - mean[j]
                squares[j] += d * d
            }
        }
        self.mean = mean.map { Float($0) }
        scale = squares.map { sum in
            let deviation = (sum / count).squareRoot()
            return deviation > 0 ? Float(deviation) : 1
        }
    }

    /// (x - mean) / scale on every feature of `rows`.
    public func apply(to rows: inout TabularRows) {
        let width = rows.featureCount, count = rows.count
        precondition(width == mean.count)
        rows.features.withUnsafeMutableBufferPointer { features in
            for row in 0..<count {
                for j in 0..<width {
                    features[row * width + j] = (features[row * width + j] - mean[j]) / scale[j]
                }
            }
        }
    }
}
