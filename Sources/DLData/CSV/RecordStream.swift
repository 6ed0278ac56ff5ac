// A CSV's data records parsed a chunk at a time, in file order, so that a reader's memory holds
// one chunk of the file and not the file.
//
// A chunk is cut after its last line break (a line break always ends a record: a quoted field
// cannot hold one); the bytes after it are carried to the front of the buffer and the next read
// appends to them. A record longer than the buffer grows it. Each chunk is parsed on every core
// (cut again at line breaks into one part per processor), and line numbers run on across chunks,
// so errors name the same line a parse of the whole file would.

import Dispatch
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

final class RecordStream {
    let source: ByteSource
    let chunkSize: Int
    /// Where the first data record starts (the bytes before it are hashed, not parsed), and its line.
    let dataStart: Int
    let dataStartLine: Int
    let plan: ColumnPlan
    let options: CSVOptions
    let columnNames: [String]?
    private var buffer: UnsafeMutableBufferPointer<UInt8>
    /// Bytes in `buffer` not yet parsed, the file offset of its first byte, and that byte's line.
    private var filled = 0, bufferStart = 0, line = 1
    private var atEnd = false
    /// The fingerprint of the whole file, once the end was read.
    private(set) var fingerprint: DataFingerprint?

    init(
        source: ByteSource, chunkSize: Int, dataStart: Int, dataStartLine: Int, plan: ColumnPlan, options: CSVOptions,
        columnNames: [String]?
    ) {
        precondition(chunkSize > 0)
        self.source = source
        self.chunkSize = chunkSize
        self.dataStart = dataStart
        self.dataStartLine = dataStartLine
        self.plan = plan
        self.options = options
        self.columnNames = columnNames
        buffer = .allocate(capacity: chunkSize * 2)
    }

    deinit {
        buffer.deallocate()
    }

    /// The next chunk's records, in file order; nil after the last. Throws at the first bad
    /// record, with the located error a sequential parse gives. `fingerprint` is set once the end
    /// was read: with the last chunk, or with the nil after it.
    func next() throws -> ParsedRecords? {
        while !atEnd {
            if filled == buffer.count {
                // One record longer than the buffer: double it and read on.
                let larger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: buffer.count * 2)
                larger.baseAddress!.initialize(from: buffer.baseAddress!, count: filled)
                buffer.deallocate()
                buffer = larger
            }
            let room = UnsafeMutableBufferPointer(rebasing: buffer[filled..<min(filled + chunkSize, buffer.count)])
            let read = try source.read(into: room)
            filled += read
            if read == 0 {
                atEnd = true
                fingerprint = try source.fingerprint()
            }
            let bytes = UnsafeBufferPointer(rebasing: buffer[..<filled])
            let complete = atEnd ? filled : (bytes.lastLineBreak().map { $0 + 1 } ?? 0)
            guard complete > 0 else { continue }

            let parseStart = max(dataStart - bufferStart, 0)
            let firstLine = bufferStart < dataStart ? dataStartLine : line
            let records = parseStart < complete ? try parse(bytes, range: parseStart..<complete, firstLine: firstLine) : nil
            line += bytes.lineBreaks(before: complete)
            memmove(buffer.baseAddress!, buffer.baseAddress! + complete, filled - complete)
            filled -= complete
            bufferStart += complete
            if let records { return records }
        }
        return nil
    }

    /// Calls `body` with each chunk's records, in file order, then returns the fingerprint of the whole file.
    func forEachChunk(_ body: (ParsedRecords) throws -> Void) throws -> DataFingerprint {
        while let records = try next() { try body(records) }
        return fingerprint!
    }

    private func parse(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, firstLine: Int) throws -> ParsedRecords {
        let parser = RecordParser(
            tokenizer: CSVTokenizer(bytes: bytes, delimiter: options.delimiter), plan: plan,
            allowNonFinite: options.allowNonFinite, path: source.path, columnNames: columnNames,
            firstDataLine: dataStartLine)
        return try Self.parseInParallel(parser, buffer: bytes, range: range, firstLine: firstLine)
    }

    /// A large range is cut at line breaks into one part per processor, parsed at the same time,
    /// and joined in order. Each part is parsed as if its first line were line 1; the joined line
    /// numbers are then shifted, and a part that fails is parsed again with its true first line,
    /// so errors name the same line as a sequential parse would (the first error in file order).
    static func parseInParallel(
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

    static func processorCount() -> Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// What the parts of a parallel parse share. Unchecked: the parser (and the bytes it reads) is
/// only read, and each part writes only its own slot of `results`.
private struct PartsInFlight: @unchecked Sendable {
    let parser: RecordParser
    let bounds: [Int]
    let results: UnsafeMutableBufferPointer<Result<ParsedRecords, Error>?>
}

extension UnsafeBufferPointer<UInt8> {
    /// The index of the first line break at or after `start`.
    func firstLineBreak(from start: Int) -> Int? {
        guard start < count, let found = memchr(baseAddress! + start, 0x0A, count - start) else { return nil }
        return baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// The index of the last line break.
    func lastLineBreak() -> Int? {
        lastIndex(of: 0x0A)
    }

    /// How many line breaks lie before `end`.
    func lineBreaks(before end: Int) -> Int {
        var breaks = 0, position = 0
        while let found = firstLineBreak(from: position), found < end {
            breaks += 1
            position = found + 1
        }
        return breaks
    }
}

extension Array<UInt8> {
    /// Appends up to `count` bytes read from `source`; returns how many (0 at its end).
    mutating func appendReading(upTo count: Int, from source: ByteSource) throws -> Int {
        let piece = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = try source.read(into: buffer)
        }
        append(contentsOf: piece)
        return piece.count
    }
}
