// Finds records and fields in a CSV file's bytes without copying them.
// A record is one line: a line break inside quotes is reported, never joined, so any line
// start is a record start and a file can be cut into chunks at line breaks.

/// Where one field's text lies in the buffer and where scanning goes on.
struct ScannedField {
    /// The field's text, trimmed, without its enclosing quotes: bytes[contentStart ..< contentEnd];
    /// with a problem, the field as written.
    var contentStart: Int
    var contentEnd: Int
    /// The text is quoted and holds `""` pairs, each standing for one quote.
    var hasEscapedQuotes: Bool
    /// Where the next field, or the next line when `endsRecord`, begins.
    var next: Int
    var endsRecord: Bool
    var problem: FieldProblem?
}

enum FieldProblem {
    case unterminatedQuote
    /// Text follows a closing quote, as in `"ab"c`.
    case textAfterClosingQuote
}

struct CSVTokenizer {
    let bytes: UnsafeBufferPointer<UInt8>
    let delimiter: UInt8
    /// Spaces and tabs are trimmed around unquoted fields, unless one of them is the delimiter.
    private let trimsSpace: Bool
    private let trimsTab: Bool
    /// A number cannot run on into the next field, so it can be parsed while its field is scanned.
    private let numbersStopAtDelimiter: Bool

    init(bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8) {
        self.bytes = bytes
        self.delimiter = delimiter
        trimsSpace = delimiter != space
        trimsTab = delimiter != tab
        let numberBytes = "0123456789+-.eEnNaAiIfFtTyY".utf8
        numbersStopAtDelimiter = !numberBytes.contains(delimiter)
    }

    @inline(__always)
    private func isBlank(_ byte: UInt8) -> Bool {
        (byte == space && trimsSpace) || (byte == tab && trimsTab)
    }

    /// Blank, plus the CR of a CRLF line end (or a stray CR before a delimiter).
    @inline(__always)
    private func isTrailingBlank(_ byte: UInt8) -> Bool {
        isBlank(byte) || byte == carriageReturn
    }

    /// The start of the first line at or after `start` (a line start) that is not blank, or `end`;
    /// `line` counts the blank lines passed.
    func skipBlankLines(from start: Int, end: Int, line: inout Int) -> Int {
        var lineStart = start
        var position = start
        while position < end {
            let byte = bytes[position]
            if byte == newline {
                line += 1
                position += 1
                lineStart = position
            } else if isTrailingBlank(byte) {
                position += 1
            } else {
                return lineStart
            }
        }
        return end
    }

    /// Scans the field starting at `start`; a field ends at the delimiter, a line break, or `end`.
    @inline(__always)
    func scanField(at start: Int, end: Int) -> ScannedField {
        var position = start
        while position < end && isBlank(bytes[position]) { position += 1 }
        if position < end && bytes[position] == quote && delimiter != quote {
            return scanQuotedField(openingQuote: position, end: end)
        }
        let contentStart = position
        while position < end {
            let byte = bytes[position]
            if byte == delimiter || byte == newline { break }
            position += 1
        }
        var contentEnd = position
        while contentEnd > contentStart && isTrailingBlank(bytes[contentEnd - 1]) { contentEnd -= 1 }
        return finish(
            ScannedField(
                contentStart: contentStart, contentEnd: contentEnd, hasEscapedQuotes: false,
                next: position, endsRecord: false, problem: nil), stoppedAt: position, end: end)
    }

    private func scanQuotedField(openingQuote: Int, end: Int) -> ScannedField {
        var position = openingQuote + 1
        var hasEscapedQuotes = false
        while true {
            guard position < end && bytes[position] != newline else {
                return ScannedField(
                    contentStart: openingQuote, contentEnd: position, hasEscapedQuotes: false,
                    next: position, endsRecord: true, problem: .unterminatedQuote)
            }
            if bytes[position] == quote {
                guard position + 1 < end && bytes[position + 1] == quote else { break }
                hasEscapedQuotes = true
                position += 2
            } else {
                position += 1
            }
        }
        let closingQuote = position
        position += 1
        while position < end && isTrailingBlank(bytes[position]) { position += 1 }
        let field = ScannedField(
            contentStart: openingQuote + 1, contentEnd: closingQuote, hasEscapedQuotes: hasEscapedQuotes,
            next: position, endsRecord: false, problem: nil)
        guard position < end && bytes[position] != delimiter && bytes[position] != newline else {
            return finish(field, stoppedAt: position, end: end)
        }
        var rawEnd = position
        while rawEnd < end && bytes[rawEnd] != delimiter && bytes[rawEnd] != newline { rawEnd += 1 }
        while isTrailingBlank(bytes[rawEnd - 1]) { rawEnd -= 1 }
        return ScannedField(
            contentStart: openingQuote, contentEnd: rawEnd, hasEscapedQuotes: false,
            next: rawEnd, endsRecord: true, problem: .textAfterClosingQuote)
    }

    /// Sets where scanning continues, given the position of the delimiter, line break or end.
    @inline(__always)
    private func finish(_ field: ScannedField, stoppedAt position: Int, end: Int) -> ScannedField {
        var field = field
        if position < end && bytes[position] == delimiter {
            field.next = position + 1
        } else {
            field.next = position < end ? position + 1 : end
            field.endsRecord = true
        }
        return field
    }

    /// Every field of the record starting at `start`, stopping early at a field with a problem.
    func scanRecord(at start: Int, end: Int) -> [ScannedField] {
        var fields: [ScannedField] = []
        var position = start
        while true {
            let field = scanField(at: position, end: end)
            fields.append(field)
            if field.endsRecord || field.problem != nil { return fields }
            position = field.next
        }
    }

    /// The field's text with each `""` pair read as one quote.
    func content(of field: ScannedField) -> [UInt8] {
        var text: [UInt8] = []
        appendContent(of: field, to: &text)
        return text
    }

    func appendContent(of field: ScannedField, to text: inout [UInt8]) {
        let raw = bytes[field.contentStart..<field.contentEnd]
        guard field.hasEscapedQuotes else {
            text.append(contentsOf: raw)
            return
        }
        var previousWasKeptQuote = false
        for byte in raw {
            if byte == quote && previousWasKeptQuote {
                previousWasKeptQuote = false
            } else {
                text.append(byte)
                previousWasKeptQuote = byte == quote
            }
        }
    }

    /// Scans the field at `start` like `scanField` and returns its value when it is a number.
    /// An unquoted number is read in the same pass that finds the field's end.
    @inline(__always)
    func scanNumberField(at start: Int, end: Int) -> (field: ScannedField, value: Double?) {
        var position = start
        while position < end && isBlank(bytes[position]) { position += 1 }
        if numbersStopAtDelimiter && position < end && bytes[position] != quote {
            let number = DecimalParser.parsePrefix(bytes, from: position, limit: end)
            if let value = number.value {
                var stop = number.end
                while stop < end && isTrailingBlank(bytes[stop]) { stop += 1 }
                if stop == end || bytes[stop] == delimiter || bytes[stop] == newline {
                    let field = ScannedField(
                        contentStart: position, contentEnd: number.end, hasEscapedQuotes: false,
                        next: stop, endsRecord: false, problem: nil)
                    return (finish(field, stoppedAt: stop, end: end), value)
                }
            }
        }
        let field = scanField(at: start, end: end)
        return (field, field.problem == nil ? number(in: field) : nil)
    }

    /// The value of the field at `start` when it is a number written with nothing around it
    /// (no blanks, quotes or CR), with where scanning goes on; nil sends the caller to
    /// `scanNumberField`, which gives the same result for such fields and handles all others.
    @inline(__always)
    func scanPlainNumber(at start: Int, end: Int) -> (value: Double, next: Int, endsRecord: Bool)? {
        guard numbersStopAtDelimiter else { return nil }
        let number = DecimalParser.parsePrefix(bytes, from: start, limit: end)
        guard let value = number.value else { return nil }
        let stop = number.end
        guard stop < end else { return (value, end, true) }
        let byte = bytes[stop]
        if byte == delimiter { return (value, stop &+ 1, false) }
        if byte == newline { return (value, stop &+ 1, true) }
        return nil
    }

    /// The field's value when it is a number (see `DecimalParser`), else nil.
    @inline(__always)
    func number(in field: ScannedField) -> Double? {
        guard !field.hasEscapedQuotes else { return nil }
        return DecimalParser.parse(UnsafeBufferPointer(rebasing: bytes[field.contentStart..<field.contentEnd]))
    }

    /// The error a field problem means at `line` and `column` of `path`.
    func error(for problem: FieldProblem, in field: ScannedField, path: String, line: Int, column: Int) -> DataError {
        switch problem {
        case .unterminatedQuote:
            return .unterminatedQuote(path: path, line: line)
        case .textAfterClosingQuote:
            return .textAfterClosingQuote(
                path: path, line: line, column: column,
                found: DataError.excerpt(bytes[field.contentStart..<field.contentEnd]))
        }
    }
}

private let newline = UInt8(ascii: "\n")
private let carriageReturn = UInt8(ascii: "\r")
private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
private let quote = UInt8(ascii: "\"")
