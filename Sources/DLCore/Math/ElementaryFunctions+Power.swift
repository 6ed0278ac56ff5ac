// Powers with a real exponent and the cosine, for the optimizers and learning-rate schedules that
// Keras computes with pow and cos in float32 (ExponentialDecay, PolynomialDecay, CosineDecay, Ftrl,
// Nadam). Like the rest of ElementaryFunctions they use basic IEEE-754 operations in double
// precision, so every host computes the same float32 bits.

extension ElementaryFunctions {
    /// x^y in float32, as C's powf defines it for the cases the schedules and optimizers reach:
    /// x^0 = 1, 0^y = 0 (y > 0) or infinity (y < 0), a negative base only with an integer exponent.
    public static func power(_ x: Float, _ y: Float) -> Float {
        if y == 0 { return 1 }
        if y == 1 { return x }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 { return y > 0 ? 0 : .infinity }
        if y == 0.5 { return x.squareRoot() }
        if x < 0 {
            guard y == y.rounded() else { return .nan }
            let magnitude = expDouble(Double(y) * logDouble(-Double(x)))
            let odd = abs(y) < 16_777_216 && Int(abs(y)) % 2 == 1
            return Float(odd ? -magnitude : magnitude)
        }
        return Float(expDouble(Double(y) * logDouble(Double(x))))
    }

    /// cos(x) in float32 (correctly rounded but for rare ties) for |x| up to about 1e6.
    public static func cos(_ x: Float) -> Float {
        if !x.isFinite { return .nan }
        // x = k pi/2 + r with |r| <= pi/4, the remainder in two parts so that r keeps double precision.
        let d = Double(x)
        let k = (d / (Double.pi / 2)).rounded(.toNearestOrEven)
        let r = (d - k * 1.5707963267341256) - k * 6.077100506506192e-11
        let r2 = r * r
        // Taylor polynomials of sin and cos to degree 17 and 18: beyond |r|^19/19! < 1e-19.
        var s = -1.0 / 355687428096000.0
        s = s * r2 + 1.0 / 1307674368000.0
        s = s * r2 - 1.0 / 6227020800.0
        s = s * r2 + 1.0 / 39916800.0
        s = s * r2 - 1.0 / 362880.0
        s = s * r2 + 1.0 / 5040.0
        s = s * r2 - 1.0 / 120.0
        s = s * r2 + 1.0 / 6.0
        let sine = r - r * r2 * s
        var c = 1.0 / 6402373705728000.0
        c = c * r2 - 1.0 / 20922789888000.0
        c = c * r2 + 1.0 / 87178291200.0
        c = c * r2 - 1.0 / 479001600.0
        c = c * r2 + 1.0 / 3628800.0
        c = c * r2 - 1.0 / 40320.0
        c = c * r2 + 1.0 / 720.0
        c = c * r2 - 1.0 / 24.0
        c = c * r2 + 0.5
        let cosine = 1 - r2 * c
        switch Int(k.truncatingRemainder(dividingBy: 4) + 4) % 4 {
        case 0: return Float(cosine)
        case 1: return Float(-sine)
        case 2: return Float(-cosine)
        default: return Float(sine)
        }
    }
}
