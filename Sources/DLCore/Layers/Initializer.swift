// Weight initializers by their Keras names and with Keras's distributions (keras/src/initializers),
// drawing from the project's seeded generator: a seed gives the same weights on every host.
//
// Fans are Keras's compute_fans: a Dense kernel of shape (inputs, units) has fan_in = inputs and
// fan_out = units; a bias of shape (units,) has fan_in = fan_out = units. The draws are in Double
// (our own exp and log, IEEE square roots), rounded once to float32.

public enum Initializer: String, Sendable, Codable, CaseIterable {
    case glorotUniform = "glorot_uniform"
    case glorotNormal = "glorot_normal"
    case heUniform = "he_uniform"
    case heNormal = "he_normal"
    case lecunUniform = "lecun_uniform"
    case lecunNormal = "lecun_normal"
    case randomNormal = "random_normal"
    case randomUniform = "random_uniform"
    case truncatedNormal = "truncated_normal"
    case orthogonal
    case identity
    case zeros
    case ones

    public init(name: String) throws(ModelSpecError) {
        guard let initializer = Initializer(rawValue: name.lowercased()) else {
            throw .unknownInitializer(name, known: Initializer.allCases.map(\.rawValue))
        }
        self = initializer
    }

    /// Whether Keras can initialize a vector (a bias) with it: its identity and orthogonal
    /// initializers need a matrix.
    public var fitsVector: Bool { self != .identity && self != .orthogonal }

    /// Keras's defaults of RandomNormal, TruncatedNormal (stddev) and RandomUniform (-limit..limit).
    static let randomDeviation = 0.05
    static let randomLimit = 0.05

    /// Fills `values`, a weight of `values.count / fanOut` rows and `fanOut` columns (a kernel, with
    /// fanIn its rows; or a bias, with fanIn = fanOut = its length) as Keras's initializer does:
    /// VarianceScaling's Glorot (scale 1, fan_avg), He (scale 2, fan_in) and LeCun (scale 1,
    /// fan_in), uniform within sqrt(3 scale / fan) or a normal truncated at two deviations, its
    /// deviation corrected for the truncation; RandomNormal, RandomUniform and TruncatedNormal with
    /// Keras's defaults; Orthogonal (gain 1) and Identity (ones on the diagonal of a rectangle).
    public func fill(
        _ values: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int,
        using generator: inout SeededGenerator
    ) {
        switch self {
        case .zeros: values.update(repeating: 0)
        case .ones: values.update(repeating: 1)
        case .identity: Self.identity(values, columns: fanOut)
        case .orthogonal: Self.orthogonal(values, columns: fanOut, using: &generator)
        case .randomNormal:
            for i in values.indices { values[i] = Float(generator.nextNormal() * Self.randomDeviation) }
        case .randomUniform:
            for i in values.indices { values[i] = Float((2 * generator.nextUnitDouble() - 1) * Self.randomLimit) }
        case .truncatedNormal:
            for i in values.indices { values[i] = Float(generator.nextTruncatedNormal(standardDeviation: Self.randomDeviation)) }
        case .glorotUniform, .heUniform, .lecunUniform:
            let limit = (3 * variance(fanIn: fanIn, fanOut: fanOut)).squareRoot()
            for i in values.indices { values[i] = Float((2 * generator.nextUnitDouble() - 1) * limit) }
        case .glorotNormal, .heNormal, .lecunNormal:
            // The standard deviation of a unit normal truncated to [-2, 2].
            let truncatedUnitDeviation = 0.87962566103423978
            let deviation = variance(fanIn: fanIn, fanOut: fanOut).squareRoot() / truncatedUnitDeviation
            for i in values.indices { values[i] = Float(generator.nextTruncatedNormal(standardDeviation: deviation)) }
        }
    }

    /// VarianceScaling's scale over its fan.
    private func variance(fanIn: Int, fanOut: Int) -> Double {
        switch self {
        case .glorotUniform, .glorotNormal: 1.0 / max(1.0, Double(fanIn + fanOut) / 2)
        case .heUniform, .heNormal: 2.0 / max(1.0, Double(fanIn))
        default: 1.0 / max(1.0, Double(fanIn))
        }
    }

    /// Keras's Identity: eye(rows, columns).
    private static func identity(_ values: UnsafeMutableBufferPointer<Float>, columns: Int) {
        values.update(repeating: 0)
        guard columns > 0 else { return }
        for row in 0..<min(values.count / columns, columns) { values[row * columns + row] = 1 }
    }

    /// Keras's Orthogonal: a normal matrix of max(rows, columns) x min(rows, columns), its QR
    /// factorization's Q with the signs that make R's diagonal positive (which is what Gram-Schmidt
    /// gives: here modified Gram-Schmidt, twice, in Double), transposed when rows < columns.
    private static func orthogonal(
        _ values: UnsafeMutableBufferPointer<Float>, columns: Int, using generator: inout SeededGenerator
    ) {
        guard columns > 0, values.count >= columns else { return values.update(repeating: 0) }
        let rows = values.count / columns
        let tall = max(rows, columns), wide = min(rows, columns)
        // q[i * wide + j]: row i of the tall matrix, column j; drawn row by row as Keras's normal fills it.
        var q = (0..<(tall * wide)).map { _ in generator.nextNormal() }
        for j in 0..<wide {
            for _ in 0..<2 {
                for k in 0..<j {
                    var dot = 0.0
                    for i in 0..<tall { dot += q[i * wide + k] * q[i * wide + j] }
                    for i in 0..<tall { q[i * wide + j] -= dot * q[i * wide + k] }
                }
            }
            var norm = 0.0
            for i in 0..<tall { norm += q[i * wide + j] * q[i * wide + j] }
            let scale = norm > 0 ? 1 / norm.squareRoot() : 0
            for i in 0..<tall { q[i * wide + j] *= scale }
        }
        for row in 0..<rows {
            for column in 0..<columns {
                values[row * columns + column] = Float(rows >= columns ? q[row * wide + column] : q[column * wide + row])
            }
        }
    }
}

extension SeededGenerator {
    /// A standard normal sample by Marsaglia's polar method: uniform pairs in the unit disc, our own
    /// log and an IEEE square root, so every host draws the same bits. The pair's second value is
    /// dropped, so each sample is a function of the generator's position alone.
    mutating func nextNormal() -> Double {
        while true {
            let u = 2 * nextUnitDouble() - 1, v = 2 * nextUnitDouble() - 1
            let s = u * u + v * v
            if s > 0, s < 1 { return u * (-2 * ElementaryFunctions.logDouble(s) / s).squareRoot() }
        }
    }
}
