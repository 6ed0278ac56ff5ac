// Decimal text to the correctly rounded Double, without allocating.
// Callers convert the Double to Float, as numpy/pandas followed by a float32 cast do; parsing
// straight to Float would round differently for the rare inputs just beside a Float midpoint.

#if canImport(Glibc)
    import Glibc
#endif

enum DecimalParser {
    /// The value of `[+-]digits[.digits][(e|E)[+-]digits]` (".5" and "5." included) or of
    /// `[+-]nan|inf|infinity` in any letter case; nil for any other text.
    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        let prefix = parsePrefix(text, from: 0, limit: text.count)
        return prefix.end == text.count ? prefix.value : nil
    }

    /// Reads the longest number at `start`, stopping at the first byte that cannot continue one or
    /// at `limit`; value is nil when the bytes read do not form a number. Lets a caller parse a field
    /// and find its end in one pass.
    ///
    /// Inlined into the field scanner: most fields of a numeric table are a few digits with an
    /// optional sign and point, which one exact division turns into the correctly rounded value.
    /// Everything else (no digits, an exponent, long or large mantissas, nan/inf, bad text) is
    /// read again from `start` by the general parser.
    @inline(__always)
    static func parsePrefix(
        _ text: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int
    ) -> (value: Double?, end: Int) {
        var index = start
        if index < limit, text[index] == plus || text[index] == minus { index &+= 1 }
        let negative = index != start && text[start] == minus
        let (mantissa, digitCount, fractionDigits) = readSignificand(text, at: &index, limit: limit)
        let exponentFollows = index < limit && text[index] | caseBit == UInt8(ascii: "e")
        // Up to 19 digits the wrapping mantissa is exact; Clinger's condition then makes the division exact-then-rounded.
        guard digitCount > 0, digitCount <= maxSignificantDigits, mantissa <= exactIntegerLimit, !exponentFollows else {
            return parseGeneralPrefix(text, from: start, limit: limit)
        }
        let magnitude = Double(mantissa) / exactPowersOfTen[fractionDigits]
        return (negative ? -magnitude : magnitude, index)
    }

    /// `parsePrefix` for any text: the whole grammar, strtod for what the fast path cannot round.
    @inline(never)
    private static func parseGeneralPrefix(
        _ text: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int
    ) -> (value: Double?, end: Int) {
        var index = start
        var negative = false
        if index < limit, text[index] == plus || text[index] == minus {
            negative = text[index] == minus
            index += 1
        }
        guard index < limit else { return (nil, index) }
        let lowered = text[index] | caseBit
        if lowered == UInt8(ascii: "n") || lowered == UInt8(ascii: "i") {
            return parseSpecial(text, from: index, limit: limit, negative: negative)
        }

        // The wrapping arithmetic is exact while there are at most 19 significant digits, which is
        // checked below, and leading zeros add nothing to the mantissa.
        let digitsStart = index
        let (mantissa, digitCount, fractionDigits) = readSignificand(text, at: &index, limit: limit)
        guard digitCount > 0 else { return (nil, index) }
        let digitsEnd = index
        var decimalExponent = -fractionDigits

        if index < limit, text[index] | caseBit == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < limit, text[index] == plus || text[index] == minus {
                exponentNegative = text[index] == minus
                index += 1
            }
            // Saturating keeps the arithmetic safe; such exponents leave the fast path anyway.
            var exponent = 0
            var sawExponentDigit = false
            while index < limit {
                let digit = text[index] &- zero
                guard digit < 10 else { break }
                sawExponentDigit = true
                if exponent < exponentSaturation { exponent = exponent * 10 + Int(digit) }
                index += 1
            }
            guard sawExponentDigit else { return (nil, index) }
            decimalExponent += exponentNegative ? -exponent : exponent
        }
        // With more than 19 significant digits only strtod rounds correctly.
        if digitCount > maxSignificantDigits
            && significantDigitCount(text, from: digitsStart, to: digitsEnd) > maxSignificantDigits
        {
            return (correctlyRounded(UnsafeBufferPointer(rebasing: text[start..<index])), index)
        }
        if mantissa == 0 { return (negative ? -0.0 : 0.0, index) }
        // Clinger's fast path: both operands are exact Doubles, so one IEEE operation rounds correctly.
        if mantissa <= exactIntegerLimit && abs(decimalExponent) <= exactPowersOfTen.count - 1 {
            let magnitude =
                decimalExponent < 0
                ? Double(mantissa) / exactPowersOfTen[-decimalExponent]
                : Double(mantissa) * exactPowersOfTen[decimalExponent]
            return (negative ? -magnitude : magnitude, index)
        }
        return (correctlyRounded(UnsafeBufferPointer(rebasing: text[start..<index])), index)
    }

    /// Reads `digits[.digits]` at `index` (either part may be empty) into a wrapping mantissa,
    /// moving `index` past it; `digitCount` counts both parts.
    @inline(__always)
    private static func readSignificand(
        _ text: UnsafeBufferPointer<UInt8>, at index: inout Int, limit: Int
    ) -> (mantissa: UInt64, digitCount: Int, fractionDigits: Int) {
        var mantissa: UInt64 = 0
        let digitsStart = index
        readDigits(text, at: &index, limit: limit, into: &mantissa)
        var digitCount = index &- digitsStart
        var fractionDigits = 0
        if index < limit, text[index] == dot {
            index &+= 1
            let fractionStart = index
            readDigits(text, at: &index, limit: limit, into: &mantissa)
            fractionDigits = index &- fractionStart
            digitCount &+= fractionDigits
        }
        return (mantissa, digitCount, fractionDigits)
    }

    /// Appends the digits at `index` to `mantissa` (mantissa * 10 + digit, wrapping) and moves
    /// `index` past them.
    @inline(__always)
    private static func readDigits(
        _ text: UnsafeBufferPointer<UInt8>, at index: inout Int, limit: Int, into mantissa: inout UInt64
    ) {
        while index < limit {
            let digit = text[index] &- zero
            guard digit < 10 else { return }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            index &+= 1
        }
    }

    /// Digits in `start ..< end` (digits and at most one point) after the leading zeros.
    private static func significantDigitCount(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        var index = start
        while index < end && (text[index] == zero || text[index] == dot) { index += 1 }
        let pointAfterLeadingZeros = text[index..<end].contains(dot)
        return end - index - (pointAfterLeadingZeros ? 1 : 0)
    }

    /// "nan", "inf" or "infinity" at `start`, any letter case; "inf" is read only when "infinity" is not there.
    private static func parseSpecial(
        _ text: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int, negative: Bool
    ) -> (value: Double?, end: Int) {
        if matches(text, from: start, limit: limit, "nan") { return (.nan, start + 3) }
        if matches(text, from: start, limit: limit, "infinity") {
            return (negative ? -.infinity : .infinity, start + 8)
        }
        if matches(text, from: start, limit: limit, "inf") { return (negative ? -.infinity : .infinity, start + 3) }
        return (nil, start)
    }

    private static func matches(
        _ text: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int, _ lowercase: StaticString
    ) -> Bool {
        let length = lowercase.utf8CodeUnitCount
        guard limit - start >= length else { return false }
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: length)
        return zip(text[start..<start + length], expected).allSatisfy { $0 | caseBit == $1 }
    }

    /// strtod on a NUL-terminated copy; the text has already passed the grammar above, which is
    /// a subset of strtod's, so strtod reads all of it.
    private static func correctlyRounded(_ text: UnsafeBufferPointer<UInt8>) -> Double {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { copy in
            for (offset, byte) in text.enumerated() { copy[offset] = CChar(bitPattern: byte) }
            copy[text.count] = 0
            guard let start = copy.baseAddress else { return .nan }
            // strtod reads the decimal point from LC_NUMERIC; pin the "C" one for this thread.
            let previous = uselocale(cNumericLocale)
            defer { uselocale(previous) }
            return strtod(start, nil)
        }
    }

    private static let maxSignificantDigits = 19
    private static let exponentSaturation = 100_000
    private static let exactIntegerLimit: UInt64 = 1 << 53
    /// 10^0 ... 10^22: every one is exactly representable as a Double.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]
    private static let plus = UInt8(ascii: "+")
    private static let minus = UInt8(ascii: "-")
    private static let dot = UInt8(ascii: ".")
    private static let zero = UInt8(ascii: "0")
    /// OR-ing this bit lowercases an ASCII letter.
    private static let caseBit: UInt8 = 0x20
}

/// The "C" numeric locale, created once and only read afterwards; nil if glibc cannot make it,
/// in which case `uselocale(nil)` leaves the thread's locale alone.
nonisolated(unsafe) private let cNumericLocale: locale_t? = newlocale(Int32(LC_NUMERIC_MASK), "C", nil)
