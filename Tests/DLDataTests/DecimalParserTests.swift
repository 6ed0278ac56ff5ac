// The decimal parser must give exactly the Double that Swift's (strtod's) correctly rounded
// parse gives, on the fast path and on the strtod fallback alike.

import XCTest

@testable import DLData

final class DecimalParserTests: XCTestCase {
    private func parse(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBufferPointer { DecimalParser.parse($0) }
    }

    private func assertExact(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let expected = Double(text) else {
            XCTFail("Swift does not parse \(text)", file: file, line: line)
            return
        }
        guard let actual = parse(text) else {
            XCTFail("not parsed: \(text)", file: file, line: line)
            return
        }
        XCTAssertEqual(actual.bitPattern, expected.bitPattern, "\(text): \(actual) != \(expected)", file: file, line: line)
    }

    func testAcceptsTheNumberGrammar() {
        XCTAssertEqual(parse("0"), 0)
        XCTAssertEqual(parse("-12"), -12)
        XCTAssertEqual(parse("+12"), 12)
        XCTAssertEqual(parse(".5"), 0.5)
        XCTAssertEqual(parse("-.5"), -0.5)
        XCTAssertEqual(parse("5."), 5)
        XCTAssertEqual(parse("1e3"), 1000)
        XCTAssertEqual(parse("1E+3"), 1000)
        XCTAssertEqual(parse("2.5e-3"), 0.0025)
        XCTAssertEqual(parse("007"), 7)
        XCTAssertEqual(parse("-0")?.sign, .minus)
        XCTAssertEqual(parse("0e999999999999"), 0)
    }

    func testAcceptsNaNAndInfinityInAnyCase() {
        XCTAssertEqual(parse("nan")?.isNaN, true)
        XCTAssertEqual(parse("-NaN")?.isNaN, true)
        XCTAssertEqual(parse("inf"), .infinity)
        XCTAssertEqual(parse("-Inf"), -.infinity)
        XCTAssertEqual(parse("+INFINITY"), .infinity)
        XCTAssertEqual(parse("-infinity"), -.infinity)
    }

    func testRejectsEverythingElse() {
        for text in [
            "", "+", "-", ".", "e5", "1e", "1e+", "1.2.3", "1,5", "--1", "+-1", "0x1p3", "1f", "abc", "na",
            "infin", "infinityy", "nan1", "1 2", " 1", "1_000", "١", "1e5.5", "∞",
        ] {
            XCTAssertNil(parse(text), text)
        }
    }

    func testFastPathValuesAreExact() {
        for text in [
            "0.1", "0.2", "0.3", "1.1", "2.675", "0.7", "3.14159", "123456.789", "9007199254740992",
            "1e22", "1e-22", "4503599627370497.5", "0.000001", "299792458", "-42.42e5",
        ] {
            assertExact(text)
        }
    }

    func testFallbackValuesAreExact() {
        for text in [
            "9007199254740993",  // 2^53 + 1: the mantissa leaves the exact range
            "1e23", "1e-23", "8.98846567431158e307",
            "0.12345678901234567",  // 17 digits
            "0.30000000000000004",
            "123456789012345678901234567890",
            "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e309",
            "2.2250738585072014e-308", "2.2250738585072011e-308",  // smallest normal and just below
            "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400",
            "1" + String(repeating: "0", count: 64),  // wraps a UInt64 to zero
            "0." + String(repeating: "0", count: 30) + "1234",
            String(repeating: "0", count: 40) + "1.5",  // many leading zeros, few significant digits
            "3.141592653589793238462643383279502884197",
            "7.2057594037927933e16", "2.0000000000000004440892098500626161694526672363281250001",
        ] {
            assertExact(text)
        }
    }

    func testShortestRoundTripTextOfRandomDoublesIsExact() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let value = Double(bitPattern: random.next())
            guard value.isFinite else { continue }
            assertExact("\(value)")
        }
    }

    func testRandomDecimalStringsAreExact() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let digitCount = Int.random(in: 1...30, using: &random)
            var digits = String((0..<digitCount).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
            if Bool.random(using: &random) {
                let point = Int.random(in: 0...digitCount, using: &random)
                digits.insert(".", at: digits.index(digits.startIndex, offsetBy: point))
                if digits == "." { digits = "0." }
            }
            let sign = ["", "-", "+"].randomElement(using: &random) ?? ""
            let exponent = Bool.random(using: &random) ? "e\(Int.random(in: -340...320, using: &random))" : ""
            assertExact(sign + digits + exponent)
        }
    }

    func testFloatIsTheDoubleRoundedToFloat() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let text = "\(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &random)))"
            guard let expected = Float(text), expected.isFinite, let parsed = parse(text) else { continue }
            XCTAssertEqual(Float(parsed).bitPattern, expected.bitPattern, text)
        }
        // Just above a Float midpoint, but the nearest Double is the midpoint itself: going through
        // Double rounds to even, as numpy's float64 parse and float32 cast do; a direct Float parse rounds up.
        let nearMidpoint = "1.0000000596046447753906250000000001"
        XCTAssertEqual(parse(nearMidpoint).map(Float.init), 1.0)
        XCTAssertEqual(Float(nearMidpoint), 1.0000001)
    }

    func testParsePrefixStopsAtTheFirstByteThatCannotContinueANumber() {
        let text = Array("-1.5e3,abc".utf8)
        let prefix = text.withUnsafeBufferPointer { DecimalParser.parsePrefix($0, from: 0, limit: $0.count) }
        XCTAssertEqual(prefix.value, -1500)
        XCTAssertEqual(prefix.end, 6)
        let special = Array("x;inf;".utf8).withUnsafeBufferPointer { DecimalParser.parsePrefix($0, from: 2, limit: $0.count) }
        XCTAssertEqual(special.value, .infinity)
        XCTAssertEqual(special.end, 5)
    }

    /// The inlined path (up to 19 digits, no exponent) against Swift's parse, with the text
    /// followed by a delimiter and more bytes as it is inside a CSV line.
    func testShortDecimalsInsideALineAreExactAndEndAtTheDelimiter() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<50_000 {
            let integerDigits = Int.random(in: 0...10, using: &random)
            let fractionDigits = Int.random(in: 0...10, using: &random)
            guard integerDigits + fractionDigits > 0 else { continue }
            let digit = { String(Int.random(in: 0...9, using: &random)) }
            var text = ["", "-", "+"].randomElement(using: &random)!
            text += (0..<integerDigits).map { _ in digit() }.joined()
            if fractionDigits > 0 || Bool.random(using: &random) { text += "." }
            text += (0..<fractionDigits).map { _ in digit() }.joined()
            assertPrefix(text, followedBy: ",0.5,1\n")
        }
        for text in [
            "0", "-0", "+0", "-0.0", "00000", "007.5", "-000.000", ".5", "-.5", "5.", "+5.", "0.000001",
            "9007199254740992", "900719925474099.2", "9007199254740993", "9999999999999999999",
            "0.9999999999999999999", "1234567890123456789", "12345678901234567890", "0.1", "3.4028235",
            "3.4028236", "1.17549435", "1.1754942", "0.000000000000000000001", "16777217", "16777217.0",
        ] {
            assertPrefix(text, followedBy: ",")
            assertPrefix(text, followedBy: "\n")
            assertPrefix(text, followedBy: "")
        }
    }

    /// Float32 rounding of the parsed Double for decimals within a few units of Float midpoints.
    func testDecimalsBesideFloatMidpointsRoundAsSwiftDoes() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let float = Float(bitPattern: UInt32.random(in: 0x3000_0000...0x4F00_0000, using: &random))
            let midpoint = (Double(float) + Double(float.nextUp)) / 2
            for nudge in [-1e-12, 0, 1e-12] {
                let text = String(format: "%.12g", midpoint * (1 + nudge))
                guard !text.contains("e"), let expected = Double(text), let parsed = parse(text) else { continue }
                XCTAssertEqual(parsed.bitPattern, expected.bitPattern, text)
                XCTAssertEqual(Float(parsed).bitPattern, Float(expected).bitPattern, text)
            }
        }
    }

    func testPrefixesOutsideTheShortDecimalsEndWhereTheGeneralParserEnds() {
        for (text, end, value) in [
            ("-,", 1, "nil"), ("+.,", 2, "nil"), (".,", 1, "nil"), ("-.e5,", 2, "nil"), ("1e,", 2, "nil"),
            ("1e+,", 3, "nil"), ("nan,", 3, "nan"), ("-inf,", 4, "-inf"), ("1.5x,", 3, "1.5"), ("12-3,", 2, "12.0"),
            ("2.5e-3,", 6, "0.0025"), ("12345678901234567890.5,", 22, "1.2345678901234567e+19"),
        ] {
            let prefix = Array(text.utf8).withUnsafeBufferPointer { DecimalParser.parsePrefix($0, from: 0, limit: $0.count) }
            XCTAssertEqual(prefix.end, end, text)
            XCTAssertEqual(prefix.value.map { "\($0)" } ?? "nil", value, text)
        }
    }

    /// Digits are told from every other byte, wherever in an eight-byte group the run ends.
    func testADigitRunEndsAtAnyByteThatIsNotADigit() {
        for byte in UInt8.min...UInt8.max where !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            for fractionDigits in 1...12 {
                let digits = String("987654321098".prefix(fractionDigits))
                var bytes = Array("-1.\(digits)".utf8) + [byte]
                bytes += Array("99999999".utf8)
                let prefix = bytes.withUnsafeBufferPointer { DecimalParser.parsePrefix($0, from: 0, limit: $0.count) }
                let exponent = byte | 0x20 == UInt8(ascii: "e")
                XCTAssertEqual(prefix.end, exponent ? bytes.count : 3 + fractionDigits, "\(digits) then \(byte)")
                let expected = exponent ? Double("-1.\(digits)e99999999") : Double("-1.\(digits)")
                XCTAssertEqual(prefix.value?.bitPattern, expected?.bitPattern, "\(digits) then \(byte)")
            }
        }
    }

    private func assertPrefix(_ text: String, followedBy rest: String, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = Array((text + rest).utf8)
        let prefix = bytes.withUnsafeBufferPointer { DecimalParser.parsePrefix($0, from: 0, limit: $0.count) }
        XCTAssertEqual(prefix.end, text.utf8.count, text, file: file, line: line)
        XCTAssertEqual(prefix.value?.bitPattern, Double(text)?.bitPattern, text, file: file, line: line)
    }
}
