// Reads a whole file into one byte array with POSIX calls, turning failures into DataError.

#if canImport(Glibc)
    import Glibc
#endif

func readWholeFile(atPath path: String) throws -> [UInt8] {
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
        while count < buffer.count {
            let read = try readSome(descriptor, into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[count...])), path: path)
            if read == 0 { return }
            count += read
        }
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
