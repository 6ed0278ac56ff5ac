// Decimal text to the correctly rounded Double, without allocating.
// Callers convert the Double to Float, as numpy/pandas followed by a float32 cast do; parsing
// straight to Float would round differently for the rare inputs just beside a Float midpoint.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
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
            readDigitsEightAtATime(text, at: &index, limit: limit, into: &mantissa)
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

    /// `readDigits` for the long digit runs of fractions: the first eight bytes are classified
    /// and converted together when eight remain before `limit`, which costs less than a compare
    /// and branch per digit once a run has more than a few digits (integer parts rarely do).
    @inline(__always)
    private static func readDigitsEightAtATime(
        _ text: UnsafeBufferPointer<UInt8>, at index: inout Int, limit: Int, into mantissa: inout UInt64
    ) {
        if limit &- index >= 8, let base = text.baseAddress {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            // The first byte is the lowest. Only the bytes up to the first non-digit matter, and
            // carries and borrows run only upward, so whole-word arithmetic is exact for them:
            // a digit byte becomes 0...9; the first other byte becomes 10...255 (a smaller one
            // borrows and so sets its high bit), and adding 0x76 sets the high bit of 10...0x89.
            let values = word &- asciiZeros
            let nonDigits = (values | (values &+ belowTenToHighBit)) & highBits
            let count = nonDigits.trailingZeroBitCount / 8
            guard count > 0 else { return }
            // Shifting the digits to the top drops the bytes after them and puts zeros before them.
            let digits = values &<< (64 &- 8 &* count)
            mantissa = mantissa &* digitShift[count] &+ valueOfEightDigits(digits)
            index &+= count
            guard count == 8 else { return }
        }
        readDigits(text, at: &index, limit: limit, into: &mantissa)
    }

    /// The value of eight digits 0...9, one per byte, the most significant in the lowest byte:
    /// pairs, then quads, then all eight, in three multiplications (as fast_float does).
    @inline(__always)
    private static func valueOfEightDigits(_ digits: UInt64) -> UInt64 {
        let pairs = digits &* 10 &+ (digits >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        let whole = (pairs & mask) &* (100 + 1_000_000 << 32) &+ ((pairs >> 16) & mask) &* (1 + 10_000 << 32)
        return whole >> 32 & 0xFFFF_FFFF
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
    /// 10^n for n = 0 ... 8: what the mantissa is multiplied by to make room for n more digits.
    private static let digitShift: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000,
    ]
    private static let asciiZeros: UInt64 = 0x3030_3030_3030_3030
    private static let belowTenToHighBit: UInt64 = 0x7676_7676_7676_7676
    private static let highBits: UInt64 = 0x8080_8080_8080_8080
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
