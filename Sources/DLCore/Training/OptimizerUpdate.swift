// One optimizer update over a range of the flat parameter buffer: weight decay, the rule's update
// formula as Keras writes it (keras/src/optimizers/<name>.py, float32, in Keras's order of
// operations), then the moving average of use_ema. Each value's update reads only that value,
// its gradient and its state, so any split of the buffer into ranges gives the same bits.

import CKernels

struct OptimizerUpdate: ComputeTask {
    let config: OptimizerConfig
    let learningRate: Float
    /// Keras's iterations + 1: the number of this update.
    let step: Int
    let p: UnsafeMutablePointer<Float>
    let g: UnsafePointer<Float>
    /// The state buffers back to back (nil when there is none).
    var state: UnsafeMutablePointer<Float>?
    let count: Int
    let parts: Int
    /// Nadam's u_product including this step's factor.
    var momentumProduct: Float = 1
    /// use_ema's average: the last state buffer (computed once, not per part: no allocation here).
    var averageSlot = 0

    func run(part: Int) {
        let range = ComputePool.range(part, of: parts, count: count, multiple: 8)
        if config.weightDecay != 0 { decay(range) }
        update(range)
        if let average = config.movingAverage { self.average(range, average) }
    }

    private func slot(_ index: Int) -> UnsafeMutablePointer<Float> { state! + index * count }

    /// Keras's _apply_weight_decay: variable -= variable * weight_decay * lr.
    private func decay(_ range: Range<Int>) {
        let decay = config.weightDecay, lr = learningRate
        for i in range { p[i] -= p[i] * decay * lr }
    }

    /// Keras's _update_model_variables_moving_average (momentum 0 on the first update, so the
    /// average starts at the weights), then the overwrite every ema_overwrite_frequency updates.
    private func average(_ range: Range<Int>, _ settings: MovingAverage) {
        let average = slot(averageSlot)
        let momentum: Float = step == 1 ? 0 : settings.momentum
        let complement = 1 - momentum
        for i in range { average[i] = momentum * average[i] + complement * p[i] }
        if let frequency = settings.overwriteFrequency, step % frequency == 0 {
            for i in range { p[i] = average[i] }
        }
    }

    private func update(_ range: Range<Int>) {
        let lr = learningRate
        switch config.rule {
        case let .sgd(momentum, nesterov):
            if momentum == 0 {
                for i in range { p[i] -= g[i] * lr }
            } else {
                let m = slot(0)
                for i in range {
                    m[i] = m[i] * momentum - g[i] * lr
                    p[i] += nesterov ? m[i] * momentum - g[i] * lr : m[i]
                }
            }
        case let .adam(beta1, beta2, epsilon, amsgrad), let .adamw(beta1, beta2, epsilon, amsgrad):
            let beta1Power = Float(ElementaryFunctions.power(Double(beta1), step))
            let beta2Power = Float(ElementaryFunctions.power(Double(beta2), step))
            // Keras folds both bias corrections into the step size and adds epsilon to the
            // uncorrected sqrt(v), unlike the paper's Algorithm 1.
            let alpha = lr * (1 - beta2Power).squareRoot() / (1 - beta1Power)
            let oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2
            if amsgrad {
                let m = slot(0), v = slot(1), vHat = slot(2)
                for i in range {
                    m[i] += (g[i] - m[i]) * oneMinusBeta1
                    v[i] += (g[i] * g[i] - v[i]) * oneMinusBeta2
                    vHat[i] = max(vHat[i], v[i])
                    p[i] -= (m[i] * alpha) / (vHat[i].squareRoot() + epsilon)
                }
            } else {
                let start = range.lowerBound
                dl_adam_update(
                    p + start, g + start, slot(0) + start, slot(1) + start, range.count, alpha, oneMinusBeta1,
                    oneMinusBeta2, epsilon)
            }
        case let .rmsprop(rho, momentum, epsilon):
            let velocity = slot(0), m = momentum > 0 ? slot(1) : velocity
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
        case let .adagrad(_, epsilon):
            let accumulator = slot(0)
            for i in range {
                accumulator[i] += g[i] * g[i]
                p[i] -= (lr * g[i]) / (accumulator[i] + epsilon).squareRoot()
            }
        case let .nadam(beta1, beta2, epsilon):
            let decay: Float = 0.96
            let u = beta1 * (1 - 0.5 * ElementaryFunctions.power(decay, Float(step)))
            let uNext = beta1 * (1 - 0.5 * ElementaryFunctions.power(decay, Float(step + 1)))
            let product = momentumProduct, productNext = momentumProduct * uNext
            let beta2Power = ElementaryFunctions.power(beta2, Float(step))
            let m = slot(0), v = slot(1)
            for i in range {
                m[i] += (g[i] - m[i]) * (1 - beta1)
                v[i] += (g[i] * g[i] - v[i]) * (1 - beta2)
                let mHat = (uNext * m[i]) / (1 - productNext) + ((1 - u) * g[i]) / (1 - product)
                let vHat = v[i] / (1 - beta2Power)
                p[i] -= (mHat * lr) / (vHat.squareRoot() + epsilon)
            }
        case let .adamax(beta1, beta2, epsilon):
            let beta1Power = ElementaryFunctions.power(beta1, Float(step))
            let m = slot(0), norm = slot(1)
            for i in range {
                m[i] += (g[i] - m[i]) * (1 - beta1)
                norm[i] = max(beta2 * norm[i], abs(g[i]))
                p[i] -= (lr * m[i]) / ((1 - beta1Power) * (norm[i] + epsilon))
            }
        case let .adadelta(rho, epsilon):
            let squares = slot(0), deltas = slot(1)
            for i in range {
                squares[i] = rho * squares[i] + (1 - rho) * (g[i] * g[i])
                let delta = -(((deltas[i] + epsilon).squareRoot() * g[i]) / (squares[i] + epsilon).squareRoot())
                deltas[i] = rho * deltas[i] + (1 - rho) * (delta * delta)
                p[i] += lr * delta
            }
        case let .ftrl(power, _, l1, l2, shrinkage, beta):
            let l2Total = l2 + beta / (2 * lr), shrink = 2 * shrinkage, exponent = -power
            let accumulator = slot(0), linear = slot(1)
            for i in range {
                let gradient = g[i] + shrink * p[i]
                let updated = accumulator[i] + g[i] * g[i]
                let newPower = ElementaryFunctions.power(updated, exponent)
                linear[i] += gradient - ((newPower - ElementaryFunctions.power(accumulator[i], exponent)) / lr) * p[i]
                let quadratic = newPower / lr + 2 * l2Total
                p[i] = (min(max(linear[i], -l1), l1) - linear[i]) / quadratic
                accumulator[i] = updated
            }
        }
    }
}
