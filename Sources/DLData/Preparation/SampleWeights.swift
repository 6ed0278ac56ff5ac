// The sample weight column (Keras's `fit(sample_weight=...)`): read after the label columns as one
// more numeric label column, so that every read of the rows (at once, by chunk, on a coordinator
// that streams them) parses it with no new path; split off here and checked where it is read, each
// bad cell refused with its line and column; and carried as ONE MORE TARGET VALUE at the end of
// each row's targets, so that a table, a shard's rows on the wire and a worker's load need no new
// layout. The trainer takes the last target value of a row as its weight (ShardRunner).

extension ResolvedColumns {
    /// The columns read as labels: the label columns, then the sample weight column.
    var readLabels: [Int] { labels + (weight.map { [$0] } ?? []) }

    /// The label columns of a read (`readLabels`) and the rows' weights, checked: each a finite
    /// number, 0 or more. Nil weights for a job without a weight column.
    func splitWeights(_ read: [LabelColumn], lineNumbers: [Int32]) throws -> (labels: [LabelColumn], weights: [Float]?) {
        guard let weight, read.count == labels.count + 1, let last = read.last else { return (read, nil) }
        let labels = Array(read.dropLast())
        switch last {
        case let .numbers(values):
            if let row = values.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
                throw badWeight(line: lineNumbers[row], column: weight, found: "\(values[row])")
            }
            return (labels, values)
        case let .classes(codes, names):
            // A column whose first cell is text is read as classes: its first cell that is not a
            // number is the one to fix; if all are numbers after all, it is refused at the first.
            let row = codes.firstIndex { code in Float(names[Int(code)]).map { !($0.isFinite && $0 >= 0) } ?? true } ?? 0
            throw badWeight(line: lineNumbers[row], column: weight, found: codes.isEmpty ? "" : names[Int(codes[row])])
        }
    }

    /// The error of a read that the reader raised about the weight column as a label column (text
    /// among numbers, an empty or non-finite cell) said as what it is: a bad sample weight.
    func aboutWeights(_ error: Error) -> Error {
        guard let weight, let error = error as? DataError else { return error }
        switch error {
        case let .mixedLabelColumn(_, line, column, _, found, _) where column == weight,
            let .nonFinite(_, line, column, _, found) where column == weight:
            return badWeight(line: Int32(line), column: column, found: found)
        case let .emptyLabel(_, line, column, _) where column == weight:
            return badWeight(line: Int32(line), column: column, found: "")
        default:
            return error
        }
    }

    private func badWeight(line: Int32, column: Int, found: String) -> DataError {
        .badSampleWeight(path: document.path, line: Int(line), column: column, name: document.columnNames?[column], found: found)
    }
}

enum SampleWeights {
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
