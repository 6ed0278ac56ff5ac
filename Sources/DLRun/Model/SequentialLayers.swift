// A model's layers as Keras's Sequential holds them: a Dropout wherever the layer list has one (on
// the inputs, or after a Dense layer), each layer named as Keras names it (by class, counted per
// class: dense, dense_1, ..., dropout, dropout_1, ...). `dlmodel summary` and the .keras export list
// the same layers under the same names.

import DLCore

public enum SequentialLayer: Sendable, Equatable {
    /// The model's Dense layer `index`.
    case dense(index: Int, name: String)
    /// A Dropout of `rate` on a `width`-wide input.
    case dropout(rate: Float, width: Int, name: String)

    public var name: String {
        switch self {
        case let .dense(_, name), let .dropout(_, _, name): name
        }
    }
}

extension ModelSpec {
    /// The layers in order, with Keras's names.
    public var sequentialLayers: [SequentialLayer] {
        var layers: [SequentialLayer] = []
        var dropouts = 0
        func dropout(_ rate: Float?, width: Int) {
            guard let rate else { return }
            layers.append(.dropout(rate: rate, width: width, name: dropouts == 0 ? "dropout" : "dropout_\(dropouts)"))
            dropouts += 1
        }
        dropout(inputDropout, width: inputDim)
        for (index, layer) in self.layers.enumerated() {
            layers.append(.dense(index: index, name: ModelFile.layerName(index)))
            dropout(layer.dropout, width: layer.units)
        }
        return layers
    }
}
