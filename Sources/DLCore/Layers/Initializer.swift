// Weight initializers by their Keras names, drawing from the project's seeded generator.

public enum Initializer: String, Sendable, Codable, CaseIterable {
    case glorotUniform = "glorot_uniform"
    case glorotNormal = "glorot_normal"
    case heUniform = "he_uniform"
    case heNormal = "he_normal"
    case zeros

    public init(name: String) throws(ModelSpecError) {
        guard let initializer = Initializer(rawValue: name.lowercased()) else {
            throw .unknownInitializer(name, known: Initializer.allCases.map(\.rawValue))
        }
        self = initializer
    }

    /// Fills `values` for a weight of shape (fanIn, fanOut), as Keras's VarianceScaling does:
    /// Glorot scales by the mean of the fans, He by the fan-in (scale 2); normal variants draw from a
    /// normal truncated at two standard deviations, its deviation corrected for the truncation.
    public func fill(
        _ values: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int,
        using generator: inout SeededGenerator
    ) {
        let variance: Double
        switch self {
        case .zeros:
            values.update(repeating: 0)
            return
        case .glorotUniform, .glorotNormal:
            variance = 1.0 / max(1.0, Double(fanIn + fanOut) / 2)
        case .heUniform, .heNormal:
            variance = 2.0 / max(1.0, Double(fanIn))
        }
        switch self {
        case .glorotUniform, .heUniform:
            let limit = (3 * variance).squareRoot()
            for i in values.indices {
                values[i] = Float((2 * generator.nextUnitDouble() - 1) * limit)
            }
        default:
            // The standard deviation of a unit normal truncated to [-2, 2].
            let truncatedUnitDeviation = 0.87962566103423978
            let deviation = variance.squareRoot() / truncatedUnitDeviation
            for i in values.indices {
                values[i] = Float(generator.nextTruncatedNormal(standardDeviation: deviation))
            }
        }
    }
}
