// Why the coordinator took a worker out of a run for good: a result the audit found wrong, a result
// that cannot be one (the wrong length, or a gradient that is not finite where the other workers'
// are), or no result at all from a worker that still answers. The event that reports an exclusion
// carries it, and the reject the worker gets (and every later one) says it in words.

import DLProtocol
import DLTraining

public enum ExclusionCause: Sendable, Equatable, CustomStringConvertible {
    /// `--audit`: its gradient of `shard` at a step differs from the coordinator's, which computed
    /// the same bits twice.
    case gradientDiffers(shard: Int, at: TrainingPosition)
    /// `--audit`: its loss and metric sums of `shard` at a step differ from the coordinator's.
    case sumsDiffer(shard: Int, at: TrainingPosition)
    /// `--audit`: its validation sums of `shard` after `epoch` (1-based) differ from the coordinator's.
    case validationSumsDiffer(shard: Int, epoch: Int)
    /// Its gradient of `shard` at a step is not finite while the other workers' are (without the
    /// audit, which settles it here): the shard is computed again by another worker, and a run whose
    /// gradient is not finite there too stops as diverged.
    case gradientNotFinite(shard: Int, at: TrainingPosition)
    /// A result of the step or validation pass in progress (a message of `type`) whose gradient or
    /// sums do not have the job's length; `shard` when it names one.
    case wrongLength(MessageType, shard: Int?)
    /// It answers the coordinator but did not send its part of a step after being asked twice,
    /// `timeout` (the worker timeout) each time.
    case noStepResult(at: TrainingPosition, timeout: Duration)
    /// The same for its shards' validation sums after `epoch` (1-based).
    case noValidationResult(epoch: Int, timeout: Duration)

    public var description: String {
        let audited = "from the coordinator's, which computed the same bits twice (--audit)"
        switch self {
        case let .gradientDiffers(shard, position):
            return "its gradient of shard \(shard) at \(position) differs \(audited)"
        case let .sumsDiffer(shard, position):
            return "its loss and metric sums of shard \(shard) at \(position) differ \(audited)"
        case let .validationSumsDiffer(shard, epoch):
            return "its validation sums of shard \(shard) after epoch \(epoch) differ \(audited)"
        case let .gradientNotFinite(shard, position):
            return "its gradient of shard \(shard) at \(position) is not finite while the other workers' are; another "
                + "worker computes the shard again"
        case let .wrongLength(type, shard):
            return "its \(type) message" + (shard.map { " for shard \($0)" } ?? "") + " does not have the job's length"
        case let .noStepResult(position, timeout):
            return "it answers the coordinator but sent no result for \(position), asked twice, \(seconds(timeout)) s "
                + "each (--worker-timeout)"
        case let .noValidationResult(epoch, timeout):
            return "it answers the coordinator but sent no validation result after epoch \(epoch), asked twice, "
                + "\(seconds(timeout)) s each (--worker-timeout)"
        }
    }
}
