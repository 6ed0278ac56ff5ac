// Whether a CSV file's first record is a header, decided from the file's first records: a header
// names its columns in text where the data below holds numbers. A table of words (categories) and
// gaps is read too, so a missing-value mark (empty, NA, ?) is no evidence either way: a column
// counts where its first cell is text that is not such a mark and its first data cell that is not
// one is a number, looking past the second record when it has a gap there. A table of words alone
// is judged by the lengths of its cells.

extension CSVDocument {
    /// How many records the head holds at most, for the header decision.
    static let headRecords = 16
    /// The head stops growing at this size once it holds two records.
    static let headBytes = 1 << 20

    /// The file's first bytes, through its first `headRecords` records (or through its first two
    /// when they already take `headBytes`; each ends at a line break, since a quoted field cannot
    /// hold one), or the whole file when it is shorter.
    static func readHead(_ source: ByteSource, delimiter: UInt8) throws -> [UInt8] {
        var head: [UInt8] = []
        var piece = 1 << 16
        while true {
            let read = try head.appendReading(upTo: piece, from: source)
            if read == 0 { return head }
            piece = min(piece * 2, 1 << 24)
            if endsLinesWithCarriageReturnsAlone(head) {
                throw DataError.unreadableFormat(path: source.path, .carriageReturnLines)
            }
            let records = head.withUnsafeBufferPointer { buffer in
                let tokenizer = CSVTokenizer(bytes: buffer, delimiter: delimiter)
                var line = 1, position = 0, records = 0
                while records < headRecords {
                    position = tokenizer.skipBlankLines(from: position, end: buffer.count, line: &line)
                    guard let lineEnd = buffer.firstLineBreak(from: position) else { break }
                    position = lineEnd + 1
                    records += 1
                }
                return records
            }
            if records >= headRecords || (records >= 2 && head.count >= headBytes) { return head }
        }
    }

    /// The fields of the complete records of the head after the one at `start` (on `line`), up to
    /// `headRecords` in all, stopping at one that cannot be scanned (the parse reports it).
    static func recordsBelow(_ start: Int, line: Int, tokenizer: CSVTokenizer) -> [[ScannedField]] {
        let bytes = tokenizer.bytes
        guard let end = bytes.lastLineBreak().map({ $0 + 1 }) else { return [] }
        var records: [[ScannedField]] = []
        var line = line
        var position = tokenizer.scanRecord(at: start, end: end).last?.next ?? end
        while records.count < headRecords - 2 {
            line += 1
            position = tokenizer.skipBlankLines(from: position, end: end, line: &line)
            guard position < end else { break }
            let fields = tokenizer.scanRecord(at: position, end: end)
            guard let last = fields.last, last.problem == nil else { break }
            records.append(fields)
            position = last.next
        }
        return records
    }

    /// A header is text (not a missing-value mark) above a column whose first data cell that is not
    /// a gap is a number; a text column of a headerless file is text in both rows and so does not
    /// count. In a table of words alone, the lengths vote as Python's csv.Sniffer.has_header has
    /// them vote: a column whose data cells (two at least) are all one length says header when its
    /// first cell's length differs, data when it is the same. Alone, a record is a header if it is all text.
    static func looksLikeHeader(_ first: [ScannedField], above below: [[ScannedField]]?, tokenizer: CSVTokenizer) -> Bool {
        guard let below, !below.isEmpty else {
            return first.allSatisfy { tokenizer.number(in: $0) == nil }
        }
        func isGap(_ field: ScannedField) -> Bool {
            DataAdvisor.marksMissingValue(String(decoding: tokenizer.content(of: field), as: UTF8.self))
        }
        var lengthVotes = 0
        for column in first.indices {
            guard tokenizer.number(in: first[column]) == nil, !isGap(first[column]) else { continue }
            let data = below.compactMap { column < $0.count && !isGap($0[column]) ? $0[column] : nil }
            guard let firstData = data.first else { continue }
            if tokenizer.number(in: firstData) != nil { return true }
            let lengths = Set(data.map { tokenizer.content(of: $0).count })
            if data.count >= 2, lengths.count == 1 {
                lengthVotes += lengths.contains(tokenizer.content(of: first[column]).count) ? -1 : 1
            }
        }
        return lengthVotes > 0
    }
}
