// What an epoch reports: Keras's History entry for it, plus the time it took.

import DLCore

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

        public init(name: String, value: Double) {
            self.name = name
            self.value = value
        }
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

    /// A report as metrics.jsonl records it: the values by name.
    public init(epoch: Int, seconds: Double, steps: Int, values: [NamedValue]) {
        self.epoch = epoch
        self.seconds = seconds
        self.steps = steps
        self.values = values
    }

    public func value(_ name: String) -> Double? { values.first { $0.name == name }?.value }
}
