// Keras's gradient clipping, applied to the step's mean gradient before the update:
//   clipnorm         each variable (a layer's kernel, a layer's bias) scaled to a norm of at most
//                    clipnorm: g * clipnorm / max(norm, clipnorm), as tf.clip_by_norm computes it
//                    (so even a gradient within the limit is multiplied and divided, in float32);
//   global_clipnorm  every gradient scaled by clipnorm * min(1/norm, 1/clipnorm) (+ norm - norm,
//                    which makes it NaN when the norm is not finite), the global norm being that of
//                    all variables together;
//   clipvalue        each value clipped to [-clipvalue, clipvalue].
// The sums of squares are taken in double precision in index order on the calling thread and
// rounded to float32 (TensorFlow sums float32 in its own order; the difference is within the
// parity tolerance), so they never depend on the pool's split or the number of processes.

extension GradientClipping {
    func clip(_ gradient: UnsafeMutableBufferPointer<Float>, tensors: [Range<Int>]) {
        switch self {
        case let .norm(limit):
            for tensor in tensors {
                let norm = Self.squareSum(gradient, tensor).squareRoot()
                let divisor = max(norm, limit)
                for i in tensor { gradient[i] = (gradient[i] * limit) / divisor }
            }
        case let .globalNorm(limit):
            var sum: Float = 0
            for tensor in tensors { sum += Self.squareSum(gradient, tensor) }
            let norm = sum.squareRoot()
            let scale = limit * min(1 / norm, 1 / limit) + (norm - norm)
            for i in gradient.indices { gradient[i] *= scale }
        case let .value(limit):
            for i in gradient.indices { gradient[i] = min(max(gradient[i], -limit), limit) }
        }
    }

    /// Σ g² over one variable, each square and the sum exact in double, rounded once to float32.
    private static func squareSum(_ gradient: UnsafeMutableBufferPointer<Float>, _ tensor: Range<Int>) -> Float {
        var sum = 0.0
        for i in tensor { sum += Double(gradient[i]) * Double(gradient[i]) }
        return Float(sum)
    }
}

extension ParameterLayout {
    /// Keras's trainable variables as ranges of the flat buffer, in Keras's order: each layer's
    /// kernel, then its bias.
    public var tensorRanges: [Range<Int>] {
        shapes.indices.flatMap { [kernelRange($0), biasRange($0)] }
    }
}
