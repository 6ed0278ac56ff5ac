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
    /// capacity: each row's weight in the loss (Keras's sample weight; the metrics are not weighted), written by
    /// the caller when the engine is `weighted`; empty otherwise, and every row weighs 1.
    public let rowWeights: UnsafeMutableBufferPointer<Float>

    private let preActivations: [UnsafeMutablePointer<Float>]  // Z of each layer, capacity x units
    private let activations: [UnsafeMutablePointer<Float>]  // A of each layer, capacity x units
    private let upstream: UnsafeMutablePointer<Float>  // dA or dZ of the current layer
    private let downstream: UnsafeMutablePointer<Float>  // dA of the layer below
    private let transposedKernel: UnsafeMutablePointer<Float>

    public init(
        spec: ModelSpec, loss: Loss, metrics: MetricSet, capacity: Int, weighted: Bool = false, pool: ComputePool = .shared
    ) {
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
        rowWeights = .allocate(capacity: weighted ? capacity : 0)
        inputs.initialize(repeating: 0)
        targets.initialize(repeating: 0)
        rowWeights.initialize(repeating: 1)
        preActivations = spec.layers.map { Self.zeroed(capacity * $0.units) }
        activations = spec.layers.map { Self.zeroed(capacity * $0.units) }
        upstream = Self.zeroed(capacity * spec.widestLayer)
        downstream = Self.zeroed(capacity * spec.widestLayer)
        transposedKernel = Self.zeroed(layout.shapes.map { $0.inputs * $0.units }.max() ?? 1)
    }

    deinit {
        inputs.deallocate()
        targets.deallocate()
        rowWeights.deallocate()
        for buffer in preActivations + activations + [upstream, downstream, transposedKernel] {
            buffer.deallocate()
        }
    }

    /// The rows' weights for the loss, nil when every row weighs 1.
    private var weights: UnsafePointer<Float>? { rowWeights.isEmpty ? nil : UnsafePointer(rowWeights.baseAddress) }

    /// The output layer's activations of the last pass: rows x outputWidth.
    public var outputs: UnsafePointer<Float> { UnsafePointer(activations[activations.count - 1]) }

    /// Forward pass over the first `rows` rows of `inputs`.
    public func forward(parameters: UnsafeBufferPointer<Float>, rows: Int) {
        precondition(rows <= capacity && parameters.count == layout.count)
        let work = rows * layout.shapes.reduce(0) { $0 + $1.inputs * $1.units }
        pool.run(RowBlocks(engine: self, pass: .forward(parameters.baseAddress!), rows: rows, parts: productParts(work)))
    }

    /// The forward pass of the rows `block` through every layer.
    private func forward(_ p: UnsafePointer<Float>, rows block: Range<Int>) {
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
            width: spec.outputWidth, activation: spec.outputActivation, weights: weights, gradient: nil)
        metrics.accumulate(
            lossSum: lossSum, a: activations[last], y: targets.baseAddress!, rows: rows,
            width: spec.outputWidth, targetWidth: targetWidth, into: sums)
    }

    /// Forward and backward pass: writes into `gradient` the gradient of the loss summed over the
    /// first `rows` rows (not divided by anything), and adds the batch's loss and metric sums to `sums`.
    ///
    /// The backward pass finishes the layers from the last to the first, so the gradient is final
    /// from the end backwards: `gradientsReady(offset)` is called, on this thread, each time
    /// `gradient[offset...]` is (for every layer but the first, whose gradient completes the
    /// call), so that an exchange can send the upper layers' gradient while the lower ones compute.
    public func computeGradientSum(
        parameters: UnsafeBufferPointer<Float>, rows: Int,
        gradient: UnsafeMutableBufferPointer<Float>, sums: UnsafeMutablePointer<Double>,
        gradientsReady: ((_ offset: Int) -> Void)? = nil
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
            width: spec.outputWidth, activation: spec.outputActivation, weights: weights, gradient: upstream)
        metrics.accumulate(
            lossSum: lossSum, a: activations[last], y: targets.baseAddress!, rows: rows,
            width: spec.outputWidth, targetWidth: targetWidth, into: sums)

        var current = upstream, below = downstream
        if !loss.fusesWith(spec.outputActivation) {
            let parts = pool.parts(elements: rows * spec.outputWidth)
            pool.run(RowBlocks(engine: self, pass: .outputActivationBackward(current), rows: rows, parts: parts))
        }
        for index in stride(from: last, through: 0, by: -1) {
            // The product's multiply-adds, and as many again per input for what the layer's
            // gradients and the pass down touch elementwise (the inputs transposed, the activation's
            // backward pass): for a layer of one unit that is most of the work.
            let parts = productParts(rows * layout.shapes[index].inputs * (layout.shapes[index].units + 1))
            pool.run(LayerGradients(
                engine: self, index: index, upstream: current, parameters: parameters.baseAddress!, gradient: g, rows: rows,
                parts: parts))
            if index > 0 {
                gradientsReady?(layout.kernelOffsets[index])
                pool.run(RowBlocks(engine: self, pass: .passDown(layer: index, upstream: current, below: below), rows: rows, parts: parts))
                swap(&current, &below)
            }
        }
    }

    /// A pass that treats rows independently, split into blocks of rows.
    private struct RowBlocks: ComputeTask {
        enum Pass {
            case forward(UnsafePointer<Float>)
            /// The output activation's backward pass, in place, when the loss does not fuse with it.
            case outputActivationBackward(UnsafeMutablePointer<Float>)
            case passDown(layer: Int, upstream: UnsafeMutablePointer<Float>, below: UnsafeMutablePointer<Float>)
        }
        let engine: BatchEngine
        let pass: Pass
        let rows: Int
        let parts: Int

        func run(part: Int) {
            let block = ComputePool.range(part, of: parts, count: rows, multiple: BatchEngine.rowBlock)
            guard !block.isEmpty else { return }
            switch pass {
            case let .forward(parameters):
                engine.forward(parameters, rows: block)
            case let .outputActivationBackward(gradient):
                engine.outputActivationBackward(rows: block, gradient: gradient)
            case let .passDown(layer, upstream, below):
                engine.passDown(layer, rows: block, upstream: upstream, into: below)
            }
        }
    }

    /// A layer's gradients, split by blocks of the kernel's rows.
    private struct LayerGradients: ComputeTask {
        let engine: BatchEngine
        let index: Int
        let upstream: UnsafeMutablePointer<Float>
        let parameters: UnsafePointer<Float>
        let gradient: UnsafeMutablePointer<Float>
        let rows: Int
        let parts: Int

        func run(part: Int) {
            engine.layerGradient(
                index, part: part, of: parts, upstream: upstream, parameters: parameters, gradient: gradient, rows: rows)
        }
    }

    /// The rows `block` of the output activation's backward pass, in place in `gradient`.
    private func outputActivationBackward(rows block: Range<Int>, gradient: UnsafeMutablePointer<Float>) {
        let last = spec.layers.count - 1, width = spec.outputWidth, offset = block.lowerBound * width
        spec.outputActivation.backward(
            z: preActivations[last] + offset, a: activations[last] + offset, dA: gradient + offset,
            dZ: gradient + offset, rows: block.count, width: width)
    }

    /// Part `part` of `parts` of layer `index`'s gradients, from its inputs and the gradient of its
    /// pre-activations (`upstream`): a block of the kernel gradient's rows, of the bias gradient's
    /// columns, and of the kernel's rows transposed for the pass down.
    private func layerGradient(
        _ index: Int, part: Int, of parts: Int, upstream: UnsafeMutablePointer<Float>,
        parameters p: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, rows: Int
    ) {
        let shape = layout.shapes[index]
        let input = index == 0 ? UnsafePointer(inputs.baseAddress!) : UnsafePointer(activations[index - 1])
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
        pool.parts(multiplyAdds: multiplyAdds)
    }

    private static func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0, count: max(count, 1))
        return buffer
    }
}
