// A job's feature and label columns found in its file: the one place that turns a job's column
// settings into indices, for reading the rows at once or in chunks, that gives the labels the
// encoding an output head asks for, and that attaches advice to the errors of those reads
// (DataAdvisor). A sample weight column is no feature: it is read after the labels, as one more
// numeric label column, split off and checked here (SampleWeights).

import DLCore

struct ResolvedColumns {
    let document: CSVDocument
    let features: [Int]
    let labels: [Int]
    /// The sample weight column (Keras's sample_weight), if the job names one.
    let weight: Int?
    /// What advises on the file's errors (the features being the user's to choose).
    let advisor: DataAdvisor

    init(_ settings: DataSettings, chunkSize: Int = CSVDocument.defaultChunkSize) throws {
        guard settings.validationSplit >= 0, settings.validationSplit < 1 else {
            throw DataError.badValidationSplit(settings.validationSplit, rows: nil)
        }
        let document = try CSVDocument.open(path: settings.path, options: settings.csv, chunkSize: chunkSize)
        let labels: [Int], features: [Int], weight: Int?
        do {
            labels = try (settings.labelColumns ?? [.index(document.columnCount - 1)]).map(document.resolve)
            guard !labels.isEmpty else { throw DataError.noLabelColumns(path: settings.path) }
            weight = try settings.sampleWeightColumn.map(document.resolve)
            features = try settings.featureColumns.map { try $0.map(document.resolve) }
                ?? (0..<document.columnCount).filter { !labels.contains($0) && $0 != weight }
            if let both = features.first(where: labels.contains) {
                throw DataError.columnIsFeatureAndLabel(path: settings.path, column: both, name: document.columnNames?[both])
            }
            if let weight, features.contains(weight) || labels.contains(weight) {
                throw DataError.sampleWeightColumnReused(
                    path: settings.path, column: weight, name: document.columnNames?[weight],
                    role: labels.contains(weight) ? "label" : "feature")
            }
            guard !features.isEmpty else { throw DataError.noFeatureColumns(path: settings.path) }
        } catch {
            throw document.advisor(features: nil).advise(error)
        }
        // Before any row is read: a row this wide could not be a model's input anyway.
        guard features.count <= LayerList.maximumUnits else {
            throw ModelSpecError.tooManyInputs(features.count, maximum: LayerList.maximumUnits)
        }
        self.document = document
        self.features = features
        self.labels = labels
        self.weight = weight
        advisor = document.advisor(features: features)
    }

    /// Runs `body`, which reads the file, attaching advice to its data errors where the file shows their cause.
    func advising<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch {
            throw advisor.advise(aboutWeights(error))
        }
    }

    /// A column's name: its header, or `column K` in a file without one.
    func name(_ index: Int) -> String {
        document.columnNames?[index] ?? "column \(index)"
    }

    /// A survey of the label columns that has seen no rows yet.
    func emptySurvey() -> LabelSurvey {
        LabelSurvey(indices: labels, columnNames: document.columnNames)
    }

    func encoder(
        _ head: OutputHead, kind: LabelEncoding.Kind, lineNumbers: [Int32], knownClasses: [[String]?]? = nil
    ) -> TargetEncoder {
        TargetEncoder(
            path: document.path, kind: kind, loss: head.loss, outputs: head.output.units,
            columnNames: document.columnNames, labelIndices: labels, lineNumbers: lineNumbers, knownClasses: knownClasses)
    }
}
