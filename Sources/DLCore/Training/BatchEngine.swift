// Forward and backward passes of a Sequential model over a whole mini-batch at once.
//
// An engine owns every buffer a pass needs, sized once for its largest batch, so a training step
// allocates nothing. The caller fills `inputs` and `targets` with a batch's rows; the engine then
// writes the gradient summed over those rows into one flat buffer laid out like the parameters.
// That per-shard sum is the unit the trainer adds up in shard order (and a worker sends on the wire).
// An engine is used by one thread at a time.
//
// A training pass applies the model's Dropout layers with the masks of the step it is given
// (EngineDropout); inference passes (evaluate, forward) never drop. How a pass splits over the
// pool's threads is in BatchEnginePasses.swift.

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

    let preActivations: [UnsafeMutablePointer<Float>]  // Z of each layer, capacity x units
    let activations: [UnsafeMutablePointer<Float>]  // A of each layer, capacity x units
    /// The Dropout on each Dense layer's input (nil: none).
    let dropouts: [EngineDropout?]
    let upstream: UnsafeMutablePointer<Float>  // dA or dZ of the current layer
    let downstream: UnsafeMutablePointer<Float>  // dA of the layer below
    let transposedKernel: UnsafeMutablePointer<Float>

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
        dropouts = EngineDropout.make(for: spec, capacity: capacity)
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
        for dropout in dropouts { dropout?.deallocate() }
    }

    /// The rows' weights for the loss, nil when every row weighs 1.
    private var weights: UnsafePointer<Float>? { rowWeights.isEmpty ? nil : UnsafePointer(rowWeights.baseAddress) }

    /// The output layer's activations of the last pass: rows x outputWidth.
    public var outputs: UnsafePointer<Float> { UnsafePointer(activations[activations.count - 1]) }

    /// Forward pass over the first `rows` rows of `inputs`, as inference: no dropout.
    public func forward(parameters: UnsafeBufferPointer<Float>, rows: Int) {
        forward(parameters: parameters, rows: rows, dropout: nil)
    }

    /// Forward pass, with the dropout masks of `dropout`'s step when it is given.
    private func forward(parameters: UnsafeBufferPointer<Float>, rows: Int, dropout: DropoutKey?) {
        precondition(rows <= capacity && parameters.count == layout.count)
        let work = rows * layout.shapes.reduce(0) { $0 + $1.inputs * $1.units }
        pool.run(RowBlocks(
            engine: self, pass: .forward(parameters.baseAddress!, dropout: dropout), rows: rows, parts: productParts(work)))
    }

    /// Forward pass, loss and metrics, without gradients and without dropout (validation and
    /// evaluation, as Keras's): adds the batch's sums to `sums`.
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
    /// With a `dropout` key, the model's Dropout layers drop with that step's masks (training); nil
    /// computes without them.
    ///
    /// The backward pass finishes the layers from the last to the first, so the gradient is final
    /// from the end backwards: `gradientsReady(offset)` is called, on this thread, each time
    /// `gradient[offset...]` is (for every layer but the first, whose gradient completes the
    /// call), so that an exchange can send the upper layers' gradient while the lower ones compute.
    public func computeGradientSum(
        parameters: UnsafeBufferPointer<Float>, rows: Int,
        gradient: UnsafeMutableBufferPointer<Float>, sums: UnsafeMutablePointer<Double>,
        dropout: DropoutKey? = nil, gradientsReady: ((_ offset: Int) -> Void)? = nil
    ) {
        precondition(gradient.count == layout.count)
        let g = gradient.baseAddress!
        guard rows > 0 else {
            g.update(repeating: 0, count: layout.count)
            return
        }
        forward(parameters: parameters, rows: rows, dropout: dropout)

        let last = spec.layers.count - 1
        let lossSum = loss.evaluate(
            z: preActivations[last], a: activations[last], y: targets.baseAddress!, rows: rows,
            width: spec.outputWidth, activation: spec.outputActivation, weights: weights, gradient: upstream)
        metrics.accumulate(
            lossSum: lossSum, a: activations[last], y: targets.baseAddress!, rows: rows,
            width: spec.outputWidth, targetWidth: targetWidth, into: sums)

        let dropped = dropout != nil
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
                dropped: dropped, parts: parts))
            if index > 0 {
                gradientsReady?(layout.kernelOffsets[index])
                pool.run(RowBlocks(
                    engine: self, pass: .passDown(layer: index, upstream: current, below: below, dropped: dropped), rows: rows,
                    parts: parts))
                swap(&current, &below)
            }
        }
    }

    /// What Dense layer `index` read in the last pass: the model's inputs or the activations below,
    /// or their dropped copy in a training pass with a Dropout there.
    func layerInput(_ index: Int, dropped: Bool) -> UnsafePointer<Float> {
        if dropped, let dropout = dropouts[index] { return UnsafePointer(dropout.output) }
        return index == 0 ? UnsafePointer(inputs.baseAddress!) : UnsafePointer(activations[index - 1])
    }

    /// The products' register block is 6 rows: blocks of rows start at multiples of it.
    static let rowBlock = 6

    func productParts(_ multiplyAdds: Int) -> Int {
        pool.parts(multiplyAdds: multiplyAdds)
    }

    static func zeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0, count: max(count, 1))
        return buffer
    }
}
