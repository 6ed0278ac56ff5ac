// How the label column(s) of a CSV become the targets a loss trains on.
//
// Text class labels ("M"/"B", "Iris-setosa") become class indices in sorted order, so the mapping does
// not depend on the order of the rows; the mapping is saved with the model. One label column feeding
// several outputs (categorical cross-entropy, or a regression on one-hot classes) is one-hot encoded.

import DLCore

public struct LabelEncoding: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// Each label column's value is one target, as is.
        case values
        /// The label is a class index: one target holding the index (sparse categorical).
        case classIndex = "class_index"
        /// The label is a class index turned into one target per output, 1 at the class.
        case oneHot = "one_hot"
    }

    public let kind: Kind
    /// The label columns, by header name where the file has one, else as `column K`.
    public let columns: [String]
    /// Class names in index order when the labels were text; nil for numeric labels.
    public let classes: [String]?

    public init(kind: Kind, columns: [String], classes: [String]?) {
        self.kind = kind
        self.columns = columns
        self.classes = classes
    }

    /// Chooses the encoding for `labelColumns` label columns, `outputs` model outputs and `loss`.
    static func kind(labelColumns: Int, outputs: Int, loss: Loss) -> Kind? {
        if loss == .sparseCategoricalCrossentropy { return labelColumns == 1 ? .classIndex : nil }
        if labelColumns == outputs { return .values }
        if labelColumns == 1 && outputs > 1 { return .oneHot }
        return nil
    }
}
