// The rows of a preprocessed table (words, gaps, types given), prepared for training in one
// process: the table is described (the row count, then the fit of its preprocessing on the
// training rows), then read again a chunk at a time, each chunk's cells coded into one table of
// codes allocated once (one float32 per column and cross), which the shard runner expands into the
// model's inputs a batch at a time. So memory peaks at the table of codes and a chunk (of at most
// 16 MiB), never at the expanded table, which a one-hot column of thousands of values would make
// thousands of times the file; the validation rows are coded with the same fit.

import DLCore

extension DataPreparation {
    /// The most bytes of the file coded at once beside the table of codes: a chunk's bytes, its raw
    /// cells (about twice the bytes) and its codes stay within the 150 MB above the table that a
    /// preprocessed table may take. The chunk size changes no bit of the rows.
    static let codingChunkSize = 16 << 20

    static func preparePreprocessed(
        _ settings: DataSettings, head request: HeadRequest, chunkSize: Int
    ) throws -> (data: DataDescription, rows: PreparedRows) {
        let data = try DataDescription.describe(settings, head: request, chunkSize: chunkSize)
        guard data.preprocessing != nil else {
            // A table of numbers after all (the job asked for nothing and the file has no word or gap).
            guard let prepared = try prepareNumbers(settings, head: request, chunkSize: chunkSize, unlessPreprocessed: false) else {
                throw DataError.fileChanged(path: settings.path, detail: "it changed while it was read")
            }
            return prepared
        }
        let width = data.rowWidth, targetWidth = data.rowTargetWidth
        let rows = data.trainingCount + data.validationCount
        try MemoryBudget.check(
            MemoryNeed([
                .init(
                    "\(rows) rows of \(width) codes and \(targetWidth) targets",
                    bytes: MemoryNeed.product([rows, width + targetWidth, MemoryLayout<Float>.size]))
            ]),
            for: "coding the rows of \(settings.path)",
            hint: "use a machine with more memory, or train on workers (dlcoord --workers N), which hold only their shards' rows")
        var training = TabularRows(zeroRows: data.trainingCount, featureCount: width, targetWidth: targetWidth)
        var validation = TabularRows(zeroRows: data.validationCount, featureCount: width, targetWidth: targetWidth)
        let stream = try data.rows(chunkSize: min(chunkSize, codingChunkSize))
        while let chunk = try stream.next() {
            let first = chunk.firstRow, count = chunk.rows.count, split = data.trainingCount
            let trainingPart = min(first, split)..<min(first + count, split)
            let validationPart = max(first, split)..<max(first + count, split)
            if !trainingPart.isEmpty {
                place(chunk.rows, rows: trainingPart.lowerBound - first, count: trainingPart.count, into: &training, at: trainingPart.lowerBound)
            }
            if !validationPart.isEmpty {
                place(
                    chunk.rows, rows: validationPart.lowerBound - first, count: validationPart.count, into: &validation,
                    at: validationPart.lowerBound - split)
            }
        }
        return (data, PreparedRows(training: training, validation: data.validationCount > 0 ? validation : nil))
    }

    /// Copies `count` rows of `coded` from row `start` into `table` from row `row`.
    private static func place(_ coded: TabularRows, rows start: Int, count: Int, into table: inout TabularRows, at row: Int) {
        let width = table.featureCount, targetWidth = table.targetWidth
        table.features.replaceSubrange(
            (row * width)..<((row + count) * width), with: coded.features[(start * width)..<((start + count) * width)])
        table.targets.replaceSubrange(
            (row * targetWidth)..<((row + count) * targetWidth),
            with: coded.targets[(start * targetWidth)..<((start + count) * targetWidth)])
    }
}

extension DataError {
    /// Whether the error is a feature cell of `features` that is not a finite number: a word or a
    /// gap, which a preprocessing takes.
    func isAboutAFeatureCell(_ features: [Int]) -> Bool {
        switch withoutAdvice {
        case let .notANumber(_, _, column, _, _), let .nonFinite(_, _, column, _, _): features.contains(column)
        default: false
        }
    }
}
