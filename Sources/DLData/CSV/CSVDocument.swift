// An opened CSV file: whether it has a header, its column count, and the entry points that turn
// column references into indices and the data records into columns.

import DLCore
import DLPreprocessing

/// An opened CSV file: the header decision and the column count, from its first records. The
/// data records are read later, in chunks, by `read`, so that memory holds a chunk of the file at a
/// time and never the whole of it.
public struct CSVDocument: Sendable {
    public let path: String
    /// The header row's fields (unquoted, trimmed) when there is a header.
    public let columnNames: [String]?
    public let columnCount: Int
    /// The most bytes of the file read and parsed at once (more when one record is longer).
    public let chunkSize: Int

    public static let defaultChunkSize = 64 << 20
    /// The largest chunk a reader takes (`--read-chunk`): a reader holds two of them at once.
    public static let largestChunkSize = 1 << 30

    private let options: CSVOptions
    /// The file's first bytes, through at least the first data record.
    private let head: [UInt8]
    /// The file's size and modification time when the head was read, to tell that `read` reads the same file.
    private let identity: FileIdentity
    /// The bytes of a document made from memory; nil for a file, read from `path`.
    private let memory: [UInt8]?
    /// Where the first data record starts, and its 1-based line.
    private let dataStart: Int
    private let dataStartLine: Int
    /// Another delimiter the first records split at evenly, into more fields (DataAdvisor).
    private let likelyDelimiter: UInt8?

    /// Reads the file's first records and decides whether the first one is a header.
    public static func open(
        path: String, options: CSVOptions = CSVOptions(), chunkSize: Int = defaultChunkSize
    ) throws -> CSVDocument {
        try CSVDocument(source: ByteSource(path: path), memory: nil, options: options, chunkSize: chunkSize)
    }

    /// The same from bytes already in memory; `path` names them in errors.
    public init(bytes: [UInt8], path: String, options: CSVOptions = CSVOptions(), chunkSize: Int = defaultChunkSize) throws {
        try self.init(source: ByteSource(bytes: bytes, path: path), memory: bytes, options: options, chunkSize: chunkSize)
    }

    private init(source: ByteSource, memory: [UInt8]?, options: CSVOptions, chunkSize: Int) throws {
        precondition(chunkSize > 0)
        let path = source.path
        self.path = path
        self.options = options
        self.chunkSize = chunkSize
        self.memory = memory
        identity = source.identity
        head = try Self.readHead(source, delimiter: options.delimiter)
        var recordStarts: [Int] = []
        (columnNames, columnCount, dataStart, dataStartLine) = try head.withUnsafeBufferPointer { buffer in
            let tokenizer = CSVTokenizer(bytes: buffer, delimiter: options.delimiter)
            var firstLine = 1
            let firstStart = tokenizer.skipBlankLines(from: 0, end: buffer.count, line: &firstLine)
            guard firstStart < buffer.count else { throw DataError.emptyFile(path: path) }
            let first = try Self.checkedRecord(at: firstStart, line: firstLine, tokenizer: tokenizer, path: path)

            var secondLine = firstLine + 1
            let secondStart = tokenizer.skipBlankLines(from: first.next, end: buffer.count, line: &secondLine)
            recordStarts = secondStart < buffer.count ? [firstStart, secondStart] : [firstStart]
            let second =
                secondStart < buffer.count
                ? try Self.checkedRecord(at: secondStart, line: secondLine, tokenizer: tokenizer, path: path).fields
                : nil

            let hasHeader: Bool
            switch options.header {
            case .present: hasHeader = true
            case .absent: hasHeader = false
            case .detect:
                let below = second.map { [$0] + Self.recordsBelow(secondStart, line: secondLine, tokenizer: tokenizer) }
                hasHeader = Self.looksLikeHeader(first.fields, above: below, tokenizer: tokenizer)
            }
            guard hasHeader else { return (nil, first.fields.count, firstStart, firstLine) }
            guard second != nil else { throw DataError.emptyFile(path: path) }
            let names = first.fields.map { String(decoding: tokenizer.content(of: $0), as: UTF8.self) }
            return (names, first.fields.count, secondStart, secondLine)
        }
        likelyDelimiter = head.withUnsafeBufferPointer {
            DataAdvisor.likelyDelimiter(head: $0, starts: recordStarts, current: options.delimiter)
        }
    }

    /// Whether `head` holds no line feed yet but carriage returns followed by more text: a file
    /// whose lines end with CR alone, which would otherwise be read whole as one line.
    static func endsLinesWithCarriageReturnsAlone(_ head: [UInt8]) -> Bool {
        guard !head.contains(0x0A), let firstReturn = head.firstIndex(of: 0x0D) else { return false }
        return head[(firstReturn + 1)...].contains { $0 != 0x0D && $0 != 0x20 && $0 != 0x09 }
    }

    /// The fields of the record at `start`, and where the next line begins.
    static func checkedRecord(
        at start: Int, line: Int, tokenizer: CSVTokenizer, path: String
    ) throws -> (fields: [ScannedField], next: Int) {
        let fields = tokenizer.scanRecord(at: start, end: tokenizer.bytes.count)
        guard let last = fields.last else { return ([], start) }
        if let problem = last.problem {
            throw tokenizer.error(for: problem, in: last, path: path, line: line, column: fields.count - 1)
        }
        return (fields, last.next)
    }

    /// The 0-based index of a column given by index or by header name.
    public func resolve(_ column: ColumnReference) throws -> Int {
        switch column {
        case .index(let index):
            guard index >= 0 && index < columnCount else {
                throw DataError.columnOutOfRange(path: path, index: index, columnCount: columnCount)
            }
            return index
        case .name(let name):
            guard let index = columnNames?.firstIndex(of: name) else {
                throw DataError.unknownColumn(path: path, name: name, available: columnNames ?? [])
            }
            return index
        }
    }

    /// Parses every data record, a chunk at a time. `features` and `labels` are column indices
    /// (in the order the caller wants them in the output). A label column holds numbers when its
    /// cell in the first data record is a number, and class names otherwise. `texts` are columns
    /// read as text whatever they hold, after the labels in `CSVColumns.labels`.
    public func read(features: [Int], labels: [Int], texts: [Int] = []) throws -> CSVColumns {
        let (plan, firstRecordLength) = try columnPlan(features: features, labels: labels, texts: texts)
        let stream = try records(plan)
        var records = ParsedRecords(plan: plan)
        // Records of a numeric table are about equally long, so the first one sizes the outputs:
        // refused here, with that size, when they cannot fit (the rows are held as float32).
        let estimatedRows = max(stream.source.estimatedTextSize - dataStart, 0) / max(firstRecordLength, 1) + 1
        let rowBytes = (plan.featureCount + labels.count + 1) * MemoryLayout<Float>.size  // and its line number
        try MemoryBudget.check(
            MemoryNeed([.init("about \(estimatedRows) rows of \(plan.featureCount) features", bytes: MemoryNeed.product([estimatedRows, rowBytes]))]),
            for: "reading the rows of \(path)",
            hint: "use a machine with more memory, or train on workers (dlcoord --workers N), which hold only their shards' rows")
        records.reserveRows(estimatedRows + estimatedRows / 16, featureCount: plan.featureCount)
        let fingerprint = try stream.forEachChunk { records.append(contentsOf: $0) }
        return CSVColumns(
            rowCount: records.rowCount, features: records.features, labels: records.labelColumns(plan),
            lineNumbers: records.lineNumbers, fingerprint: fingerprint)
    }

    /// What each requested column feeds, the label kinds decided by the first data record (the
    /// `texts` columns read as text whatever they hold), and that record's length in bytes.
    /// `raw` are feature columns read raw (a preprocessed table's), each as its reading says.
    func columnPlan(
        features: [Int], raw: [(column: Int, reading: RawReading)] = [], labels: [Int], texts: [Int] = []
    ) throws -> (plan: ColumnPlan, firstRecordLength: Int) {
        for column in features + raw.map(\.column) + labels + texts where column < 0 || column >= columnCount {
            throw DataError.columnOutOfRange(path: path, index: column, columnCount: columnCount)
        }
        return try withFirstRecord { tokenizer, fields, length in
            let labelKinds = labels.map { column in
                (column, tokenizer.number(in: fields[column]) == nil ? ColumnPlan.LabelKind.classes : .numbers)
            }
            let textKinds = texts.map { ($0, ColumnPlan.LabelKind.text) }
            return (ColumnPlan(columnCount: columnCount, features: features, raw: raw, labels: labelKinds + textKinds), length)
        }
    }

    /// Calls `body` with the tokenizer of the head, the first data record's fields (as many as the
    /// columns) and its length in bytes.
    private func withFirstRecord<Result>(
        _ body: (CSVTokenizer, [ScannedField], Int) throws -> Result
    ) throws -> Result {
        try head.withUnsafeBufferPointer { buffer in
            let tokenizer = CSVTokenizer(bytes: buffer, delimiter: options.delimiter)
            let first = try Self.checkedRecord(at: dataStart, line: dataStartLine, tokenizer: tokenizer, path: path)
            guard first.fields.count == columnCount else {
                throw DataError.wrongFieldCount(
                    path: path, line: dataStartLine, expected: columnCount, found: first.fields.count)
            }
            return try body(tokenizer, first.fields, first.next - dataStart)
        }
    }

    /// The texts of the first data record's fields (unquoted, trimmed).
    func firstRecordTexts() throws -> [String] {
        try withFirstRecord { tokenizer, fields, _ in fields.map { String(decoding: tokenizer.content(of: $0), as: UTF8.self) } }
    }

    /// What advises on this file's errors, given the feature columns when the user chooses them
    /// (nil for a trained model's).
    func advisor(features: [Int]?) -> DataAdvisor {
        DataAdvisor(likelyDelimiter: likelyDelimiter, features: features)
    }

    /// The data records of the file, parsed a chunk at a time as `plan` says.
    func records(_ plan: ColumnPlan) throws -> RecordStream {
        let source = try openAgain()
        return RecordStream(
            source: source, chunkSize: chunkSize, dataStart: dataStart, dataStartLine: dataStartLine, plan: plan,
            options: options, columnNames: columnNames)
    }

    /// How many data records the file holds, and its fingerprint: a pass that reads every byte
    /// but parses none, counting the lines that are not blank (a record is one line) while the
    /// bytes are hashed.
    public func countRecords() throws -> (count: Int, fingerprint: DataFingerprint) {
        let source = try openAgain()
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunkSize)
        defer { buffer.deallocate() }
        var counter = RecordCounter(dataStart: dataStart)
        while try source.read(into: buffer, alongside: { counter.count($0) }) > 0 {}
        return (counter.finish(), try source.fingerprint())
    }

    /// The file opened again, refused if it is not the one whose head was read.
    private func openAgain() throws -> ByteSource {
        let source = try memory.map { try ByteSource(bytes: $0, path: path) } ?? ByteSource(path: path)
        guard source.identity == identity else {
            throw DataError.fileChanged(path: path, detail: "it is not the file whose header was read")
        }
        return source
    }
}

/// Counts the records of a file given a piece at a time: the lines from `dataStart` on that hold a
/// byte other than a blank (space, tab, carriage return), as the parser skips them.
private struct RecordCounter {
    let dataStart: Int
    private var offset = 0, count = 0
    /// Whether the line being read has a byte that is not blank, and whether it lies in the data.
    private var lineHasContent = false
    private var lineIsData: Bool

    init(dataStart: Int) {
        self.dataStart = dataStart
        lineIsData = dataStart == 0
    }

    mutating func count(_ bytes: UnsafeBufferPointer<UInt8>) {
        var position = 0
        while position < bytes.count {
            if !lineHasContent {
                while position < bytes.count && (bytes[position] == 0x20 || bytes[position] == 0x09 || bytes[position] == 0x0D) {
                    position += 1
                }
                guard position < bytes.count else { break }
                if bytes[position] != 0x0A { lineHasContent = true }
            }
            guard let lineEnd = bytes.firstLineBreak(from: position) else { break }
            if lineHasContent && lineIsData { count += 1 }
            lineHasContent = false
            position = lineEnd + 1
            lineIsData = lineIsData || offset + position >= dataStart
        }
        offset += bytes.count
    }

    /// The count, once every piece was given.
    func finish() -> Int {
        count + (lineHasContent && lineIsData ? 1 : 0)
    }
}
