// Forward and backward passes of a Sequential model over a whole mini-batch at once.
//
// An engine owns every buffer a pass needs, sized once for its largest batch, so a training step
// allocates nothing. The caller fills `inputs` and `targets` with a batch's rows; the engine then
// writes the gradient summed over those rows into one flat buffer laid out like the parameters.
// That per-shard sum is the unit the trainer adds up in shard order (and a worker sends on the wire).
// An engine is used by one thread at a time.
//
// A pass large enough splits over its pool's threads, each part computing its own outputs exactly
// as the whole pass would: the forward pass by blocks of rows (through every layer), each layer's
// kernel gradient by blocks of the kernel's rows (with the bias gradient's columns and the kernel's
// transpose), the gradient passed down by blocks of rows (with the activation's backward pass).
// The loss and the metrics, sums over the rows, stay on the calling thread.

public final class BatchEngine {
    public let spec: ModelSpec
    public let loss: Loss
    public let metrics: MetricSet
    public let layout: ParameterLayout
    /// The largest batch the engine's buffers hold.
    public let capacity: Int
    public let targetWidth: Int
    /// The threads large passes are split over.
    public let pool: ComputePool

    /// capacity x inputDim, row-major: the batch's features, written by the caller.
    public let inputs: UnsafeMutableBufferPointer<Float>
    /// capacity x targetWidth, row-major: the batch's targets, written by the caller.
    public let targets: UnsafeMutableBufferPointer<Float>

    private let preActivations: [UnsafeMutablePointer<Float>]  // Z of each layer, capacity x units
    private let activations: [UnsafeMutablePointer<Float>]  // A of each layer, capacity x units
    private let upstream: UnsafeMutablePointer<Float>  // dA or dZ of the current layer
    private let downstream: UnsafeMutablePointer<Float>  // dA of the layer below
    private let transposedKernel: UnsafeMutablePointer<Float>

    public init(spec: ModelSpec, loss: Loss, metrics: MetricSet, capacity: Int, pool: ComputePool = .shared) {
        self.spec = spec
        self.pool = pool
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
        let work = rows * layout.shapes.reduce(0) { $0 + $1.inputs * $1.units }
        pool.forEachRange(count: rows, parts: productParts(work), multiple: Self.rowBlock) { block in
            forward(p, rows: block)
        }
    }

    /// The forward pass of the rows `block` through every layer.
    private func forward(_ p: UnsafePointer<Float>, rows block: Range<Int>) {
        guard !block.isEmpty else { return }
        var input = UnsafePointer(inputs.baseAddress!)
        for (index, layer) in spec.layers.enumerated() {
            let shape = layout.shapes[index]
            let z = preActivations[index] + block.lowerBound * shape.units
            MatrixKernels.multiplyAddingBias(
                input + block.lowerBound * shape.inputs, p + layout.kernelOffsets[index],
                bias: p + layout.biasOffsets[index], into: z, rows: block.count, inner: shape.inputs, columns: shape.units)
            layer.activation.forward(
                z: z, a: activations[index] + block.lowerBound * shape.units, rows: block.count, width: shape.units)
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
        guard rows > 0 else {
            g.update(repeating: 0, count: layout.count)
            return
        }
        forward(parameters: parameters, rows: rows)

        let last = spec.layers.count - 1
        let lossSum = loss.evaluate(
            z: preActivations[last], a: activations[last], y: targets.baseAddress!, rows: rows,
            width: spec.outputWidth, activation: spec.outputActivation, gradient: upstream)
        metrics.accumulate(
            lossSum: lossSum, a: activations[last], y: targets.baseAddress!, rows: rows,
            width: spec.outputWidth, targetWidth: targetWidth, into: sums)

        let p = parameters.baseAddress!
        var current = upstream, below = downstream
        if !loss.fusesWith(spec.outputActivation) {
            let activation = spec.outputActivation, width = spec.outputWidth
            let parts = pool.parts(work: rows * width, minimumPerPart: ComputePool.minimumElementsPerPart)
            pool.forEachRange(count: rows, parts: parts, multiple: Self.rowBlock) { block in
                let offset = block.lowerBound * width
                activation.backward(
                    z: preActivations[last] + offset, a: activations[last] + offset, dA: current + offset,
                    dZ: current + offset, rows: block.count, width: width)
            }
        }
        for index in stride(from: last, through: 0, by: -1) {
            let input = index == 0 ? UnsafePointer(inputs.baseAddress!) : UnsafePointer(activations[index - 1])
            let parts = productParts(rows * layout.shapes[index].inputs * layout.shapes[index].units)
            pool.run(parts: parts) { part in
                layerGradient(index, part: part, of: parts, input: input, upstream: current, parameters: p, gradient: g, rows: rows)
            }
            if index > 0 {
                pool.forEachRange(count: rows, parts: parts, multiple: Self.rowBlock) { block in
                    passDown(index, rows: block, upstream: current, into: below)
                }
                swap(&current, &below)
            }
        }
    }

    /// Part `part` of `parts` of layer `index`'s gradients, from its inputs and the gradient of its
    /// pre-activations (`upstream`): a block of the kernel gradient's rows, of the bias gradient's
    /// columns, and of the kernel's rows transposed for the pass down.
    private func layerGradient(
        _ index: Int, part: Int, of parts: Int, input: UnsafePointer<Float>, upstream: UnsafeMutablePointer<Float>,
        parameters p: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, rows: Int
    ) {
        let shape = layout.shapes[index]
        let kernelRows = ComputePool.range(part, of: parts, count: shape.inputs, multiple: Self.rowBlock)
        let biasColumns = ComputePool.range(part, of: parts, count: shape.units, multiple: 8)
        let kernelGradient = g + layout.kernelOffsets[index], biasGradient = g + layout.biasOffsets[index]
        (kernelGradient + kernelRows.lowerBound * shape.units).update(repeating: 0, count: kernelRows.count * shape.units)
        MatrixKernels.accumulateTransposedProduct(
            input, upstream, into: kernelGradient, rows: rows, inner: shape.inputs, columns: shape.units,
            outputRows: kernelRows)
        (biasGradient + biasColumns.lowerBound).update(repeating: 0, count: biasColumns.count)
        MatrixKernels.accumulateColumnSums(upstream, into: biasGradient, rows: rows, columns: shape.units, only: biasColumns)
        if index > 0 {
            MatrixKernels.transpose(
                p + layout.kernelOffsets[index], into: transposedKernel, rows: shape.inputs, columns: shape.units,
                sourceRows: kernelRows)
        }
    }

    /// The rows `block` of the gradient below layer `index`: the pre-activation gradient `upstream`
    /// times the kernel transposed, then through the backward pass of the activation below.
    private func passDown(_ index: Int, rows block: Range<Int>, upstream: UnsafeMutablePointer<Float>, into below: UnsafeMutablePointer<Float>) {
        guard !block.isEmpty else { return }
        let shape = layout.shapes[index]
        let offset = block.lowerBound * shape.inputs
        MatrixKernels.multiply(
            upstream + block.lowerBound * shape.units, transposedKernel, into: below + offset,
            rows: block.count, inner: shape.units, columns: shape.inputs)
        spec.layers[index - 1].activation.backward(
            z: preActivations[index - 1] + offset, a: activations[index - 1] + offset, dA: below + offset,
            dZ: below + offset, rows: block.count, width: shape.inputs)
    }

    /// The products' register block is 6 rows: blocks of rows start at multiples of it.
    private static let rowBlock = 6

    private func productParts(_ multiplyAdds: Int) -> Int {
        pool.parts(work: multiplyAdds, minimumPerPart: ComputePool.minimumMultiplyAddsPerPart)
    }

    private static func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0, count: max(count, 1))
        return buffer
    }
}
