// Loss functions by their Keras names and aliases, value and gradient side by side.
//
// A loss sees a whole batch: the output layer's pre-activations Z and activations A and the targets Y
// (one row each). It returns the sum over rows of the per-row loss (the mean over the outputs, as
// Keras's losses reduce the last axis) and writes the gradient of each row's loss.
//
// Keras on TensorFlow computes cross-entropy from the logits when the output layer is a sigmoid or a
// softmax, and from clipped probabilities otherwise. dltrain does the same, so the loss values and
// gradients match Keras's also when the outputs saturate. In the fused case the gradient written is
// with respect to Z, otherwise with respect to A; `fusesWith(_:)` tells which.

public enum Loss: String, Sendable, Codable, CaseIterable {
    case meanSquaredError = "mean_squared_error"
    case meanAbsoluteError = "mean_absolute_error"
    case binaryCrossentropy = "binary_crossentropy"
    case categoricalCrossentropy = "categorical_crossentropy"
    case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"

    /// Keras's clipping bound for probabilities (`keras.backend.epsilon()`).
    public static let epsilon: Float = 1e-7

    public init(name: String) throws(ModelSpecError) {
        switch name.lowercased() {
        case "mse": self = .meanSquaredError
        case "mae": self = .meanAbsoluteError
        default:
            guard let loss = Loss(rawValue: name.lowercased()) else {
                throw .unknownLoss(name, known: Loss.allCases.map(\.rawValue) + ["mse", "mae"])
            }
            self = loss
        }
    }

    /// How many target values a row carries: the class index for sparse cross-entropy, else one per output.
    public func targetWidth(outputs: Int) -> Int {
        self == .sparseCategoricalCrossentropy ? 1 : outputs
    }

    /// Whether the targets are class indices (sparse) or one-hot rows (categorical) or free values.
    public var isClassification: Bool { self != .meanSquaredError && self != .meanAbsoluteError }

    /// Checks that this loss can train an output layer of `outputs` units.
    public func validate(outputs: Int) throws(ModelSpecError) {
        switch self {
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            if outputs < 2 {
                throw .lossDoesNotFitOutput(
                    loss: rawValue, outputs: outputs,
                    reason: "it needs one output per class (use binary_crossentropy for one sigmoid output)")
            }
        default: break
        }
    }

    /// Whether the gradient is taken through the logits of this output activation (TensorFlow's fused form).
    public func fusesWith(_ activation: Activation) -> Bool {
        switch self {
        case .binaryCrossentropy: return activation == .sigmoid
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy: return activation == .softmax
        default: return false
        }
    }

    /// Sum over the rows of the per-row loss, each times its weight when `weights` is given (Keras's
    /// sample weights: the weighted sum, which the step divides by its row count, not by the weights'
    /// sum, as Keras's `sum_over_batch_size` does); fills `gradient` (rows x width), each row's times
    /// its weight likewise, when given. A weight of 1 changes no bit.
    public func evaluate(
        z: UnsafePointer<Float>, a: UnsafePointer<Float>, y: UnsafePointer<Float>,
        rows: Int, width: Int, activation: Activation, weights: UnsafePointer<Float>? = nil,
        gradient: UnsafeMutablePointer<Float>?
    ) -> Double {
        let fused = fusesWith(activation)
        let perOutput = 1 / Float(width)
        let targetWidth = self.targetWidth(outputs: width)
        var total = 0.0
        for row in 0..<rows {
            let z = z + row * width, a = a + row * width, y = y + row * targetWidth
            let g = gradient.map { $0 + row * width }
            var rowLoss = 0.0
            switch (self, fused) {
            case (.meanSquaredError, _):
                var sum: Float = 0
                for j in 0..<width {
                    let d = a[j] - y[j]
                    sum += d * d
                    g?[j] = 2 * d * perOutput
                }
                rowLoss += Double(sum * perOutput)
            case (.meanAbsoluteError, _):
                var sum: Float = 0
                for j in 0..<width {
                    let d = a[j] - y[j]
                    sum += abs(d)
                    g?[j] = (d > 0 ? 1 : (d < 0 ? -1 : 0)) * perOutput
                }
                rowLoss += Double(sum * perOutput)
            case (.binaryCrossentropy, true):
                var sum = 0.0
                for j in 0..<width {
                    sum += ElementaryFunctions.softplus(z[j]) - Double(z[j]) * Double(y[j])
                    g?[j] = (a[j] - y[j]) * perOutput
                }
                rowLoss += sum / Double(width)
            case (.binaryCrossentropy, false):
                var sum = 0.0
                for j in 0..<width {
                    let p = Self.clip(a[j])
                    sum -= Double(y[j]) * Double(ElementaryFunctions.log(p))
                        + Double(1 - y[j]) * Double(ElementaryFunctions.log(1 - p))
                    g?[j] = p == a[j] ? (-y[j] / p + (1 - y[j]) / (1 - p)) * perOutput : 0
                }
                rowLoss += sum / Double(width)
            case (.categoricalCrossentropy, true), (.sparseCategoricalCrossentropy, true):
                let lse = Self.logSumExp(z, width)
                if self == .sparseCategoricalCrossentropy {
                    let label = Int(y[0])
                    rowLoss += lse - Double(z[label])
                    for j in 0..<width { g?[j] = a[j] - (j == label ? 1 : 0) }
                } else {
                    var sum = 0.0
                    for j in 0..<width {
                        sum += Double(y[j]) * (lse - Double(z[j]))
                        g?[j] = a[j] - y[j]
                    }
                    rowLoss += sum
                }
            case (.categoricalCrossentropy, false):
                // Keras renormalizes the outputs to sum to one, then clips: o = a / sum(a).
                var outputSum: Float = 0
                for j in 0..<width { outputSum += a[j] }
                var sum = 0.0
                var weighted: Float = 0
                for j in 0..<width {
                    let o = a[j] / outputSum
                    let p = Self.clip(o)
                    sum -= Double(y[j]) * Double(ElementaryFunctions.log(p))
                    let dO: Float = p == o ? -y[j] / o : 0
                    g?[j] = dO
                    weighted += dO * o
                }
                if let g { for j in 0..<width { g[j] = (g[j] - weighted) / outputSum } }
                rowLoss += sum
            case (.sparseCategoricalCrossentropy, false):
                // Keras clips, takes logs and applies the softmax form: log(sum q) - log(q[label]).
                let label = Int(y[0])
                var clippedSum: Float = 0
                for j in 0..<width { clippedSum += Self.clip(a[j]) }
                let q = Self.clip(a[label])
                rowLoss += Double(ElementaryFunctions.log(clippedSum)) - Double(ElementaryFunctions.log(q))
                if let g {
                    for j in 0..<width {
                        let dQ = 1 / clippedSum - (j == label ? 1 / q : 0)
                        g[j] = Self.clip(a[j]) == a[j] ? dQ : 0
                    }
                }
            }
            if let weights {
                let weight = weights[row]
                rowLoss *= Double(weight)
                if let g { for j in 0..<width { g[j] *= weight } }
            }
            total += rowLoss
        }
        return total
    }

    private static func clip(_ p: Float) -> Float { min(max(p, epsilon), 1 - epsilon) }

    private static func logSumExp(_ z: UnsafePointer<Float>, _ width: Int) -> Double {
        var largest = z[0]
        for j in 1..<width where z[j] > largest { largest = z[j] }
        var sum = 0.0
        for j in 0..<width { sum += ElementaryFunctions.expDouble(Double(z[j] - largest)) }
        return Double(largest) + ElementaryFunctions.logDouble(sum)
    }
}
