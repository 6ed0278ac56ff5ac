// The errors of a run's files: job files, model files, checkpoints, the metrics log and the run
// directory (in use, or holding another run), resuming from a checkpoint, and a run stopped by a
// signal. Each names the file and what is wrong with it, and what to do.

public enum RunError: Error, Equatable, CustomStringConvertible {
    /// A job file that cannot be read, or is not one JSON object.
    case badJobFile(path: String, reason: String)
    /// A job file with a mistake at a place: a syntax error (no key), or a key whose value has the
    /// wrong type, is out of range or is repeated; the line and column (1-based) of the value.
    case badJobFileEntry(path: String, line: Int, column: Int, key: String?, reason: String)
    /// A job file with a key dltrain does not know, and the known key it probably meant.
    case unknownJobFileKey(path: String, line: Int, column: Int, key: String, meant: String?)
    /// A file that could not be written: the path and the system's reason.
    case cannotWrite(path: String, reason: String)
    /// A model file that is not a dltrain model: the path and what is wrong.
    case badModelFile(path: String, reason: String)
    /// A dltrain model file whose content is not what dltrain writes (a value out of range, parts
    /// that contradict each other): the path and what is wrong.
    case inconsistentModelFile(path: String, reason: String)
    /// A run's metrics.jsonl that cannot be read: the path, the line (0: the file as a whole), and what is wrong.
    case badMetricsLog(path: String, line: Int, reason: String)
    /// A path given as a run directory that is none: missing, or without a metrics log.
    case notARunDirectory(path: String, reason: String)
    /// A checkpoint file that could not be read.
    case unreadableCheckpoint(path: String)
    /// A file that is not a valid checkpoint: the reason says what is wrong.
    case badCheckpoint(path: String, reason: String)
    /// A checkpoint whose checksum matches but whose content is not what dltrain writes, or does
    /// not fit the job it is resumed with: the path and what is wrong.
    case inconsistentCheckpoint(path: String, reason: String)
    /// The run directory holds no checkpoint that can be used; the ones skipped, with why.
    case noCheckpoint(directory: String, skipped: [String])
    /// The resumed job differs from the checkpoint's in a way that would change the model.
    case cannotResume(String)
    /// A new run's directory holds another run: what it holds, when it started (from its run.json),
    /// and whether a checkpoint there could continue it.
    case runDirectoryHoldsRun(directory: String, contents: String, started: String?, resumable: Bool)
    /// Another process runs in the run directory: who (pid, host, start, command).
    case runDirectoryInUse(directory: String, holder: String)
    /// A run in one process stopped by Ctrl-C or SIGTERM: the cause, the checkpoint written and
    /// where it stands.
    case interrupted(cause: String, checkpoint: String, position: String)

    public var description: String {
        switch self {
        case let .badJobFile(path, reason):
            return "\(path): not a valid job file: \(reason)"
        case let .badJobFileEntry(path, line, column, key?, reason):
            return "\(path):\(line):\(column): \"\(key)\": \(reason)"
        case let .badJobFileEntry(path, line, column, nil, reason):
            return "\(path):\(line):\(column): \(reason)"
        case let .unknownJobFileKey(path, line, column, key, meant):
            return "\(path):\(line):\(column): unknown key \"\(key)\""
                + (meant.map { "; did you mean \"\($0)\"?" } ?? "; docs/cli.md lists the keys of a job file")
        case let .cannotWrite(path, reason):
            return "cannot write \(path): \(reason)"
        case let .badModelFile(path, reason):
            return "\(path): not a valid dltrain model file: \(reason)"
        case let .inconsistentModelFile(path, reason):
            return "\(path): not a valid dltrain model file: \(reason); it was edited, or written by another program: "
                + "train the model again, or give dlmodel a checkpoint of its run"
        case let .badMetricsLog(path, 0, reason):
            return "\(path): cannot read the metrics log: \(reason)"
        case let .badMetricsLog(path, line, reason):
            return "\(path):\(line): not a dltrain metrics log: \(reason)"
        case let .notARunDirectory(path, reason):
            return "\(path): not a run directory: \(reason)"
        case let .unreadableCheckpoint(path):
            return "\(path): cannot read the checkpoint"
        case let .badCheckpoint(path, reason):
            return "\(path): not a usable checkpoint: \(reason)"
        case let .inconsistentCheckpoint(path, reason):
            return "\(path): not a usable checkpoint: \(reason); its checksum guards against damage, not edits: it was "
                + "edited or written by another program: resume from another checkpoint of the run (move this one away), "
                + "or start the run again"
        case let .noCheckpoint(directory, skipped):
            return "\(directory): no usable checkpoint" + (skipped.isEmpty ? "" : " (skipped: \(skipped.joined(separator: "; ")))")
        case let .cannotResume(reason):
            return "cannot resume: \(reason)"
        case let .runDirectoryHoldsRun(directory, contents, started, resumable):
            let run = "\(directory) already holds a run" + (started.map { " started \($0)" } ?? "") + " (\(contents))"
            let overwrite = "to delete it and start this run there: --overwrite; or choose another --run-dir"
            return resumable
                ? "\(run); to continue it: --resume \(directory); \(overwrite)"
                : "\(run) and no checkpoint to continue it from; \(overwrite)"
        case let .runDirectoryInUse(directory, holder):
            return "\(directory) is in use by another run: \(holder); wait for it to end (or stop it), or choose another --run-dir"
        case let .interrupted(cause, checkpoint, position):
            return "the run stopped: it was interrupted (\(cause)); checkpoint \(checkpoint) (\(position))"
        }
    }
}
