// How a trainer tells its observers (the console, the metrics log) about a run's progress.

import DLCore

/// Receives a run's progress. Every method has an empty default.
public protocol TrainingObserver: AnyObject {
    /// Before the first epoch (of this process): the job, and where the run stands.
    func runStarted(_ job: TrainingJob, at position: TrainingPosition)
    func epochStarted(epoch: Int, of epochs: Int, steps: Int)
    /// After each step: how many steps of the epoch are done and the running training sums.
    func stepFinished(step: Int, of steps: Int, runningSums: [Double], metrics: MetricSet)
    func epochFinished(_ report: EpochReport, of epochs: Int) throws
}

extension TrainingObserver {
    public func runStarted(_ job: TrainingJob, at position: TrainingPosition) {}
    public func epochStarted(epoch: Int, of epochs: Int, steps: Int) {}
    public func stepFinished(step: Int, of steps: Int, runningSums: [Double], metrics: MetricSet) {}
    public func epochFinished(_ report: EpochReport, of epochs: Int) throws {}
}
