// What a run says first about a table it preprocesses: the type of every feature column, given or
// inferred from the data, so that nothing is typed silently:
//
//     Features: species string_categorical (inferred), island string_categorical (inferred),
//       bill_length_mm float (inferred), year integer_categorical:output_mode=int
//
// and with --verbose 2 what each column becomes, a line per column. The same as typed values, for
// an observer (and a test) to read. A table of numbers without gaps has no preprocessing and no note.

import DLPreprocessing

public struct FeatureTypesNote: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let type: FeatureType
        /// Whether the type was inferred from the data rather than given.
        public let inferred: Bool
        /// How many model inputs the column becomes, its missing indicator not counted.
        public let inputs: Int
        /// Categorical kinds: the vocabulary's size, out-of-vocabulary indices not counted.
        public let vocabularySize: Int?
        /// Whether a 0/1 input says the cell was missing.
        public let indicator: Bool
    }

    /// The feature columns in the job's feature order.
    public let columns: [Entry]
    /// The crosses' names (Keras's: `island_X_sex`).
    public let crosses: [String]
    /// The model's inputs.
    public let inputs: Int

    public init(_ preprocessing: Preprocessing) {
        columns = preprocessing.columns.map { column in
            Entry(
                name: column.name, type: column.type, inferred: column.inferred, inputs: column.outputWidth,
                vocabularySize: column.vocabulary?.count ?? column.integerVocabulary?.count, indicator: column.indicator)
        }
        crosses = preprocessing.crosses.map(\.cross.name)
        inputs = preprocessing.outputWidth
    }

    /// The note: a compact block, or with `verbose` 2 a line per column.
    public func text(verbose: Int) -> String {
        if verbose >= 2 {
            let width = columns.map(\.name.count).max() ?? 0
            let lines = columns.map { column in
                "  " + column.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + column.typeText
                    + " -> " + column.becomes
            }
            let crossLines = crosses.isEmpty ? [] : ["  crosses: " + crosses.joined(separator: ", ")]
            return (["Features: \(columns.count) columns -> \(inputs) inputs"] + lines + crossLines).joined(separator: "\n")
        }
        let items = columns.map { "\($0.name) \($0.typeText)" } + (crosses.isEmpty ? [] : ["crosses " + crosses.joined(separator: ", ")])
        return Self.wrapped(items, first: "Features: ")
    }

    /// Items joined by `, ` in lines of at most `lineWidth` characters (an item longer than that
    /// on a line of its own), the lines after the first indented.
    static func wrapped(_ items: [String], first: String) -> String {
        var lines: [String] = []
        var line = first, lineHasItem = false
        for (index, item) in items.enumerated() {
            let piece = item + (index + 1 < items.count ? "," : "")
            if lineHasItem && line.count + 1 + piece.count > lineWidth {
                lines.append(line)
                line = indent + piece
            } else {
                line += (lineHasItem ? " " : "") + piece
            }
            lineHasItem = true
        }
        return (lines + [line]).joined(separator: "\n")
    }

    static let lineWidth = 100
    static let indent = "  "
}

extension FeatureTypesNote.Entry {
    /// The type as --feature-types writes it, and whether the data chose it.
    var typeText: String { type.text + (inferred ? " (inferred)" : "") }

    /// What the column becomes: `4 inputs (3 values + 1 out-of-vocabulary)`.
    var becomes: String {
        var text = "\(inputs) input\(inputs == 1 ? "" : "s")"
        if let vocabularySize {
            let unknown = type.numOOVIndices ?? 1
            text += " (\(vocabularySize) value\(vocabularySize == 1 ? "" : "s") + \(unknown) out-of-vocabulary"
                + (type.outputMode == .int ? ", as one index)" : ")")
        } else if let bins = type.numBins {
            text += " (\(bins) \(type.kind == .floatDiscretized ? "bins" : "hash buckets")"
                + (type.outputMode == .int ? ", as one index)" : ")")
        }
        if indicator { text += " + 1 missing indicator" }
        return text
    }
}
