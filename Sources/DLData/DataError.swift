// The data layer's one error type. Every message names the file and, where it applies,
// the 1-based line and the 0-based column (as typed on the command line), so a user can
// go straight to the offending cell.

import DLPreprocessing

public enum DataError: Error, Equatable, CustomStringConvertible {
    /// Nothing exists at `path`.
    case fileNotFound(path: String)
    /// `path` exists but cannot be read (a directory, no permission, an I/O error); `reason` is the system's text.
    case unreadable(path: String, reason: String)
    /// `path` is not a regular file: a device (/dev/zero never ends), a pipe or a socket, which
    /// cannot be read twice alike (a job reads its data more than once); `kind` says which.
    case notARegularFile(path: String, kind: String)
    /// The file is not the one read before: it changed while it was read, or between two reads
    /// that must see the same bytes (the row count and the data, or a re-read for a new owner).
    case fileChanged(path: String, detail: String)
    /// The file holds no data rows: it is empty, blank, or holds only a header.
    case emptyFile(path: String)
    /// A feature cell is not a decimal number; `found` is the cell's text, cut to about 40 characters.
    case notANumber(path: String, line: Int, column: Int, columnName: String?, found: String)
    /// A record has `found` fields where the first record had `expected`.
    case wrongFieldCount(path: String, line: Int, expected: Int, found: Int)
    /// A cell is NaN, infinite, or beyond the 32-bit float range, and the options do not allow that.
    case nonFinite(path: String, line: Int, column: Int, columnName: String?, found: String)
    /// A quote opened on `line` is not closed on that line (line breaks inside quotes are not supported).
    case unterminatedQuote(path: String, line: Int)
    /// A quoted field has text between its closing quote and the next delimiter, as in `"ab"c`.
    case textAfterClosingQuote(path: String, line: Int, column: Int, found: String)
    /// No header field is called `name`; `available` lists the header's names (empty without a header).
    case unknownColumn(path: String, name: String, available: [String])
    /// Column `index` was asked for, but records have only `columnCount` fields.
    case columnOutOfRange(path: String, index: Int, columnCount: Int)
    /// A label column whose first data row (`firstDataLine`) holds a number has text on `line`.
    case mixedLabelColumn(
        path: String, line: Int, column: Int, columnName: String?, found: String, firstDataLine: Int)
    /// A text label column's cell on `line` is empty: a row without a label.
    case emptyLabel(path: String, line: Int, column: Int, columnName: String?)
    /// A label value the loss cannot train on, such as 2 for binary_crossentropy or 4.5 as a class index.
    case labelOutOfRange(path: String, line: Int, column: Int, name: String?, found: Float, expected: String)
    /// A class name a trained model does not know (evaluating it on new data).
    case unknownClass(path: String, line: Int, column: Int, name: String?, found: String, known: [String])
    /// A feature column that --standardize cannot fit: it holds NaN or an infinity (let in by
    /// --allow-non-finite), the first of which is `firstNonFinite` when known.
    case cannotStandardize(path: String, column: Int, name: String?, firstNonFinite: NonFiniteCell?)
    /// A label the output layer and the loss cannot represent, with the flags that fit.
    case headDoesNotFitLabel(HeadMismatch)
    /// The number of label columns does not fit the number of model outputs and the loss.
    case labelsDoNotFitOutputs(labelColumns: Int, outputs: Int, loss: String)
    /// One column was chosen both as a feature and as a label.
    case columnIsFeatureAndLabel(path: String, column: Int, name: String?)
    /// The sample weight column was also chosen as a feature or a label (`role`).
    case sampleWeightColumnReused(path: String, column: Int, name: String?, role: String)
    /// A cell of the sample weight column that is not a finite number of 0 or more (a word, a gap,
    /// NaN, a negative number); `found` is the cell's text.
    case badSampleWeight(path: String, line: Int, column: Int, name: String?, found: String)
    /// No feature columns remain after taking the label column(s).
    case noFeatureColumns(path: String)
    /// The label column list is empty.
    case noLabelColumns(path: String)
    /// A validation split outside [0, 1), or one that leaves no training or no validation rows.
    case badValidationSplit(Double, rows: Int?)
    /// A gzip-compressed file whose compressed data is damaged, cut short, or followed by bytes
    /// that are not gzip; `line` is the line of its text being inflated when that was found.
    case damagedCompressedFile(path: String, line: Int, detail: String)
    /// The file is in a form dltrain does not read as CSV (another compression, a spreadsheet, UTF-16 text).
    case unreadableFormat(path: String, UnreadableFormat)
    /// A feature column that its preprocessing cannot take (a word in a numeric column, a vocabulary
    /// over its bound, a column missing in every training row) or preprocessing settings that do not
    /// fit the file's columns; the error says where and what to do.
    case preprocessing(PreprocessingError)
    /// An error in the data with advice about its likely cause, which the file shows.
    indirect case advised(DataError, DataAdvice)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file; check the path"
        case .unreadable(let path, let reason):
            return "\(path): cannot read the file: \(reason)"
        case .notARegularFile(let path, let kind):
            return "\(path): not a regular file but \(kind); the data must be a file (a job reads it more than once): "
                + "copy it into one"
        case .fileChanged(let path, let detail):
            return "\(path): the file changed: \(detail); leave it unchanged while a job uses it"
        case .emptyFile(let path):
            return "\(path): no data rows (the file is empty or holds only a header)"
        case .notANumber(let path, let line, let column, let columnName, let found):
            return "\(Self.place(path, line, column, columnName)): expected a number, found \(Self.cell(found))"
        case .wrongFieldCount(let path, let line, let expected, let found):
            return "\(path):\(line): expected \(expected) fields like the first record, found \(found)"
        case .nonFinite(let path, let line, let column, let columnName, let found):
            return "\(Self.place(path, line, column, columnName)): \(Self.quoted(found)) is not a finite "
                + "32-bit float (NaN, infinity, or beyond ±3.4e38) and non-finite values are not allowed"
        case .unterminatedQuote(let path, let line):
            return "\(path):\(line): a quoted field is not closed on this line "
                + "(line breaks inside quoted fields are not supported)"
        case .textAfterClosingQuote(let path, let line, let column, let found):
            return "\(path):\(line): column \(column): text after the closing quote in \(Self.quoted(found)); "
                + "write a quote inside a quoted field as \"\""
        case .unknownColumn(let path, let name, let available):
            if available.isEmpty {
                return "\(path): no column named \(Self.quoted(name)): the file has no header row, "
                    + "so give columns by 0-based index"
            }
            return "\(path): no column named \(Self.quoted(name)); the header has "
                + available.map(Self.quoted).joined(separator: ", ")
        case .columnOutOfRange(let path, let index, let columnCount):
            return "\(path): column \(index) does not exist; records have \(columnCount) fields, "
                + "so columns are 0...\(columnCount - 1)"
        case .mixedLabelColumn(let path, let line, let column, let columnName, let found, let firstDataLine):
            return "\(Self.place(path, line, column, columnName)): label column mixes numbers and text: "
                + "line \(firstDataLine) holds a number, this line holds \(Self.cell(found))"
        case .emptyLabel(let path, let line, let column, let columnName):
            return "\(Self.place(path, line, column, columnName)): the label is empty"
        case .labelOutOfRange(let path, let line, let column, let name, let found, let expected):
            return "\(Self.place(path, line, column, name)): label \(found) is out of range: expected \(expected)"
        case .unknownClass(let path, let line, let column, let name, let found, let known):
            return "\(Self.place(path, line, column, name)): class \(Self.quoted(found)) is not one the model was trained on "
                + "(\(known.map(Self.quoted).joined(separator: ", ")))"
        case .cannotStandardize(let path, let column, let name, let first):
            return "\(path): column \(column)\(name.map { " (\(Self.quoted($0)))" } ?? ""): --standardize cannot fit a "
                + "column that holds NaN or infinite values, which --allow-non-finite let in"
                + (first.map { " (the first: line \($0.line), \($0.value))" } ?? "")
                + "; remove or replace them, leave the column out with --features, or train without --standardize"
        case .headDoesNotFitLabel(let mismatch):
            return mismatch.description
        case .labelsDoNotFitOutputs(let labelColumns, let outputs, let loss):
            return "\(labelColumns) label column(s) do not fit a model with \(outputs) output(s) and \(loss): "
                + "give one label column per output, or one class column for a softmax output"
        case .columnIsFeatureAndLabel(let path, let column, let name):
            return "\(path): column \(column)\(name.map { " (\(Self.quoted($0)))" } ?? "") is both a feature and a label"
        case .sampleWeightColumnReused(let path, let column, let name, let role):
            return "\(path): column \(column)\(name.map { " (\(Self.quoted($0)))" } ?? "") is the sample weight column and "
                + "also a \(role); a row's weight is not one of its \(role)s: leave it out of the \(role) columns"
        case .badSampleWeight(let path, let line, let column, let name, let found):
            return "\(Self.place(path, line, column, name)): the sample weight column holds \(Self.cell(found)): "
                + "each row's weight must be a finite number, 0 or more (Keras's sample_weight); fix the cell, or "
                + "name another column with --sample-weight-column"
        case .noFeatureColumns(let path):
            return "\(path): no feature columns are left after the label column(s)"
        case .noLabelColumns(let path):
            return "\(path): the list of label columns is empty; name at least one (or give none, for the last column)"
        case .badValidationSplit(let split, let rows):
            guard let rows else { return "validation split \(split) must be at least 0 and below 1" }
            return "validation split \(split) of \(rows) rows leaves no training or no validation rows"
        case .damagedCompressedFile(let path, let line, let detail):
            return "\(path):\(line): \(detail); copy or compress the file again"
        case .unreadableFormat(let path, let format):
            return "\(path): \(format)"
        case .preprocessing(let error):
            return error.description
        case .advised(let error, let advice):
            return "\(error); \(advice)"
        }
    }

    private static func place(_ path: String, _ line: Int, _ column: Int, _ columnName: String?) -> String {
        guard let columnName else { return "\(path):\(line): column \(column)" }
        return "\(path):\(line): column \(column) (\(quoted(columnName)))"
    }

    private static func quoted(_ text: String) -> String {
        "\"\(text)\""
    }

    private static func cell(_ text: String) -> String {
        text.isEmpty ? "an empty field" : quoted(text)
    }
}

extension DataError {
    /// The error without its advice.
    public var withoutAdvice: DataError {
        if case let .advised(error, _) = self { return error }
        return self
    }

    /// The advice attached to the error, if any.
    public var advice: DataAdvice? {
        if case let .advised(_, advice) = self { return advice }
        return nil
    }

    /// Longest cell text, in characters, quoted in a message; longer text is cut and marked with "…".
    static let excerptLength = 40

    /// Cell bytes as message text: invalid UTF-8 is replaced, long text is cut.
    static func excerpt<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.count > excerptLength else { return text }
        return String(text.prefix(excerptLength)) + "…"
    }
}

extension DataError {
    /// `body`'s result, a preprocessing error thrown as the data error that carries it.
    static func preprocessing<Result>(_ body: () throws(PreprocessingError) -> Result) throws(DataError) -> Result {
        do {
            return try body()
        } catch {
            throw DataError.preprocessing(error)
        }
    }
}
