// What a job's data is, without its rows: the counts, the feature and label encoding, the
// standardization and the file's fingerprint. It is enough to build the model, deal the shards and
// write the model file, and to read the rows again a chunk at a time (RowStream), encoded exactly
// as DataPreparation.prepare encodes them. A coordinator that streams the rows to its workers
// holds this and a chunk, never the table.
//
// Describing a file reads it once without parsing it (the row count, which the validation split
// and the shard deal need, and the fingerprint). Class names and the standardization need the
// whole file before the first row can be encoded, so a job with text labels or --standardize
// parses it once more first (twice for the standardization: its scale needs the mean).

import DLCore

public struct DataDescription: Sendable {
    public let trainingCount: Int
    public let validationCount: Int
    public let featureCount: Int
    public let targetWidth: Int
    public let featureNames: [String]
    public let labels: LabelEncoding
    public let standardization: Standardization?
    /// What identifies the file's content.
    public let fingerprint: DataFingerprint
    /// What reading the rows again needs.
    let settings: DataSettings
    let loss: Loss
    let outputs: Int
    /// Per label column, its classes in index order when it holds class names.
    let classesByColumn: [[String]?]

    init(
        columns: ResolvedColumns, settings: DataSettings, trainingCount: Int, validationCount: Int, classes: [String]?,
        classesByColumn: [[String]?], standardization: Standardization?, fingerprint: DataFingerprint
    ) {
        self.trainingCount = trainingCount
        self.validationCount = validationCount
        featureCount = columns.features.count
        targetWidth = columns.targetWidth
        featureNames = columns.features.map(columns.name)
        labels = LabelEncoding(kind: columns.labelKind, columns: columns.labels.map(columns.name), classes: classes)
        self.standardization = standardization
        self.fingerprint = fingerprint
        self.settings = settings
        loss = columns.loss
        outputs = columns.outputs
        self.classesByColumn = classesByColumn
    }

    /// Describes the data for a model with `outputs` output units trained with `loss`, reading
    /// the file `chunkSize` bytes at a time.
    public static func describe(
        _ settings: DataSettings, loss: Loss, outputs: Int, chunkSize: Int = CSVDocument.defaultChunkSize
    ) throws -> DataDescription {
        let columns = try ResolvedColumns(settings, loss: loss, outputs: outputs, chunkSize: chunkSize)
        let (rowCount, fingerprint) = try columns.document.countRecords()
        let trainingCount = try DataPreparation.trainingCount(of: rowCount, split: settings.validationSplit)
        let plan = try columns.document.columnPlan(features: columns.features, labels: columns.labels).plan
        var classesByColumn = [[String]?](repeating: nil, count: columns.labels.count)
        var standardization: Standardization?

        /// One parse of the whole file; `body` gets each chunk and the index of its first row.
        func scan(_ body: (ParsedRecords, Int) throws -> Void) throws {
            let stream = try columns.document.records(plan)
            var firstRow = 0
            while let records = try stream.next() {
                try body(records, firstRow)
                firstRow += records.rowCount
            }
            guard stream.fingerprint == fingerprint, firstRow == rowCount else {
                throw DataError.fileChanged(path: settings.path, detail: "it changed between the row count and the data pass")
            }
        }
        /// The features of the chunk's training rows.
        func trainingFeatures(_ records: ParsedRecords, firstRow: Int) -> ArraySlice<Float> {
            records.features.prefix(max(0, min(records.rowCount, trainingCount - firstRow)) * plan.featureCount)
        }

        let hasClasses = plan.labelSources.contains { if case .classes = $0 { true } else { false } }
        if hasClasses || settings.standardize {
            var names = [Set<String>](repeating: [], count: columns.labels.count)
            var fit = Standardization.Fit(featureCount: plan.featureCount)
            try scan { records, firstRow in
                for (position, column) in records.labelColumns(plan).enumerated() {
                    if case let .classes(_, chunkNames) = column { names[position].formUnion(chunkNames) }
                }
                if settings.standardize { trainingFeatures(records, firstRow: firstRow).withUnsafeBufferPointer { fit.addToSums($0) } }
            }
            let encoder = columns.encoder(lineNumbers: [])
            for (position, source) in plan.labelSources.enumerated() {
                guard case .classes = source else { continue }
                // Sorted by their UTF-8 bytes, as ClassNameTable sorts a file read at once.
                let sorted = names[position].sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                try encoder.checkClassCount(sorted, position: position)
                classesByColumn[position] = sorted
            }
            if settings.standardize {
                fit.finishSums()
                try scan { records, firstRow in
                    trainingFeatures(records, firstRow: firstRow).withUnsafeBufferPointer { fit.addToSquares($0) }
                }
                standardization = fit.result()
            }
        }
        return DataDescription(
            columns: columns, settings: settings, trainingCount: trainingCount, validationCount: rowCount - trainingCount,
            classes: classesByColumn.last { $0 != nil } ?? nil, classesByColumn: classesByColumn,
            standardization: standardization, fingerprint: fingerprint)
    }

    /// The rows read again from the file, a chunk at a time.
    public func rows(chunkSize: Int = CSVDocument.defaultChunkSize) throws -> RowStream {
        try RowStream(self, chunkSize: chunkSize)
    }
}
