// The optimizer of a .keras file: its serialized config (Keras's class, get_config()'s keys: the
// rule's arguments, the base optimizer's weight_decay, clipping and use_ema when set, the learning
// rate as a number or a serialized LearningRateSchedule) and the order of its variables in
// model.weights.h5, so that keras.saving.load_model continues training as dltrain would have.

import DLCore
import Foundation

enum KerasOptimizerConfig {
    /// `{"module": "keras.optimizers", "class_name": ..., "config": ...}` as Keras serializes it.
    static func serialized(_ optimizer: OptimizerConfig) -> [String: Any] {
        var config: [String: Any] = ["name": optimizer.name]
        for (key, value) in optimizer.arguments {
            switch key {
            case "nesterov", "amsgrad", "use_ema": config[key] = value != 0
            case "ema_overwrite_frequency": config[key] = Int(value)
            default: config[key] = Double(Float(value))
            }
        }
        switch optimizer.rule {
        case .adam, .adamw: config["amsgrad"] = config["amsgrad"] ?? false
        case .rmsprop: config["centered"] = false
        default: break
        }
        if let schedule = optimizer.schedule { config["learning_rate"] = serialized(schedule) }
        return object("keras.optimizers", kerasClass(optimizer.rule), config)
    }

    /// A schedule as keras.optimizers.schedules.serialize writes it.
    static func serialized(_ schedule: LearningRateSchedule) -> [String: Any] {
        let (className, name): (String, String) = switch schedule {
        case .exponentialDecay: ("ExponentialDecay", "ExponentialDecay")
        case .inverseTimeDecay: ("InverseTimeDecay", "InverseTimeDecay")
        case .piecewiseConstantDecay: ("PiecewiseConstantDecay", "PiecewiseConstant")
        case .polynomialDecay: ("PolynomialDecay", "PolynomialDecay")
        case .cosineDecay: ("CosineDecay", "CosineDecay")
        case .cosineDecayRestarts: ("CosineDecayRestarts", "SGDRDecay")
        }
        var config: [String: Any] = ["name": name]
        if case .cosineDecay(_, _, _, nil, _) = schedule {
            config["warmup_target"] = NSNull()
            config["warmup_steps"] = 0
        }
        for (key, value) in schedule.configuration {
            switch value {
            // Step counts as Keras users write them: whole numbers as integers.
            case let .number(number): config[key] = number == number.rounded() && key.hasSuffix("steps") ? Int(number) : Double(number)
            case let .flag(flag): config[key] = flag
            case let .steps(steps): config[key] = steps
            case let .numbers(numbers): config[key] = numbers.map(Double.init)
            }
        }
        return object("keras.optimizers.schedules", className, config)
    }

    /// Keras's optimizer variables after iteration and learning rate, in groups created one after
    /// the other, each holding its slots for every trainable variable in turn (Adam interleaves
    /// momentum and velocity per variable; RMSprop keeps all velocities, then all momentums):
    /// use_ema's averages first (BaseOptimizer.build), then the rule's.
    static func slotGroups(_ optimizer: OptimizerConfig) -> [[String]] {
        var groups: [[String]] = optimizer.movingAverage == nil ? [] : [["average"]]
        switch optimizer.rule {
        case let .adam(_, _, _, amsgrad), let .adamw(_, _, _, amsgrad):
            groups += [["momentum", "velocity"]] + (amsgrad ? [["velocity_hat"]] : [])
        case .sgd, .rmsprop:
            groups += optimizer.slotNames.filter { $0 != "average" }.map { [$0] }
        case .adagrad: groups.append(["accumulator"])
        case .nadam: groups.append(["momentum", "velocity"])
        case .adamax: groups.append(["momentum", "norm"])
        case .adadelta: groups.append(["accumulated_grad", "accumulated_delta_var"])
        case .ftrl: groups.append(["accumulator", "linear"])
        }
        return groups
    }

    static func kerasClass(_ rule: OptimizerRule) -> String {
        switch rule {
        case .sgd: "SGD"
        case .adam: "Adam"
        case .adamw: "AdamW"
        case .rmsprop: "RMSprop"
        case .adagrad: "Adagrad"
        case .nadam: "Nadam"
        case .adamax: "Adamax"
        case .adadelta: "Adadelta"
        case .ftrl: "Ftrl"
        }
    }

    private static func object(_ module: String, _ className: String, _ config: [String: Any]) -> [String: Any] {
        ["module": module, "class_name": className, "config": config, "registered_name": NSNull()]
    }
}
