// Reads a whole file into one byte array with POSIX calls, turning failures into DataError.

import Dispatch
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file's bytes; a large file is read by up to `threads` threads at once.
func readWholeFile(atPath path: String, threads: Int = 1) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
        let code = errno
        if code == ENOENT { throw DataError.fileNotFound(path: path) }
        throw DataError.unreadable(path: path, reason: systemMessage(code))
    }
    defer { close(descriptor) }

    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
        throw DataError.unreadable(path: path, reason: systemMessage(errno))
    }
    // Linux opens a directory for reading without complaint; only read() would fail.
    if status.st_mode & S_IFMT == S_IFDIR {
        throw DataError.unreadable(path: path, reason: systemMessage(EISDIR))
    }

    // The size stat gives is read straight into the array, saving a copy of a large file; the
    // chunks after it read what stat could not tell of (pipes, a file still growing).
    var bytes = try [UInt8](unsafeUninitializedCapacity: max(Int(status.st_size), 0)) { buffer, count in
        count = try readInParts(descriptor, into: buffer, threads: threads, path: path)
    }
    // pread leaves the file offset at the start; the chunks go on after the bytes read.
    if !bytes.isEmpty && lseek(descriptor, off_t(bytes.count), SEEK_SET) < 0 {
        throw DataError.unreadable(path: path, reason: systemMessage(errno))
    }
    try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 << 20) { chunk in
        while true {
            let count = try readSome(descriptor, into: UnsafeMutableRawBufferPointer(chunk), path: path)
            if count == 0 { return }
            bytes.append(contentsOf: chunk[..<count])
        }
    }
    return bytes
}

/// Fills `buffer` from the start of the file, in parts read at once by up to `threads` threads
/// when it is large: copying from the page cache and first touching each page of the array cost
/// about as much as parsing the bytes. Returns how many bytes were read before the end of the
/// file, which is less than `buffer.count` when the file shrank since stat.
private func readInParts(
    _ descriptor: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>, threads: Int, path: String
) throws -> Int {
    let minimumPart = 1 << 20
    let parts = min(max(1, buffer.count / minimumPart), max(1, threads))
    let partStarts = (0...parts).map { buffer.count * $0 / parts }
    let outcomes = UnsafeMutableBufferPointer<(end: Int, error: Int32)>.allocate(capacity: parts)
    defer { outcomes.deallocate() }
    let shared = PartsToRead(descriptor: descriptor, buffer: buffer, partStarts: partStarts, outcomes: outcomes)
    DispatchQueue.concurrentPerform(iterations: parts) { part in
        var position = shared.partStarts[part]
        var error: Int32 = 0
        while position < shared.partStarts[part + 1] {
            let count = pread(
                shared.descriptor, shared.buffer.baseAddress! + position, shared.partStarts[part + 1] - position,
                off_t(position))
            if count > 0 {
                position += count
            } else if count == 0 {
                break
            } else if errno != EINTR {
                error = errno
                break
            }
        }
        shared.outcomes[part] = (position, error)
    }
    // In file order, as one sequential read would meet them: an error, or the end of the file.
    for part in 0..<parts {
        if outcomes[part].error != 0 { throw DataError.unreadable(path: path, reason: systemMessage(outcomes[part].error)) }
        if outcomes[part].end < partStarts[part + 1] { return outcomes[part].end }
    }
    return buffer.count
}

/// What the threads of readInParts share. Unchecked: each thread reads into its own part of
/// the buffer and writes only its own slot of `outcomes`.
private struct PartsToRead: @unchecked Sendable {
    let descriptor: Int32
    let buffer: UnsafeMutableBufferPointer<UInt8>
    let partStarts: [Int]
    let outcomes: UnsafeMutableBufferPointer<(end: Int, error: Int32)>
}

/// One read() into `buffer`, retried when a signal interrupts it; 0 at the end of the file.
private func readSome(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
    while true {
        let count = read(descriptor, buffer.baseAddress, buffer.count)
        if count >= 0 { return count }
        let code = errno
        if code != EINTR { throw DataError.unreadable(path: path, reason: systemMessage(code)) }
    }
}

private func systemMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}
