// From a CSV file and a job's data settings to validated training and validation rows.
//
// Order matters and follows Keras: the validation rows are the last fraction of the file's rows,
// taken before any shuffling; standardization is fitted on the training rows only and then applied
// to both parts.

import DLCore

/// What a job says about its data.
public struct DataSettings: Sendable, Equatable {
    public var path: String
    public var csv: CSVOptions
    /// The label column(s); the last column when nil.
    public var labelColumns: [ColumnReference]?
    /// The feature columns; every column that is not a label when nil.
    public var featureColumns: [ColumnReference]?
    /// The fraction of rows, taken from the end, held out for validation (0 for none).
    public var validationSplit: Double
    public var standardize: Bool

    public init(
        path: String, csv: CSVOptions = CSVOptions(), labelColumns: [ColumnReference]? = nil,
        featureColumns: [ColumnReference]? = nil, validationSplit: Double = 0, standardize: Bool = false
    ) {
        self.path = path
        self.csv = csv
        self.labelColumns = labelColumns
        self.featureColumns = featureColumns
        self.validationSplit = validationSplit
        self.standardize = standardize
    }
}

/// The rows a job trains and validates on, and everything needed to encode new rows the same way.
public struct PreparedData: Sendable {
    public var training: TabularRows
    public var validation: TabularRows?
    public let featureNames: [String]
    public let labels: LabelEncoding
    public let standardization: Standardization?
    /// What identifies the file's content.
    public let fingerprint: DataFingerprint
}

public enum DataPreparation {
    /// Reads and validates the data for a model with `outputs` output units trained with `loss`.
    public static func prepare(_ settings: DataSettings, loss: Loss, outputs: Int) throws -> PreparedData {
        guard settings.validationSplit >= 0, settings.validationSplit < 1 else {
            throw DataError.badValidationSplit(settings.validationSplit, rows: nil)
        }
        let document = try CSVDocument.open(path: settings.path, options: settings.csv)
        let labelIndices = try (settings.labelColumns ?? [.index(document.columnCount - 1)]).map(document.resolve)
        let featureIndices = try settings.featureColumns.map { try $0.map(document.resolve) }
            ?? (0..<document.columnCount).filter { !labelIndices.contains($0) }
        if let both = featureIndices.first(where: labelIndices.contains) {
            throw DataError.columnIsFeatureAndLabel(path: settings.path, column: both, name: document.columnNames?[both])
        }
        guard !featureIndices.isEmpty else { throw DataError.noFeatureColumns(path: settings.path) }
        guard let kind = LabelEncoding.kind(labelColumns: labelIndices.count, outputs: outputs, loss: loss) else {
            throw DataError.labelsDoNotFitOutputs(labelColumns: labelIndices.count, outputs: outputs, loss: loss.rawValue)
        }

        let columns = try document.read(features: featureIndices, labels: labelIndices)
        func name(_ index: Int) -> String { document.columnNames?[index] ?? "column \(index)" }
        let encoder = TargetEncoder(
            path: settings.path, kind: kind, loss: loss, outputs: outputs, columnNames: document.columnNames,
            labelIndices: labelIndices, lineNumbers: columns.lineNumbers)
        let (targets, classes) = try encoder.encode(columns.labels, rowCount: columns.rowCount)

        let all = TabularRows(
            featureCount: featureIndices.count, targetWidth: loss.targetWidth(outputs: outputs),
            features: columns.features, targets: targets)
        var training = all, validation: TabularRows?
        if settings.validationSplit > 0 {
            // Keras: split_at = floor(n * (1 - validation_split)), both parts non-empty.
            let splitAt = Int((Double(all.count) * (1 - settings.validationSplit)).rounded(.down))
            guard splitAt > 0, splitAt < all.count else {
                throw DataError.badValidationSplit(settings.validationSplit, rows: all.count)
            }
            training = all.slice(0..<splitAt)
            validation = all.slice(splitAt..<all.count)
        }
        var standardization: Standardization?
        if settings.standardize {
            let fitted = Standardization(fittedTo: training)
            fitted.apply(to: &training)
            if validation != nil { fitted.apply(to: &validation!) }
            standardization = fitted
        }
        return PreparedData(
            training: training, validation: validation, featureNames: featureIndices.map(name),
            labels: LabelEncoding(kind: kind, columns: labelIndices.map(name), classes: classes),
            standardization: standardization, fingerprint: document.fingerprint)
    }
}

/// Turns parsed label columns into target rows, checking each label against what the loss accepts.
struct TargetEncoder {
    let path: String
    let kind: LabelEncoding.Kind
    let loss: Loss
    let outputs: Int
    let columnNames: [String]?
    let labelIndices: [Int]
    let lineNumbers: [Int32]
    /// A trained model's classes in index order: class names are encoded through them, not
    /// through the file's own (sorted) table, and a name outside them is an error.
    var knownClasses: [String]? = nil

    func encode(_ labels: [LabelColumn], rowCount: Int) throws -> (targets: [Float], classes: [String]?) {
        let width = loss.targetWidth(outputs: outputs)
        var targets = [Float](repeating: 0, count: rowCount * width)
        var classes: [String]?
        for (position, column) in labels.enumerated() {
            let values: [Float]
            switch column {
            case let .numbers(numbers):
                values = numbers
            case let .classes(codes, names) where knownClasses != nil:
                let known = knownClasses!
                let mapped = names.map { known.firstIndex(of: $0) }
                if let unknown = mapped.firstIndex(of: nil), let row = codes.firstIndex(of: Int32(unknown)) {
                    throw DataError.unknownClass(
                        path: path, line: Int(lineNumbers[row]), column: labelIndices[position],
                        name: columnNames?[labelIndices[position]], found: names[unknown], known: known)
                }
                classes = known
                values = codes.map { Float(mapped[Int($0)]!) }
            case let .classes(codes, names):
                classes = names
                if kind != .values || loss == .binaryCrossentropy, names.count > classLimit {
                    throw DataError.tooManyClasses(
                        path: path, column: labelIndices[position], name: columnNames?[labelIndices[position]],
                        classes: names, limit: classLimit, loss: loss.rawValue)
                }
                values = codes.map(Float.init)
            }
            for row in 0..<rowCount {
                let value = values[row]
                try check(value, row: row, position: position, isClassName: classes != nil)
                switch kind {
                case .values: targets[row * width + position] = value
                case .classIndex: targets[row] = value
                case .oneHot: targets[row * width + Int(value)] = 1
                }
            }
        }
        return (targets, classes)
    }

    /// The most classes the model can represent.
    private var classLimit: Int { loss == .binaryCrossentropy && kind == .values ? 2 : outputs }

    private func check(_ value: Float, row: Int, position: Int, isClassName: Bool) throws {
        if isClassName { return }  // codes were range-checked against classLimit above
        let expected: String
        switch (kind, loss) {
        case (.classIndex, _), (.oneHot, _):
            if value.rounded() == value && value >= 0 && value < Float(outputs) { return }
            expected = "a class index from 0 to \(outputs - 1)"
        case (.values, .binaryCrossentropy):
            if value >= 0 && value <= 1 { return }
            expected = "a value from 0 to 1 for binary_crossentropy"
        default:
            return
        }
        throw DataError.labelOutOfRange(
            path: path, line: Int(lineNumbers[row]), column: labelIndices[position],
            name: columnNames?[labelIndices[position]], found: value, expected: expected)
    }
}
