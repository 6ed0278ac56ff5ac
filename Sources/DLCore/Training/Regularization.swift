// A model's weight regularization (Keras's kernel_regularizer / bias_regularizer on its Dense
// layers): the penalty R(θ) = Σ over regularized tensors of l1 Σ|w| + l2 Σ w², which Keras adds to
// every batch's loss (sum(model.losses)), and its gradient l1 sign(w) + l2 (2 w) (sign 0 at 0, as
// TensorFlow's gradient of abs), added to a step's mean gradient before the optimizer.
//
// The penalty is computed in a fixed order, whatever the threads: each tensor's Σ|w| and Σ w² in
// Double in eight interleaved lanes (`sums`), rounded to float32 and multiplied by its factor in
// float32 as Keras does (l1 term first, then the l2 term), and the tensors' terms added in float32
// in Keras's order of model.losses (layer by layer, the kernel's then the bias's). A model with no
// regularizer has no // terms: nothing is computed and no bit of its training changes.

public struct Regularization: Sendable, Equatable {
    /// A regularized tensor: its range in the flat parameter buffer and its factors.
    public struct Term: Sendable, Equatable {
        public let range: Range<Int>
        public let regularizer: Regularizer
    }

    public let terms: [Term]

    /// The terms of `model`'s layers, in Keras's order.
    public init(_ model: ModelSpec) {
        let layout = model.layout
        var terms: [Term] = []
        for (index, layer) in model.layers.enumerated() {
            if let kernel = layer.kernelRegularizer { terms.append(Term(range: layout.kernelRange(index), regularizer: kernel)) }
            if let bias = layer.biasRegularizer { terms.append(Term(range: layout.biasRange(index), regularizer: bias)) }
        }
        self.terms = terms
    }

    /// No regularization.
    public static let none = Regularization(terms: [])

    init(terms: [Term]) { self.terms = terms }

    public var isEmpty: Bool { terms.isEmpty }

    /// R(θ) of `parameters`, in float32 as Keras computes it.
    public func penalty(_ parameters: UnsafeBufferPointer<Float>) -> Float {
        var total: Float = 0
        for term in terms {
            let (absolute, squares) = Self.sums(UnsafeBufferPointer(rebasing: parameters[term.range]))
            var value: Float = 0
            if term.regularizer.l1 != 0 { value += term.regularizer.l1 * Float(absolute) }
            if term.regularizer.l2 != 0 { value += term.regularizer.l2 * Float(squares) }
            total += value
        }
        return total
    }

    public func penalty(_ parameters: [Float]) -> Float { parameters.withUnsafeBufferPointer(penalty) }

    /// Σ|w| and Σw² in Double: element i into lane i mod 8 (eight chains the processor runs side by
    /// side, instead of one), the lanes then added in order, then the tail: a fixed order, whatever
    /// the threads.
    static func sums(_ values: UnsafeBufferPointer<Float>) -> (absolute: Double, squares: Double) {
        var absolute = SIMD8<Double>(), squares = SIMD8<Double>()
        let vectors = values.count / 8
        if let base = values.baseAddress {
            let raw = UnsafeRawPointer(base)
            for vector in 0..<vectors {
                let w = SIMD8<Double>(raw.loadUnaligned(fromByteOffset: vector * 32, as: SIMD8<Float>.self))
                absolute += w.replacing(with: -w, where: w .< 0)
                squares += w * w
            }
        }
        var totalAbsolute = 0.0, totalSquares = 0.0
        for lane in 0..<8 {
            totalAbsolute += absolute[lane]
            totalSquares += squares[lane]
        }
        for i in (vectors * 8)..<values.count {
            let w = Double(values[i])
            totalAbsolute += abs(w)
            totalSquares += w * w
        }
        return (totalAbsolute, totalSquares)
    }

    /// gradient += the penalty's gradient at `parameters`, element by element (the same bits in any
    /// order).
    public func addGradient(of parameters: UnsafeBufferPointer<Float>, to gradient: UnsafeMutableBufferPointer<Float>) {
        for term in terms {
            let l1 = term.regularizer.l1, l2 = term.regularizer.l2
            for i in term.range {
                let w = parameters[i]
                var g = gradient[i]
                if l1 != 0 { g += l1 * (w > 0 ? 1 : w < 0 ? -1 : 0) }
                if l2 != 0 { g += l2 * (2 * w) }
                gradient[i] = g
            }
        }
    }
}

extension MetricSet {
    /// Adds `penalty` for each row of `sums` (a step's or a validation's) to their loss sum: Keras
    /// adds the penalty to each batch's mean loss and weighs each batch by its rows.
    public func addPenalty(_ penalty: Float, to sums: inout [Double]) {
        sums[Self.lossSlot] += sums[Self.rowSlot] * Double(penalty)
    }
}
