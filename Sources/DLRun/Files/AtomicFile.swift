// Writing a file so that it is either wholly the old version or wholly the new one, even if the
// process or the machine stops halfway: write a temporary file beside it, flush it to disk, rename
// it over the target, and flush the directory so the rename itself is durable. A file that is
// only a view of others (curves.svg, redrawn from the run's history) skips the flushes: readers
// still never see half of it, and training does not wait for the disk.
//
// A process out of descriptors (strangers' connections holding them) opens its files from the
// descriptors it held back, or waits for one to be freed (DLCore.DescriptorReserve), so a checkpoint
// is written late rather than the run ending.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import DLCore

/// write(2), under a name that this file's own `write` members do not shadow (a module-qualified
/// call would name the C library, which differs by platform).
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

public enum AtomicFile {
    /// `durable`: flushed to disk before and after the rename, so a machine that stops keeps it.
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true) throws {
        let temporary = "\(path).tmp-\(getpid())"
        func failure(_ what: String) -> RunError {
            let error = errno
            let advice = DescriptorReserve.isExhaustion(error)
                ? " (for \(DescriptorReserve.patience.components.seconds) s every descriptor this process may open was in use: raise the "
                    + "limit with ulimit -n, or see what holds them in /proc/\(getpid())/fd)" : ""
            return .cannotWrite(path: path, reason: "\(what): \(String(cString: strerror(error)))\(advice)")
        }
        let descriptor = DescriptorReserve.opening { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + written, bytes.count - written)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                let error = failure("write failed")
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += result
        }
        guard !durable || fsync(descriptor) == 0 else {
            let error = failure("fsync failed")
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("rename failed")
            unlink(temporary)
            throw error
        }
        guard durable else { return }
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let directoryDescriptor = DescriptorReserve.opening {
            open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}
