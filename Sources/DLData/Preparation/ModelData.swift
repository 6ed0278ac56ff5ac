// A CSV read for a model trained before (dlmodel predict and evaluate): the model's feature columns
// found by header name (by position when it was trained on a file without a header, whose columns
// it names `column K`), standardized with the statistics stored in the model, and, for an
// evaluation, the label columns encoded as in training, class names through the model's classes.
// Columns a prediction carries into its output (an identifier) are read as the text the file has.
// A model trained on a preprocessed table reads the columns its preprocessing names raw, as training
// read them (words, gaps, categories it never saw), and codes and expands them into its inputs.

import DLCore
import DLPreprocessing

public struct ModelData: Sendable {
    public let rowCount: Int
    /// rowCount x the model's inputs, row-major, standardized as in training.
    public let features: [Float]
    /// rowCount x the loss's target width, when labels were asked for.
    public let targets: [Float]?
    /// The columns asked to be kept, in the order asked.
    public let keptColumns: [TextColumn]
    /// Each row's sample weight, when an evaluation asked for a weight column the file has.
    public let weights: [Float]?

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
    /// columns `keep` names as text. With a `preprocessing`, `features` are the model's input names
    /// and are not looked for: the columns `preprocessing.columns` names are read raw, coded and
    /// expanded. With `labels`, the column `sampleWeightColumn` names, when the file has it, weighs
    /// each row (checked as training checks it); a file without it is read without weights.
    public static func read(
        path: String, options: CSVOptions, features: [String], standardization: Standardization?,
        preprocessing: Preprocessing? = nil, labels: Labels? = nil, sampleWeightColumn: String? = nil, keep: [ColumnReference] = []
    ) throws -> ModelData {
        var document = try CSVDocument.open(path: path, options: options)
        // A first record that holds every column the model reads is their header, whatever it is above.
        let names = preprocessing?.columns.map(\.name) ?? features
        if options.header == .detect, document.columnNames == nil, !names.isEmpty,
            let first = try? document.firstRecordTexts(), Set(names).isSubset(of: first)
        {
            var withHeader = options
            withHeader.header = .present
            document = try CSVDocument.open(path: path, options: withHeader)
        }
        do {
            return try read(
                document, features: features, standardization: standardization, preprocessing: preprocessing, labels: labels,
                sampleWeightColumn: labels == nil ? nil : sampleWeightColumn, keep: keep)
        } catch {
            throw document.advisor(features: nil).advise(error)
        }
    }

    private static func read(
        _ document: CSVDocument, features: [String], standardization: Standardization?, preprocessing: Preprocessing?,
        labels: Labels?, sampleWeightColumn: String?, keep: [ColumnReference]
    ) throws -> ModelData {
        let path = document.path
        func column(_ name: String) throws -> Int {
            if document.columnNames == nil, name.hasPrefix("column "), let index = Int(name.dropFirst("column ".count)) {
                return try document.resolve(.index(index))
            }
            return try document.resolve(.name(name))
        }
        let labelIndices = try labels?.encoding.columns.map(column) ?? []
        let weights = sampleWeightColumn.flatMap { try? column($0) }.map {
            SampleWeights(path: path, column: $0, columnNames: document.columnNames)
        }
        let readLabels = labelIndices + (weights.map { [$0.column] } ?? [])
        let keptIndices = try keep.map(document.resolve)
        let read: CSVColumns
        do {
            if let preprocessing {
                let raw = try zip(preprocessing.columns.map { try column($0.name) }, preprocessing.readings).map { ($0, $1) }
                read = try readPreprocessed(document, raw: raw, labels: readLabels, texts: keptIndices, preprocessing)
            } else {
                read = try document.read(features: try features.map(column), labels: readLabels, texts: keptIndices)
            }
        } catch {
            throw weights?.explained(error) ?? error
        }
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
        let rowWeights = try weights.map { try $0.values(of: read.labels[labelIndices.count], lineNumbers: read.lineNumbers) }
        return ModelData(rowCount: read.rowCount, features: values, targets: targets, keptColumns: kept, weights: rowWeights)
    }

    /// The rows read a chunk at a time, their raw feature cells coded and expanded into the model's
    /// inputs as each chunk is read: the columns the numeric read gives.
    private static func readPreprocessed(
        _ document: CSVDocument, raw: [(column: Int, reading: RawReading)], labels: [Int], texts: [Int],
        _ preprocessing: Preprocessing
    ) throws -> CSVColumns {
        let plan = try document.columnPlan(features: [], raw: raw, labels: labels, texts: texts).plan
        let stream = try document.records(plan)
        var rest = ParsedRecords(plan: plan)
        var inputs: [Float] = []
        while var records = try stream.next() {
            let cells = records.takeRawCells(plan)
            let codes = try DataError.preprocessing { () throws(PreprocessingError) in
                try preprocessing.codes(cells, path: document.path)
            }
            inputs += preprocessing.expand(codes: codes)
            rest.append(contentsOf: records)
        }
        guard let fingerprint = stream.fingerprint else {
            throw DataError.fileChanged(path: document.path, detail: "it changed while it was read")
        }
        return CSVColumns(
            rowCount: rest.rowCount, features: inputs, labels: rest.labelColumns(plan), lineNumbers: rest.lineNumbers,
            fingerprint: fingerprint)
    }
}
