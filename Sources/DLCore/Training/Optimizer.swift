// An optimizer with its state for one flat parameter buffer, applying one update as Keras's
// BaseOptimizer.apply does: clip the gradient (GradientClipping), decay the weights (weight_decay),
// the rule's update (OptimizerUpdate), the moving average (use_ema), iterations += 1. The rate is
// the schedule's at the iteration count, or the base rate (which ReduceLROnPlateau may lower).
//
// Every part but clipping is elementwise, so applying it to the flat buffer in ranges on the pool's
// threads gives the bits Keras's tensor-by-tensor update would in float32; clipping's norms are sums
// in a fixed order (GradientClipping). The state (moments, accumulators, averages) lives in flat
// buffers of the parameters' layout, which is what a checkpoint saves.

public struct Optimizer: Sendable, Equatable {
    public let config: OptimizerConfig
    public let parameterCount: Int
    /// Keras's variables as ranges of the flat buffer (each layer's kernel, then its bias):
    /// clipnorm clips each one's norm.
    public let tensors: [Range<Int>]
    /// The number of updates applied so far (Keras's `optimizer.iterations`).
    public private(set) var iterations: Int
    /// The base learning rate: the configuration's until changed (ReduceLROnPlateau lowers it),
    /// as Keras's `optimizer.learning_rate` variable, float32. Unused while a schedule is on.
    public private(set) var learningRate: Float
    /// The state buffers back to back, each of `parameterCount` values, in the order of
    /// `config.slotNames`.
    public private(set) var state: [Float]
    /// Nadam's u_product after `iterations` updates: a function of the iteration count, recomputed
    /// in float32 step by step when restored, so a checkpoint does not store it.
    private var momentumProduct: Float
    /// The index of use_ema's `average` among the state buffers (the last), kept so the step
    /// allocates nothing to find it.
    private let averageSlot: Int

    public init(_ config: OptimizerConfig, parameterCount: Int, tensors: [Range<Int>]) {
        let state = config.slotNames.flatMap { [Float](repeating: config.initialValue(ofSlot: $0), count: parameterCount) }
        self.init(config, parameterCount: parameterCount, tensors: tensors, iterations: 0, state: state)
    }

    /// Restores a saved state (from a checkpoint, or a replica's state from the coordinator).
    public init(_ config: OptimizerConfig, parameterCount: Int, tensors: [Range<Int>], iterations: Int, state: [Float]) {
        precondition(state.count == config.slotNames.count * parameterCount && iterations >= 0)
        self.config = config
        self.parameterCount = parameterCount
        self.tensors = tensors
        self.iterations = iterations
        self.state = state
        learningRate = config.learningRate
        averageSlot = config.slotNames.count - 1
        momentumProduct = 1
        if case let .nadam(beta1, _, _) = config.rule {
            // Once it underflows to 0 it stays 0.
            for step in stride(from: 1, through: iterations, by: 1) where momentumProduct != 0 {
                momentumProduct = Self.nextMomentumProduct(momentumProduct, beta1: beta1, step: step)
            }
        }
    }

    /// Sets the base learning rate (Keras's `optimizer.learning_rate = value`), for the updates
    /// that follow.
    public mutating func setLearningRate(_ rate: Float) {
        learningRate = rate
    }

    /// The rate the next update uses: the schedule's at the iteration count, else the base rate.
    public var currentLearningRate: Float { config.rate(atIteration: iterations, learningRate: learningRate) }

    /// The model's weights at the end of training given the trained `parameters`: with use_ema the
    /// moving averages (Keras's finalize_variable_values), else the parameters.
    public func finalParameters(_ parameters: [Float]) -> [Float] {
        guard config.movingAverage != nil, iterations > 0 else { return parameters }
        return Array(state[(averageSlot * parameterCount)..<((averageSlot + 1) * parameterCount)])
    }

    /// parameters -= update(gradient), where gradient is the mean gradient of one step, which
    /// clipping may rescale in place. A large buffer is updated in ranges on the pool's threads.
    public mutating func apply(
        gradient: UnsafeMutableBufferPointer<Float>, to parameters: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
    ) {
        precondition(gradient.count == parameterCount && parameters.count == parameterCount)
        if let clipping = config.clipping { clipping.clip(gradient, tensors: tensors) }
        let step = iterations + 1
        var update = OptimizerUpdate(
            config: config, learningRate: currentLearningRate, step: step, p: parameters.baseAddress!,
            g: UnsafePointer(gradient.baseAddress!), state: nil, count: parameterCount,
            parts: pool.parts(elements: parameterCount))
        update.averageSlot = averageSlot
        if case let .nadam(beta1, _, _) = config.rule {
            momentumProduct = Self.nextMomentumProduct(momentumProduct, beta1: beta1, step: step)
            update.momentumProduct = momentumProduct
        }
        state.withUnsafeMutableBufferPointer { state in
            // Plain SGD keeps no state, so the buffer (and its base address) may be empty.
            update.state = state.baseAddress
            pool.run(update)
        }
        iterations = step
    }

    /// Keras's Nadam: u_product *= beta_1 (1 - 0.5 * 0.96^step), in float32 and in Keras's order.
    private static func nextMomentumProduct(_ product: Float, beta1: Float, step: Int) -> Float {
        (product * beta1) * (1 - 0.5 * ElementaryFunctions.power(Float(0.96), Float(step)))
    }
}
