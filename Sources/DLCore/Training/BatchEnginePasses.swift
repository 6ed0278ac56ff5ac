// The parts of a batch engine's passes, and how they split over the pool's threads.
//
// A pass large enough splits over its pool's threads, each part computing its own outputs exactly
// as the whole pass would: the forward pass by blocks of rows (through every layer, dropping each
// row with the masks of its position in the batch), each layer's kernel gradient by blocks of the
// kernel's rows (with the bias gradient's columns and the kernel's transpose), the gradient passed
// down by blocks of rows (through the Dropout's multipliers, then the activation's backward pass).
// The loss and the metrics, sums over the rows, stay on the calling thread.

extension BatchEngine {
    /// A pass that treats rows independently, split into blocks of rows.
    struct RowBlocks: ComputeTask {
        enum Pass {
            /// The forward pass, dropping with the masks of the key's step when there is one.
            case forward(UnsafePointer<Float>, dropout: DropoutKey?)
            /// The output activation's backward pass, in place, when the loss does not fuse with it.
            case outputActivationBackward(UnsafeMutablePointer<Float>)
            case passDown(layer: Int, upstream: UnsafeMutablePointer<Float>, below: UnsafeMutablePointer<Float>, dropped: Bool)
        }
        let engine: BatchEngine
        let pass: Pass
        let rows: Int
        let parts: Int

        func run(part: Int) {
            let block = ComputePool.range(part, of: parts, count: rows, multiple: BatchEngine.rowBlock)
            guard !block.isEmpty else { return }
            switch pass {
            case let .forward(parameters, dropout):
                engine.forward(parameters, rows: block, dropout: dropout)
            case let .outputActivationBackward(gradient):
                engine.outputActivationBackward(rows: block, gradient: gradient)
            case let .passDown(layer, upstream, below, dropped):
                engine.passDown(layer, rows: block, upstream: upstream, into: below, dropped: dropped)
            }
        }
    }

    /// A layer's gradients, split by blocks of the kernel's rows.
    struct LayerGradients: ComputeTask {
        let engine: BatchEngine
        let index: Int
        let upstream: UnsafeMutablePointer<Float>
        let parameters: UnsafePointer<Float>
        let gradient: UnsafeMutablePointer<Float>
        let rows: Int
        /// Whether the forward pass dropped (its layers read the dropped values).
        let dropped: Bool
        let parts: Int

        func run(part: Int) {
            engine.layerGradient(
                index, part: part, of: parts, upstream: upstream, parameters: parameters, gradient: gradient, rows: rows,
                dropped: dropped)
        }
    }

    /// The forward pass of the rows `block` through every layer, each Dropout drawing the block's
    /// rows' masks of `dropout`'s step when it is given.
    private func forward(_ p: UnsafePointer<Float>, rows block: Range<Int>, dropout key: DropoutKey?) {
        for (index, layer) in spec.layers.enumerated() {
            let shape = layout.shapes[index]
            if let key, let dropout = dropouts[index] {
                dropout.drop(layerInput(index, dropped: false), rows: block, key: key)
            }
            let z = preActivations[index] + block.lowerBound * shape.units
            MatrixKernels.multiplyAddingBias(
                layerInput(index, dropped: key != nil) + block.lowerBound * shape.inputs, p + layout.kernelOffsets[index],
                bias: p + layout.biasOffsets[index], into: z, rows: block.count, inner: shape.inputs, columns: shape.units)
            layer.activation.forward(
                z: z, a: activations[index] + block.lowerBound * shape.units, rows: block.count, width: shape.units)
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
        parameters p: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, rows: Int, dropped: Bool
    ) {
        let shape = layout.shapes[index]
        let kernelRows = ComputePool.range(part, of: parts, count: shape.inputs, multiple: Self.rowBlock)
        let biasColumns = ComputePool.range(part, of: parts, count: shape.units, multiple: 8)
        let kernelGradient = g + layout.kernelOffsets[index], biasGradient = g + layout.biasOffsets[index]
        (kernelGradient + kernelRows.lowerBound * shape.units).update(repeating: 0, count: kernelRows.count * shape.units)
        MatrixKernels.accumulateTransposedProduct(
            layerInput(index, dropped: dropped), upstream, into: kernelGradient, rows: rows, inner: shape.inputs,
            columns: shape.units, outputRows: kernelRows)
        (biasGradient + biasColumns.lowerBound).update(repeating: 0, count: biasColumns.count)
        MatrixKernels.accumulateColumnSums(upstream, into: biasGradient, rows: rows, columns: shape.units, only: biasColumns)
        if index > 0 {
            MatrixKernels.transpose(
                p + layout.kernelOffsets[index], into: transposedKernel, rows: shape.inputs, columns: shape.units,
                sourceRows: kernelRows)
        }
    }

    /// The rows `block` of the gradient below layer `index`: the pre-activation gradient `upstream`
    /// times the kernel transposed, through the Dropout between the layers when the pass dropped,
    /// then through the backward pass of the activation below.
    private func passDown(
        _ index: Int, rows block: Range<Int>, upstream: UnsafeMutablePointer<Float>, into below: UnsafeMutablePointer<Float>,
        dropped: Bool
    ) {
        let shape = layout.shapes[index]
        let offset = block.lowerBound * shape.inputs
        MatrixKernels.multiply(
            upstream + block.lowerBound * shape.units, transposedKernel, into: below + offset,
            rows: block.count, inner: shape.units, columns: shape.inputs)
        if dropped, let dropout = dropouts[index] { dropout.backward(below, rows: block) }
        spec.layers[index - 1].activation.backward(
            z: preActivations[index - 1] + offset, a: activations[index - 1] + offset, dA: below + offset,
            dZ: below + offset, rows: block.count, width: shape.inputs)
    }
}
