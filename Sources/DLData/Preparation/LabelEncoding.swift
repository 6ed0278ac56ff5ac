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

    /// What makes this encoding one that training could not have produced for `outputs` model
    /// outputs and `loss` (from an edited model file), or nil when it is consistent: the kind that
    /// the label columns, outputs and loss give, and no more class names than outputs can tell
    /// apart (two for one unit trained on 0 and 1; one per unit for class indices).
    public func inconsistency(outputs: Int, loss: Loss) -> String? {
        guard !columns.isEmpty else { return "no label column" }
        guard let expected = Self.kind(labelColumns: columns.count, outputs: outputs, loss: loss) else {
            return "\(columns.count) label column(s) cannot train \(outputs) output(s) with \(loss.rawValue)"
        }
        guard kind == expected else {
            return "labels encoded as \(kind.rawValue), but \(columns.count) label column(s), \(outputs) output(s) and "
                + "\(loss.rawValue) encode them as \(expected.rawValue)"
        }
        guard let classes else { return nil }
        let most = kind == .values ? 2 : outputs
        guard !classes.isEmpty, classes.count <= most else {
            return "\(classes.count) class name(s) for \(outputs) output(s) encoded as \(kind.rawValue), which tell at most \(most) apart"
        }
        guard Set(classes).count == classes.count else { return "the class names repeat" }
        return nil
    }

    /// Chooses the encoding for `labelColumns` label columns, `outputs` model outputs and `loss`.
    static func kind(labelColumns: Int, outputs: Int, loss: Loss) -> Kind? {
        if loss == .sparseCategoricalCrossentropy { return labelColumns == 1 ? .classIndex : nil }
        if labelColumns == outputs { return .values }
        if labelColumns == 1 && outputs > 1 { return .oneHot }
        return nil
    }
}
