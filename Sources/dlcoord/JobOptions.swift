// dlcoord's options that describe the job (the data, the model, the training), each overriding the
// job file's setting of the same name.

import ArgumentParser
import DLCommandLine
import DLTraining
import Foundation

/// The seed job's settings: what each option defaults to, shown in --help.
private let seedJob = JobSettings()

struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The CSV file to train on, plain or gzip-compressed (default: \(seedJob.data)).", valueName: "path"))
    var data: String?

    @OptionGroup var format: CSVFormatOptions

    @Option(name: .customLong("label-column"), help: ArgumentHelp("The label column(s), comma-separated (default: the last column).", valueName: "columns"))
    var labelColumn: String?

    @Option(help: ArgumentHelp("The feature columns, comma-separated (default: every other column).", valueName: "columns"))
    var features: String?

    @Option(name: .customLong("validation-split"), parsing: .unconditional, help: ArgumentHelp("The fraction of rows, taken from the end of the file before any shuffling, held out for validation (default: \(seedJob.validationSplit), none).", valueName: "fraction"))
    var validationSplit: Double?

    @Flag(inversion: .prefixedNo, help: "Standardize the features to z-scores fitted on the training rows (default: --no-standardize).")
    var standardize: Bool?

    func validate() throws {
        var settings = JobSettings()
        apply(to: &settings)
        try JobFlags.check(settings)
    }

    func apply(to settings: inout JobSettings) {
        if let data { settings.data = data }
        format.apply(to: &settings)
        if let labelColumn { settings.labelColumn = JobSettings.splitList(labelColumn) }
        if let features { settings.features = JobSettings.splitList(features) }
        if let validationSplit { settings.validationSplit = validationSplit }
        if let standardize { settings.standardize = standardize }
    }
}

struct TrainingOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The layers, comma-separated: Dense as UNITS:ACTIVATION[:OPTION=V...] (UNITS alone is linear, as Keras's "
            + "Dense(UNITS); options l1, l2, bias_l1, bias_l2, kernel_initializer, bias_initializer), dropout:RATE for "
            + "Keras's Dropout, auto last to choose the output layer from the label (default: \(seedJob.layers)).",
        valueName: "layers"))
    var layers: String?

    @Option(help: ArgumentHelp(
        "The loss, by its Keras name or alias (mse, mae, binary_crossentropy, categorical_crossentropy, "
            + "sparse_categorical_crossentropy), or auto to choose it from the label (default: \(seedJob.loss)).",
        valueName: "name"))
    var loss: String?

    @Option(help: ArgumentHelp("sgd, adam, adamw, rmsprop, adagrad, nadam, adamax, adadelta or ftrl, with Keras's defaults (default: \(seedJob.optimizer)).", valueName: "name"))
    var optimizer: String?

    @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional, help: ArgumentHelp("The optimizer's learning rate (default: Keras's for that optimizer).", valueName: "rate"))
    var learningRate: Double?

    @Option(name: .customLong("optimizer-args"), help: ArgumentHelp("Further optimizer arguments under their Keras names, e.g. momentum=0.9,nesterov=true; every optimizer also "
            + "takes weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency.", valueName: "k=v,..."))
    var optimizerArguments: String?

    @Option(help: ArgumentHelp("Metrics, comma-separated: accuracy, mae, mse, auc (default: \(seedJob.metrics.joined(separator: ","))).", valueName: "names"))
    var metrics: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("How many passes over the training rows (default: \(seedJob.epochs)).", valueName: "n"))
    var epochs: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: ArgumentHelp("The global batch: rows per step over all shards (default: \(seedJob.batchSize)).", valueName: "n"))
    var batchSize: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Fixes the initial weights, the shard deal and every shuffle (default: \(seedJob.seed)).", valueName: "n"))
    var seed: UInt64?

    @Option(parsing: .unconditional, help: ArgumentHelp("The number of logical shards S the rows are dealt into; the model depends on it (default: 1, or --workers N).", valueName: "n"))
    var shards: Int?

    @Option(
        name: .customLong("early-stopping-patience"), parsing: .unconditional,
        help: ArgumentHelp("Stop after this many epochs without improvement of --monitor, as Keras's EarlyStopping (default: off).", valueName: "n"))
    var earlyStoppingPatience: Int?

    @Option(help: ArgumentHelp(
        "The value early stopping watches (default: \(seedJob.monitor)): loss or a metric, val_ for the validation rows; "
            + "lower is better for losses and errors, higher for accuracy and auc.", valueName: "name"))
    var monitor: String?

    @Option(name: .customLong("min-delta"), parsing: .unconditional, help: ArgumentHelp("The least change of --monitor that counts as an improvement (default: \(seedJob.minDelta)).", valueName: "d"))
    var minDelta: Double?

    @Flag(name: .customLong("restore-best-weights"), help: "With early stopping, end with the weights of the best epoch instead of the last.")
    var restoreBestWeights = false

    func validate() throws {
        _ = try parsedOptimizerArguments()
        var settings = JobSettings()
        apply(to: &settings)
        try JobFlags.check(settings)
    }

    /// `momentum=0.9,nesterov=true` as Keras-named numbers (true and false as 1 and 0).
    func parsedOptimizerArguments() throws -> [String: Double] {
        var arguments: [String: Double] = [:]
        for item in JobSettings.splitList(optimizerArguments ?? "") {
            let parts = item.split(separator: "=", maxSplits: 1).map { String($0) }
            let value = parts.count == 2 ? (parts[1] == "true" ? 1 : parts[1] == "false" ? 0 : Double(parts[1])) : nil
            guard let value else {
                throw ValidationError("--optimizer-args: \"\(item)\" is not NAME=NUMBER (or NAME=true/false)")
            }
            arguments[parts[0]] = value
        }
        return arguments
    }

    func apply(to settings: inout JobSettings) {
        if let layers { settings.layers = layers }
        // Validated in validate(); the parse cannot fail here.
        if optimizerArguments != nil, let arguments = try? parsedOptimizerArguments() {
            settings.optimizerArguments.merge(arguments) { _, new in new }
        }
        if let loss { settings.loss = loss }
        if let optimizer { settings.optimizer = optimizer }
        if let learningRate { settings.learningRate = learningRate }
        if let metrics { settings.metrics = JobSettings.splitList(metrics) }
        if let epochs { settings.epochs = epochs }
        if let batchSize { settings.batchSize = batchSize }
        if let seed { settings.seed = seed }
        if let shards { settings.shards = shards }
        if let earlyStoppingPatience { settings.earlyStoppingPatience = earlyStoppingPatience }
        if let monitor { settings.monitor = monitor }
        if let minDelta { settings.minDelta = minDelta }
        if restoreBestWeights { settings.restoreBestWeights = true }
    }
}

/// The job settings' checks (JobSettings.validate) as usage errors that name the flag: each group's
/// flags are applied to the seed job, whose own settings pass, so what fails is a flag's value.
enum JobFlags {
    static func check(_ settings: JobSettings) throws {
        do {
            try settings.validate()
        } catch {
            guard case let .badSetting(key, value, reason) = error else { throw error }
            throw ValidationError("\(flag(ofKey: key)) \(value): \(reason)")
        }
    }

    /// An error as dlcoord prints it: a setting refused once the job is built (a class the label
    /// lacks, a monitor the epochs do not report) names its flag beside its job-file key, since
    /// the value may have come from either.
    static func described(_ error: Error) -> String {
        guard case let JobError.badSetting(key, value, reason) = error else { return "\(error)" }
        return "invalid \(key) (\(flag(ofKey: key))) \"\(value)\": \(reason)"
    }

    /// The flag that sets a job file's key: `batch_size` is --batch-size; `optimizer_arguments.beta_1`
    /// is --optimizer-args, `feature_types.island` --feature-types.
    static func flag(ofKey key: String) -> String {
        let top = key.split(separator: ".", maxSplits: 1).first.map(String.init) ?? key
        return top == "optimizer_arguments" ? "--optimizer-args" : "--" + top.replacingOccurrences(of: "_", with: "-")
    }
}
