// A job's rows read again from its file a chunk at a time, encoded as DataPreparation.prepare
// encodes them (targets through the whole file's classes) but with the features as the file has
// them, each chunk with the index of its first row among the file's data rows. The file must be
// the one described: its fingerprint is checked once the end of the file is read, so a changed
// file yields an error at the latest where the stream would otherwise have ended, and never a
// clean end.
//
// A job that standardizes has its standardization fitted by the first stream that reads its
// training rows to the end; the description keeps it from then on (DataDescription.standardization).
// So the rows leave before the fit is known, and their holder standardizes them in place.

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

    init(_ data: DataDescription, chunkSize: Int) throws {
        self.data = data
        columns = try ResolvedColumns(data.settings, loss: data.loss, outputs: data.outputs, chunkSize: chunkSize)
        plan = try columns.document.columnPlan(features: columns.features, labels: columns.labels).plan
        records = try columns.document.records(plan)
        if data.standardizes && data.standardization == nil { fit = Standardization.Fit(featureCount: data.featureCount) }
    }

    /// The next chunk of rows; nil after the last.
    public func next() throws -> Chunk? {
        try columns.advising(nextChunk)
    }

    private func nextChunk() throws -> Chunk? {
        guard let parsed = try records.next() else {
            try checkEnd(rowCount: nextRow)
            if let fit { data.fittedStandardization.settle(fit.result()) }
            return nil
        }
        var parsedRecords = parsed
        let rowCount = nextRow + parsed.rowCount
        if records.fingerprint != nil { try checkEnd(rowCount: rowCount) }
        let encoder = columns.encoder(lineNumbers: parsed.lineNumbers, knownClasses: data.classesByColumn)
        let targets = try encoder.encode(parsed.labelColumns(plan), rowCount: parsed.rowCount).targets
        let features = parsedRecords.takeFeatures()
        let trainingRows = max(0, min(parsed.rowCount, data.trainingCount - nextRow))
        features.withUnsafeBufferPointer { fit?.add(UnsafeBufferPointer(rebasing: $0.prefix(trainingRows * data.featureCount))) }
        defer { nextRow = rowCount }
        return Chunk(
            firstRow: nextRow,
            rows: TabularRows(featureCount: data.featureCount, targetWidth: data.targetWidth, features: features, targets: targets))
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
