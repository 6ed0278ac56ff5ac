// A CSV's text read front to back in pieces, so that no reader holds the whole file, whatever
// form it is stored in: plain or gzip-compressed (told by its first bytes, not its name, and
// inflated as it is read), with or without the UTF-8 byte-order mark Excel writes (dropped, so the
// first header name is what it looks like). Every stored byte is hashed as it passes
// (StoredBytes), so the fingerprint of exactly the bytes that were parsed comes with the last
// piece. Formats dltrain does not read (other compressions, a spreadsheet, UTF-16 text) are
// refused when the file is opened, with what to do instead.

import Dispatch

final class ByteSource {
    var path: String { stored.path }
    /// What tells two openings of the file apart without reading it (StoredBytes.identity).
    var identity: FileIdentity { stored.identity }
    /// About how many bytes of text the file holds, to size what is parsed from it: the stored
    /// size, or for a gzip file the uncompressed size its trailer records (that of its last
    /// member, modulo 4 GiB), at most 16 times the stored size. Only an estimate: a file that
    /// holds more makes the tables grow; a trailer that claims more (it may lie) reserves no more
    /// than a plain file 16 times the size would.
    let estimatedTextSize: Int
    let isCompressed: Bool
    private let stored: StoredBytes
    private let inflater: GzipInflater?
    /// The text's first bytes, read when the file was opened to look for a byte-order mark, and
    /// returned before anything else.
    private var pending: [UInt8]

    /// Opens `path` for reading; a missing file, a directory or a refused open is a DataError, and
    /// so is a format dltrain does not read.
    convenience init(path: String) throws {
        try self.init(stored: StoredBytes(path: path))
    }

    convenience init(bytes: [UInt8], path: String) throws {
        try self.init(stored: StoredBytes(bytes: bytes, path: path))
    }

    private init(stored: StoredBytes) throws {
        self.stored = stored
        var first = [UInt8](repeating: 0, count: 8)
        let count = try first.withUnsafeMutableBufferPointer { buffer in
            var count = 0
            while count < buffer.count {
                let read = try stored.read(into: UnsafeMutableBufferPointer(rebasing: buffer[count...]))
                if read == 0 { break }
                count += read
            }
            return count
        }
        first.removeSubrange(count...)
        if first.starts(with: [0x1F, 0x8B]) {
            let inflater = try GzipInflater(path: stored.path, firstBytes: first)
            let size = stored.identity.size
            var estimate = stored.tail(4).map { Int($0[0]) | Int($0[1]) << 8 | Int($0[2]) << 16 | Int($0[3]) << 24 } ?? 0
            // Text is longer than its gzip: a smaller size is the true one modulo 4 GiB.
            while estimate < size, case let (next, false) = estimate.addingReportingOverflow(1 << 32) { estimate = next }
            let (bound, overflow) = size.multipliedReportingOverflow(by: 16)
            estimatedTextSize = overflow ? estimate : min(estimate, bound)
            isCompressed = true
            self.inflater = inflater
            pending = try Self.readStart(of: inflater, stored: stored)
        } else {
            if let format = UnreadableFormat(storedStart: first) { throw DataError.unreadableFormat(path: stored.path, format) }
            estimatedTextSize = stored.identity.size
            isCompressed = false
            inflater = nil
            pending = first
        }
        if let format = UnreadableFormat(textStart: pending) { throw DataError.unreadableFormat(path: stored.path, format) }
        if pending.starts(with: Self.byteOrderMark) { pending.removeFirst(Self.byteOrderMark.count) }
    }

    /// UTF-8's byte-order mark, U+FEFF, which Excel's "CSV UTF-8" puts before the first header name.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The first few bytes of the inflated text (fewer only when the text is shorter).
    private static func readStart(of inflater: GzipInflater, stored: StoredBytes) throws -> [UInt8] {
        var start = [UInt8](repeating: 0, count: 4)
        let count = try start.withUnsafeMutableBufferPointer { buffer in
            var count = 0
            while count < buffer.count {
                let read = try inflater.read(into: UnsafeMutableBufferPointer(rebasing: buffer[count...])) { try stored.read(into: $0) }
                if read == 0 { break }
                count += read
            }
            return count
        }
        start.removeSubrange(count...)
        return start
    }

    /// Reads up to `buffer.count` bytes of text into `buffer`; 0 only at the end.
    func read(into buffer: UnsafeMutableBufferPointer<UInt8>) throws -> Int {
        try read(into: buffer, alongside: nil)
    }

    /// The same, with `work` done on the text read. For a plain file it runs on another thread
    /// while the bytes are hashed, so a pass that looks at every byte costs about what hashing them
    /// does; a compressed file's stored bytes were hashed as zlib took them.
    func read(
        into buffer: UnsafeMutableBufferPointer<UInt8>, alongside work: ((UnsafeBufferPointer<UInt8>) -> Void)?
    ) throws -> Int {
        guard !buffer.isEmpty else { return 0 }
        if !pending.isEmpty {
            let count = min(pending.count, buffer.count)
            _ = UnsafeMutableBufferPointer(rebasing: buffer[..<count]).initialize(from: pending[..<count])
            pending.removeFirst(count)
            work?(UnsafeBufferPointer(rebasing: buffer[..<count]))
            return count
        }
        if let inflater {
            let count = try inflater.read(into: buffer) { try stored.read(into: $0) }
            work?(UnsafeBufferPointer(rebasing: buffer[..<count]))
            return count
        }
        let count = try stored.read(into: buffer, hashing: false)
        let bytes = UnsafeBufferPointer(rebasing: buffer[..<count])
        if let work, count >= 1 << 20 {
            withoutActuallyEscaping(work) { work in
                let both = HashAndWork(hash: { self.stored.hash(bytes) }, work: { work(bytes) })
                DispatchQueue.concurrentPerform(iterations: 2) { $0 == 0 ? both.hash() : both.work() }
            }
        } else {
            // A small piece: handing it to another thread would cost more than it saves.
            stored.hash(bytes)
            work?(bytes)
        }
        return count
    }

    /// The fingerprint of every stored byte, once the end of the text was read (StoredBytes.fingerprint).
    func fingerprint() throws -> DataFingerprint {
        try stored.fingerprint()
    }
}

/// The two halves of a read done at once. Unchecked: the hash touches only the hasher, the work
/// only what its caller gave it, and both only read the bytes.
private struct HashAndWork: @unchecked Sendable {
    let hash: () -> Void
    let work: () -> Void
}
