// What a job's data is, without its rows: the counts, the feature and label encoding, the
// preprocessing or standardization and the file's fingerprint. It is enough to build the model,
// deal the shards and write the model file, and to read the rows again a chunk at a time
// (RowStream), encoded exactly as DataPreparation.prepare encodes them. A coordinator that streams
// the rows to its workers holds this and a chunk, never the table.
//
// Describing a file reads it once without parsing it (the row count, which the validation split
// and the shard deal need, and the fingerprint), then parses it once (PreprocessingPass): the
// preprocessing is fitted to the training rows, and the labels are surveyed (class names need the
// whole file before the first row can be encoded). A table of numbers needs no preprocessing; its
// standardization does not hold up the rows: they are read and sent raw, the first read to reach
// the end of the file fits it (RowStream), and whoever holds the rows applies it to them.

import DLCore
import DLPreprocessing
import Synchronization

public struct DataDescription: Sendable {
    public let trainingCount: Int
    public let validationCount: Int
    /// The model's inputs per row: the preprocessing's expanded width, or the feature columns.
    public let featureCount: Int
    /// The targets per row the loss takes.
    public let targetWidth: Int
    /// The sample weight column by its header name (`column K` without a header), when the job
    /// weighs its rows by one (Keras's sample_weight).
    public let sampleWeightColumn: String?
    /// The values per row's targets as tables and shard rows hold them: the loss's targets, then
    /// the row's sample weight when there is a weight column (SampleWeights).
    public var rowTargetWidth: Int { targetWidth + (sampleWeightColumn == nil ? 0 : 1) }
    /// A name per model input: the preprocessing's (`island=Biscoe`), or the feature columns'.
    public let featureNames: [String]
    public let labels: LabelEncoding
    /// The output layer and loss the labels are encoded for (`auto` resolved).
    public let head: OutputHead
    /// The fitted preprocessing of a table that needs one (words, gaps, types given); nil for a table
    /// of numbers, whose rows are the file's numbers (standardized with `standardization`).
    public let preprocessing: Preprocessing?
    /// The values per row as rows are read, streamed and held until they are expanded: the
    /// preprocessing's codes, or the features themselves.
    public var rowWidth: Int { preprocessing?.codeWidth ?? featureCount }
    /// Whether the features are standardized with a `Standardization` (--standardize on a table of
    /// numbers; a preprocessed table normalizes its numeric columns in its preprocessing).
    public var standardizes: Bool { settings.standardize && preprocessing == nil }
    /// The standardization of the training rows, once fitted: from the start when the rows were
    /// read at once; for a described file, once a RowStream has read it to the end.
    public var standardization: Standardization? { fittedStandardization.value }
    let fittedStandardization: Settled<Standardization>
    /// The first cell that is NaN or infinite (which only --allow-non-finite lets in), once a read
    /// of the rows met one: what a run that diverges names as the cause.
    public var nonFiniteCell: NonFiniteCell? { firstNonFinite.value }
    let firstNonFinite: Settled<NonFiniteCell>
    /// What identifies the file's content.
    public let fingerprint: DataFingerprint
    /// What reading the rows again needs.
    let settings: DataSettings
    /// The data file, as the job names it.
    public var path: String { settings.path }
    let headRequest: HeadRequest
    /// Per label column, its classes in index order when it holds class names.
    let classesByColumn: [[String]?]

    init(
        columns: ResolvedColumns, settings: DataSettings, head: OutputHead, headRequest: HeadRequest, labelKind: LabelEncoding.Kind,
        trainingCount: Int, validationCount: Int, classes: [String]?, classesByColumn: [[String]?],
        standardization: Standardization?, nonFiniteCell: NonFiniteCell?, fingerprint: DataFingerprint,
        preprocessing: Preprocessing? = nil
    ) {
        self.trainingCount = trainingCount
        self.validationCount = validationCount
        featureCount = preprocessing?.outputWidth ?? columns.features.count
        targetWidth = head.loss.targetWidth(outputs: head.output.units)
        sampleWeightColumn = columns.weight.map(columns.name)
        featureNames = preprocessing?.outputNames ?? columns.features.map(columns.name)
        labels = LabelEncoding(kind: labelKind, columns: columns.labels.map(columns.name), classes: classes)
        self.head = head
        fittedStandardization = Settled(standardization)
        firstNonFinite = Settled(nonFiniteCell)
        self.fingerprint = fingerprint
        self.settings = settings
        self.headRequest = headRequest
        self.classesByColumn = classesByColumn
        self.preprocessing = preprocessing
    }

    /// Describes the data for the output layer and loss `request` names, reading the file
    /// `chunkSize` bytes at a time.
    public static func describe(
        _ settings: DataSettings, head request: HeadRequest, chunkSize: Int = CSVDocument.defaultChunkSize
    ) throws -> DataDescription {
        let columns = try ResolvedColumns(settings, chunkSize: chunkSize)
        return try columns.advising { try describe(columns, settings: settings, head: request) }
    }

    private static func describe(
        _ columns: ResolvedColumns, settings: DataSettings, head request: HeadRequest
    ) throws -> DataDescription {
        let (rowCount, fingerprint) = try columns.document.countRecords()
        let trainingCount = try DataPreparation.trainingCount(of: rowCount, split: settings.validationSplit)
        let labelPlan = try columns.document.columnPlan(features: [], labels: columns.labels).plan
        let hasClassNames = labelPlan.labelSources.contains { if case .classes = $0 { true } else { false } }
        // Numeric labels under a given head are checked against it by the first read of the rows
        // (RowStream); class names, and an output layer or loss left to the label, need every label first.
        let given = hasClassNames ? nil : request.given
        let pass = PreprocessingPass(
            columns: columns, settings: settings, rowCount: rowCount, trainingCount: trainingCount, fingerprint: fingerprint)
        let (preprocessing, survey) = try pass.run(surveysLabels: given == nil)
        var classesByColumn = [[String]?](repeating: nil, count: columns.labels.count)
        let head: OutputHead
        if let given {
            head = given
        } else {
            classesByColumn = survey.columns.map(\.classes)
            head = try request.resolve(survey, path: settings.path)
        }
        return DataDescription(
            columns: columns, settings: settings, head: head, headRequest: request,
            labelKind: try head.labelKind(labelColumns: columns.labels.count),
            trainingCount: trainingCount, validationCount: rowCount - trainingCount,
            classes: classesByColumn.last { $0 != nil } ?? nil, classesByColumn: classesByColumn,
            standardization: nil, nonFiniteCell: nil, fingerprint: fingerprint, preprocessing: preprocessing)
    }

    /// Fits the standardization of a job that standardizes when no stream has read its rows to the
    /// end yet (a resumed run with nothing left to train sends no rows), by reading them once.
    public func fitStandardization(chunkSize: Int = CSVDocument.defaultChunkSize) throws {
        guard standardizes && standardization == nil else { return }
        let stream = try rows(chunkSize: chunkSize)
        while try stream.next() != nil {}
    }

    /// The rows read again from the file, a chunk at a time, with their features as the file has
    /// them (not standardized), or for a preprocessed table their codes (`rowWidth` per row).
    public func rows(chunkSize: Int = CSVDocument.defaultChunkSize) throws -> RowStream {
        try RowStream(self, chunkSize: chunkSize)
    }

    /// Rows as a stream gives them, made the model's inputs: a preprocessed table's codes expanded
    /// (`featureCount` per row); the rows themselves for a table of numbers.
    public func expand(_ rows: TabularRows) -> TabularRows {
        guard let preprocessing else { return rows }
        return TabularRows(
            featureCount: featureCount, targetWidth: rows.targetWidth, features: preprocessing.expand(codes: rows.features),
            targets: rows.targets)
    }
}

/// What a description shares between its copies, settled by the first read that finds it: the fit
/// one RowStream makes reaches every copy (the coordinator's job, its checkpointer's, its model
/// file's). The first value stays: every later read of the same file finds the same.
final class Settled<Value: Sendable>: Sendable {
    private let settled: Mutex<Value?>

    init(_ value: Value?) {
        settled = Mutex(value)
    }

    var value: Value? { settled.withLock { $0 } }

    func settle(_ value: Value) {
        settled.withLock { if $0 == nil { $0 = value } }
    }
}
