// One run at a time in a run directory: a run holds an exclusive flock(2) on the directory's run.json
// for its whole life and writes its record there. The kernel releases the lock when the process
// ends, however it ends, so a run killed with SIGKILL never leaves a stale lock; a second run is
// refused at once, naming the first's process from the record. Readers (dlmodel, tensorboard)
// take no lock.
//
// The file is never removed (a lock file unlinked while another process opens it would let two
// runs hold locks on two files), and its record is rewritten in place only by the lock's holder.
// Looking whether a directory is in use takes the lock for an instant, so taking it retries for a
// moment before it counts as held.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public final class RunLock {
    public static let fileName = "run.json"

    public let directory: String
    private var descriptor: Int32

    private init(directory: String, descriptor: Int32) {
        self.directory = directory
        self.descriptor = descriptor
    }

    deinit { release() }

    /// Takes the lock of `directory` (which must exist), creating run.json if needed; throws
    /// `RunError.runDirectoryInUse` naming the holder when another process has it. The record is
    /// left as it is: `write(_:)` replaces it once the run may go on.
    public static func acquire(directory: String) throws -> RunLock {
        let path = directory + "/" + fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RunError.cannotWrite(path: path, reason: "cannot open the run's lock file: \(String(cString: strerror(errno)))")
        }
        switch lock(descriptor) {
        case .taken:
            let lock = RunLock(directory: directory, descriptor: descriptor)
            guard RunRecord.isRecord((try? FileBytes.read(path, maximum: RunRecord.maximumSize, bound: "a run record takes")) ?? []) else {
                throw notDltrains(path)
            }
            return lock
        case .held:
            close(descriptor)
            throw RunError.runDirectoryInUse(directory: directory, holder: holderDescription(path: path))
        case let .failed(reason):
            close(descriptor)
            throw RunError.cannotWrite(
                path: path, reason: "cannot lock the run directory (\(reason)); choose a --run-dir on a file system that supports flock")
        }
    }

    /// Whether another process holds the lock of `directory` now, and who: without creating
    /// anything (a directory without run.json is not in use).
    public static func holder(of directory: String) -> String? {
        let path = directory + "/" + fileName
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard case .held = lock(descriptor) else { return nil }  // taken (and let go on closing), or not lockable
        return holderDescription(path: path)
    }

    /// A run.json that dltrain did not write, which it must not rewrite.
    static func notDltrains(_ path: String) -> RunError {
        .cannotWrite(path: path, reason: "this file is not a dltrain run record, and a run keeps its own there; choose another --run-dir")
    }

    /// Replaces run.json's record with `record` (in place: the lock is on this file).
    public func write(_ record: RunRecord) throws {
        let bytes = record.encoded()
        let path = directory + "/" + Self.fileName
        guard descriptor >= 0, ftruncate(descriptor, 0) == 0,
            bytes.withUnsafeBytes({ pwrite(descriptor, $0.baseAddress, $0.count, 0) }) == bytes.count
        else {
            throw RunError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Lets the next run in. (Ending the process does the same.)
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    /// An exclusive lock without waiting, tried for up to 0.3 s: another process looking whether
    /// the directory is in use holds it only for an instant.
    private static func lock(_ descriptor: Int32) -> LockAttempt {
        for attempt in 0..<30 {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return .taken }
            guard errno == EWOULDBLOCK || errno == EINTR else { return .failed(String(cString: strerror(errno))) }
            if attempt < 29 { usleep(10_000) }
        }
        return .held
    }

    private enum LockAttempt {
        case taken, held
        case failed(String)
    }

    /// The holder's record, read again for a moment if the holder is rewriting it.
    private static func holderDescription(path: String) -> String {
        for _ in 0..<20 {
            if let data = FileManager.default.contents(atPath: path), let record = try? RunRecord(decoding: Array(data)) {
                return record.holderDescription
            }
            usleep(10_000)
        }
        return "a process that has not written its record in \(path)"
    }
}
