// What the fit keeps of one feature column while the rows stream by: what its cells were (to type
// it), and from the training rows its moments, quantile summary and value counts. Bounded: the
// counts hold at most --max-vocabulary distinct values, the summary ~132 entries.

/// Mean and population variance by Welford's update in Double, one value at a time in row order,
/// so that the result never depends on how the rows were cut into chunks.
struct Moments: Sendable, Equatable {
    private(set) var count = 0
    private(set) var mean = 0.0
    private var squares = 0.0

    mutating func add(_ value: Double) {
        count += 1
        let delta = value - mean
        mean += delta / Double(count)
        squares += delta * (value - mean)
    }

    var variance: Double { count > 0 ? max(squares / Double(count), 0) : 0 }
}

/// The cells that mean "missing": texts compared exactly, and numbers (a NaN, or an na-value that
/// reads as a number, such as -999, which the reader gives as a number).
struct MissingValues: Sendable {
    let texts: Set<String>
    let numbers: [Double]

    init(_ naValues: [String]) {
        texts = Set(naValues)
        numbers = naValues.compactMap { Double($0) }.filter { !$0.isNaN }
    }

    func isMissing(_ number: Double) -> Bool { number.isNaN || numbers.contains(number) }
}

/// An integer cell's value: an integral number that a float64 holds exactly.
func integerValue(_ number: Double) -> Int64? {
    guard number.rounded() == number, abs(number) <= 9_007_199_254_740_992 else { return nil }
    return Int64(number)
}

/// A number's text where a text column was read as numbers (its decimal text; the reader keeps
/// string columns as text, so this is only a fallback).
func numberText(_ number: Double) -> String {
    if let integer = integerValue(number) { return String(integer) }
    return String(number)
}

struct ColumnFit: Sendable {
    let name: String
    /// The type given, or nil for a column typed from the data.
    let given: FeatureType?
    /// A column typed from the data that is read again as text: string_categorical.
    var rereadAsText = false
    /// Every row: whether a cell that is not missing was a number, or a text.
    var sawNumber = false
    var sawText = false
    /// Training rows: cells present and missing.
    var present = 0
    var missing = 0
    var moments = Moments()
    var summary: QuantileSummary?
    var textCounts: [String: Int] = [:]
    var integerCounts: [Int64: Int] = [:]

    init(name: String, given: FeatureType?, keepsSummary: Bool) {
        self.name = name
        self.given = given
        if keepsSummary || given?.kind == .floatDiscretized { summary = QuantileSummary() }
    }

    /// What the column is read as.
    var reading: RawReading { rereadAsText || (given?.kind.takesText ?? false) ? .text : .numberOrText }

    /// A column typed from the data that holds numbers and words.
    var isMixed: Bool { given == nil && !rereadAsText && sawNumber && sawText }

    mutating func addNumber(_ value: Double, training: Bool) {
        sawNumber = true
        guard training else { return }
        present += 1
        moments.add(value)
        summary?.add(Float(value))
    }
}

/// Keras's IndexLookup vocabulary: by count, most frequent first, equal counts in descending
/// order of the values themselves (numpy's `lexsort((tokens, counts))[::-1]`; strings compare by
/// their UTF-8 bytes), without the OOV token (`[UNK]`, -1), cut to `max_tokens` less the OOV indices.
func kerasVocabulary<Value>(_ counts: [Value: Int], limit: Int?, by descending: (Value, Value) -> Bool) -> [Value] {
    let sorted = counts.sorted { a, b in a.value != b.value ? a.value > b.value : descending(a.key, b.key) }.map(\.key)
    guard let limit, sorted.count > limit else { return sorted }
    return Array(sorted.prefix(max(limit, 0)))
}

/// Whether `a` comes after `b` in the byte order of their UTF-8 (Python's order of bytes).
func utf8Descending(_ a: String, _ b: String) -> Bool {
    b.utf8.lexicographicallyPrecedes(a.utf8)
}
