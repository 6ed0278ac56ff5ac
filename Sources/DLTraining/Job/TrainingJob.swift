// A job with everything resolved and checked: the model, loss, metrics, optimizer, the data (and,
// where the job computes here, its rows) and the shard schedule. Building one is where a user's mistakes surface, each as one clear error,
// before any training starts.

import DLCore
import DLData

public struct TrainingJob: Sendable {
    public let settings: JobSettings
    public let model: ModelSpec
    public let loss: Loss
    public let metrics: MetricSet
    /// The names in `settings.metrics`, in order, for the model file.
    public let metricNames: [String]
    public let optimizer: OptimizerConfig
    public let data: DataDescription
    /// The rows, parsed once into float32 tables; nil for a job that only described them (a
    /// coordinator that streams them from the file to its workers).
    public let rows: PreparedRows?
    public let schedule: ShardSchedule
    /// Keras's EarlyStopping, when the settings ask for it.
    public let earlyStopping: EarlyStopping.Rule?
    /// Keras's ReduceLROnPlateau, when the settings ask for it.
    public let reduceLROnPlateau: ReduceLROnPlateau.Rule?
    /// Keras's `class_weight`, resolved against the training rows' classes, when the settings ask for it.
    public let classWeights: ClassWeights?

    /// The file is read `chunkSize` bytes at a time. With `loadsRows` false, the data is described
    /// (DataDescription.describe) and no row is kept.
    public init(_ settings: JobSettings, loadsRows: Bool = true, chunkSize: Int = CSVDocument.defaultChunkSize) throws {
        try settings.validate()
        let shards = settings.shards ?? 1
        let layerDefaults = try settings.layerDefaults()
        let layerList = try LayerList.parse(settings.layers, defaults: layerDefaults)
        let requestedLoss = settings.loss.lowercased() == JobSettings.auto ? nil : try Loss(name: settings.loss)
        if let output = layerList.output, let requestedLoss { try requestedLoss.validate(outputs: output.units) }
        let request = HeadRequest(output: layerList.output, loss: requestedLoss, hiddenLayers: layerList.hiddenText)

        let dataSettings = try settings.dataSettings()
        let (data, rows) = loadsRows
            ? try DataPreparation.prepare(dataSettings, head: request, chunkSize: chunkSize)
            : (try DataDescription.describe(dataSettings, head: request, chunkSize: chunkSize), nil)
        let head = data.head
        try head.loss.validate(outputs: head.output.units)
        // The output layer `auto` chose has no options of its own: it takes the job's defaults.
        let output = layerList.output == nil ? layerDefaults.applied(to: head.output) : head.output
        let model = try ModelSpec(
            inputDim: data.featureCount, layers: layerList.hidden + [output], inputDropout: layerList.inputDropout)
        var arguments = settings.optimizerArguments
        if let learningRate = settings.learningRate { arguments["learning_rate"] = learningRate }
        let optimizer = try OptimizerConfig(name: settings.optimizer, arguments: arguments, schedule: settings.fit.lrSchedule)
        guard shards <= data.trainingCount else {
            throw JobError.badSetting(
                "shards", "\(shards)", "there are only \(data.trainingCount) training rows to deal")
        }
        guard data.trainingCount <= ShardSchedule.maximumRows else {
            throw JobError.badSetting(
                "data", settings.data, "it has \(data.trainingCount) training rows; dltrain deals at most \(ShardSchedule.maximumRows)")
        }
        // Before anything of the model is allocated: in one process (rows loaded, and so already
        // held) every shard is computed here; a coordinator holds the parameters and no rows.
        let here = loadsRows ? shards : 0
        try MemoryBudget.check(
            TrainingMemory.need(
                model: model, targetWidth: data.rowTargetWidth, optimizerSlots: optimizer.slotNames.count, shardsHere: here,
                shardBatch: (min(settings.batchSize, data.trainingCount) + shards - 1) / shards,
                rowsHere: 0, dealtRows: data.trainingCount),
            for: "training this model", hint: TrainingMemory.hint)

        self.settings = settings
        self.model = model
        loss = head.loss
        // Accuracy means nothing for a quantity: a regression `auto` chose reports the mean absolute
        // error instead of the seed job's default metric.
        let regressionByDefault = head.choice?.isRegression == true && settings.metrics == JobSettings().metrics
        metricNames = regressionByDefault ? ["mae"] : settings.metrics
        metrics = MetricSet(try metricNames.map { try Metric(name: $0, loss: head.loss, outputs: head.output.units) })
        earlyStopping = try Self.earlyStoppingRule(settings, metrics: metrics, validated: data.validationCount > 0)
        reduceLROnPlateau = try Self.reduceLROnPlateauRule(settings, metrics: metrics, validated: data.validationCount > 0)
        self.optimizer = optimizer
        self.data = data
        self.rows = rows
        classWeights = try settings.fit.classWeight.map { text in
            try ClassWeights.resolve(text, labels: data.labels, counts: try Self.classCounts(data, rows: rows, chunkSize: chunkSize))
        }
        schedule = ShardSchedule(
            rowCount: data.trainingCount, shardCount: shards, batchSize: settings.batchSize,
            seed: settings.seed)
    }
}

extension TrainingJob {
    /// The training rows of each class, by class index, from the rows when they are held and else
    /// read from the file up to the last training row; nil for a label that holds no classes (a
    /// quantity, or several label columns of values).
    static func classCounts(_ data: DataDescription, rows: PreparedRows?, chunkSize: Int) throws -> [Int]? {
        let labels = data.labels, width = data.targetWidth
        guard labels.kind != .values || labels.columns.count == 1 else { return nil }
        let classes = labels.kind == .values ? labels.classes?.count ?? 0 : data.head.output.units
        let limit = labels.kind == .values ? labels.classes?.count ?? LabelNature.classIndexLimit : classes
        if let rows {
            return rows.training.targets.withUnsafeBufferPointer {
                ClassWeights.count(targets: $0, width: width, classes: classes, limit: limit)
            }
        }
        var total = [Int](repeating: 0, count: classes)
        let stream = try data.rows(chunkSize: chunkSize)
        while let chunk = try stream.next(), chunk.firstRow < data.trainingCount {
            let training = min(chunk.rows.count, data.trainingCount - chunk.firstRow)
            let counts = chunk.rows.targets.withUnsafeBufferPointer {
                ClassWeights.count(
                    targets: UnsafeBufferPointer(rebasing: $0.prefix(training * width)), width: width, classes: classes, limit: limit)
            }
            guard let counts else { return nil }
            if counts.count > total.count { total += [Int](repeating: 0, count: counts.count - total.count) }
            for (index, count) in counts.enumerated() { total[index] += count }
        }
        return total
    }

    /// `error`, and for a run that diverged on data holding NaN or infinite values, the error that
    /// names the first of them: the cause, whatever the learning rate.
    public func explained(_ error: Error) -> Error {
        guard case let JobError.diverged(epoch, step, nil) = error, let cell = data.nonFiniteCell else { return error }
        return JobError.diverged(epoch: epoch, step: step, nonFiniteData: cell)
    }
}

extension TrainingJob {
    /// The early-stopping rule of `settings`, its monitor checked against the values each epoch reports.
    static func earlyStoppingRule(_ settings: JobSettings, metrics: MetricSet, validated: Bool) throws -> EarlyStopping.Rule? {
        guard let patience = settings.earlyStoppingPatience else { return nil }
        guard patience >= 0 else {
            throw JobError.badSetting("early_stopping_patience", "\(patience)", "it must be 0 or more")
        }
        try checkMonitor(settings.monitor, metrics: metrics, validated: validated)
        return EarlyStopping.Rule(
            patience: patience, monitor: settings.monitor, minDelta: settings.minDelta, restoreBestWeights: settings.restoreBestWeights)
    }
}

extension TrainingJob {
    /// Refuses a monitored name (`--monitor`) that the epochs of this job do not report.
    public func checkMonitor(_ name: String) throws {
        try Self.checkMonitor(name, metrics: metrics, validated: data.validationCount > 0)
    }

    static func checkMonitor(_ name: String, metrics: MetricSet, validated: Bool) throws {
        let trained = ["loss"] + metrics.metrics.map(\.historyName)
        let reported = trained + (validated ? trained.map { "val_" + $0 } : [])
        guard reported.contains(name) else {
            let hint = name.hasPrefix("val_") && !validated ? "; val_ values need --validation-split" : ""
            throw JobError.badSetting("monitor", name, "each epoch reports \(reported.joined(separator: ", "))\(hint)")
        }
    }
}

extension JobSettings {
    /// The data part of the settings, with column references parsed.
    func dataSettings() throws -> DataSettings {
        DataSettings(
            path: data, csv: try csvOptions(),
            labelColumns: try labelColumn.map { try Self.columnReferences($0, setting: "label_column") },
            featureColumns: try features.map { try Self.columnReferences($0, setting: "features") },
            validationSplit: validationSplit, standardize: standardize, preprocessing: preprocessing,
            sampleWeightColumn: fit.sampleWeightColumn.map { ColumnReference(parsing: Substring($0).trimmingCharacters(in: " \t")) })
    }

    /// The CSV format the settings describe, checked.
    public func csvOptions() throws -> CSVOptions {
        guard let delimiter = delimiter.utf8.first, delimiter < 128, self.delimiter.utf8.count == 1 else {
            throw JobError.badSetting("delimiter", delimiter, "it must be one ASCII character, such as , or ;")
        }
        let header: HeaderMode = self.header.map { $0 ? .present : .absent } ?? .detect
        return CSVOptions(delimiter: delimiter, header: header, allowNonFinite: allowNonFinite)
    }

    /// The most columns an `A-B` range may span.
    static let largestColumnRange = 1_000_000

    /// Column references from a list of indices, `A-B` index ranges and header names; `setting`
    /// names the list in errors. A flag must not make dltrain allocate without bound: a range, and
    /// the whole list, name at most `largestColumnRange` columns (no CSV has that many).
    public static func columnReferences(_ items: [String], setting: String = "features") throws(JobError) -> [ColumnReference] {
        var references: [ColumnReference] = []
        for item in items {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]) {
                guard low <= high else { throw JobError.badSetting(setting, item, "a range must go from low to high") }
                let (span, overflow) = high.subtractingReportingOverflow(low)
                guard !overflow, span < Self.largestColumnRange else {
                    throw JobError.badSetting(setting, item, "a range spans at most \(Self.largestColumnRange) columns")
                }
                guard references.count + span < Self.largestColumnRange else {
                    throw JobError.badSetting(setting, item, "the list names more than \(Self.largestColumnRange) columns")
                }
                references += (low...high).map { .index($0) }
            } else {
                guard references.count < Self.largestColumnRange else {
                    throw JobError.badSetting(setting, item, "the list names more than \(Self.largestColumnRange) columns")
                }
                references.append(ColumnReference(parsing: item))
            }
        }
        return references
    }
}
