// Where a run writes, and how it makes that place its own, so that runs are never lost or mixed:
// - a default directory, runs/YYYYmmdd-HHMMSS, is made with mkdir(2), which fails when the name is
//   taken: two runs started in the same second get -2, -3, ... instead of one directory;
// - before the job is read, a directory in use by another run (its lock, RunLock) or holding
//   another run (RunDirectoryContents) is refused, unless the run is resumed (--resume) or
//   replaced (--overwrite);
// - once the job is checked, the run takes the lock for its life, checks again under it, clears
//   dltrain's earlier files (all of them with --overwrite; what an attempt that trained nothing
//   left otherwise) and writes its record. A run that fails its checks has written nothing.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum RunDirectory {
    /// How a run uses its directory.
    public enum Use: Sendable, Equatable {
        /// A new run: refused where a run is.
        case start
        /// A new run that first removes the run there (--overwrite).
        case overwrite
        /// The run there goes on (--resume).
        case resume
    }

    /// A run that continues a checkpoint of `runDirectory` resumes it; one that continues another
    /// directory's checkpoint (or none) starts a run in `runDirectory`.
    public static func use(resuming resumeDirectory: String?, runDirectory: String, overwrite: Bool) -> Use {
        if let resumeDirectory, sameFile(resumeDirectory, runDirectory) { return .resume }
        return overwrite ? .overwrite : .start
    }

    /// Makes runs/YYYYmmdd-HHMMSS (then -2, -3, ... for a name already taken) under `parent`, made if
    /// missing; returns it and whether `parent` was made too.
    public static func makeDefault(parent: String = "runs", now: Date = Date()) throws -> (path: String, madeParent: Bool) {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let stamp = formatter.string(from: now)
        var madeParent = false
        var suffix = 1
        while suffix < 10_000 {
            if mkdir(parent, 0o777) == 0 { madeParent = true }
            let path = parent + "/" + stamp + (suffix == 1 ? "" : "-\(suffix)")
            if mkdir(path, 0o777) == 0 { return (path, madeParent) }
            switch errno {
            case EEXIST: suffix += 1
            case ENOENT: continue  // `parent` went away (another run removed it, empty): make it again
            default:
                throw RunError.cannotWrite(path: path, reason: "cannot create the run directory: \(String(cString: strerror(errno)))")
            }
        }
        throw RunError.cannotWrite(path: parent + "/" + stamp, reason: "every run directory name of this second is taken")
    }

    /// Removes a default directory a run made and wrote nothing in (a run that failed its checks),
    /// and its parent if the run made it and it is empty.
    public static func removeIfEmpty(_ made: (path: String, madeParent: Bool)) {
        guard rmdir(made.path) == 0, made.madeParent else { return }
        rmdir((made.path as NSString).deletingLastPathComponent)
    }

    /// Before anything is read: refuses a directory another run holds the lock of, or (for a new
    /// run) one that holds a run. Changes nothing.
    public static func check(_ path: String, for use: Use) throws {
        let contents = try RunDirectoryContents(path: path)
        guard contents.exists else { return }
        let record = path + "/" + RunLock.fileName
        if let bytes = FileManager.default.contents(atPath: record), !RunRecord.isRecord(Array(bytes)) {
            throw RunLock.notDltrains(record)
        }
        if let holder = RunLock.holder(of: path) { throw RunError.runDirectoryInUse(directory: path, holder: holder) }
        if use == .start, contents.holdsRun { throw holdsRun(contents) }
    }

    /// What a run holds once it has claimed its directory.
    public struct Claim {
        /// Held for the run's life.
        public let lock: RunLock
        /// dltrain's files removed from the directory.
        public let removed: [String]
        /// With --overwrite: the files there that dltrain did not write, left in place.
        public let kept: [String]
    }

    /// Makes the directory if needed, takes its lock, checks it again under the lock, removes
    /// dltrain's earlier files as `use` says and writes `record`.
    public static func claim(_ path: String, for use: Use, record: RunRecord) throws -> Claim {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RunError.cannotWrite(path: path, reason: "cannot create the run directory: \(error.localizedDescription)")
        }
        let lock = try RunLock.acquire(directory: path)
        let contents = try RunDirectoryContents(path: path)
        if use == .start, contents.holdsRun { throw holdsRun(contents) }
        let removed: [String]
        if use == .resume {
            // The run goes on: only what a killed process left half-written or a resumed run makes again.
            removed = try contents.clear { RunDirectoryContents.isStaleTemporary($0) || $0 == ".job-secret" }
        } else {
            removed = try contents.clear()
        }
        try lock.write(record)
        return Claim(lock: lock, removed: removed, kept: use == .overwrite ? contents.others : [])
    }

    private static func holdsRun(_ contents: RunDirectoryContents) -> RunError {
        .runDirectoryHoldsRun(
            directory: contents.path, contents: contents.runSummary,
            started: RunRecord.read(directory: contents.path)?.started, resumable: !contents.checkpoints.isEmpty)
    }

    /// Whether two paths name the same file or directory (both existing).
    static func sameFile(_ first: String, _ second: String) -> Bool {
        var a = stat(), b = stat()
        guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }
}
