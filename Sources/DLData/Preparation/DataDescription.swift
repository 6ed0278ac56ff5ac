// What a job's data is, without its rows: the counts, the feature and label encoding, the
// standardization and the file's fingerprint. It is enough to build the model, deal the shards and
// write the model file, and to read the rows again a chunk at a time (RowStream), encoded exactly
// as DataPreparation.prepare encodes them. A coordinator that streams the rows to its workers
// holds this and a chunk, never the table.
//
// Describing a file reads it once without parsing it (the row count, which the validation split
// and the shard deal need, and the fingerprint). Class names need the whole file before the first
// row can be encoded, so a job with text labels parses it once more first. The standardization
// does not hold up the rows: they are read and sent raw, the first read to reach the end of the
// file fits it (RowStream), and whoever holds the rows applies it to them.

import DLCore
import Synchronization

public struct DataDescription: Sendable {
    public let trainingCount: Int
    public let validationCount: Int
    public let featureCount: Int
    public let targetWidth: Int
    public let featureNames: [String]
    public let labels: LabelEncoding
    /// Whether the features are standardized (--standardize).
    public var standardizes: Bool { settings.standardize }
    /// The standardization of the training rows, once fitted: from the start when the rows were
    /// read at once; for a described file, once a RowStream has read it to the end.
    public var standardization: Standardization? { fittedStandardization.value }
    let fittedStandardization: StandardizationSlot
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
        fittedStandardization = StandardizationSlot(standardization)
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
        return try columns.advising { try describe(columns, settings: settings) }
    }

    private static func describe(_ columns: ResolvedColumns, settings: DataSettings) throws -> DataDescription {
        let (rowCount, fingerprint) = try columns.document.countRecords()
        let trainingCount = try DataPreparation.trainingCount(of: rowCount, split: settings.validationSplit)
        let plan = try columns.document.columnPlan(features: columns.features, labels: columns.labels).plan
        var classesByColumn = [[String]?](repeating: nil, count: columns.labels.count)
        if plan.labelSources.contains(where: { if case .classes = $0 { true } else { false } }) {
            var names = [Set<String>](repeating: [], count: columns.labels.count)
            let stream = try columns.document.records(plan)
            var rowsRead = 0
            while let records = try stream.next() {
                for (position, column) in records.labelColumns(plan).enumerated() {
                    if case let .classes(_, chunkNames) = column { names[position].formUnion(chunkNames) }
                }
                rowsRead += records.rowCount
            }
            guard stream.fingerprint == fingerprint, rowsRead == rowCount else {
                throw DataError.fileChanged(path: settings.path, detail: "it changed between the row count and the data pass")
            }
            let encoder = columns.encoder(lineNumbers: [])
            for (position, source) in plan.labelSources.enumerated() {
                guard case .classes = source else { continue }
                // Sorted by their UTF-8 bytes, as ClassNameTable sorts a file read at once.
                let sorted = names[position].sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                try encoder.checkClassCount(sorted, position: position)
                classesByColumn[position] = sorted
            }
        }
        return DataDescription(
            columns: columns, settings: settings, trainingCount: trainingCount, validationCount: rowCount - trainingCount,
            classes: classesByColumn.last { $0 != nil } ?? nil, classesByColumn: classesByColumn,
            standardization: nil, fingerprint: fingerprint)
    }

    /// Fits the standardization of a job that standardizes when no stream has read its rows to the
    /// end yet (a resumed run with nothing left to train sends no rows), by reading them once.
    public func fitStandardization(chunkSize: Int = CSVDocument.defaultChunkSize) throws {
        guard standardizes && standardization == nil else { return }
        let stream = try rows(chunkSize: chunkSize)
        while try stream.next() != nil {}
    }

    /// The rows read again from the file, a chunk at a time, with their features as the file has
    /// them (not standardized).
    public func rows(chunkSize: Int = CSVDocument.defaultChunkSize) throws -> RowStream {
        try RowStream(self, chunkSize: chunkSize)
    }
}

/// Where a description keeps its standardization: a class, so that the fit one RowStream makes
/// reaches every copy of the description (the coordinator's job, its checkpointer's, its model
/// file's). The first fit stays: every later read of the same file fits the same bits.
final class StandardizationSlot: Sendable {
    private let fitted: Mutex<Standardization?>

    init(_ standardization: Standardization?) {
        fitted = Mutex(standardization)
    }

    var value: Standardization? { fitted.withLock { $0 } }

    func settle(_ standardization: Standardization) {
        fitted.withLock { if $0 == nil { $0 = standardization } }
    }
}
