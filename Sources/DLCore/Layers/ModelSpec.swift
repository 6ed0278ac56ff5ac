// The description of a Sequential stack of Dense layers, and where each weight lives in the flat
// parameter buffer.
//
// All parameters of a model live in one contiguous float32 buffer: layer by layer, the kernel
// (shape inputs x units, row-major, as Keras stores it) and then the bias. Gradients and optimizer
// state use the same layout, so the gradient buffer is a single block that can be summed, sent and
// applied without any per-tensor bookkeeping.

/// One Dense layer: `units` outputs followed by `activation`.
public struct DenseSpec: Sendable, Equatable, Codable {
    public var units: Int
    public var activation: Activation
    public var kernelInitializer: Initializer
    public var biasInitializer: Initializer
    /// Keras's `kernel_regularizer` and `bias_regularizer`; nil for none.
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    /// The rate of a Keras `Dropout` layer that follows this one (its output, after the
    /// activation); nil for none. Never on the output layer.
    public var dropout: Float?

    public init(
        units: Int, activation: Activation,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil, dropout: Float? = nil
    ) {
        self.units = units
        self.activation = activation
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.dropout = dropout
    }

    /// The layer as a layer list writes it: `30:relu`.
    public var text: String { "\(units):\(activation.rawValue)" }
}

/// A Sequential model: an input width and its Dense layers in order. Every way of making one
/// (from flags, a job, a model file, a checkpoint, a message) goes through the checking
/// initializer, so its parameter count is known to fit and the layout's arithmetic cannot overflow.
public struct ModelSpec: Sendable, Equatable, Codable {
    public let inputDim: Int
    public let layers: [DenseSpec]
    /// The rate of a Keras `Dropout` layer on the inputs, before the first Dense layer; nil for none.
    public let inputDropout: Float?

    /// The most input columns a model may have: as many as a layer may have units.
    public static let maximumInputs = LayerList.maximumUnits
    /// The most parameters a model may have: 8 GiB of float32 (a message counts them in 32 bits),
    /// and beyond what a machine trains anyway (MemoryBudget says so first, with the need).
    public static let maximumParameters = Int(Int32.max)

    /// Checks the widths and counts every parameter before anything is allocated: no width or count
    /// of a layer list, a job file or a message can overflow the layout's arithmetic.
    public init(inputDim: Int, layers: [DenseSpec], inputDropout: Float? = nil) throws(ModelSpecError) {
        guard inputDim > 0, !layers.isEmpty, layers.allSatisfy({ $0.units > 0 }) else { throw .emptyModel }
        guard inputDim <= Self.maximumInputs else { throw .tooManyInputs(inputDim, maximum: Self.maximumInputs) }
        if let wide = layers.first(where: { $0.units > LayerList.maximumUnits }) {
            throw .tooManyUnits(wide.text, maximum: LayerList.maximumUnits)
        }
        let count = Self.parameterCount(inputDim: inputDim, layers: layers)
        guard let count, count <= Self.maximumParameters else {
            throw .tooManyParameters(count, maximum: Self.maximumParameters)
        }
        try Self.checkOptions(layers: layers, inputDropout: inputDropout)
        self.inputDim = inputDim
        self.layers = layers
        self.inputDropout = inputDropout
    }

    /// Refuses what the layer list refuses, for a model that comes from a file or a message: a
    /// dropout rate outside [0, 1), one on the output layer, a regularizer factor that is negative
    /// or not finite.
    private static func checkOptions(layers: [DenseSpec], inputDropout: Float?) throws(ModelSpecError) {
        for (index, rate) in ([inputDropout] + layers.map(\.dropout)).enumerated() {
            guard let rate else { continue }
            guard rate >= 0, rate < 1 else { throw .badDropout("dropout:\(rate)", reason: "a rate is from 0 up to, not including, 1") }
            guard index < layers.count else { throw .badDropout("dropout:\(rate)", reason: "it follows the output layer") }
        }
        for layer in layers {
            for regularizer in [layer.kernelRegularizer, layer.biasRegularizer].compactMap({ $0 }) {
                guard regularizer.l1 >= 0, regularizer.l1.isFinite, regularizer.l2 >= 0, regularizer.l2.isFinite else {
                    throw .badRegularizer(
                        "l1=\(regularizer.l1),l2=\(regularizer.l2)", reason: "each factor must be a finite number of at least 0")
                }
            }
        }
    }

    /// Every layer's kernel and bias, counted with overflow checks (widths of at most
    /// LayerList.maximumUnits); nil when the count overflows.
    static func parameterCount(inputDim: Int, layers: [DenseSpec]) -> Int? {
        var count = 0, inputs = inputDim
        for layer in layers {
            let (kernel, kernelOverflow) = layer.units.multipliedReportingOverflow(by: inputs + 1)  // and the bias
            let (sum, sumOverflow) = count.addingReportingOverflow(kernel)
            guard !kernelOverflow, !sumOverflow else { return nil }
            count = sum
            inputs = layer.units
        }
        return count
    }

    private enum CodingKeys: String, CodingKey { case inputDim, layers, inputDropout }

    /// Decodes through the checking initializer: a model read from a file or a message is refused
    /// (as bad content) where one built from flags would be.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let inputDim = try container.decode(Int.self, forKey: .inputDim)
        let layers = try container.decode([DenseSpec].self, forKey: .layers)
        let inputDropout = try container.decodeIfPresent(Float.self, forKey: .inputDropout)
        do {
            try self.init(inputDim: inputDim, layers: layers, inputDropout: inputDropout)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .layers, in: container, debugDescription: "\(error)")
        }
    }

    /// Written with the dropout on the inputs only when there is one, so a model without it is
    /// written as before dropout existed.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(inputDim, forKey: .inputDim)
        try container.encode(layers, forKey: .layers)
        try container.encodeIfPresent(inputDropout, forKey: .inputDropout)
    }

    public var outputWidth: Int { layers[layers.count - 1].units }
    public var outputActivation: Activation { layers[layers.count - 1].activation }

    /// The number of inputs of layer `index`.
    public func fanIn(ofLayer index: Int) -> Int { index == 0 ? inputDim : layers[index - 1].units }

    public var layout: ParameterLayout { ParameterLayout(self) }

    /// The widest layer, which sizes the scratch buffers of the backward pass.
    public var widestLayer: Int { max(inputDim, layers.map(\.units).max() ?? 0) }

    /// Fresh parameters drawn from the layers' initializers with a generator derived from `seed`.
    public func initialParameters(seed: UInt64) -> [Float] {
        let layout = self.layout
        var parameters = [Float](repeating: 0, count: layout.count)
        var generator = SeededGenerator(seed: seed, stream: RandomStream.initialWeights)
        parameters.withUnsafeMutableBufferPointer { buffer in
            for (index, layer) in layers.enumerated() {
                let fanIn = fanIn(ofLayer: index)
                layer.kernelInitializer.fill(
                    UnsafeMutableBufferPointer(rebasing: buffer[layout.kernelRange(index)]),
                    fanIn: fanIn, fanOut: layer.units, using: &generator)
                // A bias is a vector: Keras's fans of a shape (units,) are both units.
                layer.biasInitializer.fill(
                    UnsafeMutableBufferPointer(rebasing: buffer[layout.biasRange(index)]),
                    fanIn: layer.units, fanOut: layer.units, using: &generator)
            }
        }
        return parameters
    }
}

/// Offsets of each layer's kernel and bias in the flat parameter buffer.
public struct ParameterLayout: Sendable, Equatable {
    public let kernelOffsets: [Int]
    public let biasOffsets: [Int]
    public let shapes: [(inputs: Int, units: Int)]
    public let count: Int

    init(_ spec: ModelSpec) {
        var kernels: [Int] = []
        var biases: [Int] = []
        var shapes: [(Int, Int)] = []
        var offset = 0
        for (index, layer) in spec.layers.enumerated() {
            let inputs = spec.fanIn(ofLayer: index)
            kernels.append(offset)
            offset += inputs * layer.units
            biases.append(offset)
            offset += layer.units
            shapes.append((inputs, layer.units))
        }
        kernelOffsets = kernels
        biasOffsets = biases
        self.shapes = shapes
        count = offset
    }

    public func kernelRange(_ layer: Int) -> Range<Int> {
        kernelOffsets[layer]..<(kernelOffsets[layer] + shapes[layer].inputs * shapes[layer].units)
    }

    public func biasRange(_ layer: Int) -> Range<Int> {
        biasOffsets[layer]..<(biasOffsets[layer] + shapes[layer].units)
    }

    public static func == (lhs: ParameterLayout, rhs: ParameterLayout) -> Bool {
        lhs.kernelOffsets == rhs.kernelOffsets && lhs.biasOffsets == rhs.biasOffsets && lhs.count == rhs.count
    }
}
