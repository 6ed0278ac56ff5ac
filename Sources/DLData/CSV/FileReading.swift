// A CSV's bytes read front to back in pieces, so that no reader holds the whole file: a file
// through POSIX calls (its failures as DataError), or bytes already in memory. Every byte read is
// hashed as it passes, so the fingerprint of exactly the bytes that were parsed comes with the
// last piece, and a file that changed while it was read is refused instead of half-trusted.

import Dispatch
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

final class ByteSource {
    let path: String
    /// The size stat gave when the file was opened (the byte count for memory).
    var sizeAtOpen: Int { identity.size }
    /// What tells two openings of the file apart without reading it: its size and modification
    /// time (for memory, the byte count alone).
    let identity: FileIdentity
    private let origin: Origin
    private var offset = 0
    private var hasher = SHA256()

    private enum Origin {
        case file(descriptor: Int32)
        case memory([UInt8])
    }

    /// Opens `path` for reading; a missing file, a directory or a refused open is a DataError.
    init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
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
        self.path = path
        identity = FileIdentity(status)
        origin = .file(descriptor: descriptor)
    }

    init(bytes: [UInt8], path: String) {
        self.path = path
        identity = FileIdentity(size: bytes.count, modifiedSeconds: 0, modifiedNanoseconds: 0)
        origin = .memory(bytes)
    }

    deinit {
        if case let .file(descriptor) = origin { close(descriptor) }
    }

    /// Reads up to `buffer.count` bytes into `buffer`; 0 only at the end.
    func read(into buffer: UnsafeMutableBufferPointer<UInt8>) throws -> Int {
        try read(into: buffer, alongside: nil)
    }

    /// The same, with `work` done on the bytes read on another thread while they are hashed: a
    /// pass that looks at every byte then costs about what hashing them does.
    func read(
        into buffer: UnsafeMutableBufferPointer<UInt8>, alongside work: ((UnsafeBufferPointer<UInt8>) -> Void)?
    ) throws -> Int {
        guard !buffer.isEmpty else { return 0 }
        let count: Int
        switch origin {
        case let .file(descriptor):
            count = try Self.readSome(descriptor, into: UnsafeMutableRawBufferPointer(buffer), path: path)
        case let .memory(bytes):
            count = min(buffer.count, bytes.count - offset)
            _ = UnsafeMutableBufferPointer(rebasing: buffer[..<count]).initialize(from: bytes[offset..<(offset + count)])
        }
        let bytes = UnsafeBufferPointer(rebasing: buffer[..<count])
        if let work, count >= 1 << 20 {
            withoutActuallyEscaping(work) { work in
                let both = HashAndWork(hash: { self.hasher.update(UnsafeRawBufferPointer(bytes)) }, work: { work(bytes) })
                DispatchQueue.concurrentPerform(iterations: 2) { $0 == 0 ? both.hash() : both.work() }
            }
        } else {
            // A small piece: handing it to another thread would cost more than it saves.
            hasher.update(UnsafeRawBufferPointer(bytes))
            work?(bytes)
        }
        offset += count
        return count
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

/// The two halves of a read done at once. Unchecked: the hash touches only the hasher, the work
/// only what its caller gave it, and both only read the bytes.
private struct HashAndWork: @unchecked Sendable {
    let hash: () -> Void
    let work: () -> Void
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
