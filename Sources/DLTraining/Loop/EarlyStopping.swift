// Keras's EarlyStopping, exactly: after each epoch the monitored value (val_loss by default) is
// compared with the best so far, less `minDelta` in the direction of improvement (down for losses
// and errors, up for accuracy and AUC, as Keras's `auto` mode infers it); an improvement makes it
// the best and resets the wait, and once `patience` epochs have passed without one (never after
// the first epoch) training stops. With `restoreBestWeights` the weights of the best epoch are
// kept, and are the model's at the end, whether or not training stopped early. The state is part
// of the training progress, so it is the same in one process and distributed, and in checkpoints.

public struct EarlyStopping: Sendable, Equatable, Codable {
    public struct Rule: Sendable, Equatable, Codable {
        public let patience: Int
        /// A name of the epoch's values: `loss`, `val_loss`, `accuracy`, `val_auc`, ...
        public let monitor: String
        public let minDelta: Double
        public let restoreBestWeights: Bool

        public init(patience: Int, monitor: String, minDelta: Double, restoreBestWeights: Bool) {
            self.patience = patience
            self.monitor = monitor
            self.minDelta = abs(minDelta)
            self.restoreBestWeights = restoreBestWeights
        }

        /// Whether larger values are better: accuracy and AUC, as Keras's metrics' direction.
        public var improvesUpward: Bool { Self.improvesUpward(monitor: monitor) }

        /// Whether larger values of `monitor` are better, as Keras's `auto` mode finds it: the
        /// direction of the metric of that name (`val_` aside), down for the loss.
        public static func improvesUpward(monitor: String) -> Bool {
            let name = monitor.hasPrefix("val_") ? String(monitor.dropFirst(4)) : monitor
            return name == "accuracy" || name == "auc"
        }

        /// Whether `value` improves on `reference` by more than `minDelta` (on nothing, it does).
        public func improves(_ value: Double, on reference: Double?) -> Bool {
            guard let reference else { return true }
            return improvesUpward ? value - minDelta > reference : value + minDelta < reference
        }
    }

    public let rule: Rule
    /// The best monitored value so far, nil before the first epoch.
    public private(set) var best: Double?
    /// The 0-based epoch of `best`, as Keras counts.
    public private(set) var bestEpoch = 0
    public private(set) var wait = 0
    /// The 0-based epoch after which training stopped, nil while it goes on.
    public private(set) var stoppedEpoch: Int?
    /// The weights at the end of the best epoch, with `restoreBestWeights`; kept out of the coded
    /// form: a checkpoint stores them as tensors and sets them when it is read.
    public var bestParameters: [Float]?

    private enum CodingKeys: String, CodingKey { case rule, best, bestEpoch, wait, stoppedEpoch }

    public init(rule: Rule) { self.rule = rule }

    /// The end of 0-based `epoch`, whose monitored value is `current` (nil if the epoch did not
    /// report it, which Keras skips) and weights `parameters`.
    public mutating func epochEnded(_ epoch: Int, value current: Double?, parameters: [Float]) {
        guard stoppedEpoch == nil, let current else { return }
        if rule.restoreBestWeights && bestParameters == nil {
            bestParameters = parameters
            bestEpoch = epoch
        }
        wait += 1
        if rule.improves(current, on: best) {
            best = current
            bestEpoch = epoch
            if rule.restoreBestWeights { bestParameters = parameters }
            wait = 0
            return
        }
        if wait >= rule.patience && epoch > 0 { stoppedEpoch = epoch }
    }
}
