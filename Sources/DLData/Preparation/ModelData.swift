// A CSV read for a model trained before (dlmodel predict and evaluate): the model's feature columns
// found by header name (by position when it was trained on a file without a header, whose columns
// it names `column K`), standardized with the statistics stored in the model, and, for an
// evaluation, the label columns encoded as in training, class names through the model's classes.
// Columns a prediction carries into its output (an identifier) are read as the text the file has.

import DLCore

public struct ModelData: Sendable {
    public let rowCount: Int
    /// rowCount x the model's inputs, row-major, standardized as in training.
    public let features: [Float]
    /// rowCount x the loss's target width, when labels were asked for.
    public let targets: [Float]?
    /// The columns asked to be kept, in the order asked.
    public let keptColumns: [TextColumn]

    /// A column's cells as the file has them (unquoted), whatever they hold.
    public struct TextColumn: Sendable {
        /// The header name, or `column K` in a file without a header.
        public let name: String
        private let codes: [Int32]
        private let values: [String]

        init(name: String, _ column: LabelColumn) {
            self.name = name
            switch column {
            case let .classes(codes, names):
                self.codes = codes
                values = names
            case let .numbers(numbers):  // (a column read as text comes as classes; numbers would keep their value)
                codes = numbers.indices.map { Int32($0) }
                values = numbers.map { "\($0)" }
            }
        }

        /// The cell of row `row`.
        public func value(row: Int) -> String {
            values[Int(codes[row])]
        }
    }

    /// How to find and encode the labels of a trained model.
    public struct Labels: Sendable {
        public let encoding: LabelEncoding
        public let loss: Loss
        public let outputs: Int

        public init(encoding: LabelEncoding, loss: Loss, outputs: Int) {
            self.encoding = encoding
            self.loss = loss
            self.outputs = outputs
        }
    }

    /// Reads the model's `features` (and `labels`, for an evaluation) from the CSV at `path`, and the
    /// columns `keep` names as text.
    public static func read(
        path: String, options: CSVOptions, features: [String], standardization: Standardization?, labels: Labels? = nil,
        keep: [ColumnReference] = []
    ) throws -> ModelData {
        let document = try CSVDocument.open(path: path, options: options)
        do {
            return try read(document, features: features, standardization: standardization, labels: labels, keep: keep)
        } catch {
            throw document.advisor(features: nil).advise(error)
        }
    }

    private static func read(
        _ document: CSVDocument, features: [String], standardization: Standardization?, labels: Labels?, keep: [ColumnReference]
    ) throws -> ModelData {
        let path = document.path
        func column(_ name: String) throws -> Int {
            if document.columnNames == nil, name.hasPrefix("column "), let index = Int(name.dropFirst("column ".count)) {
                return try document.resolve(.index(index))
            }
            return try document.resolve(.name(name))
        }
        let featureIndices = try features.map(column)
        let labelIndices = try labels?.encoding.columns.map(column) ?? []
        let keptIndices = try keep.map(document.resolve)
        let read = try document.read(features: featureIndices, labels: labelIndices, texts: keptIndices)
        let kept = zip(keptIndices, read.labels.suffix(keptIndices.count)).map { index, column in
            TextColumn(name: document.columnNames?[index] ?? "column \(index)", column)
        }
        var values = read.features
        if let standardization { values.withUnsafeMutableBufferPointer { standardization.apply(to: $0) } }
        var targets: [Float]?
        if let labels {
            let encoder = TargetEncoder(
                path: path, kind: labels.encoding.kind, loss: labels.loss, outputs: labels.outputs,
                columnNames: document.columnNames, labelIndices: labelIndices, lineNumbers: read.lineNumbers,
                knownClasses: labelIndices.map { _ in labels.encoding.classes })
            targets = try encoder.encode(Array(read.labels.prefix(labelIndices.count)), rowCount: read.rowCount).targets
        }
        return ModelData(rowCount: read.rowCount, features: values, targets: targets, keptColumns: kept)
    }
}
