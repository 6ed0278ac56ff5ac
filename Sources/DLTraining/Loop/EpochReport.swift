// What an epoch reports, and how a trainer tells its observers (the console, the metrics log) about
// progress.

import DLCore

/// The result of one epoch: Keras's History entry for it, plus the time it took.
public struct EpochReport: Sendable, Equatable, Codable {
    /// 1-based, as Keras prints it.
    public let epoch: Int
    public let seconds: Double
    public let steps: Int
    /// `loss`, the metrics, then `val_loss` and the validation metrics, in that order.
    public let values: [NamedValue]

    public struct NamedValue: Sendable, Equatable, Codable {
        public let name: String
        public let value: Double
    }

    /// Builds the values from the epoch's training sums and, when there are validation rows, theirs.
    public init(epoch: Int, seconds: Double, steps: Int, metrics: MetricSet, training: [Double], validation: [Double]?) {
        self.epoch = epoch
        self.seconds = seconds
        self.steps = steps
        var values = metrics.results(training).map { NamedValue(name: $0.name, value: $0.value) }
        if let validation {
            values += metrics.results(validation).map { NamedValue(name: "val_" + $0.name, value: $0.value) }
        }
        self.values = values
    }

    public func value(_ name: String) -> Double? { values.first { $0.name == name }?.value }
}

/// Receives a run's progress. Every method has an empty default.
public protocol TrainingObserver: AnyObject {
    func epochStarted(epoch: Int, of epochs: Int, steps: Int)
    /// After each step: how many steps of the epoch are done and the running training sums.
    func stepFinished(step: Int, of steps: Int, runningSums: [Double], metrics: MetricSet)
    func epochFinished(_ report: EpochReport, of epochs: Int) throws
}

extension TrainingObserver {
    public func epochStarted(epoch: Int, of epochs: Int, steps: Int) {}
    public func stepFinished(step: Int, of steps: Int, runningSums: [Double], metrics: MetricSet) {}
    public func epochFinished(_ report: EpochReport, of epochs: Int) throws {}
}
