// What a job's label columns hold, gathered from their parsed cells a chunk at a time: text classes,
// class indices or numbers, their range, and the lines of the values that bound it. Enough to choose
// an output layer and a loss for the label (`--layers ...,auto`, `--loss auto`) and to refuse a pair
// that cannot represent it, naming a line that shows why (OutputHead).

import DLCore

public struct LabelSurvey: Sendable, Equatable {
    /// One label column's values.
    public struct Column: Sendable, Equatable {
        /// The column's 0-based index and its header name, if the file has a header.
        public let index: Int
        public let name: String?
        /// The class names of a text column; nil for a numeric one.
        var classNames: Set<String>?
        /// A numeric column's finite values: how many, their range and the first line of each bound,
        /// whether all are whole numbers and the first line of one that is not.
        var count = 0
        var minimum = Float.infinity, maximum = -Float.infinity
        var minimumLine = 0, maximumLine = 0
        var fractionLine: Int?
        /// The first NaN or infinite value (which --allow-non-finite lets in) and its line.
        var nonFiniteLine: Int?
        var nonFiniteValue: Float = 0

        init(index: Int, name: String?) {
            self.index = index
            self.name = name
        }

        /// The classes of a text column in index order (sorted by their UTF-8 bytes).
        public var classes: [String]? {
            classNames?.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }

        /// What the column holds, for choosing and checking an output layer.
        public var nature: LabelNature {
            if let classNames { return .classNames(count: classNames.count) }
            if count > 0, fractionLine == nil, minimum >= 0, maximum < Float(LabelNature.classIndexLimit) {
                return .classIndices(count: Int(maximum) + 1)
            }
            return .numbers
        }

        mutating func add(_ cells: LabelColumn, lineNumbers: [Int32]) {
            switch cells {
            case let .classes(_, names):
                classNames = (classNames ?? []).union(names)
            case let .numbers(values):
                for (row, value) in values.enumerated() {
                    let line = Int(lineNumbers[row])
                    guard value.isFinite else {
                        if nonFiniteLine == nil { (nonFiniteLine, nonFiniteValue) = (line, value) }
                        continue
                    }
                    count += 1
                    if value < minimum { minimum = value; minimumLine = line }
                    if value > maximum { maximum = value; maximumLine = line }
                    if fractionLine == nil && value.rounded(.towardZero) != value { fractionLine = line }
                }
            }
        }
    }

    public private(set) var columns: [Column]

    /// A survey of no rows yet of the label columns at `indices`, named by `columnNames` (nil
    /// without a header).
    init(indices: [Int], columnNames: [String]?) {
        columns = indices.map { Column(index: $0, name: columnNames?[$0]) }
    }

    /// Adds the label cells of parsed rows: one `LabelColumn` per label column, in order.
    mutating func add(_ labels: [LabelColumn], lineNumbers: [Int32]) {
        for position in columns.indices { columns[position].add(labels[position], lineNumbers: lineNumbers) }
    }

    /// Whether every column is two classes at most (text with two names, or numbers that are 0 or 1).
    var isBinary: Bool { columns.allSatisfy(\.nature.isBinary) }

    /// A label value as a message shows it: whole numbers without a fraction (and never `-0`).
    static func text(_ value: Float) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// What a label column holds, as far as choosing an output layer goes.
public enum LabelNature: Sendable, Equatable {
    /// Text: `count` class names.
    case classNames(count: Int)
    /// Whole numbers from 0 up to `count - 1`, few enough to be classes.
    case classIndices(count: Int)
    /// Numbers of any other kind: a quantity to predict.
    case numbers

    /// Whole numbers from 0 below this many read as class indices; beyond, as a quantity. (A
    /// label of 0..19 is likelier a class than a count; the advice names the other reading too.)
    public static let classIndexLimit = 20

    /// The number of classes, for text or class indices.
    public var classCount: Int? {
        switch self {
        case let .classNames(count), let .classIndices(count): count
        case .numbers: nil
        }
    }

    var isBinary: Bool { (classCount ?? 3) <= 2 }
}
