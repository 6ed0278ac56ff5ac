// The range of every numeric job setting, checked where a value enters (dlcoord's flags, a job
// file's keys: JobFile locates the key) and again when a job is built (TrainingJob), so that no
// value reaches arithmetic that would trap or data that cannot be written: a NaN min_delta that a
// checkpoint cannot encode, a batch size whose step count overflows, an infinite validation split
// that makes no row count. Each bound is far beyond any real job; docs/cli.md lists them.

import DLCore
import DLPreprocessing

extension JobSettings {
    /// The most epochs a job may train: a run's step numbers (epoch x steps per epoch, steps at
    /// most the rows) then fit in 64 bits.
    public static let maximumEpochs = Int(Int32.max)
    /// The largest global batch; a batch larger than the training rows trains them in one step.
    public static let maximumBatchSize = Int(Int32.max)
    /// The most logical shards: each has its own gradient buffer and sums wherever it is computed.
    public static let maximumShards = 1 << 20
    /// The most epochs early stopping may wait.
    public static let maximumPatience = Int(Int32.max)

    /// The range of each whole-number setting, by its job-file key.
    static let ranges: [CodingKeys: ClosedRange<Int>] = [
        .epochs: 1...maximumEpochs, .batchSize: 1...maximumBatchSize, .shards: 1...maximumShards,
        .earlyStoppingPatience: 0...maximumPatience,
        // A vocabulary's indices must be exact in a float32 code.
        .maxVocabulary: 1...PreprocessingSettings.largestMaxVocabulary,
    ]

    /// Refuses the first setting outside its range, as JobError.badSetting with the setting's
    /// job-file key (`optimizer_arguments.NAME` for an optimizer argument).
    public func validate() throws(JobError) {
        try Self.check(.epochs, epochs)
        try Self.check(.batchSize, batchSize)
        if let shards { try Self.check(.shards, shards) }
        if let earlyStoppingPatience { try Self.check(.earlyStoppingPatience, earlyStoppingPatience) }
        guard validationSplit.isFinite, validationSplit >= 0, validationSplit < 1 else {
            throw .badSetting(
                "validation_split", "\(validationSplit)", "it must be a fraction from 0 (no validation rows) up to, not including, 1")
        }
        guard minDelta.isFinite, Float(minDelta).isFinite else {
            throw .badSetting("min_delta", "\(minDelta)", "it must be a finite number (the least change that counts as an improvement)")
        }
        if let learningRate {
            // Training uses float32: a rate that becomes 0 or infinite there is refused as well.
            guard learningRate.isFinite, learningRate > 0, Float(learningRate) > 0, Float(learningRate).isFinite else {
                throw .badSetting("learning_rate", "\(learningRate)", "it must be a finite number above 0, such as 0.001")
            }
        }
        for (name, value) in optimizerArguments.sorted(by: { $0.key < $1.key }) where !Float(value).isFinite {
            throw .badSetting("optimizer_arguments.\(name)", "\(value)", "it must be a finite number")
        }
        do {
            _ = try LayerList.parse(layers)
        } catch {
            throw .badSetting("layers", layers, "\(error)")
        }
        try Self.check(.maxVocabulary, preprocessing.maxVocabulary)
        if case let .value(fill) = preprocessing.fill, !(fill.isFinite && Float(fill).isFinite) {
            throw .badSetting("fill", "\(fill)", "it must be mean, median, zero or a finite number")
        }
        if let features { _ = try Self.columnReferences(features, setting: "features") }
        if let labelColumn { _ = try Self.columnReferences(labelColumn, setting: "label_column") }
        try validateFit()
    }

    private static func check(_ key: CodingKeys, _ value: Int) throws(JobError) {
        guard let range = ranges[key], !range.contains(value) else { return }
        throw .badSetting(key.rawValue, "\(value)", "it must be from \(range.lowerBound) to \(range.upperBound)")
    }
}
