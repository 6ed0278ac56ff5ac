// The errors of setting up and running a training job (other than those of the data and the model
// description, which DataError and ModelSpecError report, and of the run's files, RunError).

import DLData

public enum JobError: Error, Equatable, CustomStringConvertible {
    /// A setting with a value it cannot take: the setting's name, the value, and why.
    case badSetting(String, String, String)
    /// Training produced a loss or weight that is not a finite number; `nonFiniteData` is the
    /// first NaN or infinite cell of the data, when it holds one (the cause, then).
    case diverged(epoch: Int, step: Int, nonFiniteData: NonFiniteCell? = nil)

    public var description: String {
        switch self {
        case let .badSetting(name, value, reason):
            return "invalid \(name) \"\(value)\": \(reason)"
        case let .diverged(epoch, step, nonFiniteData?):
            return "training diverged at epoch \(epoch), step \(step): the loss or a weight is no longer a finite number, "
                + "because the data holds NaN or infinite values, which --allow-non-finite let in; the first is "
                + "\(nonFiniteData). One such value makes every weight NaN as soon as its row is trained on (with "
                + "--standardize, its whole column at once): remove or replace those values, or leave their column "
                + "out with --features"
        case let .diverged(epoch, step, nil):
            return "training diverged at epoch \(epoch), step \(step): the loss or a weight is no longer a finite number; "
                + "try a lower learning rate or --standardize"
        }
    }
}
