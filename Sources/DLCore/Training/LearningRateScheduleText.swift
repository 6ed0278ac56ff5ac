// The text form of a learning-rate schedule, `NAME:ARG=VALUE,...` (the --lr-schedule flag, the job
// file's lr_schedule, and the model file's, checkpoint's and welcome's record of it): Keras's class
// names in snake_case, Keras's argument names and defaults, lists as `boundaries=100/200`, booleans
// true/false. `text` prints every argument, initial_learning_rate included, so that parsing it
// gives the same schedule whatever the optimizer's learning rate.

/// Why a schedule's text was refused.
public enum LearningRateScheduleError: Error, Equatable, CustomStringConvertible {
    case unknownSchedule(String, suggestion: String?)
    case badArgument(schedule: String, argument: String, reason: String)
    case missingArgument(schedule: String, argument: String)

    public var description: String {
        switch self {
        case let .unknownSchedule(name, suggestion):
            return "unknown learning-rate schedule \"\(name)\"" + (suggestion.map { " (did you mean \($0)?)" } ?? "")
                + "; known: \(LearningRateSchedule.names.joined(separator: ", "))"
        case let .badArgument(schedule, argument, reason):
            return "\(schedule) argument \(argument): \(reason)"
        case let .missingArgument(schedule, argument):
            return "\(schedule) needs \(argument)=VALUE (Keras has no default for it)"
        }
    }
}

extension LearningRateSchedule {
    public static let names = [
        "exponential_decay", "inverse_time_decay", "piecewise_constant_decay", "polynomial_decay", "cosine_decay",
        "cosine_decay_restarts",
    ]

    /// The arguments each schedule takes, initial_learning_rate aside (piecewise_constant_decay has none).
    static let argumentNames: [String: [String]] = [
        "exponential_decay": ["decay_steps", "decay_rate", "staircase"],
        "inverse_time_decay": ["decay_steps", "decay_rate", "staircase"],
        "piecewise_constant_decay": ["boundaries", "values"],
        "polynomial_decay": ["decay_steps", "end_learning_rate", "power", "cycle"],
        "cosine_decay": ["decay_steps", "alpha", "warmup_target", "warmup_steps"],
        "cosine_decay_restarts": ["first_decay_steps", "t_mul", "m_mul", "alpha"],
    ]

    /// Parses `NAME:ARG=VALUE,...`; `initialLearningRate` stands for initial_learning_rate when the
    /// text does not give it (the optimizer's learning rate, as Keras users pass it).
    public init(parsing text: String, initialLearningRate: Float) throws(LearningRateScheduleError) {
        let colon = text.firstIndex(of: ":") ?? text.endIndex
        let name = text[..<colon].trimmingSpaces.lowercased()
        let rest = colon < text.endIndex ? text[text.index(after: colon)...] : text[text.endIndex...]
        guard let known = Self.argumentNames[name] else {
            // A misspelling, or the start of a name (cosine for cosine_decay).
            let start = name.isEmpty ? nil : Self.names.first { $0.hasPrefix(name) }
            throw .unknownSchedule(name, suggestion: EditDistance.nearest(to: name, among: Self.names) ?? start)
        }
        var values: [String: String] = [:]
        for item in rest.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            let allowed = name == "piecewise_constant_decay" ? known : ["initial_learning_rate"] + known
            guard parts.count == 2, !parts[1].isEmpty else {
                throw .badArgument(schedule: name, argument: String(item), reason: "expected ARG=VALUE, ARG one of \(allowed.joined(separator: ", "))")
            }
            guard allowed.contains(parts[0]) else {
                let hint = EditDistance.nearest(to: parts[0], among: allowed).map { "did you mean \($0)? " } ?? ""
                throw .badArgument(schedule: name, argument: parts[0], reason: "\(hint)\(name) takes \(allowed.joined(separator: ", "))")
            }
            guard values[parts[0]] == nil else { throw .badArgument(schedule: name, argument: parts[0], reason: "given twice") }
            values[parts[0]] = parts[1]
        }
        let arguments = Arguments(schedule: name, values: values)
        let initial = try arguments.number("initial_learning_rate", default: initialLearningRate, atLeast: 0)
        switch name {
        case "exponential_decay", "inverse_time_decay":
            let steps = try arguments.steps("decay_steps")
            let rate = try arguments.number("decay_rate", atLeast: 0)
            let staircase = try arguments.flag("staircase")
            self = name == "exponential_decay"
                ? .exponentialDecay(initial: initial, decaySteps: steps, decayRate: rate, staircase: staircase)
                : .inverseTimeDecay(initial: initial, decaySteps: steps, decayRate: rate, staircase: staircase)
        case "piecewise_constant_decay":
            let boundaries = try arguments.list("boundaries").enumerated().map { index, text throws(LearningRateScheduleError) in
                guard let boundary = Int(text), boundary >= 0 else {
                    throw LearningRateScheduleError.badArgument(
                        schedule: name, argument: "boundaries", reason: "\"\(text)\" is not a step count (a whole number >= 0)")
                }
                return boundary
            }
            let rates = try arguments.list("values").map { text throws(LearningRateScheduleError) in
                guard let value = Double(text), value >= 0, Float(value).isFinite else {
                    throw LearningRateScheduleError.badArgument(
                        schedule: name, argument: "values", reason: "\"\(text)\" is not a rate (a finite number >= 0)")
                }
                return Float(value)
            }
            guard zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw .badArgument(schedule: name, argument: "boundaries", reason: "they must increase")
            }
            guard rates.count == boundaries.count + 1 else {
                throw .badArgument(
                    schedule: name, argument: "values",
                    reason: "there must be one value more than boundaries (\(boundaries.count)); \(rates.count) given")
            }
            self = .piecewiseConstantDecay(boundaries: boundaries, values: rates)
        case "polynomial_decay":
            self = .polynomialDecay(
                initial: initial, decaySteps: try arguments.steps("decay_steps"),
                end: try arguments.number("end_learning_rate", default: 0.0001, atLeast: 0),
                power: try arguments.number("power", default: 1, atLeast: 0), cycle: try arguments.flag("cycle"))
        case "cosine_decay":
            let steps = try arguments.steps("decay_steps")
            let alpha = try arguments.number("alpha", default: 0, atLeast: 0)
            let target = values["warmup_target"] == nil ? nil : try arguments.number("warmup_target", atLeast: 0)
            let warmup = try arguments.number("warmup_steps", default: 0, atLeast: 0)
            if target == nil && values["warmup_steps"] != nil {
                throw .badArgument(
                    schedule: name, argument: "warmup_steps", reason: "it needs warmup_target, the rate the warmup rises to")
            }
            if target != nil && !(warmup > 0) {
                throw .badArgument(schedule: name, argument: "warmup_steps", reason: "a warmup needs warmup_steps > 0")
            }
            self = .cosineDecay(initial: initial, decaySteps: steps, alpha: alpha, warmupTarget: target, warmupSteps: warmup)
        default:
            self = .cosineDecayRestarts(
                initial: initial, firstDecaySteps: try arguments.steps("first_decay_steps"),
                tMul: try arguments.number("t_mul", default: 2, atLeast: 0), mMul: try arguments.number("m_mul", default: 1, atLeast: 0),
                alpha: try arguments.number("alpha", default: 0, atLeast: 0))
        }
    }

    /// The schedule's name in snake_case.
    public var name: String {
        switch self {
        case .exponentialDecay: "exponential_decay"
        case .inverseTimeDecay: "inverse_time_decay"
        case .piecewiseConstantDecay: "piecewise_constant_decay"
        case .polynomialDecay: "polynomial_decay"
        case .cosineDecay: "cosine_decay"
        case .cosineDecayRestarts: "cosine_decay_restarts"
        }
    }

    /// Every argument under its Keras name, as Keras's get_config() lists them (lists as arrays,
    /// booleans as Bool, numbers as Float; warmup_target nil when there is no warmup).
    public var configuration: [(key: String, value: ScheduleValue)] {
        switch self {
        case let .exponentialDecay(initial, steps, rate, staircase), let .inverseTimeDecay(initial, steps, rate, staircase):
            [("initial_learning_rate", .number(initial)), ("decay_steps", .number(steps)), ("decay_rate", .number(rate)),
             ("staircase", .flag(staircase))]
        case let .piecewiseConstantDecay(boundaries, values):
            [("boundaries", .steps(boundaries)), ("values", .numbers(values))]
        case let .polynomialDecay(initial, steps, end, power, cycle):
            [("initial_learning_rate", .number(initial)), ("decay_steps", .number(steps)),
             ("end_learning_rate", .number(end)), ("power", .number(power)), ("cycle", .flag(cycle))]
        case let .cosineDecay(initial, steps, alpha, target, warmup):
            [("initial_learning_rate", .number(initial)), ("decay_steps", .number(steps)), ("alpha", .number(alpha))]
                + (target.map { [("warmup_target", .number($0)), ("warmup_steps", .number(warmup))] } ?? [])
        case let .cosineDecayRestarts(initial, steps, tMul, mMul, alpha):
            [("initial_learning_rate", .number(initial)), ("first_decay_steps", .number(steps)), ("t_mul", .number(tMul)),
             ("m_mul", .number(mMul)), ("alpha", .number(alpha))]
        }
    }

    /// `NAME:ARG=VALUE,...` with every argument: parsing it gives this schedule back.
    public var text: String {
        name + ":" + configuration.map { "\($0.key)=\($0.value.text)" }.joined(separator: ",")
    }
}

/// A schedule argument's value, for its text and for Keras's serialized config.
public enum ScheduleValue: Sendable, Equatable {
    case number(Float), flag(Bool), steps([Int]), numbers([Float])

    var text: String {
        switch self {
        case let .number(value): "\(value)"
        case let .flag(value): "\(value)"
        case let .steps(values): values.map(String.init).joined(separator: "/")
        case let .numbers(values): values.map { "\($0)" }.joined(separator: "/")
        }
    }
}

/// A schedule's arguments as text, read one by one with Keras's defaults.
private struct Arguments {
    let schedule: String
    let values: [String: String]

    func number(_ key: String, default fallback: Float? = nil, atLeast minimum: Float) throws(LearningRateScheduleError) -> Float {
        guard let text = values[key] else {
            if let fallback { return fallback }
            throw .missingArgument(schedule: schedule, argument: key)
        }
        guard let value = Double(text), Float(value).isFinite, Float(value) >= minimum else {
            throw .badArgument(schedule: schedule, argument: key, reason: "\"\(text)\" is not a finite number >= \(minimum)")
        }
        return Float(value)
    }

    /// A step count Keras requires > 0 (decay_steps, first_decay_steps).
    func steps(_ key: String) throws(LearningRateScheduleError) -> Float {
        let value = try number(key, atLeast: 0)
        guard value > 0 else { throw .badArgument(schedule: schedule, argument: key, reason: "it must be > 0") }
        return value
    }

    func flag(_ key: String) throws(LearningRateScheduleError) -> Bool {
        switch values[key]?.lowercased() {
        case nil, "false": return false
        case "true": return true
        case let text?: throw .badArgument(schedule: schedule, argument: key, reason: "\"\(text)\" is not true or false")
        }
    }

    func list(_ key: String) throws(LearningRateScheduleError) -> [String] {
        guard let text = values[key] else { throw .missingArgument(schedule: schedule, argument: key) }
        return text.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
    }
}
