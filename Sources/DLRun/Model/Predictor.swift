// `dlmodel predict`: a model's outputs for every row of a CSV. The file is read with the training
// reader (so its errors are the same, with file, line and column), the model's feature columns are
// taken by header name (by position when the model was trained on a file without a header), the
// stored standardization is applied (or, for a model trained on a table that needed preprocessing,
// its raw columns are read, coded and expanded by the stored preprocessing, as training read them:
// words, missing cells, categories it never saw), and the rows go through the training kernels'
// forward pass a batch at a time. A label column in the file is ignored. Columns the caller names (an identifier)
// are carried into the output before the predictions, as the text the file has.

import DLCore
import DLData
import Foundation

public struct Predictor {
    public let model: ModelFile
    /// Rows per forward pass.
    public let batchSize: Int

    public init(model: ModelFile, batchSize: Int = 1024) {
        self.model = model
        self.batchSize = batchSize
    }

    /// What the model's outputs mean, which names the output columns and the prediction.
    public enum Reading: Equatable, Sendable {
        /// One sigmoid output: the probability of the second class (or of 1).
        case probability
        /// Softmax outputs: one probability per class.
        case classProbabilities
        /// Anything else: values, one per output.
        case values
    }

    public var reading: Reading {
        if model.model.outputActivation == .softmax { return .classProbabilities }
        if model.model.outputWidth == 1 && model.model.outputActivation == .sigmoid { return .probability }
        return .values
    }

    /// The output CSV's columns: the outputs, then `predicted` for a classifier.
    public var header: [String] {
        let width = model.model.outputWidth
        switch reading {
        case .probability:
            return ["probability", "predicted"]
        case .classProbabilities:
            let classes = model.labels.classes.flatMap { $0.count == width ? $0 : nil } ?? (0..<width).map { "class \($0)" }
            return classes + ["predicted"]
        case .values:
            if model.labels.columns.count == width { return model.labels.columns }
            if let classes = model.labels.classes, classes.count == width { return classes }
            return (0..<width).map { "output \($0)" }
        }
    }

    /// Predicts every row of the CSV at `path` and hands `write` the output CSV, a line at a time
    /// (each ending in a newline), the header first; the columns `keep` names come first in each
    /// line, as the file has them. Returns the number of rows.
    @discardableResult
    public func predict(
        csv path: String, options: CSVOptions = CSVOptions(), keep: [ColumnReference] = [], write: (String) throws -> Void
    ) throws -> Int {
        let data = try ModelData.read(
            path: path, options: options, features: model.features, standardization: model.standardization,
            preprocessing: model.preprocessing, keep: keep)
        let features = data.features, rows = data.rowCount
        let kept = data.keptColumns
        try write((kept.map(\.name) + header).map(Self.quoted).joined(separator: ",") + "\n")
        let spec = model.model, width = spec.outputWidth, featureCount = spec.inputDim
        let engine = BatchEngine(
            spec: spec, loss: model.loss, metrics: MetricSet([]), capacity: max(1, min(batchSize, rows)))
        let classes = header.dropLast().map(Self.quoted)
        try model.parameters.withUnsafeBufferPointer { parameters in
            var start = 0
            while start < rows {
                let count = min(engine.capacity, rows - start)
                features.withUnsafeBufferPointer { all in
                    _ = engine.inputs.update(fromContentsOf: all[(start * featureCount)..<((start + count) * featureCount)])
                }
                engine.forward(parameters: parameters, rows: count)
                let outputs = engine.outputs
                for row in 0..<count {
                    let values = (0..<width).map { outputs[row * width + $0] }
                    var fields = kept.map { Self.quoted($0.value(row: start + row)) } + values.map { "\($0)" }
                    switch reading {
                    case .probability:
                        fields.append(Self.quoted(Self.className(values[0] >= 0.5 ? 1 : 0, classes: model.labels.classes)))
                    case .classProbabilities:
                        // max(by:) keeps the first of equal largest values, as numpy's argmax does.
                        let best = values.indices.max { values[$0] < values[$1] } ?? 0
                        fields.append(classes[best])
                    case .values:
                        break
                    }
                    try write(fields.joined(separator: ",") + "\n")
                }
                start += count
            }
        }
        return rows
    }

    /// The name of class `index`: the model's, or the index itself for numeric labels (and for
    /// the second class of a model trained on a label that held one class name only).
    static func className(_ index: Int, classes: [String]?) -> String {
        guard let classes, classes.indices.contains(index) else { return String(index) }
        return classes[index]
    }

    /// A CSV field: quoted when it holds a comma, a quote or a line break, or begins or ends with
    /// a blank (which readers that trim fields would drop).
    static func quoted(_ field: String) -> String {
        let blanks: Set<Character> = [" ", "\t"]
        let needsQuotes =
            field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || field.first.map(blanks.contains) == true || field.last.map(blanks.contains) == true
        guard needsQuotes else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
