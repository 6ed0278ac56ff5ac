// The model's output layer and its loss, as they meet the label: chosen from what the label holds
// where the job says `auto`, and refused, before any step is trained, where they cannot represent it
// (ten text classes on one sigmoid unit, a price on a sigmoid, a softmax over one unit), with the
// exact flags that fit. The choice and the advice follow one rule: two classes take one sigmoid unit
// and binary cross-entropy, K classes K softmax units and sparse categorical cross-entropy, any other
// number one linear unit and mean squared error (reported with mean absolute error).

import DLCore

/// The output layer and loss a job asks for, each given or left to the label (`auto`).
public struct HeadRequest: Sendable, Equatable {
    /// The output layer; nil for `auto`.
    public var output: DenseSpec?
    /// The loss; nil for `auto`.
    public var loss: Loss?
    /// The layers before the output as a layer list writes them, for advice that names the flag.
    public var hiddenLayers: String

    public init(output: DenseSpec?, loss: Loss?, hiddenLayers: String) {
        self.output = output
        self.loss = loss
        self.hiddenLayers = hiddenLayers
    }

    /// Whether the label must be surveyed before the head is known.
    public var isAuto: Bool { given == nil }

    /// The head, when the job gives both its output layer and its loss.
    var given: OutputHead? {
        guard let output, let loss else { return nil }
        return OutputHead(output: output, loss: loss)
    }
}

/// The output layer and loss a job trains with.
public struct OutputHead: Sendable, Equatable {
    public let output: DenseSpec
    public let loss: Loss
    /// What `auto` chose, for the run's first lines; nil when the job gave both.
    public let choice: Choice?

    public struct Choice: Sendable, Equatable {
        /// What was chosen and from what, e.g. `3:softmax and sparse_categorical_crossentropy for
        /// "species" (3 classes)`.
        public let summary: String
        /// Whether the label is a quantity (a regression), for which `mae` is the metric to report.
        public let isRegression: Bool
    }

    public init(output: DenseSpec, loss: Loss, choice: Choice? = nil) {
        self.output = output
        self.loss = loss
        self.choice = choice
    }
}

extension HeadRequest {
    /// The head the request names, `auto` resolved from `survey`, checked against it.
    func resolve(_ survey: LabelSurvey, path: String) throws -> OutputHead {
        let natural = NaturalHead(survey)
        let output = self.output ?? natural.output(for: loss, survey)
        let loss = self.loss ?? natural.loss(for: output, survey)
        var choice: OutputHead.Choice?
        if isAuto {
            let label = survey.columns.map(\.label).joined(separator: ", ")
            choice = OutputHead.Choice(
                summary: "\(output.text) and \(loss.rawValue) for \(label) (\(survey.columns.map(\.holdings).joined(separator: "; ")))",
                isRegression: !loss.isClassification && survey.columns.contains { $0.nature == .numbers })
        }
        let head = OutputHead(output: output, loss: loss, choice: choice)
        try head.check(survey, path: path, advice: natural.advice(hiddenLayers))
        return head
    }
}

/// The head the rule above gives a label: what `auto` chooses and what a refusal advises.
private struct NaturalHead {
    let output: DenseSpec
    let loss: Loss
    let reportsMAE: Bool

    init(_ survey: LabelSurvey) {
        let columns = survey.columns.count
        if survey.isBinary {
            (output, loss, reportsMAE) = (DenseSpec(units: columns, activation: .sigmoid), .binaryCrossentropy, false)
        } else if columns == 1, let classes = survey.columns[0].nature.classCount {
            (output, loss, reportsMAE) = (DenseSpec(units: classes, activation: .softmax), .sparseCategoricalCrossentropy, false)
        } else {
            (output, loss, reportsMAE) = (DenseSpec(units: columns, activation: .linear), .meanSquaredError, true)
        }
    }

    /// The output layer `auto` gives for a loss the job names (nil: `auto` too).
    func output(for loss: Loss?, _ survey: LabelSurvey) -> DenseSpec {
        switch loss {
        case nil, .meanSquaredError, .meanAbsoluteError:
            return output
        case .binaryCrossentropy:
            return DenseSpec(units: survey.columns.count, activation: .sigmoid)
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            // A softmax over the classes; numbers are no classes, which the check then says.
            let classes = survey.columns.count == 1 ? survey.columns[0].nature.classCount : nil
            return DenseSpec(units: max(classes ?? 1, 2), activation: .softmax)
        }
    }

    /// The loss `auto` gives for an output layer.
    func loss(for output: DenseSpec, _ survey: LabelSurvey) -> Loss {
        if output == self.output { return loss }
        switch output.activation {
        case .softmax: return survey.columns.count == 1 ? .sparseCategoricalCrossentropy : .categoricalCrossentropy
        case .sigmoid where survey.isBinary: return .binaryCrossentropy
        default: return .meanSquaredError
        }
    }

    /// The flags that give this head after `hiddenLayers`.
    func advice(_ hiddenLayers: String) -> String {
        let layers = (hiddenLayers.isEmpty ? "" : hiddenLayers + ",") + output.text
        let loss = self.loss == .meanSquaredError ? "mse" : self.loss.rawValue
        return "--layers \(layers) --loss \(loss)" + (reportsMAE ? " --metrics mae" : "")
    }
}

extension OutputHead {
    /// How `labelColumns` label columns become targets for this head; refused when their number
    /// does not fit its units.
    func labelKind(labelColumns: Int) throws -> LabelEncoding.Kind {
        guard let kind = LabelEncoding.kind(labelColumns: labelColumns, outputs: output.units, loss: loss) else {
            throw DataError.labelsDoNotFitOutputs(labelColumns: labelColumns, outputs: output.units, loss: loss.rawValue)
        }
        return kind
    }

    /// Refuses a head that cannot represent the surveyed label, naming a line that shows why and
    /// `advice`, the flags that fit.
    func check(_ survey: LabelSurvey, path: String, advice: String) throws {
        let units = output.units, activation = output.activation
        let kind = try labelKind(labelColumns: survey.columns.count)
        let head = "the output layer \(output.text) with \(loss.rawValue)"
        for column in survey.columns {
            func refuse(_ reason: String, line: Int?) -> DataError {
                .headDoesNotFitLabel(HeadMismatch(
                    path: path, line: line == 0 ? nil : line, column: column.index, columnName: column.name, holds: column.holdings,
                    head: head, reason: reason, advice: advice))
            }
            if activation == .softmax && units == 1 {
                throw refuse("a softmax over one unit always outputs 1", line: nil)
            }
            switch (kind, column.nature) {
            case let (.values, .classNames(count)) where count > 2:
                throw refuse(
                    loss == .binaryCrossentropy
                        ? "binary_crossentropy takes two classes"
                        : "one unit per label column would learn the class indices 0 to \(count - 1) as quantities",
                    line: nil)
            case (.values, .classNames):
                continue  // two classes train as 0 and 1, which every output layer can give
            case (.values, _):
                let (range, taker) = loss == .binaryCrossentropy
                    ? (0...1, "binary_crossentropy takes") : (activation.outputRange, "it gives")
                if column.minimum < range.lowerBound {
                    throw refuse("\(taker) \(range.text), not \(LabelSurvey.text(column.minimum))", line: column.minimumLine)
                }
                if column.maximum > range.upperBound {
                    throw refuse("\(taker) \(range.text), not \(LabelSurvey.text(column.maximum))", line: column.maximumLine)
                }
            case let (_, .classNames(count)) where count > units:
                throw refuse("it has \(units) units, one per class, for \(count) classes", line: nil)
            case let (_, .classIndices(count)) where count > units:
                throw refuse("it has \(units) units, one per class, for \(count) classes", line: column.maximumLine)
            case (_, .classNames), (_, .classIndices):
                continue
            case (_, .numbers):
                let line = column.fractionLine ?? (column.minimum < 0 ? column.minimumLine : column.maximumLine)
                throw refuse("it takes class indices, whole numbers from 0 to \(units - 1)", line: line)
            }
        }
    }
}

/// A label that the output layer and loss cannot represent.
public struct HeadMismatch: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    /// A line that shows the mismatch (the value out of range), where one does.
    public let line: Int?
    public let column: Int
    public let columnName: String?
    /// What the label holds: `10 classes ("a", "b", ...)`, `numbers from 0.5 to 27000`.
    public let holds: String
    public let head: String
    public let reason: String
    /// The flags that give an output layer and a loss that fit.
    public let advice: String

    public var description: String {
        let place = path + (line.map { ":\($0)" } ?? "") + ": column \(column)" + (columnName.map { " (\"\($0)\")" } ?? "")
        return "\(place): the label holds \(holds), which \(head) cannot represent: \(reason). Use \(advice), "
            + "or end --layers with auto and give --loss auto to have the output layer and the loss chosen from the label"
    }
}

extension LabelSurvey.Column {
    /// How the run's first lines and the errors name the column.
    var label: String { name.map { "\"\($0)\"" } ?? "column \(index)" }

    /// What the column holds, in words.
    var holdings: String {
        if let classes {
            let shown = classes.prefix(5).map { "\"\($0)\"" }.joined(separator: ", ") + (classes.count > 5 ? ", …" : "")
            return "\(classes.count) classes (\(shown))"
        }
        guard count > 0 else { return "no finite values" }
        switch nature {
        case let .classIndices(classes): return "the whole numbers \(LabelSurvey.text(minimum)) to \(classes - 1)"
        default: return "numbers from \(LabelSurvey.text(minimum)) to \(LabelSurvey.text(maximum))"
        }
    }
}

extension Activation {
    /// The values this activation can output, as far as a target must lie within them.
    fileprivate var outputRange: ClosedRange<Float> {
        switch self {
        case .sigmoid, .softmax: 0...1
        case .tanh: -1...1
        case .relu: 0...Float.infinity
        case .elu: -1...Float.infinity
        case .linear, .leakyRelu: -Float.infinity...Float.infinity
        }
    }
}

extension ClosedRange<Float> {
    fileprivate var text: String {
        let from = "values from \(LabelSurvey.text(lowerBound))"
        return upperBound == .infinity ? from + " up" : from + " to \(LabelSurvey.text(upperBound))"
    }
}
