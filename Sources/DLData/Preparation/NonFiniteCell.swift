// The first NaN or infinite cell of a job's rows, which only --allow-non-finite lets in. A single one
// makes every weight NaN at the first step whose batch holds its row (and, with --standardize, its
// whole column NaN at once), so a run that diverges on such data names the cell instead of
// suggesting a lower learning rate.

public struct NonFiniteCell: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let line: Int
    public let column: Int
    public let columnName: String?
    public let value: Float

    public var description: String {
        "\(path):\(line): column \(column)\(columnName.map { " (\"\($0)\")" } ?? ""): \(value)"
    }

    /// The first non-finite cell of parsed rows, in file order: among `features` (row-major, one
    /// value per column of `featureColumns`) and the labels `survey` has seen so far.
    static func first(
        features: [Float], featureColumns: [Int], lineNumbers: [Int32], survey: LabelSurvey, path: String,
        columnNames: [String]?
    ) -> NonFiniteCell? {
        var first: NonFiniteCell?
        if let index = features.firstIndex(where: { !$0.isFinite }) {
            let row = index / featureColumns.count, column = featureColumns[index % featureColumns.count]
            first = NonFiniteCell(
                path: path, line: Int(lineNumbers[row]), column: column, columnName: columnNames?[column],
                value: features[index])
        }
        for label in survey.columns {
            guard let line = label.nonFiniteLine, line < first?.line ?? Int.max else { continue }
            first = NonFiniteCell(
                path: path, line: line, column: label.index, columnName: label.name, value: label.nonFiniteValue)
        }
        return first
    }
}
