// A job's feature and label columns found in its file and checked against the model: the one
// place that turns a job's column settings into indices, for reading the rows at once or in chunks,
// and that attaches advice to the errors of those reads (DataAdvisor).

import DLCore

struct ResolvedColumns {
    let document: CSVDocument
    let features: [Int]
    let labels: [Int]
    let labelKind: LabelEncoding.Kind
    let loss: Loss
    let outputs: Int
    /// What advises on the file's errors (the features being the user's to choose).
    let advisor: DataAdvisor

    init(_ settings: DataSettings, loss: Loss, outputs: Int, chunkSize: Int = CSVDocument.defaultChunkSize) throws {
        guard settings.validationSplit >= 0, settings.validationSplit < 1 else {
            throw DataError.badValidationSplit(settings.validationSplit, rows: nil)
        }
        let document = try CSVDocument.open(path: settings.path, options: settings.csv, chunkSize: chunkSize)
        let labels: [Int], features: [Int], kind: LabelEncoding.Kind
        do {
            labels = try (settings.labelColumns ?? [.index(document.columnCount - 1)]).map(document.resolve)
            features = try settings.featureColumns.map { try $0.map(document.resolve) }
                ?? (0..<document.columnCount).filter { !labels.contains($0) }
            if let both = features.first(where: labels.contains) {
                throw DataError.columnIsFeatureAndLabel(path: settings.path, column: both, name: document.columnNames?[both])
            }
            guard !features.isEmpty else { throw DataError.noFeatureColumns(path: settings.path) }
            guard let labelKind = LabelEncoding.kind(labelColumns: labels.count, outputs: outputs, loss: loss) else {
                throw DataError.labelsDoNotFitOutputs(labelColumns: labels.count, outputs: outputs, loss: loss.rawValue)
            }
            kind = labelKind
        } catch {
            throw document.advisor(features: nil).advise(error)
        }
        self.document = document
        self.features = features
        self.labels = labels
        labelKind = kind
        self.loss = loss
        self.outputs = outputs
        advisor = document.advisor(features: features)
    }

    /// Runs `body`, which reads the file, attaching advice to its data errors where the file shows their cause.
    func advising<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch {
            throw advisor.advise(error)
        }
    }

    /// A column's name: its header, or `column K` in a file without one.
    func name(_ index: Int) -> String {
        document.columnNames?[index] ?? "column \(index)"
    }

    var targetWidth: Int { loss.targetWidth(outputs: outputs) }

    func encoder(lineNumbers: [Int32], knownClasses: [[String]?]? = nil) -> TargetEncoder {
        TargetEncoder(
            path: document.path, kind: labelKind, loss: loss, outputs: outputs, columnNames: document.columnNames,
            labelIndices: labels, lineNumbers: lineNumbers, knownClasses: knownClasses)
    }
}
