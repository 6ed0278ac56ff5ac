// Which outputs each column of a record feeds, laid out for a fast lookup per field.

import DLPreprocessing

struct ColumnPlan {
    enum Target {
        case feature(slot: Int)
        /// A feature column of a preprocessed table, gathered raw as `rawReadings[slot]` says.
        case rawFeature(slot: Int)
        case numberLabel(list: Int)
        /// Class names, or with `allowsEmpty` any text (a column read as the file has it).
        case classLabel(table: Int, allowsEmpty: Bool)
    }

    enum LabelKind {
        case numbers
        case classes
        /// Text whatever the cells hold, empty ones included (gathered like classes).
        case text
    }

    /// Where a requested label column's values are gathered.
    enum LabelSource {
        case numbers(list: Int)
        case classes(table: Int)
    }

    let columnCount: Int
    let featureCount: Int
    /// The raw feature columns' file indices and how each is read, in the job's feature order.
    let rawColumns: [Int]
    let rawReadings: [RawReading]
    let numberLabelCount: Int
    let classLabelCount: Int
    /// Column c feeds targets[targetStart[c] ..< targetStart[c + 1]]; an empty range means the
    /// column is skipped without looking at its value. A column may feed several targets.
    let targetStart: [Int]
    let targets: [Target]
    /// Whether column c feeds a feature or a numeric label, so its value must be parsed.
    let parsesNumber: [Bool]
    /// The feature slot of column c when the column feeds that one feature and nothing else,
    /// the common cell that the record loop handles without going through `targets`.
    let soleFeatureSlot: [Int?]
    /// One per requested label column, in request order.
    let labelSources: [LabelSource]

    /// `features` (read as numbers), `raw` (feature columns read raw) and `labels` hold column
    /// indices below `columnCount`.
    init(
        columnCount: Int, features: [Int], raw: [(column: Int, reading: RawReading)] = [],
        labels: [(column: Int, kind: LabelKind)]
    ) {
        var targetsOfColumn = [[Target]](repeating: [], count: columnCount)
        for (slot, column) in features.enumerated() {
            targetsOfColumn[column].append(.feature(slot: slot))
        }
        for (slot, column) in raw.enumerated() {
            targetsOfColumn[column.column].append(.rawFeature(slot: slot))
        }
        var numberLabelCount = 0
        var classLabelCount = 0
        var labelSources: [LabelSource] = []
        for label in labels {
            switch label.kind {
            case .numbers:
                targetsOfColumn[label.column].append(.numberLabel(list: numberLabelCount))
                labelSources.append(.numbers(list: numberLabelCount))
                numberLabelCount += 1
            case .classes, .text:
                targetsOfColumn[label.column].append(.classLabel(table: classLabelCount, allowsEmpty: label.kind == .text))
                labelSources.append(.classes(table: classLabelCount))
                classLabelCount += 1
            }
        }
        var targetStart = [0]
        for columnTargets in targetsOfColumn {
            targetStart.append(targetStart[targetStart.count - 1] + columnTargets.count)
        }
        self.columnCount = columnCount
        self.featureCount = features.count
        rawColumns = raw.map(\.column)
        rawReadings = raw.map(\.reading)
        self.numberLabelCount = numberLabelCount
        self.classLabelCount = classLabelCount
        self.targetStart = targetStart
        self.targets = targetsOfColumn.flatMap { $0 }
        self.parsesNumber = targetsOfColumn.map { columnTargets in
            columnTargets.contains { target in
                switch target {
                case .feature, .numberLabel: return true
                case .rawFeature(let slot): return raw[slot].reading == .numberOrText
                case .classLabel: return false
                }
            }
        }
        self.soleFeatureSlot = targetsOfColumn.map { columnTargets in
            guard columnTargets.count == 1, case .feature(let slot) = columnTargets[0] else { return nil }
            return slot
        }
        self.labelSources = labelSources
    }
}
