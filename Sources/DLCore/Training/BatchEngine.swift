// Forward and backward passes of a Sequential model over a whole mini-batch at once.
//
// An engine owns every buffer a pass needs, sized once for its largest batch, so a training step
// allocates nothing. The caller fills `inputs` and `targets` with a batch's rows; the engine then
// writes the gradient summed over those rows into one flat buffer laid out like the parameters.
// That per-shard sum is the unit the trainer adds up in shard order (and a worker sends on the wire).
// An engine is used by one thread at a time.

public final class BatchEngine {
    public let spec: ModelSpec
    public let loss: Loss
    public let metrics: MetricSet
    public let layout: ParameterLayout
    /// The largest batch the engine's buffers hold.
    public let capacity: Int
    public let targetWidth: Int

    /// capacity x inputDim, row-major: the batch's features, written by the caller.
    public let inputs: UnsafeMutableBufferPointer<Float>
    /// capacity x targetWidth, row-major: the batch's targets, written by the caller.
    public let targets: UnsafeMutableBufferPointer<Float>

    private let preActivations: [UnsafeMutablePointer<Float>]  // Z of each layer, capacity x units
    private let activations: [UnsafeMutablePointer<Float>]  // A of each layer, capacity x units
    private let upstream: UnsafeMutablePointer<Float>  // dA or dZ of the current layer
    private let downstream: UnsafeMutablePointer<Float>  // dA of the layer below
    private let transposedKernel: UnsafeMutablePointer<Float>

    public init(spec: ModelSpec, loss: Loss, metrics: MetricSet, capacity: Int) {
        self.spec = spec
        self.loss = loss
        self.metrics = metrics
        self.layout = spec.layout
        let capacity = max(capacity, 1)
        self.capacity = capacity
        targetWidth = loss.targetWidth(outputs: spec.outputWidth)
        inputs = .allocate(capacity: capacity * spec.inputDim)
        targets = .allocate(capacity: capacity * targetWidth)
        inputs.initialize(repeating: 0)
        targets.initialize(repeating: 0)
        preActivations = spec.layers.map { Self.zeroed(capacity * $0.units) }
        activations = spec.layers.map { Self.zeroed(capacity * $0.units) }
        upstream = Self.zeroed(capacity * spec.widestLayer)
        downstream = Self.zeroed(capacity * spec.widestLayer)
        transposedKernel = Self.zeroed(layout.shapes.map { $0.inputs * $0.units }.max() ?? 1)
    }

    deinit {
        inputs.deallocate()
        targets.deallocate()
        for buffer in preActivations + activations + [upstream, downstream, transposedKernel] {
            buffer.deallocate()
        }
    }

    /// The output layer's activations of the last pass: rows x outputWidth.
    public var outputs: UnsafePointer<Float> { UnsafePointer(activations[activations.count - 1]) }

    /// Forward pass over the first `rows` rows of `inputs`.
    public func forward(parameters: UnsafeBufferPointer<Float>, rows: Int) {
        precondition(rows <= capacity && parameters.count == layout.count)
        let p = parameters.baseAddress!
        var input = UnsafePointer(inputs.baseAddress!)
        for (index, layer) in spec.layers.enumerated() {
            let shape = layout.shapes[index]
            MatrixKernels.multiplyAddingBias(
                input, p + layout.kernelOffsets[index], bias: p + layout.biasOffsets[index],
                into: preActivations[index], rows: rows, inner: shape.inputs, columns: shape.units)
            layer.activation.forward(
                z: preActivations[index], a: activations[index], rows: rows, width: shape.units)
            input = UnsafePointer(activations[index])
        }
    }

    /// Forward pass, loss and metrics, without gradients: adds the batch's sums to `sums`.
    public func evaluate(parameters: UnsafeBufferPointer<Float>, rows: Int, sums: UnsafeMutablePointer<Double>) {
        forward(parameters: parameters, rows: rows)
        let last = spec.layers.count - 1
        let lossSum = loss.evaluate(
            z: preActivations[last], a: activations[last], y: targets.baseAddress!, rows: rows,
            width: spec.outputWidth, activation: spec.outputActivation, gradient: nil)
        metrics.accumulate(
            lossSum: lossSum, a: activations[last], y: targets.baseAddress!, rows: rows,
            width: spec.outputWidth, targetWidth: targetWidth, into: sums)
    }

    /// Forward and backward pass: writes into `gradient` the gradient of the loss summed over the
    /// first `rows` rows (not divided by anything), and adds the batch's loss and metric sums to `sums`.
    public func computeGradientSum(
        parameters: UnsafeBufferPointer<Float>, rows: Int,
        gradient: UnsafeMutableBufferPointer<Float>, sums: UnsafeMutablePointer<Double>
    ) {
        precondition(gradient.count == layout.count)
        let g = gradient.baseAddress!
        g.update(repeating: 0, count: layout.count)
        guard rows > 0 else { return }
        forward(parameters: parameters, rows: rows)

        let last = spec.layers.count - 1
        let lossSum = loss.evaluate(
            z: preActivations[last], a: activations[last], y: targets.baseAddress!, rows: rows,
            width: spec.outputWidth, activation: spec.outputActivation, gradient: upstream)
        metrics.accumulate(
            lossSum: lossSum, a: activations[last], y: targets.baseAddress!, rows: rows,
            width: spec.outputWidth, targetWidth: targetWidth, into: sums)

        let p = parameters.baseAddress!
        var gradientIsPreActivation = loss.fusesWith(spec.outputActivation)
        var current = upstream, below = downstream
        for index in stride(from: last, through: 0, by: -1) {
            let shape = layout.shapes[index]
            if !gradientIsPreActivation {
                spec.layers[index].activation.backward(
                    z: preActivations[index], a: activations[index], dA: current, dZ: current,
                    rows: rows, width: shape.units)
            }
            let input = index == 0 ? UnsafePointer(inputs.baseAddress!) : UnsafePointer(activations[index - 1])
            MatrixKernels.accumulateTransposedProduct(
                input, current, into: g + layout.kernelOffsets[index],
                rows: rows, inner: shape.inputs, columns: shape.units)
            MatrixKernels.accumulateColumnSums(
                current, into: g + layout.biasOffsets[index], rows: rows, columns: shape.units)
            if index > 0 {
                MatrixKernels.transpose(
                    p + layout.kernelOffsets[index], into: transposedKernel,
                    rows: shape.inputs, columns: shape.units)
                MatrixKernels.multiply(
                    current, transposedKernel, into: below,
                    rows: rows, inner: shape.units, columns: shape.inputs)
                swap(&current, &below)
                gradientIsPreActivation = false
            }
        }
    }

    private static func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0, count: max(count, 1))
        return buffer
    }
}
