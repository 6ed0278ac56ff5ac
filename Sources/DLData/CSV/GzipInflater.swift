// Gzip-compressed bytes inflated as they are read, through zlib (Debian's zlib1g): a compressed
// CSV file is read a buffer at a time like a plain one and is never decompressed whole. The
// compressed bytes come from the stored file a piece at a time (hashed there, so the fingerprint
// is the file's on disk). A file may hold several gzip members one after the other (what
// `cat a.gz b.gz` makes), read as one stream as `gzip -d` reads it. Damaged data (zlib checks
// every member's CRC-32 and length at its end), data cut short and bytes after the last member
// that are not gzip are DataErrors naming the line of text being inflated, never traps.

import CInflate

final class GzipInflater {
    private let path: String
    /// Heap-allocated: zlib keeps a pointer back to it, so it must not move.
    private let stream: UnsafeMutablePointer<z_stream>
    /// Compressed bytes read from the file and not yet inflated: stream.next_in, stream.avail_in.
    private let input: UnsafeMutableBufferPointer<UInt8>
    /// How many compressed bytes were read into `input`, to tell where in the file zlib stopped.
    private var storedRead = 0
    private var storedAtEnd = false
    /// The current member ended; more stored bytes must begin another one.
    private var memberEnded = false
    /// Whether the current member has produced a byte yet (a member after the first that fails
    /// before it does is not gzip data at all).
    private var memberProducedBytes = false
    private var members = 1
    private var finished = false
    /// Where in the file the current member starts.
    private var memberStart = 0
    /// The error that ended the stream, thrown again by any later read.
    private var failure: Error?
    /// The line breaks inflated so far, to name the line where damaged data is found.
    private var lineBreaks = 0

    static let inputSize = 1 << 18

    /// Starts inflating a gzip stream whose first stored bytes, already read and hashed, are `firstBytes`.
    init(path: String, firstBytes: [UInt8]) throws {
        self.path = path
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(capacity: max(Self.inputSize, firstBytes.count))
        _ = input.initialize(from: firstBytes)
        storedRead = firstBytes.count
        stream.pointee.next_in = input.baseAddress
        stream.pointee.avail_in = UInt32(firstBytes.count)
        // 16 + 15: a gzip wrapper (not zlib's) around a window of up to 32 KiB, the largest.
        let status = inflateInit2_(stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            stream.deallocate()
            throw DataError.damagedCompressedFile(path: path, line: 1, detail: "zlib could not start (status \(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    /// Inflates into `buffer`, reading compressed bytes with `readStored` as zlib needs them;
    /// returns how many bytes it wrote, 0 only after the last member's end and the file's.
    func read(into buffer: UnsafeMutableBufferPointer<UInt8>, readStored: (UnsafeMutableBufferPointer<UInt8>) throws -> Int) throws -> Int {
        if let failure { throw failure }
        guard !finished, !buffer.isEmpty else { return 0 }
        var produced = 0
        do {
            while produced < buffer.count {
                if stream.pointee.avail_in == 0 && !storedAtEnd {
                    let count = try readStored(input)
                    storedAtEnd = count == 0
                    storedRead += count
                    stream.pointee.next_in = input.baseAddress
                    stream.pointee.avail_in = UInt32(count)
                }
                if memberEnded {
                    guard stream.pointee.avail_in > 0 else {
                        if storedAtEnd {
                            finished = true
                            break
                        }
                        continue
                    }
                    inflateReset(stream)
                    memberStart = consumed
                    memberEnded = false
                    memberProducedBytes = false
                    members += 1
                }
                // avail_out is 32 bits wide: a larger buffer is filled in several calls.
                let room = min(buffer.count - produced, 1 << 30)
                stream.pointee.next_out = buffer.baseAddress! + produced
                stream.pointee.avail_out = UInt32(room)
                let status = inflate(stream, Z_NO_FLUSH)
                let made = room - Int(stream.pointee.avail_out)
                if made > 0 {
                    memberProducedBytes = true
                    lineBreaks += UnsafeBufferPointer(rebasing: buffer[produced..<(produced + made)]).lineBreaks(before: made)
                }
                produced += made
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    memberEnded = true
                case Z_BUF_ERROR where !(storedAtEnd && stream.pointee.avail_in == 0):
                    continue  // zlib needs more input, which the next turn reads
                case Z_BUF_ERROR:
                    throw damaged("the compressed data ends early: the file was cut short (an interrupted download or copy?)")
                case Z_DATA_ERROR where members > 1 && !memberProducedBytes:
                    throw damaged("the bytes from byte \(memberStart) on follow the end of the gzip data but are not gzip data")
                case Z_MEM_ERROR:
                    throw damaged("zlib ran out of memory")
                default:
                    let reason = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw damaged("the compressed data is damaged near byte \(consumed) (zlib: \(reason))")
                }
            }
        } catch {
            failure = error
            throw error
        }
        return produced
    }

    /// How many of the file's bytes zlib has taken.
    private var consumed: Int { storedRead - Int(stream.pointee.avail_in) }

    private func damaged(_ detail: String) -> DataError {
        .damagedCompressedFile(path: path, line: lineBreaks + 1, detail: detail)
    }
}
