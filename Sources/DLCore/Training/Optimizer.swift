// Optimizers with Keras's names, arguments, defaults and update formulas.
//
// Every update here is elementwise, so applying it to the flat parameter buffer equals Keras applying
// it tensor by tensor. The state (moments, accumulators, step count) lives in flat buffers of the
// same layout, which is what a checkpoint saves.

import CKernels

/// An optimizer and its hyper-parameters, as `compile(optimizer=...)` names them.
public enum OptimizerConfig: Sendable, Equatable, Codable {
    case sgd(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false)
    case adam(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7)
    case rmsprop(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7)
    case adagrad(learningRate: Float = 0.001, initialAccumulatorValue: Float = 0.1, epsilon: Float = 1e-7)

    public static let names = ["sgd", "adam", "rmsprop", "adagrad"]

    /// The optimizer `name` with Keras's defaults, overridden by `arguments` under their Keras names
    /// (`learning_rate`, `momentum`, `nesterov`, `beta_1`, `beta_2`, `epsilon`, `rho`,
    /// `initial_accumulator_value`).
    public init(name: String, arguments: [String: Double] = [:]) throws(ModelSpecError) {
        func value(_ key: String, _ fallback: Float) -> Float { arguments[key].map(Float.init) ?? fallback }
        let known: Set<String>
        switch name.lowercased() {
        case "sgd":
            known = ["learning_rate", "momentum", "nesterov"]
            self = .sgd(
                learningRate: value("learning_rate", 0.01), momentum: value("momentum", 0),
                nesterov: (arguments["nesterov"] ?? 0) != 0)
        case "adam":
            known = ["learning_rate", "beta_1", "beta_2", "epsilon"]
            self = .adam(
                learningRate: value("learning_rate", 0.001), beta1: value("beta_1", 0.9),
                beta2: value("beta_2", 0.999), epsilon: value("epsilon", 1e-7))
        case "rmsprop":
            known = ["learning_rate", "rho", "momentum", "epsilon"]
            self = .rmsprop(
                learningRate: value("learning_rate", 0.001), rho: value("rho", 0.9),
                momentum: value("momentum", 0), epsilon: value("epsilon", 1e-7))
        case "adagrad":
            known = ["learning_rate", "initial_accumulator_value", "epsilon"]
            self = .adagrad(
                learningRate: value("learning_rate", 0.001),
                initialAccumulatorValue: value("initial_accumulator_value", 0.1),
                epsilon: value("epsilon", 1e-7))
        default:
            throw .unknownOptimizer(name, known: Self.names)
        }
        if let unknown = arguments.keys.sorted().first(where: { !known.contains($0) }) {
            throw .badOptimizerArgument(
                name: unknown, value: arguments[unknown] ?? 0,
                reason: "\(self.name) takes \(known.sorted().joined(separator: ", "))")
        }
        // Training uses float32: a value is checked as it will be used, so 1e300 is infinite too.
        for (key, argument) in arguments.sorted(by: { $0.key < $1.key }) {
            if key == "nesterov" {
                guard argument == 0 || argument == 1 else {
                    throw .badOptimizerArgument(name: key, value: argument, reason: "it must be true or false (1 or 0)")
                }
            } else if !(argument >= 0 && Float(argument).isFinite) {
                throw .badOptimizerArgument(name: key, value: argument, reason: "it must be a finite number >= 0")
            } else if ["beta_1", "beta_2", "rho"].contains(key) && !(Float(argument) < 1) {
                throw .badOptimizerArgument(name: key, value: argument, reason: "it must be below 1 (a decay rate)")
            }
        }
        if self.learningRate <= 0 {
            throw .badOptimizerArgument(name: "learning_rate", value: Double(self.learningRate), reason: "it must be > 0")
        }
    }

    public var name: String {
        switch self {
        case .sgd: "sgd"
        case .adam: "adam"
        case .rmsprop: "rmsprop"
        case .adagrad: "adagrad"
        }
    }

    public var learningRate: Float {
        switch self {
        case let .sgd(learningRate, _, _), let .adam(learningRate, _, _, _),
            let .rmsprop(learningRate, _, _, _), let .adagrad(learningRate, _, _):
            learningRate
        }
    }

    /// The hyper-parameters under their Keras names, for the model file and the log.
    public var arguments: [String: Double] {
        switch self {
        case let .sgd(lr, momentum, nesterov):
            ["learning_rate": Double(lr), "momentum": Double(momentum), "nesterov": nesterov ? 1 : 0]
        case let .adam(lr, b1, b2, eps):
            ["learning_rate": Double(lr), "beta_1": Double(b1), "beta_2": Double(b2), "epsilon": Double(eps)]
        case let .rmsprop(lr, rho, momentum, eps):
            ["learning_rate": Double(lr), "rho": Double(rho), "momentum": Double(momentum), "epsilon": Double(eps)]
        case let .adagrad(lr, initial, eps):
            ["learning_rate": Double(lr), "initial_accumulator_value": Double(initial), "epsilon": Double(eps)]
        }
    }

    /// The names of the state buffers, as Keras names its optimizer variables.
    public var slotNames: [String] {
        switch self {
        case let .sgd(_, momentum, _): momentum != 0 ? ["momentum"] : []
        case .adam: ["momentum", "velocity"]
        case let .rmsprop(_, _, momentum, _): momentum > 0 ? ["velocity", "momentum"] : ["velocity"]
        case .adagrad: ["accumulator"]
        }
    }

    /// How many state buffers of the parameters' size the optimizer keeps.
    var slotCount: Int {
        switch self {
        case let .sgd(_, momentum, _): momentum != 0 ? 1 : 0
        case .adam: 2
        case let .rmsprop(_, _, momentum, _): momentum > 0 ? 2 : 1
        case .adagrad: 1
        }
    }
}

/// An optimizer with its state for one parameter buffer.
public struct Optimizer: Sendable, Equatable {
    public let config: OptimizerConfig
    public let parameterCount: Int
    /// The number of updates applied so far (Keras's `optimizer.iterations`).
    public private(set) var iterations: Int
    /// The base learning rate: the configuration's until changed (ReduceLROnPlateau lowers it),
    /// as Keras's `optimizer.learning_rate` variable, float32.
    public private(set) var learningRate: Float
    /// The state buffers back to back, each of `parameterCount` values, in the order Keras names
    /// them (sgd: momentum; adam: m, v; rmsprop: velocity, momentum; adagrad: accumulator).
    public private(set) var state: [Float]

    public init(_ config: OptimizerConfig, parameterCount: Int) {
        var initial: Float = 0
        if case let .adagrad(_, value, _) = config { initial = value }
        self.init(
            config, parameterCount: parameterCount, iterations: 0,
            state: [Float](repeating: initial, count: config.slotCount * parameterCount))
    }

    /// Restores a saved state (from a checkpoint).
    public init(_ config: OptimizerConfig, parameterCount: Int, iterations: Int, state: [Float]) {
        precondition(state.count == config.slotCount * parameterCount)
        self.config = config
        self.parameterCount = parameterCount
        self.iterations = iterations
        self.state = state
        learningRate = config.learningRate
    }

    /// Sets the base learning rate (Keras's `optimizer.learning_rate = value`), for the updates
    /// that follow.
    public mutating func setLearningRate(_ rate: Float) {
        learningRate = rate
    }

    /// The rate the next update uses.
    public var currentLearningRate: Float { learningRate }

    /// parameters -= update(gradient), where gradient is the mean gradient of one step. A large
    /// buffer is updated in ranges on the pool's threads: every update is elementwise, so the ranges
    /// give the bits the whole buffer would.
    public mutating func apply(
        gradient: UnsafeBufferPointer<Float>, to parameters: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
    ) {
        precondition(gradient.count == parameterCount && parameters.count == parameterCount)
        let count = parameterCount, config = config, lr = currentLearningRate
        let p = parameters.baseAddress!, g = gradient.baseAddress!
        let step = iterations + 1
        let parts = pool.parts(elements: count)
        state.withUnsafeMutableBufferPointer { state in
            // Plain SGD keeps no state, so the buffer (and its base address) may be empty.
            let first = state.baseAddress, second = first.map { $0 + count }
            pool.run(Update(
                config: config, learningRate: lr, step: step, p: p, g: g, first: first, second: second, count: count,
                parts: parts))
        }
        iterations = step
    }

    /// The update of step `step` in ranges of the parameters (and of their state: `first` and
    /// `second`, the state buffers of the whole parameter buffer).
    private struct Update: ComputeTask {
        let config: OptimizerConfig
        let learningRate: Float
        let step: Int
        let p: UnsafeMutablePointer<Float>
        let g: UnsafePointer<Float>
        let first: UnsafeMutablePointer<Float>?
        let second: UnsafeMutablePointer<Float>?
        let count: Int
        let parts: Int

        func run(part: Int) {
            update(ComputePool.range(part, of: parts, count: count, multiple: 8))
        }

        private func update(_ range: Range<Int>) {
            let lr = learningRate
            switch config {
            case let .sgd(_, momentum, nesterov):
                if momentum == 0 {
                    for i in range { p[i] -= g[i] * lr }
                } else {
                    let m = first!
                    for i in range {
                        m[i] = m[i] * momentum - g[i] * lr
                        p[i] += nesterov ? m[i] * momentum - g[i] * lr : m[i]
                    }
                }
            case let .adam(_, beta1, beta2, epsilon):
                let beta1Power = Float(ElementaryFunctions.power(Double(beta1), step))
                let beta2Power = Float(ElementaryFunctions.power(Double(beta2), step))
                // Keras folds both bias corrections into the step size and adds epsilon to the
                // uncorrected sqrt(v), unlike the paper's Algorithm 1.
                let alpha = lr * (1 - beta2Power).squareRoot() / (1 - beta1Power)
                let oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2
                let start = range.lowerBound
                dl_adam_update(
                    p + start, g + start, first! + start, second! + start, range.count, alpha, oneMinusBeta1,
                    oneMinusBeta2, epsilon)
            case let .rmsprop(_, rho, momentum, epsilon):
                let velocity = first!, m = second!
                for i in range {
                    velocity[i] = rho * velocity[i] + (1 - rho) * (g[i] * g[i])
                    let increment = (lr * g[i]) / (velocity[i] + epsilon).squareRoot()
                    if momentum > 0 {
                        m[i] = momentum * m[i] + increment
                        p[i] -= m[i]
                    } else {
                        p[i] -= increment
                    }
                }
            case let .adagrad(_, _, epsilon):
                let accumulator = first!
                for i in range {
                    accumulator[i] += g[i] * g[i]
                    p[i] -= (lr * g[i]) / (accumulator[i] + epsilon).squareRoot()
                }
            }
        }
    }
}
