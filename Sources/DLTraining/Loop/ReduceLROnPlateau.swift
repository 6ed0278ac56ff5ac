// Keras's ReduceLROnPlateau, exactly as keras/src/callbacks/reduce_lr_on_plateau.py (Keras 3) runs
// it after each epoch: during a cooldown the counter goes down and the wait is reset; a monitored
// value that improves on the best by more than `minDelta` becomes the best and resets the wait;
// otherwise, out of cooldown, the wait grows, and once it reaches `patience` the optimizer's rate is
// lowered to max(rate x factor, min_lr) (computed in float64, stored as float32, as Keras assigns it
// to its float32 variable) if it is above float32(min_lr), which starts a cooldown. As Keras's ops
// compare in float32, the improvement test is float32(value -/+ min_delta) against float32(best).
// The direction is Keras's `mode`: `auto` takes the metric's own (down for losses and errors, up for
// accuracy and AUC, as EarlyStopping's). The state is part of the training progress, so it is the
// same in one process and distributed, and in checkpoints.

public struct ReduceLROnPlateau: Sendable, Equatable, Codable {
    public struct Rule: Sendable, Equatable, Codable {
        public enum Mode: String, Sendable, Codable, CaseIterable {
            case auto, min, max
        }

        /// A name of the epoch's values: `loss`, `val_loss`, `accuracy`, `val_auc`, ...
        public let monitor: String
        public let factor: Double
        public let patience: Int
        public let mode: Mode
        /// Kept as given, non-negative (Keras takes its absolute value).
        public let minDelta: Double
        public let cooldown: Int
        public let minLR: Double

        public init(
            monitor: String = "val_loss", factor: Double = 0.1, patience: Int = 10, mode: Mode = .auto,
            minDelta: Double = 1e-4, cooldown: Int = 0, minLR: Double = 0
        ) {
            self.monitor = monitor
            self.factor = factor
            self.patience = patience
            self.mode = mode
            self.minDelta = abs(minDelta)
            self.cooldown = cooldown
            self.minLR = minLR
        }

        // Written and read with snake_case keys (min_delta, min_lr), as checkpoints convert them.
        private enum CodingKeys: String, CodingKey {
            case monitor, factor, patience, mode, minDelta, cooldown, minLR = "minLr"
        }

        /// Whether larger values are better.
        public var improvesUpward: Bool {
            switch mode {
            case .min: false
            case .max: true
            case .auto: EarlyStopping.Rule.improvesUpward(monitor: monitor)
            }
        }

        /// Whether `value` improves on `reference` by more than `minDelta`, compared in float32 as
        /// Keras's ops compare (on nothing, it does).
        public func improves(_ value: Double, on reference: Double?) -> Bool {
            guard let reference else { return true }
            return improvesUpward ? Float(value - minDelta) > Float(reference) : Float(value + minDelta) < Float(reference)
        }

        /// The rate after a reduction of `rate`, or nil when it is not above float32(min_lr) (Keras
        /// then leaves it, and does not start a cooldown).
        public func reduced(_ rate: Float) -> Float? {
            let old = Double(rate)
            guard old > Double(Float(minLR)) else { return nil }
            return Float(Swift.max(old * factor, minLR))
        }
    }

    public let rule: Rule
    /// The best monitored value so far, nil before the first epoch.
    public private(set) var best: Double?
    /// Epochs without improvement since the last improvement, reduction or cooldown epoch.
    public private(set) var wait = 0
    /// Epochs of cooldown left (Keras's `cooldown_counter`).
    public private(set) var cooldownCounter = 0

    private enum CodingKeys: String, CodingKey { case rule, best, wait, cooldownCounter }

    public init(rule: Rule) { self.rule = rule }

    /// A state as a checkpoint holds it.
    public init(rule: Rule, best: Double?, wait: Int, cooldownCounter: Int) {
        self.rule = rule
        self.best = best
        self.wait = wait
        self.cooldownCounter = cooldownCounter
    }

    /// The end of an epoch whose monitored value is `current` (nil if the epoch did not report it,
    /// which Keras skips) with the optimizer's base rate `learningRate`: the rate to use from now
    /// on, when it is lowered.
    public mutating func epochEnded(value current: Double?, learningRate: Float) -> Float? {
        guard let current else { return nil }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            wait = 0
        }
        if rule.improves(current, on: best) {
            best = current
            wait = 0
            return nil
        }
        guard cooldownCounter == 0 else { return nil }
        wait += 1
        guard wait >= rule.patience, let lowered = rule.reduced(learningRate) else { return nil }
        cooldownCounter = rule.cooldown
        wait = 0
        return lowered
    }
}
