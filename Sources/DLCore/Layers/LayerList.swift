// A layer list as a user writes it (`--layers 64:relu:l2=0.001,dropout:0.3,1:sigmoid`): Dense layers
// as UNITS[:ACTIVATION][:OPTION=V]..., a layer without an activation being linear as Keras's
// `Dense(units)` is; `dropout:RATE` items, Keras's `Dropout(rate)` after the layer before them (or
// on the inputs, first); and `auto` as the last layer, which the label decides (DLData's OutputHead).
// A layer's options (its kernel and bias regularizers and initializers) win over the job's defaults
// (LayerDefaults: --kernel-regularizer and the like), which fill what a layer does not set. Parsing
// a flag must not trap whatever it holds, so units are bounded here, before anything is allocated.

public struct LayerList: Sendable, Equatable {
    /// The layers before the output layer.
    public var hidden: [DenseSpec]
    /// The output layer; nil when written `auto`.
    public var output: DenseSpec?
    /// The rate of a Dropout on the inputs (a `dropout:RATE` first); nil for none.
    public var inputDropout: Float?
    /// The hidden layers and their dropouts as the list writes them, for advice that names the flag.
    public var hiddenText: String

    public init(hidden: [DenseSpec], output: DenseSpec?, inputDropout: Float? = nil, hiddenText: String? = nil) {
        self.hidden = hidden
        self.output = output
        self.inputDropout = inputDropout
        self.hiddenText = hiddenText ?? hidden.map(\.text).joined(separator: ",")
    }

    /// The most units a layer may have: far beyond a tabular model's, and small enough that a
    /// layer's kernel cannot overflow a count.
    public static let maximumUnits = 1 << 20

    /// The word that leaves the output layer to the label.
    public static let auto = "auto"
    /// The word of a Dropout item.
    public static let dropout = "dropout"

    /// A layer's options (`64:relu:l2=0.001`), by name.
    public static let options = ["l1", "l2", "bias_l1", "bias_l2", "kernel_initializer", "bias_initializer"]

    /// Parses `30:relu,1:sigmoid`, `32:relu,1`, `30:relu,auto` or `dropout:0.1,64:relu:l2=0.001,dropout:0.3,1:sigmoid`;
    /// `defaults` fill what a layer does not set.
    public static func parse(_ text: String, defaults: LayerDefaults = LayerDefaults()) throws(ModelSpecError) -> LayerList {
        let items = text.split(separator: ",").map(\.trimmingSpaces)
        guard !items.isEmpty else { throw .emptyModel }
        var layers: [DenseSpec] = [], inputDropout: Float?, outputItem: Int?
        var previousWasDropout = false
        for (position, item) in items.enumerated() {
            if item.lowercased() == auto {
                guard position == items.count - 1 else { throw .autoNotLast(text) }
                return LayerList(
                    hidden: layers, output: nil, inputDropout: inputDropout,
                    hiddenText: items.dropLast().joined(separator: ","))
            }
            if let rate = try dropoutRate(item) {
                guard !previousWasDropout else {
                    throw .badDropout(item, reason: "it follows another dropout; one Dropout layer with one rate does the same (\(text))")
                }
                if layers.isEmpty { inputDropout = rate } else { layers[layers.count - 1].dropout = rate }
                previousWasDropout = true
                continue
            }
            layers.append(try layer(item, defaults: defaults))
            outputItem = position
            previousWasDropout = false
        }
        guard let outputItem, let output = layers.last else { throw .emptyModel }
        if output.dropout != nil {
            throw .badDropout(
                items[items.count - 1],
                reason: "a Dropout layer after the output layer would drop the predictions; put it before the last layer, "
                    + "for example 64:relu,dropout:0.3,1:sigmoid")
        }
        return LayerList(
            hidden: Array(layers.dropLast()), output: output, inputDropout: inputDropout,
            hiddenText: items[..<outputItem].joined(separator: ","))
    }

    /// Every layer, when the output layer is given.
    public var layers: [DenseSpec]? { output.map { hidden + [$0] } }

    /// The rate of a `dropout:RATE` item (nil for another item): Keras's 0 <= rate < 1, in float32.
    private static func dropoutRate(_ item: String) throws(ModelSpecError) -> Float? {
        let parts = item.split(separator: ":", omittingEmptySubsequences: false)
        guard parts[0].trimmingSpaces.lowercased() == dropout else { return nil }
        guard parts.count == 2, let rate = Double(parts[1].trimmingSpaces), rate.isFinite, rate >= 0, Float(rate) < 1 else {
            throw .badDropout(
                item, reason: "expected dropout:RATE with a rate from 0 up to, not including, 1 (the fraction of values "
                    + "dropped, as Keras's Dropout(rate)), for example dropout:0.3")
        }
        return Float(rate)
    }

    private static func layer(_ item: String, defaults: LayerDefaults) throws(ModelSpecError) -> DenseSpec {
        let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(\.trimmingSpaces)
        guard let units = Int(parts[0]), units > 0 else { throw .badLayer(item) }
        guard units <= maximumUnits else { throw .tooManyUnits(item, maximum: maximumUnits) }
        var activation = Activation.linear
        var options: [String: String] = [:]
        for (index, part) in parts.enumerated().dropFirst() {
            guard let equals = part.firstIndex(of: "=") else {
                guard index == 1 else { throw .badLayer(item) }
                activation = try Activation(name: part)
                continue
            }
            let name = Substring(part[..<equals]).trimmingSpaces.lowercased()
            guard LayerList.options.contains(name) else {
                let meant = EditDistance.nearest(to: name, among: LayerList.options).map { "; did you mean \($0)?" } ?? ""
                throw .badLayerOption(item, reason: "unknown option \(name); a layer takes \(LayerList.options.joined(separator: ", "))\(meant)")
            }
            guard options[name] == nil else { throw .badLayerOption(item, reason: "\(name) is given twice") }
            options[name] = Substring(part[part.index(after: equals)...]).trimmingSpaces
        }
        var layer = DenseSpec(units: units, activation: activation)
        defaults.apply(to: &layer)
        if let regularizer = try regularizer(options["l1"], options["l2"], item: item) { layer.kernelRegularizer = regularizer }
        if let regularizer = try regularizer(options["bias_l1"], options["bias_l2"], item: item) { layer.biasRegularizer = regularizer }
        do throws(ModelSpecError) {
            if let name = options["kernel_initializer"] { layer.kernelInitializer = try Initializer(name: name) }
            if let name = options["bias_initializer"] {
                let initializer = try Initializer(name: name)
                guard initializer.fitsVector else { throw ModelSpecError.initializerNeedsMatrix(initializer.rawValue) }
                layer.biasInitializer = initializer
            }
        } catch {
            throw .badLayerOption(item, reason: "\(error)")
        }
        return layer
    }

    /// A layer's own regularizer from its l1= and l2= options (both: Keras's l1_l2); nil without either.
    private static func regularizer(_ l1: String?, _ l2: String?, item: String) throws(ModelSpecError) -> Regularizer? {
        guard l1 != nil || l2 != nil else { return nil }
        func factor(_ text: String?) throws(ModelSpecError) -> Float {
            guard let text else { return 0 }
            do {
                return try Regularizer.factor(text, of: item, name: "")
            } catch {
                throw .badLayerOption(item, reason: "a regularization factor must be a finite number of at least 0, such as 0.001")
            }
        }
        return Regularizer(l1: try factor(l1), l2: try factor(l2))
    }
}

/// What a Dense layer gets when its item in the list does not say: the job's --kernel-regularizer,
/// --bias-regularizer, --kernel-initializer and --bias-initializer (Keras's Dense defaults when none).
public struct LayerDefaults: Sendable, Equatable {
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var kernelInitializer: Initializer
    public var biasInitializer: Initializer

    public init(
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros
    ) {
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
    }

    /// Sets the defaults on `layer` (a layer's own options are set after them).
    public func apply(to layer: inout DenseSpec) {
        layer.kernelRegularizer = kernelRegularizer
        layer.biasRegularizer = biasRegularizer
        layer.kernelInitializer = kernelInitializer
        layer.biasInitializer = biasInitializer
    }

    /// `layer` with the defaults: the output layer `auto` chose, which has no options of its own.
    public func applied(to layer: DenseSpec) -> DenseSpec {
        var layer = layer
        apply(to: &layer)
        return layer
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

extension String {
    var trimmingSpaces: String { Substring(self).trimmingSpaces }
}
