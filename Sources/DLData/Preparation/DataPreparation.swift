// From a CSV file and a job's data settings to validated training and validation rows.
//
// Order matters and follows Keras: the validation rows are the last fraction of the file's rows,
// taken before any shuffling; standardization is fitted on the training rows only and then applied
// to both parts.

import DLCore
import DLPreprocessing

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
    /// How the feature columns are typed and preprocessed.
    public var preprocessing: PreprocessingSettings
    /// The column whose numbers weigh each row's loss (Keras's sample_weight); not a feature.
    public var sampleWeightColumn: ColumnReference?

    public init(
        path: String, csv: CSVOptions = CSVOptions(), labelColumns: [ColumnReference]? = nil,
        featureColumns: [ColumnReference]? = nil, validationSplit: Double = 0, standardize: Bool = false,
        preprocessing: PreprocessingSettings = PreprocessingSettings(), sampleWeightColumn: ColumnReference? = nil
    ) {
        self.path = path
        self.csv = csv
        self.labelColumns = labelColumns
        self.featureColumns = featureColumns
        self.validationSplit = validationSplit
        self.standardize = standardize
        self.preprocessing = preprocessing
        self.sampleWeightColumn = sampleWeightColumn
    }
}

/// The rows a job trains and validates on, as float32 tables: the features, or for a preprocessed
/// table its codes (`DataDescription.rowWidth` per row; `DataDescription.expand` makes them inputs).
public struct PreparedRows: Sendable {
    public var training: TabularRows
    public var validation: TabularRows?
}

public enum DataPreparation {
    /// Reads and validates the data for the output layer and loss `request` names (`auto`
    /// resolved from the labels): the description of the data, and its rows, reading the file
    /// `chunkSize` bytes at a time. A table of numbers whose job asks for no preprocessing is parsed
    /// once into the tables that hold it; any other table (words, gaps, types given) is described,
    /// then coded a chunk at a time into tables of its preprocessing's codes (`preparePreprocessed`),
    /// which the shard runner expands into the model's inputs a batch at a time.
    public static func prepare(
        _ settings: DataSettings, head request: HeadRequest, chunkSize: Int = CSVDocument.defaultChunkSize
    ) throws -> (data: DataDescription, rows: PreparedRows) {
        if settings.preprocessing.asksNothing,
            let prepared = try prepareNumbers(settings, head: request, chunkSize: chunkSize, unlessPreprocessed: true)
        {
            return prepared
        }
        return try preparePreprocessed(settings, head: request, chunkSize: chunkSize)
    }

    /// A table of numbers parsed once into the tables that hold its rows; nil, when
    /// `unlessPreprocessed`, for a table that is not all numbers (a word or a gap in a feature
    /// column; NaN is a gap unless --allow-non-finite lets it in as a value), which needs a
    /// preprocessing.
    static func prepareNumbers(
        _ settings: DataSettings, head request: HeadRequest, chunkSize: Int, unlessPreprocessed: Bool
    ) throws -> (data: DataDescription, rows: PreparedRows)? {
        let columns = try ResolvedColumns(settings, chunkSize: chunkSize)
        var parsed: CSVColumns
        do {
            parsed = try columns.document.read(features: columns.features, labels: columns.readLabels)
        } catch let error as DataError where unlessPreprocessed && error.isAboutAFeatureCell(columns.features) {
            return nil
        } catch {
            throw columns.advisor.advise(columns.aboutWeights(error))
        }
        let (labels, weights) = try columns.splitWeights(parsed.labels, lineNumbers: parsed.lineNumbers)
        var survey = columns.emptySurvey()
        survey.add(labels, lineNumbers: parsed.lineNumbers)
        let head = try request.resolve(survey, path: settings.path)
        let labelKind = try head.labelKind(labelColumns: columns.labels.count)
        let encoder = columns.encoder(head, kind: labelKind, lineNumbers: parsed.lineNumbers)
        let (targets, classes) = try columns.advising { try encoder.encode(labels, rowCount: parsed.rowCount) }
        let nonFinite = settings.csv.allowNonFinite
            ? NonFiniteCell.first(
                features: parsed.features, featureColumns: columns.features, lineNumbers: parsed.lineNumbers,
                survey: survey, path: settings.path, columnNames: columns.document.columnNames)
            : nil

        // The parsed features are the training rows' storage: taken out of `parsed` so that the
        // split and the standardization below change them in place, with no copy of the table.
        let targetWidth = head.loss.targetWidth(outputs: head.output.units)
        var training = TabularRows(
            featureCount: columns.features.count, targetWidth: targetWidth + (weights == nil ? 0 : 1),
            features: parsed.takeFeatures(), targets: SampleWeights.appending(weights, to: targets, width: targetWidth))
        var validation: TabularRows?
        let rowCount = training.count, splitAt = try trainingCount(of: rowCount, split: settings.validationSplit)
        if splitAt < rowCount {
            validation = training.slice(splitAt..<rowCount)
            training.removeRows(from: splitAt)
        }
        var standardization: Standardization?
        if settings.standardize {
            let fitted = try Standardization(fittedTo: training, columns: columns, nonFinite: nonFinite)
            fitted.apply(to: &training)
            if validation != nil { fitted.apply(to: &validation!) }
            standardization = fitted
        }
        let classesByColumn: [[String]?] = labels.map { column in
            if case let .classes(_, names) = column { return names } else { return nil }
        }
        let data = DataDescription(
            columns: columns, settings: settings, head: head, headRequest: request, labelKind: labelKind,
            trainingCount: splitAt, validationCount: rowCount - splitAt, classes: classes, classesByColumn: classesByColumn,
            standardization: standardization, nonFiniteCell: nonFinite, fingerprint: parsed.fingerprint)
        return (data, PreparedRows(training: training, validation: validation))
    }

    /// How many of `rowCount` rows are trained on: Keras's split_at = floor(n * (1 - validation_split)),
    /// both parts non-empty.
    static func trainingCount(of rowCount: Int, split: Double) throws -> Int {
        guard split > 0 else { return rowCount }
        let splitAt = Int((Double(rowCount) * (1 - split)).rounded(.down))
        guard splitAt > 0, splitAt < rowCount else { throw DataError.badValidationSplit(split, rows: rowCount) }
        return splitAt
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
    /// Per label column, the classes in index order that class names are encoded through,
    /// instead of the names the rows at hand hold (sorted); a name outside them is an error. A
    /// trained model's classes, or those of a whole file whose rows come a chunk at a time.
    var knownClasses: [[String]?]? = nil

    func encode(_ labels: [LabelColumn], rowCount: Int) throws -> (targets: [Float], classes: [String]?) {
        let width = loss.targetWidth(outputs: outputs)
        var targets = [Float](repeating: 0, count: rowCount * width)
        var classes: [String]?
        for (position, column) in labels.enumerated() {
            let values: [Float]
            switch column {
            case let .numbers(numbers):
                values = numbers
            case let .classes(codes, names) where knownClasses?[position] != nil:
                let known = knownClasses![position]!
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
                values = codes.map(Float.init)
            }
            for row in 0..<rowCount {
                let value = values[row]
                try check(value, row: row, position: position)
                switch kind {
                case .values: targets[row * width + position] = value
                case .classIndex: targets[row] = value
                case .oneHot: targets[row * width + Int(value)] = 1
                }
            }
        }
        return (targets, classes)
    }

    /// Refuses a target the loss cannot take: in training the head was checked against every
    /// label first (OutputHead), so this guards the encoding itself, and a trained model's labels.
    private func check(_ value: Float, row: Int, position: Int) throws {
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
