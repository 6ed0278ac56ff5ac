// The rows of a preprocessed table (words, gaps, types given), prepared for training in one
// process: the table is described (the row count, then the fit of its preprocessing on the
// training rows), then read again a chunk at a time, each chunk's cells coded and expanded into
// the model's inputs in place, in one table allocated once. So memory peaks at the encoded float32
// table and a chunk, never at a copy of either; the validation rows are expanded with the same fit.

import DLCore
import DLPreprocessing

extension DataPreparation {
    static func preparePreprocessed(
        _ settings: DataSettings, head request: HeadRequest, chunkSize: Int
    ) throws -> (data: DataDescription, rows: PreparedRows) {
        let data = try DataDescription.describe(settings, head: request, chunkSize: chunkSize)
        guard let preprocessing = data.preprocessing else {
            // A table of numbers after all (the job asked for nothing and the file has no word or gap).
            guard let prepared = try prepareNumbers(settings, head: request, chunkSize: chunkSize, unlessPreprocessed: false) else {
                throw DataError.fileChanged(path: settings.path, detail: "it changed while it was read")
            }
            return prepared
        }
        let width = data.featureCount, targetWidth = data.targetWidth
        let rows = data.trainingCount + data.validationCount
        try MemoryBudget.check(
            MemoryNeed([
                .init(
                    "\(rows) rows of \(width) model inputs and \(targetWidth) targets",
                    bytes: MemoryNeed.product([rows, width + targetWidth, MemoryLayout<Float>.size]))
            ]),
            for: "encoding the rows of \(settings.path)",
            hint: "use a machine with more memory, train on workers (dlcoord --workers N), which hold only their shards' "
                + "rows, or make the inputs narrower (string_hashed or output_mode=int for wide categorical columns)")
        var training = TabularRows(zeroRows: data.trainingCount, featureCount: width, targetWidth: targetWidth)
        var validation = TabularRows(zeroRows: data.validationCount, featureCount: width, targetWidth: targetWidth)
        let stream = try data.rows(chunkSize: chunkSize)
        while let chunk = try stream.next() {
            let first = chunk.firstRow, count = chunk.rows.count, split = data.trainingCount
            let trainingPart = min(first, split)..<min(first + count, split)
            let validationPart = max(first, split)..<max(first + count, split)
            if !trainingPart.isEmpty {
                place(chunk.rows, rows: trainingPart.lowerBound - first, count: trainingPart.count,
                      into: &training, at: trainingPart.lowerBound, preprocessing)
            }
            if !validationPart.isEmpty {
                place(chunk.rows, rows: validationPart.lowerBound - first, count: validationPart.count,
                      into: &validation, at: validationPart.lowerBound - split, preprocessing)
            }
        }
        return (data, PreparedRows(training: training, validation: data.validationCount > 0 ? validation : nil))
    }

    /// Expands `count` rows of `coded` from row `start` into `table` from row `row`, and copies their targets.
    private static func place(
        _ coded: TabularRows, rows start: Int, count: Int, into table: inout TabularRows, at row: Int, _ preprocessing: Preprocessing
    ) {
        let codeWidth = coded.featureCount, width = table.featureCount, targetWidth = table.targetWidth
        coded.features.withUnsafeBufferPointer { codes in
            table.features.withUnsafeMutableBufferPointer { inputs in
                preprocessing.expand(
                    codes: UnsafeBufferPointer(rebasing: codes[(start * codeWidth)..<((start + count) * codeWidth)]), rows: count,
                    into: UnsafeMutableBufferPointer(rebasing: inputs[(row * width)..<((row + count) * width)]))
            }
        }
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
