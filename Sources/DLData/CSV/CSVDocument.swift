// An opened CSV file: its bytes, whether it has a header, its column count, and the
// entry points that turn column references into indices and records into columns.

import Dispatch
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An opened CSV file: its bytes, the header decision, the column count (from the first record).
public struct CSVDocument: Sendable {
    public let path: String
    /// The header row's fields (unquoted, trimmed) when there is a header.
    public let columnNames: [String]?
    public let columnCount: Int

    /// The size and SHA-256 of the file's bytes, which a checkpoint records to recognize the data.
    public var fingerprint: DataFingerprint {
        bytes.withUnsafeBytes { DataFingerprint(bytes: $0) }
    }

    private let bytes: [UInt8]
    private let options: CSVOptions
    /// Where the first data record starts, and its 1-based line.
    private let dataStart: Int
    private let dataStartLine: Int

    /// Reads the file and decides whether its first record is a header.
    public static func open(path: String, options: CSVOptions = CSVOptions()) throws -> CSVDocument {
        try CSVDocument(path: path, bytes: readWholeFile(atPath: path, threads: processorCount()), options: options)
    }

    /// The same from bytes already in memory; `path` names them in errors.
    public init(bytes: [UInt8], path: String, options: CSVOptions = CSVOptions()) throws {
        try self.init(path: path, bytes: bytes, options: options)
    }

    private init(path: String, bytes: [UInt8], options: CSVOptions) throws {
        self.path = path
        self.bytes = bytes
        self.options = options
        (columnNames, columnCount, dataStart, dataStartLine) = try bytes.withUnsafeBufferPointer { buffer in
            let tokenizer = CSVTokenizer(bytes: buffer, delimiter: options.delimiter)
            var firstLine = 1
            let firstStart = tokenizer.skipBlankLines(from: 0, end: buffer.count, line: &firstLine)
            guard firstStart < buffer.count else { throw DataError.emptyFile(path: path) }
            let first = try Self.checkedRecord(at: firstStart, line: firstLine, tokenizer: tokenizer, path: path)

            var secondLine = firstLine + 1
            let secondStart = tokenizer.skipBlankLines(from: first.next, end: buffer.count, line: &secondLine)
            let second =
                secondStart < buffer.count
                ? try Self.checkedRecord(at: secondStart, line: secondLine, tokenizer: tokenizer, path: path).fields
                : nil

            let hasHeader: Bool
            switch options.header {
            case .present: hasHeader = true
            case .absent: hasHeader = false
            case .detect: hasHeader = Self.looksLikeHeader(first.fields, before: second, tokenizer: tokenizer)
            }
            guard hasHeader else { return (nil, first.fields.count, firstStart, firstLine) }
            guard second != nil else { throw DataError.emptyFile(path: path) }
            let names = first.fields.map { String(decoding: tokenizer.content(of: $0), as: UTF8.self) }
            return (names, first.fields.count, secondStart, secondLine)
        }
    }

    /// A header is text where the data below it has numbers; a text label column of a headerless
    /// file is text in both rows and so does not count. Alone, a record is a header if it is all text.
    private static func looksLikeHeader(
        _ first: [ScannedField], before second: [ScannedField]?, tokenizer: CSVTokenizer
    ) -> Bool {
        guard let second else {
            return first.allSatisfy { tokenizer.number(in: $0) == nil }
        }
        return zip(first, second).contains { tokenizer.number(in: $0) == nil && tokenizer.number(in: $1) != nil }
    }

    /// The fields of the record at `start`, and where the next line begins.
    private static func checkedRecord(
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

    /// Parses every data record. `features` and `labels` are column indices (in the order the
    /// caller wants them in the output). A label column holds numbers when its cell in the first
    /// data record is a number, and class names otherwise.
    public func read(features: [Int], labels: [Int]) throws -> CSVColumns {
        for column in features + labels where column < 0 || column >= columnCount {
            throw DataError.columnOutOfRange(path: path, index: column, columnCount: columnCount)
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            let tokenizer = CSVTokenizer(bytes: buffer, delimiter: options.delimiter)
            let firstRecord = try Self.checkedRecord(
                at: dataStart, line: dataStartLine, tokenizer: tokenizer, path: path
            ).fields
            guard firstRecord.count == columnCount else {
                throw DataError.wrongFieldCount(
                    path: path, line: dataStartLine, expected: columnCount, found: firstRecord.count)
            }
            let labelKinds = labels.map { column in
                (column, tokenizer.number(in: firstRecord[column]) == nil ? ColumnPlan.LabelKind.classes : .numbers)
            }
            let plan = ColumnPlan(columnCount: columnCount, features: features, labels: labelKinds)
            let parser = RecordParser(
                tokenizer: tokenizer, plan: plan, allowNonFinite: options.allowNonFinite, path: path,
                columnNames: columnNames, firstDataLine: dataStartLine)
            let parsed = try Self.parseInParallel(parser, buffer: buffer, range: dataStart..<buffer.count, firstLine: dataStartLine)
            return CSVColumns(
                rowCount: parsed.rowCount, features: parsed.features,
                labels: plan.labelSources.map { source in
                    switch source {
                    case .numbers(let list): return .numbers(parsed.numberLabels[list])
                    case .classes(let table): return parsed.classLabels[table].sortedColumn()
                    }
                },
                lineNumbers: parsed.lineNumbers)
        }
    }

    /// Large files are cut at line breaks into one part per processor, parsed at the same time,
    /// and joined in order. A line break always ends a record (quoted fields cannot hold one).
    /// Each part is parsed as if its first line were line 1; the joined line numbers are then
    /// shifted, and a part that fails is parsed again with its true first line, so errors name
    /// the same line as a sequential parse would (the first error in file order).
    private static func parseInParallel(
        _ parser: RecordParser, buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>, firstLine: Int
    ) throws -> ParsedRecords {
        let minimumPart = 1 << 20
        let parts = min(max(1, range.count / minimumPart), processorCount())
        guard parts > 1 else { return try parser.parse(range, firstLine: firstLine) }
        var bounds = [range.lowerBound]
        for part in 1..<parts {
            var cut = range.lowerBound + range.count * part / parts
            while cut < range.upperBound && buffer[cut - 1] != UInt8(ascii: "\n") { cut += 1 }
            bounds.append(max(cut, bounds[bounds.count - 1]))
        }
        bounds.append(range.upperBound)
        let results = UnsafeMutableBufferPointer<Result<ParsedRecords, Error>?>.allocate(capacity: parts)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        let shared = PartsInFlight(parser: parser, bounds: bounds, results: results)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let partRange = shared.bounds[part]..<shared.bounds[part + 1]
            // The first part is the one the others are appended to.
            let roomUntil = part == 0 ? shared.bounds[parts] : nil
            shared.results[part] = Result { try shared.parser.parse(partRange, firstLine: 1, roomUntil: roomUntil) }
        }
        var joined: ParsedRecords?
        var line = firstLine
        for part in 0..<parts {
            // Taken out of its slot: the joined arrays then share no storage with it and grow in place.
            guard case var .success(records) = results[part].take()! else {
                _ = try parser.parse(bounds[part]..<bounds[part + 1], firstLine: line)
                preconditionFailure("a part that failed in parallel parsed without error")
            }
            let shift = Int32(line - 1)
            for row in records.lineNumbers.indices { records.lineNumbers[row] += shift }
            line += records.endLine - 1  // every part but the last ends with a line break
            if joined == nil { joined = records } else { joined!.append(contentsOf: records) }
        }
        return joined!
    }

    private static func processorCount() -> Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// What the parts of a parallel parse share. Unchecked: the parser (and the file's bytes it reads)
/// is only read, and each part writes only its own slot of `results`.
private struct PartsInFlight: @unchecked Sendable {
    let parser: RecordParser
    let bounds: [Int]
    let results: UnsafeMutableBufferPointer<Result<ParsedRecords, Error>?>
}
