// The errors of setting up and running a training job (other than those of the data and the model
// description, which DataError and ModelSpecError report).

public enum JobError: Error, Equatable, CustomStringConvertible {
    /// A setting with a value it cannot take: the setting's name, the value, and why.
    case badSetting(String, String, String)
    /// A job file that cannot be read or is not valid JSON for a job.
    case badJobFile(path: String, reason: String)
    /// A file that could not be written: the path and the system's reason.
    case cannotWrite(path: String, reason: String)
    /// A model file that is not a dltrain model: the path and what is wrong.
    case badModelFile(path: String, reason: String)
    /// Training produced a loss or weight that is not a finite number.
    case diverged(epoch: Int, step: Int)

    public var description: String {
        switch self {
        case let .badSetting(name, value, reason):
            return "invalid \(name) \"\(value)\": \(reason)"
        case let .badJobFile(path, reason):
            return "\(path): not a valid job file: \(reason)"
        case let .cannotWrite(path, reason):
            return "cannot write \(path): \(reason)"
        case let .badModelFile(path, reason):
            return "\(path): not a valid dltrain model file: \(reason)"
        case let .diverged(epoch, step):
            return "training diverged at epoch \(epoch), step \(step): the loss or a weight is no longer a finite number; "
                + "try a lower learning rate or --standardize"
        }
    }
}
