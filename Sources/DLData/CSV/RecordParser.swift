// Parses the records in one byte range into columns. A range depends on nothing outside it
// but its first line number, so a file cut at line breaks can be parsed range by range, on
// several threads, and the results joined in order.

/// The columns parsed from one byte range.
struct ParsedRecords {
    var rowCount = 0
    var features: [Float] = []
    var numberLabels: [[Float]]
    var classLabels: [ClassNameTable]
    var lineNumbers: [Int32] = []
    /// The line after the last one parsed: for a range that ends with a line break, its first
    /// line plus the number of line breaks in it.
    var endLine = 0

    init(plan: ColumnPlan) {
        numberLabels = Array(repeating: [], count: plan.numberLabelCount)
        classLabels = Array(repeating: ClassNameTable(), count: plan.classLabelCount)
    }

    /// Appends the records parsed from the next part of the file.
    mutating func append(contentsOf other: ParsedRecords) {
        rowCount += other.rowCount
        features.append(contentsOf: other.features)
        lineNumbers.append(contentsOf: other.lineNumbers)
        for list in numberLabels.indices { numberLabels[list].append(contentsOf: other.numberLabels[list]) }
        for table in classLabels.indices { classLabels[table].append(contentsOf: other.classLabels[table]) }
    }

    mutating func reserveRows(_ rows: Int, featureCount: Int) {
        features.reserveCapacity(rows * featureCount)
        lineNumbers.reserveCapacity(rows)
        for list in numberLabels.indices { numberLabels[list].reserveCapacity(rows) }
        for table in classLabels.indices { classLabels[table].reserveRows(rows) }
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
    }

    /// Parses every record in `range`, which begins at a line start and has line number `firstLine`.
    func parse(_ range: Range<Int>, firstLine: Int) throws -> ParsedRecords {
        var parsed = ParsedRecords(plan: plan)
        let columnCount = plan.columnCount
        let targetStart = plan.targetStart
        let targets = plan.targets
        let columnParsesNumber = plan.parsesNumber
        let end = range.upperBound
        var row = [Float](repeating: 0, count: plan.featureCount)
        var position = range.lowerBound
        var line = firstLine
        while true {
            position = tokenizer.skipBlankLines(from: position, end: end, line: &line)
            guard position < end else { break }
            let recordStart = position
            var column = 0
            // A bad cell is reported only once the record's field count is known to be right,
            // since a missing or extra field makes every later cell look wrong.
            var firstProblem: (problem: CellProblem, column: Int, field: ScannedField)?
            while true {
                let parsesNumber = column < columnCount && columnParsesNumber[column]
                let (field, number) =
                    parsesNumber
                    ? tokenizer.scanNumberField(at: position, end: end)
                    : (tokenizer.scanField(at: position, end: end), nil)
                if let problem = field.problem {
                    throw tokenizer.error(for: problem, in: field, path: path, line: line, column: column)
                }
                if column < columnCount && firstProblem == nil {
                    // Indexing, not slicing: a slice per field would retain the array.
                    var targetIndex = targetStart[column]
                    cells: while targetIndex < targetStart[column + 1] {
                        defer { targetIndex += 1 }
                        switch targets[targetIndex] {
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
                        case .classLabel(let table):
                            parsed.classLabels[table].append(field, from: tokenizer)
                        }
                    }
                }
                column += 1
                position = field.next
                if field.endsRecord { break }
            }
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
                let estimatedRows = (end - recordStart) / max(position - recordStart, 1) + 1
                parsed.reserveRows(estimatedRows + estimatedRows / 16, featureCount: plan.featureCount)
            }
            line += 1
        }
        parsed.endLine = line
        return parsed
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
        }
    }
}
