// A job's rows read again from its file a chunk at a time, encoded as DataPreparation.prepare
// encodes them (targets through the whole file's classes) but with the features as the file has
// them, each chunk with the index of its first row among the file's data rows. The file must be
// the one described: its fingerprint is checked once the end of the file is read, so a changed
// file yields an error at the latest where the stream would otherwise have ended, and never a
// clean end; a chunk that goes past the described rows (a file appended to) is refused at once.
//
// A preprocessed table's chunks hold the preprocessing's codes (`rowWidth` per row), which the
// rows' holder expands into the model's inputs (DataDescription.expand).
//
// A job that standardizes has its standardization fitted by the first stream that reads its
// training rows to the end; the description keeps it from then on (DataDescription.standardization).
// So the rows leave before the fit is known, and their holder standardizes them in place.
//
// Numeric labels are checked against the output layer and loss here, at the end of the file, where
// every label has been seen (a description checks class names before): a head that cannot represent
// them ends the stream with an error that names the flags that fit, before any step is trained. A
// label that cannot even be encoded stops the stream early, after the rest of the labels are
// surveyed, so that the advice is the same.

import DLPreprocessing

public final class RowStream {
    public struct Chunk: Sendable {
        /// The index of the chunk's first row among the file's data rows (training rows first).
        public let firstRow: Int
        public var rows: TabularRows
    }

    private let data: DataDescription
    private let columns: ResolvedColumns
    private let plan: ColumnPlan
    private let records: RecordStream
    private var nextRow = 0
    /// The standardization's fit, while the description has none.
    private var fit: Standardization.Fit?
    /// The labels read so far.
    private var survey: LabelSurvey

    init(_ data: DataDescription, chunkSize: Int) throws {
        self.data = data
        columns = try ResolvedColumns(data.settings, chunkSize: chunkSize)
        if let preprocessing = data.preprocessing {
            let raw = Array(zip(columns.features, preprocessing.readings))
            plan = try columns.document.columnPlan(features: [], raw: raw, labels: columns.readLabels).plan
        } else {
            plan = try columns.document.columnPlan(features: columns.features, labels: columns.readLabels).plan
        }
        records = try columns.document.records(plan)
        survey = columns.emptySurvey()
        if data.standardizes && data.standardization == nil { fit = Standardization.Fit(featureCount: data.featureCount) }
    }

    /// The next chunk of rows; nil after the last.
    public func next() throws -> Chunk? {
        try columns.advising(nextChunk)
    }

    private func nextChunk() throws -> Chunk? {
        guard let parsed = try records.next() else {
            try checkEnd(rowCount: nextRow)
            _ = try data.headRequest.resolve(survey, path: data.settings.path)
            if let fit { data.fittedStandardization.settle(try fit.result(columns: columns, nonFinite: data.nonFiniteCell)) }
            return nil
        }
        var parsedRecords = parsed
        let rowCount = nextRow + parsed.rowCount
        // Rows appended since the job began would have no shard: refused before anyone routes them,
        // not only at the end of the file.
        guard rowCount <= data.trainingCount + data.validationCount else {
            throw DataError.fileChanged(
                path: data.settings.path,
                detail: "it has more than the \(data.trainingCount + data.validationCount) rows it had when the job started")
        }
        if records.fingerprint != nil { try checkEnd(rowCount: rowCount) }
        let (labels, weights) = try columns.splitWeights(parsed.labelColumns(plan), lineNumbers: parsed.lineNumbers)
        survey.add(labels, lineNumbers: parsed.lineNumbers)
        let encoder = columns.encoder(
            data.head, kind: data.labels.kind, lineNumbers: parsed.lineNumbers, knownClasses: data.classesByColumn)
        let targets: [Float]
        do {
            targets = try encoder.encode(labels, rowCount: parsed.rowCount).targets
        } catch let error as DataError {
            guard case .labelOutOfRange = error else { throw error }
            while let rest = try records.next() {
                survey.add(Array(rest.labelColumns(plan).prefix(columns.labels.count)), lineNumbers: rest.lineNumbers)
            }
            _ = try data.headRequest.resolve(survey, path: data.settings.path)
            throw error
        }
        let features: [Float]
        if let preprocessing = data.preprocessing {
            let cells = parsedRecords.takeRawCells(plan)
            features = try DataError.preprocessing { () throws(PreprocessingError) in
                try preprocessing.codes(cells, path: data.settings.path)
            }
        } else {
            features = parsedRecords.takeFeatures()
        }
        if data.settings.csv.allowNonFinite && data.nonFiniteCell == nil,
            let cell = NonFiniteCell.first(
                // A preprocessed table's NaN codes are gaps, which its preprocessing fills.
                features: data.preprocessing == nil ? features : [], featureColumns: columns.features,
                lineNumbers: parsed.lineNumbers, survey: survey,
                path: data.settings.path, columnNames: columns.document.columnNames)
        {
            data.firstNonFinite.settle(cell)
        }
        let trainingRows = max(0, min(parsed.rowCount, data.trainingCount - nextRow))
        features.withUnsafeBufferPointer { fit?.add(UnsafeBufferPointer(rebasing: $0.prefix(trainingRows * data.featureCount))) }
        defer { nextRow = rowCount }
        return Chunk(
            firstRow: nextRow,
            rows: TabularRows(
                featureCount: data.rowWidth, targetWidth: data.rowTargetWidth, features: features,
                targets: SampleWeights.appending(weights, to: targets, width: data.targetWidth)))
    }

    /// At the end of the file: refuses it unless it is the content described.
    private func checkEnd(rowCount: Int) throws {
        let fingerprint = records.fingerprint!
        guard fingerprint == data.fingerprint, rowCount == data.trainingCount + data.validationCount else {
            throw DataError.fileChanged(
                path: data.settings.path,
                detail: "its content is not the content the job started with (now \(fingerprint); then \(data.fingerprint))")
        }
    }
}
