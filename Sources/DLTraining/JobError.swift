// The errors of setting up and running a training job (other than those of the data and the model
// description, which DataError and ModelSpecError report, and of the run's files, RunError).

public enum JobError: Error, Equatable, CustomStringConvertible {
    /// A setting with a value it cannot take: the setting's name, the value, and why.
    case badSetting(String, String, String)
    /// Training produced a loss or weight that is not a finite number.
    case diverged(epoch: Int, step: Int)

    public var description: String {
        switch self {
        case let .badSetting(name, value, reason):
            return "invalid \(name) \"\(value)\": \(reason)"
        case let .diverged(epoch, step):
            return "training diverged at epoch \(epoch), step \(step): the loss or a weight is no longer a finite number; "
                + "try a lower learning rate or --standardize"
        }
    }
}
