// A Dropout layer inside a batch engine: the multipliers of the last training pass's rows and the
// dropped values the next Dense layer reads.
//
// Training passes drop (Keras's Dropout with training=True): a row's multipliers come from
// DropoutMask, keyed by the row's position in the batch, never by the block of rows a thread
// computes, so every split of the pass draws the same masks. The values before dropping stay where
// they are (the activation's backward pass reads them); the dropped copy is a buffer of its own.
// The backward pass multiplies the gradient of the dropped values by the same multipliers, the
// derivative of value·multiplier. Inference (evaluate, predict, validation) never drops.

struct EngineDropout {
    let rule: DropoutMask
    /// The Dense layer whose input this drops: the layer number of its masks.
    let layer: Int
    let width: Int
    /// capacity x width: scale or 0 for each value of the last training pass.
    let multipliers: UnsafeMutablePointer<Float>
    /// capacity x width: the values times their multipliers.
    let output: UnsafeMutablePointer<Float>

    /// The Dropout on the input of each Dense layer of `spec` (the model's inputs for layer 0, layer
    /// i - 1's activations for layer i), nil where there is none; a rate on the output layer, which
    /// the layer list refuses, has no layer to feed and is not applied.
    static func make(for spec: ModelSpec, capacity: Int) -> [EngineDropout?] {
        spec.layers.indices.map { index in
            let rate = index == 0 ? spec.inputDropout : spec.layers[index - 1].dropout
            guard let rule = DropoutMask(rate: rate) else { return nil }
            let width = spec.fanIn(ofLayer: index)
            return EngineDropout(
                rule: rule, layer: index, width: width, multipliers: BatchEngine.zeroed(capacity * width),
                output: BatchEngine.zeroed(capacity * width))
        }
    }

    func deallocate() {
        multipliers.deallocate()
        output.deallocate()
    }

    /// Draws the masks of the rows `block` of `key`'s step and writes their dropped values.
    func drop(_ values: UnsafePointer<Float>, rows block: Range<Int>, key: DropoutKey) {
        for row in block {
            let offset = row * width
            rule.fill(multipliers + offset, units: width, key: key, layer: layer, row: row)
            DropoutMask.apply(values + offset, multipliers + offset, into: output + offset, count: width)
        }
    }

    /// The gradient of the rows `block`, with respect to the dropped values, turned in place into
    /// the gradient with respect to the values before dropping.
    func backward(_ gradient: UnsafeMutablePointer<Float>, rows block: Range<Int>) {
        let offset = block.lowerBound * width
        DropoutMask.apply(gradient + offset, multipliers + offset, into: gradient + offset, count: block.count * width)
    }
}
