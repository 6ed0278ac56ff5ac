// `dlmodel summary`: what Keras's `model.summary()` prints for the same Sequential model (the
// layers, their output shapes and parameter counts, the totals with their size), then what only
// the model file knows: the loss, optimizer and metrics, the model's inputs, the raw columns a
// preprocessed model reads and what each becomes, the labels, the standardization and how the model
// was trained. The same as typed values in JSON (`dlmodel summary --json`).

import DLCore
import DLData
import DLPreprocessing
import Foundation

public enum ModelSummary {
    /// The summary of `model`, as lines of text.
    public static func text(of model: ModelFile) -> String {
        let layout = model.model.layout
        let rows = model.model.sequentialLayers.map { layer in
            switch layer {
            case let .dense(index, name):
                let shape = layout.shapes[index]
                return ["\(name) (Dense)", "(None, \(shape.units))", grouped(shape.inputs * shape.units + shape.units)]
            case let .dropout(_, width, name):
                return ["\(name) (Dropout)", "(None, \(width))", "0"]
            }
        }
        var lines = ["Model: \"sequential\""] + table(header: ["Layer (type)", "Output Shape", "Param #"], rows: rows)
        let total = layout.count
        lines += [
            " Total params: \(grouped(total)) (\(size(bytes: total * 4)))",
            " Trainable params: \(grouped(total)) (\(size(bytes: total * 4)))",
            " Non-trainable params: 0 (\(size(bytes: 0)))",
            "",
        ]
        // The optimizer computes in float32: its arguments read as the float32 values they are.
        let arguments = model.optimizerArguments.sorted { $0.key < $1.key }.map { "\($0.key)=\(Float($0.value))" }
        lines.append("Loss: \(model.loss.rawValue)")
        lines.append("Optimizer: \(model.optimizer)" + (arguments.isEmpty ? "" : " (\(arguments.joined(separator: ", ")))"))
        if let schedule = model.optimizerSchedule { lines.append("Learning-rate schedule: \(schedule)") }
        lines.append("Metrics: " + (model.metrics.isEmpty ? "none" : model.metrics.joined(separator: ", ")))
        lines += layerOptions(model.model)
        lines.append("Features (\(model.features.count)): \(model.features.joined(separator: ", "))")
        if let preprocessing = model.preprocessing {
            lines.append("Columns (\(preprocessing.columns.count), read raw from the CSV by name; inputs in the order of Features):")
            lines += preprocessing.columns.map { "  " + InputColumn($0).line }
            lines += preprocessing.crosses.map { "  " + InputCross($0).line }
            lines.append("Missing cells: " + preprocessing.naValues.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        let classes = model.labels.classes.map { "; classes in index order: \($0.joined(separator: ", "))" } ?? ""
        lines.append("Labels: \(model.labels.columns.joined(separator: ", ")) (\(model.labels.kind.rawValue))\(classes)")
        if let column = model.sampleWeightColumn {
            lines.append("Sample weights: column \(column), not a feature (dlmodel evaluate weighs each row's loss by it)")
        }
        lines.append("Standardization: " + (model.standardization != nil
            ? "each feature as (x - mean) / scale, with the training rows' mean and scale (stored in the file)"
            : model.preprocessing != nil ? "none beside the columns' preprocessing" : "none"))
        let training = model.training
        lines.append(
            "Training: \(training.epochs) epoch(s), batch \(training.batchSize), seed \(training.seed), \(training.shards) shard(s), "
                + "\(training.trainingRows) training row(s), \(training.validationRows) validation row(s)")
        if let plateau = training.reduceLROnPlateau {
            lines.append(
                "ReduceLROnPlateau: \(plateau)" + (training.learningRate.map { "; learning rate lowered to \($0)" } ?? ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The layers' dropout rates, regularizers and initializers, when any differs from Keras's Dense
    /// and Sequential defaults (none, glorot_uniform kernels and zeros biases): a line per layer.
    static func layerOptions(_ spec: ModelSpec) -> [String] {
        let defaults = DenseSpec(units: 1, activation: .linear)
        let plain = spec.inputDropout == nil && spec.layers.allSatisfy {
            $0.dropout == nil && $0.kernelRegularizer == nil && $0.biasRegularizer == nil
                && $0.kernelInitializer == defaults.kernelInitializer && $0.biasInitializer == defaults.biasInitializer
        }
        guard !plain else { return [] }
        var lines = ["Layers (Keras's Dense and Dropout arguments):"]
        for layer in spec.sequentialLayers {
            switch layer {
            case let .dropout(rate, _, name):
                lines.append("  \(name): rate=\(rate)")
            case let .dense(index, name):
                let dense = spec.layers[index]
                var parts = ["kernel_initializer=\(dense.kernelInitializer.rawValue)", "bias_initializer=\(dense.biasInitializer.rawValue)"]
                if let regularizer = dense.kernelRegularizer { parts.append("kernel_regularizer=\(regularizer.text)") }
                if let regularizer = dense.biasRegularizer { parts.append("bias_regularizer=\(regularizer.text)") }
                lines.append("  \(name): " + parts.joined(separator: ", "))
            }
        }
        return lines
    }

    /// What the text says, as values: the JSON `dlmodel summary --json` prints.
    public struct Record: Sendable, Equatable, Codable {
        public var model: ModelSpec
        public var params: Int
        public var loss: String
        public var optimizer: String
        public var optimizerArguments: [String: Double]
        /// The learning-rate schedule as `--lr-schedule` writes it, when there is one.
        public var lrSchedule: String?
        public var metrics: [String]
        /// The model's inputs, in order.
        public var features: [String]
        /// A preprocessed model's raw columns, crosses and missing-cell texts.
        public var columns: [InputColumn]?
        public var crosses: [InputCross]?
        public var naValues: [String]?
        public var labels: LabelEncoding
        public var standardization: Bool
        public var training: ModelFile.Training
        /// The column that weighed the rows, when there is one.
        public var sampleWeightColumn: String?

        public init(_ file: ModelFile) {
            model = file.model
            params = file.model.layout.count
            loss = file.loss.rawValue
            optimizer = file.optimizer
            optimizerArguments = file.optimizerArguments
            lrSchedule = file.optimizerSchedule
            metrics = file.metrics
            features = file.features
            columns = file.preprocessing?.columns.map(InputColumn.init)
            crosses = file.preprocessing?.crosses.map(InputCross.init)
            naValues = file.preprocessing?.naValues
            labels = file.labels
            standardization = file.standardization != nil
            training = file.training
            sampleWeightColumn = file.sampleWeightColumn
        }
    }

    /// The summary of `model` as one JSON object (snake_case keys, as the model file's metadata).
    public static func json(of model: ModelFile) -> String { ModelFile.json(Record(model)) + "\n" }

    /// Keras's table: heavy lines around the header, light lines between the layers.
    private static func table(header: [String], rows: [[String]]) -> [String] {
        let widths = [31, 22, 13]
        func cells(_ values: [String]) -> [String] {
            values.enumerated().map { column, value in
                let padding = String(repeating: " ", count: max(0, widths[column] - value.count))
                return column == values.count - 1 ? padding + value : value + padding
            }
        }
        func rule(_ left: String, _ fill: String, _ middle: String, _ right: String) -> String {
            left + widths.map { String(repeating: fill, count: $0 + 2) }.joined(separator: middle) + right
        }
        var lines = [
            rule("┏", "━", "┳", "┓"),
            "┃ " + cells(header).joined(separator: " ┃ ") + " ┃",
            rule("┡", "━", "╇", "┩"),
        ]
        for (index, row) in rows.enumerated() {
            if index > 0 { lines.append(rule("├", "─", "┼", "┤")) }
            lines.append("│ " + cells(row).joined(separator: " │ ") + " │")
        }
        lines.append(rule("└", "─", "┴", "┘"))
        return lines
    }

    /// 12345 as "12,345", as Keras prints counts.
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        return String(digits.enumerated().flatMap { index, digit in
            index > 0 && (digits.count - index) % 3 == 0 ? [",", digit] : [digit]
        })
    }

    /// Keras's readable size: B, KB, MB, GB (powers of 1,024), two decimals.
    static func size(bytes: Int) -> String {
        var value = Double(bytes), unit = 0
        let units = ["B", "KB", "MB", "GB", "TB"]
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.2f", value) + " " + units[unit]
    }
}
