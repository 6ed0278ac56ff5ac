// Parses the records in one byte range into columns. A range depends on nothing outside it
// but its first line number, so a file cut at line breaks can be parsed range by range, on
// several threads, and the results joined in order.

import DLPreprocessing

/// The columns parsed from one byte range.
struct ParsedRecords {
    var rowCount = 0
    var features: [Float] = []
    /// The feature columns read raw (a preprocessed table's), in the plan's raw order.
    var rawColumns: [RawColumnReader]
    var numberLabels: [[Float]]
    var classLabels: [ClassNameTable]
    var lineNumbers: [Int32] = []
    /// The line after the last one parsed: for a range that ends with a line break, its first
    /// line plus the number of line breaks in it.
    var endLine = 0

    init(plan: ColumnPlan) {
        numberLabels = Array(repeating: [], count: plan.numberLabelCount)
        classLabels = Array(repeating: ClassNameTable(), count: plan.classLabelCount)
        rawColumns = plan.rawReadings.map(RawColumnReader.init)
    }

    /// Appends the records parsed from the next part of the file.
    mutating func append(contentsOf other: ParsedRecords) {
        rowCount += other.rowCount
        features.append(contentsOf: other.features)
        lineNumbers.append(contentsOf: other.lineNumbers)
        for list in numberLabels.indices { numberLabels[list].append(contentsOf: other.numberLabels[list]) }
        for table in classLabels.indices { classLabels[table].append(contentsOf: other.classLabels[table]) }
        for slot in rawColumns.indices { rawColumns[slot].append(contentsOf: other.rawColumns[slot]) }
    }

    /// The raw feature cells, leaving none behind: the columns in the plan's raw order, with
    /// their file columns and the rows' line numbers.
    mutating func takeRawCells(_ plan: ColumnPlan) -> RawCells {
        RawCells(
            rowCount: rowCount, columns: rawColumns.indices.map { rawColumns[$0].take() }, fileColumns: plan.rawColumns,
            lineNumbers: lineNumbers)
    }

    /// The features, leaving none behind, so that the caller can change them without a copy.
    mutating func takeFeatures() -> [Float] {
        defer { features = [] }
        return features
    }

    /// The label columns in request order, class names sorted and their codes renumbered.
    func labelColumns(_ plan: ColumnPlan) -> [LabelColumn] {
        plan.labelSources.map { source in
            switch source {
            case .numbers(let list): return .numbers(numberLabels[list])
            case .classes(let table): return classLabels[table].sortedColumn()
            }
        }
    }

    mutating func reserveRows(_ rows: Int, featureCount: Int) {
        features.reserveCapacity(rows * featureCount)
        lineNumbers.reserveCapacity(rows)
        for list in numberLabels.indices { numberLabels[list].reserveCapacity(rows) }
        for table in classLabels.indices { classLabels[table].reserveRows(rows) }
        for slot in rawColumns.indices { rawColumns[slot].reserveRows(rows) }
    }
}

struct RecordParser {
    let tokenizer: CSVTokenizer
    let plan: ColumnPlan
    let allowNonFinite: Bool
    /// For messages.
    let path: String
    let columnNames: [String]?
    /// The line whose label cells decided each label column's kind.
    let firstDataLine: Int

    private enum CellProblem {
        case notANumber
        case nonFinite
        case textInNumberLabel
        case emptyLabel
    }

    private typealias CellError = (problem: CellProblem, column: Int, field: ScannedField)

    /// Parses every record in `range`, which begins at a line start and has line number `firstLine`.
    /// The outputs are sized for records up to `roomUntil` (by default the range's end), so that
    /// the parts parsed after this one can be appended without moving it.
    func parse(_ range: Range<Int>, firstLine: Int, roomUntil: Int? = nil) throws -> ParsedRecords {
        var parsed = ParsedRecords(plan: plan)
        let columnCount = plan.columnCount
        let end = range.upperBound
        // Not an array: an array passed inout to parseCell would be checked for uniqueness at every cell.
        let row = UnsafeMutableBufferPointer<Float>.allocate(capacity: plan.featureCount)
        row.initialize(repeating: 0)
        defer { row.deallocate() }
        var position = range.lowerBound
        var line = firstLine
        while true {
            position = tokenizer.skipBlankLines(from: position, end: end, line: &line)
            guard position < end else { break }
            let recordStart = position
            // A bad cell is reported only once the record's field count is known to be right,
            // since a missing or extra field makes every later cell look wrong.
            var firstProblem: CellError?
            let column: Int
            (column, position) = try parseFields(
                at: position, end: end, line: line, row: row, parsed: &parsed, firstProblem: &firstProblem)
            guard column == columnCount else {
                throw DataError.wrongFieldCount(path: path, line: line, expected: columnCount, found: column)
            }
            if let firstProblem {
                throw error(for: firstProblem.problem, in: firstProblem.field, line: line, column: firstProblem.column)
            }
            parsed.features.append(contentsOf: row)
            parsed.lineNumbers.append(Int32(clamping: line))
            parsed.rowCount += 1
            if parsed.rowCount == 1 {
                // Records of a numeric table are about equally long, so the first one sizes the outputs.
                let estimatedRows = ((roomUntil ?? end) - recordStart) / max(position - recordStart, 1) + 1
                parsed.reserveRows(estimatedRows + estimatedRows / 16, featureCount: plan.featureCount)
            }
            line += 1
        }
        parsed.endLine = line
        return parsed
    }

    /// Parses the fields of the record at `start` (on `line`) into `row` and `parsed`; returns how
    /// many fields it has and where the next line starts. A small function of its own, kept out of
    /// `parse`, so that the number scanner is inlined into its loop and the loop's registers are
    /// not shared with the per-record bookkeeping.
    @inline(never)
    private func parseFields(
        at start: Int, end: Int, line: Int, row: UnsafeMutableBufferPointer<Float>, parsed: inout ParsedRecords,
        firstProblem: inout CellError?
    ) throws -> (fieldCount: Int, next: Int) {
        let columnCount = plan.columnCount
        var position = start
        var column = 0
        while true {
            // The usual cell, a plain number for one feature, skips the general path below,
            // which would store the same value; a non-finite one goes there to be reported.
            // A cell after a bad one may be stored too, since the record is then rejected.
            if column < columnCount, let slot = plan.soleFeatureSlot[column],
                let number = tokenizer.scanPlainNumber(at: position, end: end)
            {
                let single = Float(number.value)
                if allowNonFinite || single.isFinite {
                    row[slot] = single
                    column += 1
                    position = number.next
                    if number.endsRecord { break } else { continue }
                }
            }
            let field = try parseCell(
                at: position, end: end, column: column, line: line, row: row, parsed: &parsed, firstProblem: &firstProblem)
            column += 1
            position = field.next
            if field.endsRecord { break }
        }
        return (column, position)
    }

    /// Scans the field at `position` (cell `column` of the record on `line`) and stores what it
    /// feeds into `row` and `parsed`, or notes the record's first bad cell; throws for a field
    /// that cannot be scanned. Any cell the record loop's fast path leaves comes here.
    @inline(never)
    private func parseCell(
        at position: Int, end: Int, column: Int, line: Int, row: UnsafeMutableBufferPointer<Float>, parsed: inout ParsedRecords,
        firstProblem: inout CellError?
    ) throws -> ScannedField {
        let parsesNumber = column < plan.columnCount && plan.parsesNumber[column]
        let (field, number) =
            parsesNumber
            ? tokenizer.scanNumberField(at: position, end: end)
            : (tokenizer.scanField(at: position, end: end), nil)
        if let problem = field.problem {
            throw tokenizer.error(for: problem, in: field, path: path, line: line, column: column)
        }
        if column < plan.columnCount && firstProblem == nil {
            // Indexing, not slicing: a slice per field would retain the array.
            var targetIndex = plan.targetStart[column]
            cells: while targetIndex < plan.targetStart[column + 1] {
                defer { targetIndex += 1 }
                switch plan.targets[targetIndex] {
                case .feature(let slot):
                    guard let number else {
                        firstProblem = (.notANumber, column, field)
                        break cells
                    }
                    let single = Float(number)
                    guard allowNonFinite || single.isFinite else {
                        firstProblem = (.nonFinite, column, field)
                        break cells
                    }
                    row[slot] = single
                case .rawFeature(let slot):
                    // NaN is a missing number, which the preprocessing fills; an infinity is refused
                    // as in a numeric table.
                    guard plan.rawReadings[slot] == .numberOrText, let number else {
                        parsed.rawColumns[slot].appendText(field, from: tokenizer)
                        continue
                    }
                    let single = Float(number)
                    guard allowNonFinite || single.isFinite || single.isNaN else {
                        firstProblem = (.nonFinite, column, field)
                        break cells
                    }
                    parsed.rawColumns[slot].appendNumber(number)
                case .numberLabel(let list):
                    guard let number else {
                        firstProblem = (.textInNumberLabel, column, field)
                        break cells
                    }
                    let single = Float(number)
                    guard allowNonFinite || single.isFinite else {
                        firstProblem = (.nonFinite, column, field)
                        break cells
                    }
                    parsed.numberLabels[list].append(single)
                case .classLabel(let table, let allowsEmpty):
                    guard allowsEmpty || field.contentStart < field.contentEnd else {
                        firstProblem = (.emptyLabel, column, field)
                        break cells
                    }
                    parsed.classLabels[table].append(field, from: tokenizer)
                }
            }
        }
        return field
    }

    private func error(for problem: CellProblem, in field: ScannedField, line: Int, column: Int) -> DataError {
        let found = DataError.excerpt(tokenizer.content(of: field))
        let columnName = columnNames.flatMap { column < $0.count ? $0[column] : nil }
        switch problem {
        case .notANumber:
            return .notANumber(path: path, line: line, column: column, columnName: columnName, found: found)
        case .nonFinite:
            return .nonFinite(path: path, line: line, column: column, columnName: columnName, found: found)
        case .textInNumberLabel:
            return .mixedLabelColumn(
                path: path, line: line, column: column, columnName: columnName, found: found,
                firstDataLine: firstDataLine)
        case .emptyLabel:
            return .emptyLabel(path: path, line: line, column: column, columnName: columnName)
        }
    }
}
