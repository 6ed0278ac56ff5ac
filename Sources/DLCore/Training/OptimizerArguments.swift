// Reading an optimizer's configuration from its name and its arguments under their Keras names:
// each optimizer's own arguments with Keras's defaults, then those of Keras's BaseOptimizer that
// every optimizer takes, each checked as Keras checks it (and as float32 will use it).

extension OptimizerConfig {
    /// What an argument may hold.
    private enum Domain {
        case positive, nonNegative, nonPositive, belowOne, fraction, flag, count

        var requirement: String {
            switch self {
            case .positive: "it must be a finite number > 0"
            case .nonNegative: "it must be a finite number >= 0"
            case .nonPositive: "it must be a finite number <= 0"
            case .belowOne: "it must be at least 0 and below 1 (a decay rate)"
            case .fraction: "it must be between 0 and 1"
            case .flag: "it must be true or false (1 or 0)"
            case .count: "it must be a whole number >= 1"
            }
        }

        func admits(_ value: Double) -> Bool {
            let single = Float(value)
            switch self {
            case .positive: return single.isFinite && single > 0
            case .nonNegative: return single.isFinite && single >= 0
            case .nonPositive: return single.isFinite && single <= 0
            case .belowOne: return single >= 0 && single < 1
            case .fraction: return single >= 0 && single <= 1
            case .flag: return value == 0 || value == 1
            case .count: return value >= 1 && value <= 1e9 && value == value.rounded()
            }
        }
    }

    /// Each optimizer's own arguments and their domains (learning_rate and BaseOptimizer's aside).
    private static let ruleArguments: [String: [(String, Domain)]] = [
        "sgd": [("momentum", .nonNegative), ("nesterov", .flag)],
        "adam": [("beta_1", .belowOne), ("beta_2", .belowOne), ("epsilon", .nonNegative), ("amsgrad", .flag)],
        "adamw": [("beta_1", .belowOne), ("beta_2", .belowOne), ("epsilon", .nonNegative), ("amsgrad", .flag)],
        "rmsprop": [("rho", .belowOne), ("momentum", .nonNegative), ("epsilon", .nonNegative)],
        "adagrad": [("initial_accumulator_value", .nonNegative), ("epsilon", .nonNegative)],
        "nadam": [("beta_1", .belowOne), ("beta_2", .belowOne), ("epsilon", .nonNegative)],
        "adamax": [("beta_1", .belowOne), ("beta_2", .belowOne), ("epsilon", .nonNegative)],
        "adadelta": [("rho", .belowOne), ("epsilon", .nonNegative)],
        "ftrl": [
            ("learning_rate_power", .nonPositive), ("initial_accumulator_value", .nonNegative),
            ("l1_regularization_strength", .nonNegative), ("l2_regularization_strength", .nonNegative),
            ("l2_shrinkage_regularization_strength", .nonNegative), ("beta", .nonNegative),
        ],
    ]

    /// Keras's BaseOptimizer arguments, which every optimizer takes.
    private static let baseArguments: [(String, Domain)] = [
        ("learning_rate", .positive), ("weight_decay", .nonNegative), ("clipnorm", .positive), ("clipvalue", .positive),
        ("global_clipnorm", .positive), ("use_ema", .flag), ("ema_momentum", .fraction), ("ema_overwrite_frequency", .count),
    ]

    /// The optimizer `name` with Keras's defaults, overridden by `arguments` under their Keras names,
    /// and with the learning-rate `schedule` in its text form (`NAME:ARG=VALUE,...`) when given, whose
    /// initial_learning_rate defaults to the learning rate. Throws ModelSpecError for the name and
    /// the arguments, LearningRateScheduleError for the schedule.
    public init(name: String, arguments: [String: Double] = [:], schedule: String? = nil) throws {
        let key = name.lowercased()
        guard let own = Self.ruleArguments[key] else {
            throw ModelSpecError.unknownOptimizer(name, known: Self.names)
        }
        let domains = Dictionary(uniqueKeysWithValues: own + Self.baseArguments)
        for (argument, value) in arguments.sorted(by: { $0.key < $1.key }) {
            guard let domain = domains[argument] else {
                let known = domains.keys.sorted()
                let hint = EditDistance.nearest(to: argument, among: known).map { "did you mean \($0)? " } ?? ""
                throw ModelSpecError.badOptimizerArgument(
                    name: argument, value: value, reason: "\(hint)\(key) takes \(known.joined(separator: ", "))")
            }
            guard domain.admits(value) else {
                throw ModelSpecError.badOptimizerArgument(name: argument, value: value, reason: domain.requirement)
            }
        }
        let clips = ["clipnorm", "clipvalue", "global_clipnorm"].filter { arguments[$0] != nil }
        if clips.count > 1 {
            throw ModelSpecError.badOptimizerArgument(
                name: clips[1], value: arguments[clips[1]] ?? 0,
                reason: "Keras allows only one of clipnorm, clipvalue and global_clipnorm; \(clips[0]) is set too")
        }
        func value(_ key: String, _ fallback: Float) -> Float { arguments[key].map(Float.init) ?? fallback }
        func flag(_ key: String) -> Bool { (arguments[key] ?? 0) != 0 }
        let rule: OptimizerRule
        switch key {
        case "sgd": rule = .sgd(momentum: value("momentum", 0), nesterov: flag("nesterov"))
        case "adam", "adamw":
            let (beta1, beta2, epsilon) = (value("beta_1", 0.9), value("beta_2", 0.999), value("epsilon", 1e-7))
            rule = key == "adam"
                ? .adam(beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: flag("amsgrad"))
                : .adamw(beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: flag("amsgrad"))
        case "rmsprop": rule = .rmsprop(rho: value("rho", 0.9), momentum: value("momentum", 0), epsilon: value("epsilon", 1e-7))
        case "adagrad":
            rule = .adagrad(initialAccumulatorValue: value("initial_accumulator_value", 0.1), epsilon: value("epsilon", 1e-7))
        case "nadam": rule = .nadam(beta1: value("beta_1", 0.9), beta2: value("beta_2", 0.999), epsilon: value("epsilon", 1e-7))
        case "adamax": rule = .adamax(beta1: value("beta_1", 0.9), beta2: value("beta_2", 0.999), epsilon: value("epsilon", 1e-7))
        case "adadelta": rule = .adadelta(rho: value("rho", 0.95), epsilon: value("epsilon", 1e-7))
        default:
            rule = .ftrl(
                learningRatePower: value("learning_rate_power", -0.5),
                initialAccumulatorValue: value("initial_accumulator_value", 0.1),
                l1: value("l1_regularization_strength", 0), l2: value("l2_regularization_strength", 0),
                l2Shrinkage: value("l2_shrinkage_regularization_strength", 0), beta: value("beta", 0))
        }
        let learningRate = value("learning_rate", key == "sgd" ? 0.01 : 0.001)
        var clipping: GradientClipping?
        if let norm = arguments["clipnorm"] { clipping = .norm(Float(norm)) }
        if let norm = arguments["global_clipnorm"] { clipping = .globalNorm(Float(norm)) }
        if let limit = arguments["clipvalue"] { clipping = .value(Float(limit)) }
        let average = flag("use_ema")
            ? MovingAverage(momentum: value("ema_momentum", 0.99), overwriteFrequency: arguments["ema_overwrite_frequency"].map { Int($0) })
            : nil
        let parsedSchedule: LearningRateSchedule?
        if let schedule {
            parsedSchedule = try LearningRateSchedule(parsing: schedule, initialLearningRate: learningRate)
        } else {
            parsedSchedule = nil
        }
        self.init(
            rule: rule, learningRate: learningRate, weightDecay: value("weight_decay", key == "adamw" ? 0.004 : 0),
            clipping: clipping, movingAverage: average, schedule: parsedSchedule)
    }
}
