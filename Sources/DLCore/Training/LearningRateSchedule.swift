// Keras's learning-rate schedules (keras.optimizers.schedules): the rate of each update as a
// function of the optimizer's iteration count (the updates applied before it), computed in float32
// in the order of Keras's operations, with ElementaryFunctions' pow, log and cos so that every
// host gets the same bits. Written `NAME:ARG=VALUE,...` with Keras's names in snake_case
// (LearningRateScheduleText parses and prints them).

public enum LearningRateSchedule: Sendable, Equatable {
    case exponentialDecay(initial: Float, decaySteps: Float, decayRate: Float, staircase: Bool)
    case inverseTimeDecay(initial: Float, decaySteps: Float, decayRate: Float, staircase: Bool)
    /// values[0] up to and including boundaries[0], values[i + 1] after boundaries[i] up to
    /// boundaries[i + 1], the last value after the last boundary.
    case piecewiseConstantDecay(boundaries: [Int], values: [Float])
    case polynomialDecay(initial: Float, decaySteps: Float, end: Float, power: Float, cycle: Bool)
    /// warmupTarget nil: no warmup (Keras's warmup_target=None).
    case cosineDecay(initial: Float, decaySteps: Float, alpha: Float, warmupTarget: Float?, warmupSteps: Float)
    case cosineDecayRestarts(initial: Float, firstDecaySteps: Float, tMul: Float, mMul: Float, alpha: Float)

    /// The rate of the update that follows `iterations` updates, as Keras's schedule(step) computes it.
    public func rate(atIteration iterations: Int) -> Float {
        let step = Float(iterations)
        switch self {
        case let .exponentialDecay(initial, decaySteps, decayRate, staircase):
            var p = step / decaySteps
            if staircase { p = p.rounded(.down) }
            return initial * ElementaryFunctions.power(decayRate, p)
        case let .inverseTimeDecay(initial, decaySteps, decayRate, staircase):
            var p = step / decaySteps
            if staircase { p = p.rounded(.down) }
            return initial / (1 + decayRate * p)
        case let .piecewiseConstantDecay(boundaries, values):
            guard let first = boundaries.first, let last = boundaries.last else { return values[0] }
            if iterations <= first { return values[0] }
            if iterations > last { return values[values.count - 1] }
            let index = boundaries.indices.dropFirst().first { iterations > boundaries[$0 - 1] && iterations <= boundaries[$0] }
            return index.map { values[$0] } ?? values[values.count - 1]
        case let .polynomialDecay(initial, decaySteps, end, power, cycle):
            var current = step, steps = decaySteps
            if cycle {
                steps = decaySteps * (step == 0 ? 1 : (step / decaySteps).rounded(.up))
            } else {
                current = min(step, decaySteps)
            }
            let p = current / steps
            return (initial - end) * ElementaryFunctions.power(1 - p, power) + end
        case let .cosineDecay(initial, decaySteps, alpha, warmupTarget, warmupSteps):
            guard let warmupTarget else {
                return Self.cosineDecayed(min(step, decaySteps), decaySteps, from: initial, alpha: alpha)
            }
            let clamped = min(step, decaySteps + warmupSteps)
            if clamped < warmupSteps {
                return (warmupTarget - initial) * (clamped / warmupSteps) + initial
            }
            return Self.cosineDecayed(clamped - warmupSteps, decaySteps, from: warmupTarget, alpha: alpha)
        case let .cosineDecayRestarts(initial, firstDecaySteps, tMul, mMul, alpha):
            var fraction = step / firstDecaySteps
            let restart: Float
            if tMul == 1 {
                restart = fraction.rounded(.down)
                fraction -= restart
            } else {
                restart = (ElementaryFunctions.log(1 - fraction * (1 - tMul)) / ElementaryFunctions.log(tMul)).rounded(.down)
                let sum = (1 - ElementaryFunctions.power(tMul, restart)) / (1 - tMul)
                fraction = (fraction - sum) / ElementaryFunctions.power(tMul, restart)
            }
            let factor = ElementaryFunctions.power(mMul, restart)
            let cosine = 0.5 * factor * (1 + ElementaryFunctions.cos(Float.pi * fraction))
            return initial * ((1 - alpha) * cosine + alpha)
        }
    }

    /// CosineDecay's decay part: `from` times (1 - alpha) cos-decayed + alpha. Keras computes
    /// 1 - alpha in double (a Python float) before it meets the float32 tensor.
    private static func cosineDecayed(_ step: Float, _ decaySteps: Float, from rate: Float, alpha: Float) -> Float {
        let cosine = 0.5 * (1 + ElementaryFunctions.cos(Float.pi * (step / decaySteps)))
        return rate * (Float(1 - Double(alpha)) * cosine + alpha)
    }
}
