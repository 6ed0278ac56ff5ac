// An optimizer's configuration as Keras's `compile(optimizer=...)` names it: the update rule and its
// hyper-parameters (OptimizerRule), the learning rate or a schedule, and what Keras's BaseOptimizer
// adds to every rule: weight_decay, clipnorm / clipvalue / global_clipnorm, use_ema. Built from
// the optimizer's name and its arguments under their Keras names (`--optimizer-args`, the job
// file's optimizer_arguments, a model file's or checkpoint's optimizer entry), with Keras's
// defaults and checks.

/// An update rule and the hyper-parameters that only it has.
public enum OptimizerRule: Sendable, Equatable {
    case sgd(momentum: Float, nesterov: Bool)
    case adam(beta1: Float, beta2: Float, epsilon: Float, amsgrad: Bool)
    /// Adam with weight decay on by default (Keras's AdamW: the same update).
    case adamw(beta1: Float, beta2: Float, epsilon: Float, amsgrad: Bool)
    case rmsprop(rho: Float, momentum: Float, epsilon: Float)
    case adagrad(initialAccumulatorValue: Float, epsilon: Float)
    case nadam(beta1: Float, beta2: Float, epsilon: Float)
    case adamax(beta1: Float, beta2: Float, epsilon: Float)
    case adadelta(rho: Float, epsilon: Float)
    case ftrl(learningRatePower: Float, initialAccumulatorValue: Float, l1: Float, l2: Float, l2Shrinkage: Float, beta: Float)
}

/// Keras's gradient clipping: at most one of clipnorm (each tensor's norm), global_clipnorm (the
/// norm of all gradients together) and clipvalue (each value).
public enum GradientClipping: Sendable, Equatable {
    case norm(Float), globalNorm(Float), value(Float)
}

/// Keras's use_ema: an exponential moving average of the weights, which becomes the model at the
/// end of training, and every `overwriteFrequency` updates when set.
public struct MovingAverage: Sendable, Equatable {
    public var momentum: Float
    public var overwriteFrequency: Int?

    public init(momentum: Float, overwriteFrequency: Int?) {
        self.momentum = momentum
        self.overwriteFrequency = overwriteFrequency
    }
}

public struct OptimizerConfig: Sendable, Equatable {
    public let rule: OptimizerRule
    /// The base learning rate (a schedule's initial_learning_rate when it has none of its own).
    public let learningRate: Float
    /// Keras's weight_decay: every update first takes weight_decay * lr of each weight off it. 0: none.
    public let weightDecay: Float
    public let clipping: GradientClipping?
    public let movingAverage: MovingAverage?
    /// The learning rate as a function of the step, instead of a constant one.
    public let schedule: LearningRateSchedule?

    public static let names = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "adamax", "adadelta", "ftrl"]

    public init(
        rule: OptimizerRule, learningRate: Float, weightDecay: Float = 0, clipping: GradientClipping? = nil,
        movingAverage: MovingAverage? = nil, schedule: LearningRateSchedule? = nil
    ) {
        self.rule = rule
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.clipping = clipping
        self.movingAverage = movingAverage
        self.schedule = schedule
    }

    public static func sgd(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false) -> Self {
        Self(rule: .sgd(momentum: momentum, nesterov: nesterov), learningRate: learningRate)
    }

    public static func adam(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) -> Self {
        Self(rule: .adam(beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: false), learningRate: learningRate)
    }

    public static func rmsprop(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7) -> Self {
        Self(rule: .rmsprop(rho: rho, momentum: momentum, epsilon: epsilon), learningRate: learningRate)
    }

    public static func adagrad(learningRate: Float = 0.001, initialAccumulatorValue: Float = 0.1, epsilon: Float = 1e-7) -> Self {
        Self(rule: .adagrad(initialAccumulatorValue: initialAccumulatorValue, epsilon: epsilon), learningRate: learningRate)
    }

    public var name: String {
        switch rule {
        case .sgd: "sgd"
        case .adam: "adam"
        case .adamw: "adamw"
        case .rmsprop: "rmsprop"
        case .adagrad: "adagrad"
        case .nadam: "nadam"
        case .adamax: "adamax"
        case .adadelta: "adadelta"
        case .ftrl: "ftrl"
        }
    }

    /// The hyper-parameters under their Keras names, for the model file, the checkpoint, the
    /// welcome and the log: the rule's always, the others when set (weight_decay always for adamw),
    /// so that a job without them is written as before. Parsing them gives this configuration back.
    public var arguments: [String: Double] {
        var arguments = ["learning_rate": Double(learningRate)]
        func set(_ key: String, _ value: Float) { arguments[key] = Double(value) }
        func flag(_ key: String, _ value: Bool) { arguments[key] = value ? 1 : 0 }
        switch rule {
        case let .sgd(momentum, nesterov):
            set("momentum", momentum)
            flag("nesterov", nesterov)
        case let .adam(beta1, beta2, epsilon, amsgrad), let .adamw(beta1, beta2, epsilon, amsgrad):
            set("beta_1", beta1)
            set("beta_2", beta2)
            set("epsilon", epsilon)
            if amsgrad { flag("amsgrad", true) }
        case let .rmsprop(rho, momentum, epsilon):
            set("rho", rho)
            set("momentum", momentum)
            set("epsilon", epsilon)
        case let .adagrad(initial, epsilon):
            set("initial_accumulator_value", initial)
            set("epsilon", epsilon)
        case let .nadam(beta1, beta2, epsilon), let .adamax(beta1, beta2, epsilon):
            set("beta_1", beta1)
            set("beta_2", beta2)
            set("epsilon", epsilon)
        case let .adadelta(rho, epsilon):
            set("rho", rho)
            set("epsilon", epsilon)
        case let .ftrl(power, initial, l1, l2, shrinkage, beta):
            set("learning_rate_power", power)
            set("initial_accumulator_value", initial)
            set("l1_regularization_strength", l1)
            set("l2_regularization_strength", l2)
            set("l2_shrinkage_regularization_strength", shrinkage)
            set("beta", beta)
        }
        if weightDecay != 0 || name == "adamw" { set("weight_decay", weightDecay) }
        switch clipping {
        case let .norm(value)?: set("clipnorm", value)
        case let .globalNorm(value)?: set("global_clipnorm", value)
        case let .value(value)?: set("clipvalue", value)
        case nil: break
        }
        if let movingAverage {
            flag("use_ema", true)
            set("ema_momentum", movingAverage.momentum)
            if let frequency = movingAverage.overwriteFrequency { arguments["ema_overwrite_frequency"] = Double(frequency) }
        }
        return arguments
    }

    /// The names of the state buffers, as Keras names its optimizer variables: the rule's, then
    /// use_ema's `average`.
    public var slotNames: [String] {
        var names: [String]
        switch rule {
        case let .sgd(momentum, _): names = momentum != 0 ? ["momentum"] : []
        case let .adam(_, _, _, amsgrad), let .adamw(_, _, _, amsgrad):
            names = ["momentum", "velocity"] + (amsgrad ? ["velocity_hat"] : [])
        case let .rmsprop(_, momentum, _): names = momentum > 0 ? ["velocity", "momentum"] : ["velocity"]
        case .adagrad: names = ["accumulator"]
        case .nadam: names = ["momentum", "velocity"]
        case .adamax: names = ["momentum", "norm"]
        case .adadelta: names = ["accumulated_grad", "accumulated_delta_var"]
        case .ftrl: names = ["accumulator", "linear"]
        }
        return names + (movingAverage == nil ? [] : ["average"])
    }

    /// The value a state buffer starts at (Keras's initializer for it).
    public func initialValue(ofSlot name: String) -> Float {
        switch rule {
        case let .adagrad(initial, _) where name == "accumulator": initial
        case let .ftrl(_, initial, _, _, _, _) where name == "accumulator": initial
        default: 0
        }
    }

    /// Whether a state buffer holds sums of squares or maxima of magnitudes, which are never
    /// negative (a checkpoint that says otherwise is refused).
    public static func slotIsNonNegative(_ name: String) -> Bool {
        ["velocity", "velocity_hat", "accumulator", "norm", "accumulated_grad", "accumulated_delta_var"].contains(name)
    }

    /// The rate of the update that follows `iterations` updates when the base rate is `learningRate`.
    public func rate(atIteration iterations: Int, learningRate: Float) -> Float {
        schedule?.rate(atIteration: iterations) ?? learningRate
    }
}
