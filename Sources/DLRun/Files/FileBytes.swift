// A file read whole, within a bound: the readers of model files, checkpoints, run.json and
// metrics.jsonl take what someone else may have written, so its size is checked before anything
// is allocated for it, a file that grows meanwhile is cut off at the bound, and what is no regular
// file (a FIFO that would block, a device that never ends) is refused.

import Foundation

enum FileBytes {
    /// Why a file was not read.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// It could not be opened or read: the system's reason.
        case unreadable(String)
        /// It is larger than it may be: its size (at least), the bound, and what sets the bound.
        case tooLarge(size: Int, maximum: Int, bound: String)

        var description: String {
            switch self {
            case let .unreadable(reason): return "cannot read the file: \(reason)"
            case let .tooLarge(size, maximum, bound):
                return "the file is \(size) bytes (or more), more than the \(maximum) bytes \(bound)"
            }
        }
    }

    /// The content of the file at `path`, refused beyond `maximum` bytes (what `bound` names) or
    /// beyond the machine's memory.
    static func read(_ path: String, maximum: Int, bound: String) throws(Failure) -> [UInt8] {
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let (limit, reason) = memory < maximum ? (memory, "this machine's memory holds") : (maximum, bound)
        // Non-blocking, so that opening a FIFO does not wait for a writer.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadable((status.st_mode & S_IFMT) == S_IFDIR ? "it is a directory" : "it is not a regular file")
        }
        let size = Int(status.st_size)
        guard size <= limit else { throw .tooLarge(size: size, maximum: limit, bound: reason) }
        // The size is a hint: the file may grow while it is read.
        var bytes = [UInt8](repeating: 0, count: min(max(size, 4096), limit) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                guard count <= limit else { throw .tooLarge(size: count, maximum: limit, bound: reason) }
                bytes += [UInt8](repeating: 0, count: min(bytes.count, limit + 1 - bytes.count))
            }
            let read = bytes.withUnsafeMutableBytes { buffer in
                Foundation.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
            }
            if read < 0 {
                if errno == EINTR { continue }
                throw .unreadable(String(cString: strerror(errno)))
            }
            if read == 0 { break }
            count += read
        }
        guard count <= limit else { throw .tooLarge(size: count, maximum: limit, bound: reason) }
        bytes.removeSubrange(count...)
        return bytes
    }
}
