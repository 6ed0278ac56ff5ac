// What a run says first about a table it preprocesses: the type of every feature column, given or
// inferred from the data, so that nothing is typed silently:
//
//     Features: island string_categorical (inferred), bill_length_mm float (inferred),
//       sex string_categorical (inferred), year integer_categorical:output_mode=int
//
// and with --verbose 2 a line per column with what it becomes, as `dlmodel summary` says it
// (InputColumn). The same as typed values, for an observer (and a test) to read. A table of numbers
// without gaps has no preprocessing and gets no note.

import DLPreprocessing

public struct FeatureTypesNote: Sendable, Equatable {
    /// The feature columns in the job's feature order.
    public let columns: [InputColumn]
    public let crosses: [InputCross]
    /// The model's inputs.
    public let inputs: Int

    public init(_ preprocessing: Preprocessing) {
        columns = preprocessing.columns.map(InputColumn.init)
        crosses = preprocessing.crosses.map(InputCross.init)
        inputs = preprocessing.outputWidth
    }

    /// The note: a compact block, or with `verbose` 2 a line per column and cross.
    public func text(verbose: Int) -> String {
        if verbose >= 2 {
            let lines = columns.map { "  " + $0.line } + crosses.map { "  " + $0.line }
            return (["Features: \(columns.count) columns -> \(inputs) inputs"] + lines).joined(separator: "\n")
        }
        let items = columns.map { "\($0.name) \($0.declared)" + ($0.inferred ? " (inferred)" : "") }
            + crosses.map { "\($0.name) (cross)" }
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
