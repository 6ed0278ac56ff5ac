// A feature column's cells gathered raw while parsing, for a table that is preprocessed: per row a
// number where the cell is one (read as `.numberOrText`), otherwise the code of the cell's text in
// the chunk's own table of texts (every cell, read as `.text`). What the preprocessing's fit and
// coding take (RawColumn); which texts mean "missing" is theirs to say.

import DLPreprocessing

struct RawColumnReader {
    let reading: RawReading
    /// Per row: `RawColumn.number`, or the code of the cell's text in `texts`.
    private var codes: [Int32] = []
    /// Per row, for `.numberOrText`: the number (0 where the cell is text); empty for `.text`.
    private var numbers: [Double] = []
    private var texts = TextTable()

    init(reading: RawReading) {
        self.reading = reading
    }

    var rowCount: Int { codes.count }

    mutating func appendNumber(_ value: Double) {
        codes.append(RawColumn.number)
        numbers.append(value)
    }

    mutating func appendText(_ field: ScannedField, from tokenizer: CSVTokenizer) {
        codes.append(texts.code(of: field, from: tokenizer))
        if reading == .numberOrText { numbers.append(0) }
    }

    mutating func reserveRows(_ rows: Int) {
        codes.reserveCapacity(rows)
        if reading == .numberOrText { numbers.reserveCapacity(rows) }
    }

    /// Appends the rows of the same column parsed from the next part of the file, its texts merged
    /// into this table and their codes renumbered.
    mutating func append(contentsOf other: RawColumnReader) {
        let remap = texts.merge(other.texts)
        codes.reserveCapacity(codes.count + other.codes.count)
        for code in other.codes { codes.append(code == RawColumn.number ? code : remap[Int(code)]) }
        numbers.append(contentsOf: other.numbers)
    }

    /// The column's cells, leaving an empty reader behind.
    mutating func take() -> RawColumn {
        defer { self = RawColumnReader(reading: reading) }
        return RawColumn(codes: codes, numbers: numbers, texts: texts.strings)
    }
}
