// A data file's bytes as they are stored, read front to back: a file through POSIX calls (its
// failures as DataError), or bytes already in memory. Every byte read is hashed as it passes, so
// the fingerprint names the file as it is on disk (for a compressed file, its compressed bytes),
// and a file that changed while it was read is refused instead of half-trusted.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

final class StoredBytes {
    let path: String
    /// What tells two openings of the file apart without reading it: its size and modification
    /// time (for memory, the byte count alone).
    let identity: FileIdentity
    private let origin: Origin
    /// Bytes read so far.
    private(set) var offset = 0
    private var hasher = SHA256()

    private enum Origin {
        case file(descriptor: Int32)
        case memory([UInt8])
    }

    /// Opens `path` for reading; a missing file, a directory, a device or pipe, or a refused open is
    /// a DataError.
    init(path: String) throws {
        // Without O_NONBLOCK, opening a pipe would wait for a writer (and only to be refused below);
        // reading a regular file ignores it.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw DataError.fileNotFound(path: path) }
            throw DataError.unreadable(path: path, reason: systemMessage(code))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw DataError.unreadable(path: path, reason: systemMessage(code))
        }
        // Linux opens a directory for reading without complaint; only read() would fail.
        if status.st_mode & S_IFMT == S_IFDIR {
            close(descriptor)
            throw DataError.unreadable(path: path, reason: systemMessage(EISDIR))
        }
        // A device or a pipe could be endless (/dev/zero) and cannot be read twice alike.
        if let kind = Self.irregularKind(status.st_mode) {
            close(descriptor)
            throw DataError.notARegularFile(path: path, kind: kind)
        }
        self.path = path
        identity = FileIdentity(status)
        origin = .file(descriptor: descriptor)
    }

    /// What a file that is neither regular nor a directory is, for the error.
    private static func irregularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG, S_IFDIR: nil
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a pipe"
        case S_IFSOCK: "a socket"
        default: "of an unknown kind"
        }
    }

    init(bytes: [UInt8], path: String) {
        self.path = path
        identity = FileIdentity(size: bytes.count, modifiedSeconds: 0, modifiedNanoseconds: 0)
        origin = .memory(bytes)
    }

    deinit {
        if case let .file(descriptor) = origin { close(descriptor) }
    }

    /// Reads up to `buffer.count` bytes into `buffer`, hashing them unless `hashing` is false (the
    /// caller then hands them to `hash`); 0 only at the end.
    func read(into buffer: UnsafeMutableBufferPointer<UInt8>, hashing: Bool = true) throws -> Int {
        guard !buffer.isEmpty else { return 0 }
        let count: Int
        switch origin {
        case let .file(descriptor):
            count = try Self.readSome(descriptor, into: UnsafeMutableRawBufferPointer(buffer), path: path)
        case let .memory(bytes):
            count = min(buffer.count, bytes.count - offset)
            _ = UnsafeMutableBufferPointer(rebasing: buffer[..<count]).initialize(from: bytes[offset..<(offset + count)])
        }
        offset += count
        if hashing { hash(UnsafeBufferPointer(rebasing: buffer[..<count])) }
        return count
    }

    /// Adds bytes `read(into:hashing: false)` returned to the fingerprint, in the order they were read.
    func hash(_ bytes: UnsafeBufferPointer<UInt8>) {
        hasher.update(UnsafeRawBufferPointer(bytes))
    }

    /// The last `count` bytes of the stored file, without moving the reading position; nil when the
    /// file is shorter or its size is unknown (a /proc file reports 0).
    func tail(_ count: Int) -> [UInt8]? {
        guard identity.size >= count else { return nil }
        switch origin {
        case let .file(descriptor):
            var bytes = [UInt8](repeating: 0, count: count)
            let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(identity.size - count)) }
            return read == count ? bytes : nil
        case let .memory(bytes):
            return Array(bytes.suffix(count))
        }
    }

    /// The fingerprint of every byte read, once the end was reached. A file whose size or
    /// modification time is not what it was when opened changed under the reader: its bytes may
    /// mix two versions, so they are refused.
    func fingerprint() throws -> DataFingerprint {
        if case let .file(descriptor) = origin {
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { throw DataError.unreadable(path: path, reason: systemMessage(errno)) }
            // /proc files and pipes report size 0 and are read to their end; a regular file must match.
            if FileIdentity(status) != identity || (identity.size > 0 && offset != identity.size) {
                throw DataError.fileChanged(path: path, detail: "it changed while it was being read")
            }
        }
        return DataFingerprint(size: offset, sha256: SHA256.hex(hasher.finalize()))
    }

    /// One read() into `buffer`, retried when a signal interrupts it; 0 at the end of the file.
    private static func readSome(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        while true {
            let count = systemRead(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            let code = errno
            if code != EINTR { throw DataError.unreadable(path: path, reason: systemMessage(code)) }
        }
    }
}

/// A file's size and modification time.
struct FileIdentity: Equatable, Sendable {
    let size: Int
    let modifiedSeconds: Int
    let modifiedNanoseconds: Int

    init(size: Int, modifiedSeconds: Int, modifiedNanoseconds: Int) {
        self.size = size
        self.modifiedSeconds = modifiedSeconds
        self.modifiedNanoseconds = modifiedNanoseconds
    }

    init(_ status: stat) {
        self.init(
            size: max(Int(status.st_size), 0), modifiedSeconds: Int(status.st_mtim.tv_sec),
            modifiedNanoseconds: Int(status.st_mtim.tv_nsec))
    }
}

/// read(2), which the class's own `read` hides inside it.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

private func systemMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}
