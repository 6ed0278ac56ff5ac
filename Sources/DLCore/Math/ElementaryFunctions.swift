// Elementary functions (exp, log, log1p, tanh, sigmoid) computed with IEEE-754 basic operations only.
//
// Why not libm: the trained weights must be bit-identical on every machine that runs a shard, and
// libm's expf/logf may round differently between C libraries and versions. These use double-precision
// polynomials, so the float32 results are correctly rounded in all but rare ties and identical
// everywhere the same binary runs.

public enum ElementaryFunctions {
    private static let ln2Hi = 6.93147180369123816490e-01
    private static let ln2Lo = 1.90821492927058770002e-10
    private static let log2e = 1.44269504088896338700e+00

    /// e^x in double precision, accurate to about 1e-15 relative over the float range.
    @inline(__always)
    static func expDouble(_ x: Double) -> Double {
        if x > 709.0 { return .infinity }
        if x < -745.0 { return 0 }
        if x.isNaN { return x }
        // x = k ln2 + r with |r| <= ln2/2, then e^r by a Taylor polynomial of degree 13.
        let k = (x * log2e).rounded(.toNearestOrEven)
        let r = (x - k * ln2Hi) - k * ln2Lo
        var p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        // k is within the double exponent range here, so 2^k is one exact power of two.
        return p * Double(sign: .plus, exponent: Int(k), significand: 1)
    }

    /// Natural logarithm in double precision for x > 0, accurate to about 1e-15 relative.
    @inline(__always)
    static func logDouble(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return x }
        // x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172.
        var e = Int(x.exponent)
        var m = x.significand
        if m > 1.4142135623730951 { m *= 0.5; e += 1 }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var p = 1.0 / 25.0
        p = p * s2 + 1.0 / 23.0
        p = p * s2 + 1.0 / 21.0
        p = p * s2 + 1.0 / 19.0
        p = p * s2 + 1.0 / 17.0
        p = p * s2 + 1.0 / 15.0
        p = p * s2 + 1.0 / 13.0
        p = p * s2 + 1.0 / 11.0
        p = p * s2 + 1.0 / 9.0
        p = p * s2 + 1.0 / 7.0
        p = p * s2 + 1.0 / 5.0
        p = p * s2 + 1.0 / 3.0
        p = p * s2 + 1.0
        return Double(e) * ln2Hi + (Double(e) * ln2Lo + 2 * s * p)
    }

    /// log(1 + x) for x >= 0, exact to double precision also when x is tiny.
    @inline(__always)
    static func log1pDouble(_ x: Double) -> Double {
        if x < 1e-5 { return x * (1 - x * (0.5 - x * (1.0 / 3.0 - x * 0.25))) }
        return logDouble(1 + x)
    }

    @inline(__always)
    public static func exp(_ x: Float) -> Float { Float(expDouble(Double(x))) }

    @inline(__always)
    public static func log(_ x: Float) -> Float { Float(logDouble(Double(x))) }

    /// The logistic function 1 / (1 + e^-x).
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { Float(1 / (1 + expDouble(-Double(x)))) }

    @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        let a = abs(Double(x))
        let t: Double
        if a < 1e-3 {
            let a2 = a * a
            t = a * (1 - a2 * (1.0 / 3.0 - a2 * (2.0 / 15.0)))
        } else if a > 20 {
            t = 1
        } else {
            let e = expDouble(2 * a)
            t = (e - 1) / (e + 1)
        }
        return Float(x < 0 ? -t : t)
    }

    /// log(1 + e^x) without overflow: the softplus that the logit form of cross-entropy needs.
    @inline(__always)
    public static func softplus(_ x: Float) -> Double {
        let d = Double(x)
        return max(d, 0) + log1pDouble(expDouble(-abs(d)))
    }

    /// b^n for a non-negative integer n by repeated squaring: Adam's bias corrections without libm's pow.
    public static func power(_ base: Double, _ n: Int) -> Double {
        precondition(n >= 0)
        var result = 1.0
        var square = base
        var n = n
        while n > 0 {
            if n & 1 == 1 { result *= square }
            square *= square
            n >>= 1
        }
        return result
    }
}
