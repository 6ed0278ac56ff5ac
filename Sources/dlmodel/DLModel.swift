// dlmodel: uses a model dltrain trained. `summary` prints what Keras's model.summary() shows and
// what the model file adds; `predict` writes the model's outputs for every row of a CSV; `evaluate`
// prints its loss and metrics over a CSV's rows, as Keras's evaluate does; `export` writes it as an
// ONNX model or a Keras 3 .keras file; `plot` draws several runs' curves on one chart.

import ArgumentParser
import DLCommandLine
import DLCore
import DLExport
import DLRun
import DLTraining
import Foundation

@main
struct DLModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlmodel",
        abstract: "Use what dltrain trained: a model's summary, predictions, evaluation and export; runs' curves side by side.",
        discussion: """
            MODEL is a model file (RUN/model.safetensors), a run directory (its model.safetensors), \
            or a checkpoint (RUN/checkpoint-*.safetensors: the CSV it was trained on must still be \
            there, unchanged, for its feature names, classes, standardization and preprocessing). Errors name the \
            file, and for a CSV the line and column; the exit status is then 1 (64 for a usage error).
            """,
        version: DLTrainVersion.current,
        subcommands: [Summary.self, Predict.self, Evaluate.self, Export.self, Plot.self])

    /// Usage errors as every dltrain command reports them (DLCommandLine.CommandMain).
    static func main() { CommandMain.run(Self.self) }
}

/// Runs `body`, turning an error into one line on standard error and exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("dlmodel: error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The layers, output shapes and parameter counts as Keras's model.summary() shows them, then the loss, "
            + "optimizer, metrics, feature columns, labels, standardization and training settings.",
        discussion: """
            A model trained on a table that needed preprocessing (words, gaps, types given) also \
            lists every raw column it reads: its type (given, or inferred from the data) with its \
            options, and what it becomes: the model inputs, a category per index (out-of-vocabulary \
            first), the mean and variance, bins, hash buckets, the fill of a missing number and its \
            indicator; then the crosses and the texts that mean a missing cell.
            """)

    @Argument(help: ArgumentHelp("A model file, a run directory or a checkpoint.", valueName: "model"))
    var model: String

    @Flag(help: "Print the same as one JSON object (snake_case keys, as the model file's metadata).")
    var json = false

    func run() throws {
        try reportingErrors {
            let model = try ModelFile.load(from: model)
            print(json ? ModelSummary.json(of: model) : ModelSummary.text(of: model), terminator: "")
        }
    }
}

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The model's outputs for every row of a CSV, as a CSV.",
        discussion: """
            The model's feature columns are taken by header name (by position when it was trained on \
            a file without a header); a label column in the file is ignored; the standardization \
            the model was trained with is applied. A model trained on a table that needed \
            preprocessing reads its raw columns as training read them (words, missing cells, \
            categories it never saw) and preprocesses them as stored in the model. The output has a header row: for one sigmoid \
            output `probability` and `predicted` (the class, or 0 and 1, at 0.5); for softmax \
            outputs one probability column per class and `predicted` (the likeliest class); \
            otherwise one column per output, named after the label column(s). --keep-columns \
            puts columns of the file (an identifier) before them, with the text the file has.
            """)

    @Argument(help: ArgumentHelp("A model file, a run directory or a checkpoint.", valueName: "model"))
    var model: String

    @Option(help: ArgumentHelp("The CSV file to predict, plain or gzip-compressed.", valueName: "path"))
    var data: String

    @Option(
        name: .customLong("keep-columns"),
        help: ArgumentHelp(
            "Columns of the file to copy into the output before the predictions, as the file has them: 0-based "
                + "indices, A-B ranges or header names, comma-separated, as --features takes them (default: none).",
            valueName: "cols"))
    var keepColumns: String?

    @Option(help: ArgumentHelp("Where to write the predictions (default: standard output).", valueName: "path"))
    var output: String?

    @OptionGroup var format: CSVFormatOptions

    func run() throws {
        try reportingErrors {
            let predictor = Predictor(model: try ModelFile.load(from: model))
            var settings = JobSettings()
            format.apply(to: &settings)
            let options = try settings.csvOptions()
            if let output { try OutputFile.check(output, reading: [model, data]) }
            let keep = try keepColumns.map {
                try JobSettings.columnReferences(JobSettings.splitList($0), setting: "--keep-columns")
            } ?? []
            let sink = try LineSink(path: output)
            do {
                try predictor.predict(csv: data, options: options, keep: keep, write: sink.write)
                try sink.finish()
            } catch {
                sink.discard()
                throw error
            }
        }
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The model's loss and metrics over every row of a CSV, as Keras's evaluate computes them.",
        discussion: """
            The rows are read as for predict, and the label column(s) the model was trained on must \
            be there (text classes must be ones the model knows). Prints one line as Keras's \
            evaluate(verbose=2) does (steps of 32 rows), or with --json an object under Keras's names \
            (loss, accuracy, ...), as evaluate(return_dict=True) returns them.
            """)

    @Argument(help: ArgumentHelp("A model file, a run directory or a checkpoint.", valueName: "model"))
    var model: String

    @Option(help: ArgumentHelp("The CSV file to evaluate on, plain or gzip-compressed.", valueName: "path"))
    var data: String

    @Flag(help: "Print a JSON object instead of Keras's line.")
    var json = false

    @OptionGroup var format: CSVFormatOptions

    func run() throws {
        try reportingErrors {
            var settings = JobSettings()
            format.apply(to: &settings)
            let evaluation = try Evaluator(model: try ModelFile.load(from: model)).evaluate(csv: data, options: try settings.csvOptions())
            print(json ? evaluation.json : evaluation.line)
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The model as an ONNX model or a Keras 3 .keras file, taking raw feature values.",
        discussion: """
            onnx: opset 17; input `features` (float32, rows x feature columns in the model's order, \
            which `dlmodel summary` lists and the file's metadata_props holds), output `output`; the \
            standardization is a Sub and a Div at the front. onnxruntime's outputs equal `dlmodel \
            predict`'s within 1e-6.
            keras: a .keras file (config.json, metadata.json, model.weights.h5) that \
            keras.saving.load_model opens, compiled with the model's loss and metrics; the \
            standardization is a leading Normalization layer. Its predict equals `dlmodel predict` \
            within 1e-6.
            The file is written whole or not at all.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case onnx, keras
    }

    @Argument(help: ArgumentHelp("A model file, a run directory or a checkpoint.", valueName: "model"))
    var model: String

    @Option(help: ArgumentHelp("onnx or keras.", valueName: "format"))
    var format: Format

    @Option(help: ArgumentHelp("The file to write (model.onnx, model.keras).", valueName: "path"))
    var output: String

    func run() throws {
        try reportingErrors {
            try OutputFile.check(output, reading: [model])
            let model = try ModelFile.load(from: model)
            let bytes = switch format {
            case .onnx: try ONNXExport.encoded(model)
            case .keras: try KerasExport.encoded(model)
            }
            try AtomicFile.write(bytes, to: output)
        }
    }
}

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Several runs' loss and metric curves on one chart (SVG), for comparison.",
        discussion: """
            Each RUN is a run directory (its metrics.jsonl is read) and gets a colour of its own, \
            labelled with the directory's name (and its parent folders, where names repeat); training lines are solid, validation lines dashed, \
            one panel per value. The chart is what each run's curves.svg shows, side by side.
            """)

    @Argument(help: ArgumentHelp("Run directories.", valueName: "run"))
    var runs: [String]

    @Option(help: ArgumentHelp("Where to write the chart (default: standard output).", valueName: "path"))
    var output: String?

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
    }

    func run() throws {
        try reportingErrors {
            if let output { try OutputFile.check(output, reading: runs.map { $0 + "/metrics.jsonl" }) }
            let labels = CurvesChart.runLabels(runs)
            let histories = try zip(runs, labels).map { run, label in
                (label: Optional(label), history: try MetricsLog.read(runDirectory: run))
            }
            let chart = CurvesChart.svg(runs: histories)
            if let output {
                try AtomicFile.write(Array(chart.utf8), to: output)
            } else {
                print(chart, terminator: "")
            }
        }
    }
}
