// A CSV read for a model trained before (dlmodel predict and evaluate): the model's feature columns
// found by header name (by position when it was trained on a file without a header, whose columns
// it names `column K`), standardized with the statistics stored in the model, and, for an
// evaluation, the label columns encoded as in training, class names through the model's classes.

import DLCore

public struct ModelData: Sendable {
    public let rowCount: Int
    /// rowCount x the model's inputs, row-major, standardized as in training.
    public let features: [Float]
    /// rowCount x the loss's target width, when labels were asked for.
    public let targets: [Float]?

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

    /// Reads the model's `features` (and `labels`, for an evaluation) from the CSV at `path`; data
    /// errors come with advice for a model's fixed features.
    public static func read(
        path: String, options: CSVOptions, features: [String], standardization: Standardization?, labels: Labels? = nil
    ) throws -> ModelData {
        let document = try CSVDocument.open(path: path, options: options)
        do {
            return try read(document, features: features, standardization: standardization, labels: labels)
        } catch {
            throw document.advisor(features: nil).advise(error)
        }
    }

    private static func read(
        _ document: CSVDocument, features: [String], standardization: Standardization?, labels: Labels?
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
        let read = try document.read(features: featureIndices, labels: labelIndices)
        var values = read.features
        if let standardization { values.withUnsafeMutableBufferPointer { standardization.apply(to: $0) } }
        var targets: [Float]?
        if let labels {
            let encoder = TargetEncoder(
                path: path, kind: labels.encoding.kind, loss: labels.loss, outputs: labels.outputs,
                columnNames: document.columnNames, labelIndices: labelIndices, lineNumbers: read.lineNumbers,
                knownClasses: labelIndices.map { _ in labels.encoding.classes })
            targets = try encoder.encode(read.labels, rowCount: read.rowCount).targets
        }
        return ModelData(rowCount: read.rowCount, features: values, targets: targets)
    }
}
