// The sample weight column (Keras's `fit(sample_weight=...)`): read after the label columns as one
// more numeric label column, so that every read of the rows (at once, by chunk, on a coordinator
// that streams them, dlmodel evaluate's) parses it with no new path; split off here and checked
// where it is read, each bad cell refused with its line and column; and, in training, carried as
// ONE MORE TARGET VALUE at the end of each row's targets, so that a table, a shard's rows on the
// wire and a worker's load need no new layout. The trainer takes the last target value of a row
// as its weight (ShardRunner).

struct SampleWeights {
    let path: String
    /// The weight column's index and the file's header names (nil without a header).
    let column: Int
    let columnNames: [String]?

    /// The weights of a read's weight column, checked: each a finite number, 0 or more.
    func values(of read: LabelColumn, lineNumbers: [Int32]) throws -> [Float] {
        switch read {
        case let .numbers(values):
            if let row = values.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
                throw bad(line: Int(lineNumbers[row]), found: "\(values[row])")
            }
            return values
        case let .classes(codes, names):
            // A column whose first cell is text is read as classes: its first cell that is not a
            // number is the one to fix; if all are numbers after all, it is refused at the first.
            let row = codes.firstIndex { code in Float(names[Int(code)]).map { !($0.isFinite && $0 >= 0) } ?? true } ?? 0
            throw bad(line: codes.isEmpty ? 0 : Int(lineNumbers[row]), found: codes.isEmpty ? "" : names[Int(codes[row])])
        }
    }

    /// The error of a read that the reader raised about the weight column as a label column (text
    /// among numbers, an empty or non-finite cell) said as what it is: a bad sample weight.
    func explained(_ error: Error) -> Error {
        guard let error = error as? DataError else { return error }
        switch error {
        case let .mixedLabelColumn(_, line, column, _, found, _) where column == self.column,
            let .nonFinite(_, line, column, _, found) where column == self.column:
            return bad(line: line, found: found)
        case let .emptyLabel(_, line, column, _) where column == self.column:
            return bad(line: line, found: "")
        default:
            return error
        }
    }

    private func bad(line: Int, found: String) -> DataError {
        .badSampleWeight(path: path, line: line, column: column, name: columnNames?[column], found: found)
    }

    /// `targets` (rows of `width`) with each row's weight after its targets; `targets` as they are
    /// without weights.
    static func appending(_ weights: [Float]?, to targets: [Float], width: Int) -> [Float] {
        guard let weights else { return targets }
        var rows = [Float]()
        rows.reserveCapacity(targets.count + weights.count)
        for (row, weight) in weights.enumerated() {
            rows += targets[(row * width)..<((row + 1) * width)]
            rows.append(weight)
        }
        return rows
    }
}

extension ResolvedColumns {
    /// The columns read as labels: the label columns, then the sample weight column.
    var readLabels: [Int] { labels + (weight.map { [$0] } ?? []) }

    private var sampleWeights: SampleWeights? {
        weight.map { SampleWeights(path: document.path, column: $0, columnNames: document.columnNames) }
    }

    /// The label columns of a read (`readLabels`) and the rows' weights, checked. Nil weights for a
    /// job without a weight column.
    func splitWeights(_ read: [LabelColumn], lineNumbers: [Int32]) throws -> (labels: [LabelColumn], weights: [Float]?) {
        guard let sampleWeights, read.count == labels.count + 1, let last = read.last else { return (read, nil) }
        return (Array(read.dropLast()), try sampleWeights.values(of: last, lineNumbers: lineNumbers))
    }

    /// `error`, said as a bad sample weight when the reader raised it about the weight column.
    func aboutWeights(_ error: Error) -> Error {
        sampleWeights?.explained(error) ?? error
    }
}
