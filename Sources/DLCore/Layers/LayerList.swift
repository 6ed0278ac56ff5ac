// A layer list as a user writes it (`--layers 30:relu,1:sigmoid`): Dense layers as UNITS:ACTIVATION,
// a layer without an activation being linear as Keras's `Dense(units)` is, and `auto` as the last
// layer, which the label decides (DLData's OutputHead). Parsing a flag must not trap whatever it
// holds, so units are bounded here, before anything is allocated for them.

public struct LayerList: Sendable, Equatable {
    /// The layers before the output layer.
    public var hidden: [DenseSpec]
    /// The output layer; nil when written `auto`.
    public var output: DenseSpec?

    public init(hidden: [DenseSpec], output: DenseSpec?) {
        self.hidden = hidden
        self.output = output
    }

    /// The most units a layer may have: far beyond a tabular model's, and small enough that a
    /// layer's kernel cannot overflow a count.
    public static let maximumUnits = 1 << 20

    /// The word that leaves the output layer to the label.
    public static let auto = "auto"

    /// Parses `30:relu,1:sigmoid`, `32:relu,1` or `30:relu,auto`.
    public static func parse(_ text: String) throws(ModelSpecError) -> LayerList {
        let items = text.split(separator: ",").map(\.trimmingSpaces)
        guard !items.isEmpty else { throw .emptyModel }
        var layers: [DenseSpec] = []
        for (position, item) in items.enumerated() {
            if item.lowercased() == auto {
                guard position == items.count - 1 else { throw .autoNotLast(text) }
                return LayerList(hidden: layers, output: nil)
            }
            layers.append(try layer(item))
        }
        return LayerList(hidden: Array(layers.dropLast()), output: layers[layers.count - 1])
    }

    /// Every layer, when the output layer is given.
    public var layers: [DenseSpec]? { output.map { hidden + [$0] } }

    /// The hidden layers as a layer list writes them (`30:relu`), for advice that names the flag.
    public var hiddenText: String { hidden.map(\.text).joined(separator: ",") }

    private static func layer(_ item: String) throws(ModelSpecError) -> DenseSpec {
        let parts = item.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let units = Int(parts[0].trimmingSpaces), units > 0 else { throw .badLayer(item) }
        guard units <= maximumUnits else { throw .tooManyUnits(item, maximum: maximumUnits) }
        let activation = parts.count == 2 ? try Activation(name: parts[1].trimmingSpaces) : .linear
        return DenseSpec(units: units, activation: activation)
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
