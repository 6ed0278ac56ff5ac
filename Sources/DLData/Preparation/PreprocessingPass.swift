// The fit of a job's preprocessing in one parse of its file, after the row count: every feature
// column read raw into PreprocessingFit (the first `trainingCount` rows fit the statistics, every
// row decides the types), the label survey made in the same pass, and, for columns typed from the
// data that hold both numbers and words, one more read of the file with those columns as text.
//
// A table of numbers without gaps whose job asks for nothing (no type given, no cross, no
// indicator) has no preprocessing: its rows stay the file's numbers, as dltrain has always read
// them, so the model and its bits do not change (`--standardize` keeps its own Standardization).
// Such a job's pass reads the features as numbers, on the numeric parser's fast path, and falls
// through to the raw fit only at the first word or gap (which, in most tables that have one, is in
// the first rows).

import DLPreprocessing

struct PreprocessingPass {
    let columns: ResolvedColumns
    let settings: DataSettings
    let rowCount: Int
    let trainingCount: Int
    let fingerprint: DataFingerprint

    /// The fitted preprocessing (nil for a table of numbers that needs none) and the survey of
    /// every label when `surveysLabels` (of none otherwise).
    func run(surveysLabels: Bool) throws -> (preprocessing: Preprocessing?, survey: LabelSurvey) {
        if settings.preprocessing.asksNothing, let survey = try readNumbers(surveysLabels: surveysLabels) {
            return (nil, survey)
        }
        let names = columns.features.map(columns.name)
        var fit = try DataError.preprocessing {
            () throws(PreprocessingError) in
            try PreprocessingFit(
                settings: settings.preprocessing, standardize: settings.standardize, columnNames: names, path: settings.path)
        }
        var survey = surveysLabels ? columns.emptySurvey() : nil
        let numbersOnly = try read(into: &fit, survey: &survey)
        let mixed = fit.mixedColumns
        if !mixed.isEmpty {
            var rereading = fit.rereading(mixed)
            var noSurvey: LabelSurvey?
            _ = try read(into: &rereading, survey: &noSurvey)
            fit = rereading
        }
        let fitted = try DataError.preprocessing { () throws(PreprocessingError) in try fit.result() }
        return (isPlainNumbers(fitted, numbersOnly: numbersOnly) ? nil : fitted, survey ?? columns.emptySurvey())
    }

    /// Whether the job trains on the file's numbers as they are: it asks for nothing, every cell of
    /// every feature column is a number (no word, no gap; NaN is a gap unless --allow-non-finite
    /// lets it in as a value, as it always has), and every column was typed float
    /// (float_normalized under --standardize) from the data.
    private func isPlainNumbers(_ fitted: Preprocessing, numbersOnly: [Bool]) -> Bool {
        let plainKind: FeatureKind = settings.standardize ? .floatNormalized : .float
        return settings.preprocessing.asksNothing && fitted.crosses.isEmpty && numbersOnly.allSatisfy { $0 }
            && fitted.columns.allSatisfy { $0.inferred && $0.type.kind == plainKind && !$0.indicator }
    }

    /// The label survey of a table of numbers, read as dltrain has always read one (its features
    /// parsed and dropped); nil at the first feature cell that is not a finite number (or NaN under
    /// --allow-non-finite): a word or a gap, which makes the table one to preprocess.
    private func readNumbers(surveysLabels: Bool) throws -> LabelSurvey? {
        let plan = try columns.document.columnPlan(features: columns.features, labels: surveysLabels ? columns.labels : []).plan
        let stream = try columns.document.records(plan)
        var survey = columns.emptySurvey()
        var rowsRead = 0
        do {
            while let records = try stream.next() {
                guard rowsRead + records.rowCount <= rowCount else { break }
                if surveysLabels { survey.add(records.labelColumns(plan), lineNumbers: records.lineNumbers) }
                rowsRead += records.rowCount
            }
        } catch let error as DataError where error.isAboutAFeatureCell(columns.features) {
            return nil
        }
        try checkEnd(stream, rowsRead: rowsRead)
        return survey
    }

    private func checkEnd(_ stream: RecordStream, rowsRead: Int) throws {
        guard stream.fingerprint == fingerprint, rowsRead == rowCount else {
            throw DataError.fileChanged(path: settings.path, detail: "it changed between the row count and the pass that fits its preprocessing")
        }
    }

    /// Reads every row's feature cells as `fit` asks into it (and the labels into `survey`, when
    /// given); returns, per feature column, whether every cell was a number (other than NaN, unless
    /// --allow-non-finite).
    private func read(into fit: inout PreprocessingFit, survey: inout LabelSurvey?) throws -> [Bool] {
        let raw = Array(zip(columns.features, fit.readings))
        let plan = try columns.document.columnPlan(features: [], raw: raw, labels: survey == nil ? [] : columns.labels).plan
        let stream = try columns.document.records(plan)
        var numbersOnly = [Bool](repeating: true, count: raw.count)
        var rowsRead = 0
        while var records = try stream.next() {
            guard rowsRead + records.rowCount <= rowCount else { break }
            if survey != nil { survey!.add(records.labelColumns(plan), lineNumbers: records.lineNumbers) }
            let cells = records.takeRawCells(plan)
            for (position, column) in cells.columns.enumerated() where numbersOnly[position] {
                numbersOnly[position] = !column.codes.contains { $0 != RawColumn.number }
                    && (settings.csv.allowNonFinite || !column.numbers.contains { $0.isNaN })
            }
            let trainingRows = max(0, min(cells.rowCount, trainingCount - rowsRead))
            try DataError.preprocessing { () throws(PreprocessingError) in try fit.add(cells, trainingRows: trainingRows) }
            rowsRead += cells.rowCount
        }
        try checkEnd(stream, rowsRead: rowsRead)
        return numbersOnly
    }
}
