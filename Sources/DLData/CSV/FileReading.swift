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

    var bytes: [UInt8] = []
    bytes.reserveCapacity(max(Int(status.st_size), 0))
    // Reading in chunks until end of file also copes with files whose size stat cannot tell (pipes).
    try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 << 20) { chunk in
        while true {
            let count = read(descriptor, chunk.baseAddress, chunk.count)
            if count == 0 { return }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw DataError.unreadable(path: path, reason: systemMessage(code))
            }
            bytes.append(contentsOf: chunk[..<count])
        }
    }
    return bytes
}

private func systemMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}
