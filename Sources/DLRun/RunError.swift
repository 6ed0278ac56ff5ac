// The errors of a run's files: job files, model files, checkpoints, the metrics log and the run
// directory, and resuming from a checkpoint. Each names the file and what is wrong with it.

public enum RunError: Error, Equatable, CustomStringConvertible {
    /// A job file that cannot be read or is not valid JSON for a job.
    case badJobFile(path: String, reason: String)
    /// A file that could not be written: the path and the system's reason.
    case cannotWrite(path: String, reason: String)
    /// A model file that is not a dltrain model: the path and what is wrong.
    case badModelFile(path: String, reason: String)
    /// A run's metrics.jsonl that cannot be read: the path, the line (0: the file as a whole), and what is wrong.
    case badMetricsLog(path: String, line: Int, reason: String)
    /// A path given as a run directory that is none: missing, or without a metrics log.
    case notARunDirectory(path: String, reason: String)
    /// A checkpoint file that could not be read.
    case unreadableCheckpoint(path: String)
    /// A file that is not a valid checkpoint: the reason says what is wrong.
    case badCheckpoint(path: String, reason: String)
    /// The run directory holds no checkpoint that can be used; the ones skipped, with why.
    case noCheckpoint(directory: String, skipped: [String])
    /// The resumed job differs from the checkpoint's in a way that would change the model.
    case cannotResume(String)

    public var description: String {
        switch self {
        case let .badJobFile(path, reason):
            return "\(path): not a valid job file: \(reason)"
        case let .cannotWrite(path, reason):
            return "cannot write \(path): \(reason)"
        case let .badModelFile(path, reason):
            return "\(path): not a valid dltrain model file: \(reason)"
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
        case let .noCheckpoint(directory, skipped):
            return "\(directory): no usable checkpoint" + (skipped.isEmpty ? "" : " (skipped: \(skipped.joined(separator: "; ")))")
        case let .cannotResume(reason):
            return "cannot resume: \(reason)"
        }
    }
}
