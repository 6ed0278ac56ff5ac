// A checkpoint: everything needed to continue a run exactly where it stood, in one safetensors file.
//
// Tensors: the parameters (`dense/kernel`, ...) and the optimizer's state (`optimizer/momentum/dense/kernel`,
// ...), float32, so the Python `safetensors` package and PyTorch open it. `__metadata__` holds, as
// JSON strings, the job settings, the model, the data's fingerprint and fitted preprocessing (for a
// table that needed one), the position, the optimizer's configuration and step count, the finished
// epochs' reports and the running sums of the epoch in progress, with ReduceLROnPlateau its state and the
// optimizer's current learning rate, and `checksum`: the SHA-256 of the whole file computed with the checksum's own 64 hex
// digits set to zeros. A file whose checksum does not match (truncated, corrupted) is refused.

import DLTraining
import DLCore
import DLData
import DLPreprocessing
import Foundation

public struct Checkpoint: Sendable, Equatable {
    public static let format = "dltrain.checkpoint.v1"

    public var settings: JobSettings
    public var model: ModelSpec
    public var data: DataFingerprint
    /// The job's fitted preprocessing: a run resumed, or a model used, from this checkpoint fits it
    /// again from the same file and must find the same (a different dltrain could fit otherwise).
    public var preprocessing: Preprocessing?
    public var position: TrainingPosition
    public var parameters: [Float]
    public var optimizer: Optimizer
    public var history: [EpochReport]
    public var epochSums: [Double]
    /// Keras's EarlyStopping state, with the best weights when it restores them.
    public var earlyStopping: EarlyStopping?
    /// Keras's ReduceLROnPlateau state; the rate it set is the optimizer's `learningRate`.
    public var reduceLROnPlateau: ReduceLROnPlateau?

    public init(job: TrainingJob, progress: TrainingProgress) {
        var settings = job.settings
        settings.shards = job.schedule.shardCount
        self.settings = settings
        model = job.model
        data = job.data.fingerprint
        preprocessing = job.data.preprocessing
        position = progress.position
        parameters = progress.parameters
        optimizer = progress.optimizer
        history = progress.history
        epochSums = progress.epochSums
        earlyStopping = progress.earlyStopping
        reduceLROnPlateau = progress.reduceLROnPlateau
    }

    /// A copy that shares no storage with the training state, so handing it to another thread
    /// neither races with training nor makes training copy its buffers later.
    func copied() -> Checkpoint {
        var copy = self
        copy.parameters = parameters.withUnsafeBufferPointer { Array($0) }
        var optimizerCopy = Optimizer(
            optimizer.config, parameterCount: optimizer.parameterCount, tensors: optimizer.tensors,
            iterations: optimizer.iterations, state: optimizer.state.withUnsafeBufferPointer { Array($0) })
        optimizerCopy.setLearningRate(optimizer.learningRate)
        copy.optimizer = optimizerCopy
        copy.epochSums = epochSums.withUnsafeBufferPointer { Array($0) }
        copy.earlyStopping?.bestParameters = earlyStopping?.bestParameters?.withUnsafeBufferPointer { Array($0) }
        return copy
    }

    /// The run's state for `job`, which must be the checkpoint's job (see `JobResumption`).
    public func progress(for job: TrainingJob) -> TrainingProgress {
        TrainingProgress(
            metrics: job.metrics, stepsPerEpoch: job.schedule.stepsPerEpoch, parameters: parameters,
            optimizer: optimizer, regularization: Regularization(job.model), position: position, epochSums: epochSums,
            history: history, earlyStopping: earlyStopping, reduceLROnPlateau: reduceLROnPlateau,
            reportsLearningRate: job.settings.reportsLearningRate)
    }

    /// `schedule` (LearningRateSchedule.text) is written only when set: a checkpoint of a job
    /// without one is written, and read, as before.
    private struct OptimizerEntry: Codable {
        let name: String
        let arguments: [String: Double]
        let iterations: Int
        var schedule: String? = nil
    }

    /// The file's bytes; `history` encodes the epoch reports (a checkpointer passes the one it keeps
    /// for the whole run, so each report is encoded once).
    public func encoded() -> [UInt8] { encoded(history: HistoryJSON()) }

    func encoded(history historyJSON: HistoryJSON) -> [UInt8] {
        var tensors = ModelFile.layerTensors(parameters[...], model: model)
        for (slot, name) in optimizer.config.slotNames.enumerated() {
            let start = slot * optimizer.parameterCount
            tensors += ModelFile.layerTensors(
                optimizer.state[start..<(start + optimizer.parameterCount)], model: model, prefix: "optimizer/\(name)/")
        }
        if let best = earlyStopping?.bestParameters {
            tensors += ModelFile.layerTensors(best[...], model: model, prefix: "best/")
        }
        var metadata = [
            "format": Self.format,
            "settings": Self.json(settings),
            "model": ModelFile.json(model),
            "data": ModelFile.json(data),
            "position": ModelFile.json(position),
            "optimizer": ModelFile.json(OptimizerEntry(
                name: optimizer.config.name, arguments: optimizer.config.arguments, iterations: optimizer.iterations,
                schedule: optimizer.config.schedule?.text)),
            "history": historyJSON.json(history),
            "epoch_sums": ModelFile.json(epochSums),
            "checksum": Self.checksumPlaceholder,
        ]
        if let earlyStopping { metadata["early_stopping"] = ModelFile.json(earlyStopping) }
        if let reduceLROnPlateau { metadata["reduce_lr_on_plateau"] = ModelFile.json(reduceLROnPlateau) }
        if reduceLROnPlateau != nil || optimizer.learningRate != optimizer.config.learningRate {
            metadata["learning_rate"] = ModelFile.json(optimizer.learningRate)
        }
        if let preprocessing { metadata["preprocessing"] = ModelFile.json(preprocessing, spelledOut: true) }
        return Self.sealed(SafeTensors(tensors: tensors, metadata: metadata).encoded()) ?? []
    }

    /// The settings as a checkpoint stores them: the job file's keys, sorted.
    private static func json(_ settings: JobSettings) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Settings hold strings, numbers and flags only: encoding them fails on nothing but a
        // number that is not finite, which no job runs with; that value is then refused on reading.
        return (try? encoder.encode(settings)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// The bytes of a safetensors file whose `checksum` metadata holds the placeholder, with the
    /// checksum computed and written in its place; nil when the header holds no placeholder. The
    /// checksum guards against damage (a file cut short, flipped bits), not against edits: anyone
    /// can compute it again, as this does.
    public static func sealed(_ bytes: [UInt8]) -> [UInt8]? {
        guard let range = placeholderRange(in: bytes, text: checksumPlaceholder) else { return nil }
        var sealed = bytes
        // The digest has the placeholder's length, so the header and every offset stay as they are.
        sealed.replaceSubrange(range, with: Array(("sha256:" + SHA256.hex(SHA256.hash(bytes))).utf8))
        return sealed
    }

    /// The text that stands for the checksum while it is computed.
    public static let checksumPlaceholder = "sha256:" + String(repeating: "0", count: 64)

    public func write(to path: String) throws {
        try write(to: path, history: HistoryJSON())
    }

    func write(to path: String, history historyJSON: HistoryJSON) throws {
        try AtomicFile.write(encoded(history: historyJSON), to: path)
    }

    /// The largest file a checkpoint of a model of `ModelSpec.maximumParameters` takes: the
    /// parameters, two optimizer slots and the best epoch's parameters, with the header.
    static let maximumFileSize = 4 * 4 * ModelSpec.maximumParameters + 8 + SafeTensors.maximumHeaderSize

    public static func read(path: String) throws -> Checkpoint {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path, maximum: maximumFileSize, bound: "a checkpoint can take")
        } catch {
            throw RunError.badCheckpoint(path: path, reason: "\(error)")
        }
        return try Checkpoint(decoding: bytes, path: path)
    }

    /// Verifies the checksum, then rebuilds the checkpoint from its tensors and metadata.
    public init(decoding bytes: [UInt8], path: String) throws {
        func bad(_ reason: String) -> RunError { .badCheckpoint(path: path, reason: reason) }
        let file: SafeTensors
        do { file = try SafeTensors(decoding: bytes, path: path) } catch { throw bad("\(error)") }
        guard file.metadata["format"] == Self.format else {
            throw bad("metadata format is \(file.metadata["format"] ?? "missing"), expected \(Self.format)")
        }
        guard let stored = file.metadata["checksum"], stored.hasPrefix("sha256:"), stored.utf8.count == Self.checksumPlaceholder.utf8.count,
            let range = Self.placeholderRange(in: bytes, text: stored)
        else { throw bad("it has no checksum") }
        var zeroed = bytes
        zeroed.replaceSubrange(range, with: Array(Self.checksumPlaceholder.utf8))
        guard "sha256:" + SHA256.hex(SHA256.hash(zeroed)) == stored else {
            throw bad("its checksum does not match its content (the file is damaged or was cut short)")
        }
        // The checksum matches: from here on, what is wrong was written so.
        func inconsistent(_ reason: String) -> RunError { .inconsistentCheckpoint(path: path, reason: reason) }
        func field<T: Decodable>(_ key: String, _ type: T.Type, decoder: JSONDecoder = ModelFile.decoder) throws -> T {
            try ModelFile.field(key, type, of: file, decoder: decoder, bad: inconsistent)
        }
        settings = try field("settings", JobSettings.self, decoder: JSONDecoder())
        model = try field("model", ModelSpec.self)
        data = try field("data", DataFingerprint.self)
        preprocessing = file.metadata["preprocessing"] == nil
            ? nil : try field("preprocessing", Preprocessing.self, decoder: ModelFile.decoder(spelledOut: true))
        if let preprocessing {
            if let reason = preprocessing.inconsistency() { throw inconsistent("preprocessing: \(reason)") }
            guard preprocessing.outputWidth == model.inputDim else {
                throw inconsistent("preprocessing: its columns make \(preprocessing.outputWidth) input(s); the model has \(model.inputDim)")
            }
        }
        position = try field("position", TrainingPosition.self)
        let entry = try field("optimizer", OptimizerEntry.self)
        history = try field("history", [EpochReport].self)
        epochSums = try field("epoch_sums", [Double].self)
        let config: OptimizerConfig
        do {
            config = try OptimizerConfig(name: entry.name, arguments: entry.arguments, schedule: entry.schedule)
        } catch {
            throw inconsistent("\(error)")
        }
        guard entry.iterations >= 0 else { throw inconsistent("optimizer: \(entry.iterations) iterations") }
        var stopping = file.metadata["early_stopping"] == nil ? nil : try field("early_stopping", EarlyStopping.self)
        reduceLROnPlateau = file.metadata["reduce_lr_on_plateau"] == nil
            ? nil : try field("reduce_lr_on_plateau", ReduceLROnPlateau.self)
        let learningRate = file.metadata["learning_rate"] == nil ? nil : try field("learning_rate", Float.self)

        var tensors = LayerTensorReader(file, bad: inconsistent)
        parameters = try tensors.read(model: model)
        var state: [Float] = []
        for name in config.slotNames {
            // Keras's second moments (adam's and rmsprop's velocity, adagrad's accumulator) are
            // sums of squares: never negative, and infinite only after a huge gradient.
            let squares = OptimizerConfig.slotIsNonNegative(name)
            state += try tensors.read(
                prefix: "optimizer/\(name)/", model: model, requirement: squares ? "0 or more" : "numbers, not NaN",
                allowed: squares ? { $0 >= 0 } : { !$0.isNaN })
        }
        if tensors.holds(prefix: "best/") { stopping?.bestParameters = try tensors.read(prefix: "best/", model: model) }
        try tensors.finish()
        optimizer = Optimizer(
            config, parameterCount: parameters.count, tensors: model.layout.tensorRanges, iterations: entry.iterations,
            state: state)
        if let learningRate { optimizer.setLearningRate(learningRate) }
        earlyStopping = stopping
        if let reason = inconsistency { throw inconsistent(reason) }
    }

    /// Where `text` stands in the JSON header of a safetensors file.
    private static func placeholderRange(in bytes: [UInt8], text: String) -> Range<Int>? {
        guard bytes.count >= 8 else { return nil }
        let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let needle = Array(text.utf8)
        let end = 8 + Int(min(headerLength, UInt64(bytes.count - 8)))
        guard end - needle.count >= 8 else { return nil }
        for start in 8...(end - needle.count) where bytes[start] == needle[0] {
            if Array(bytes[start..<(start + needle.count)]) == needle { return start..<(start + needle.count) }
        }
        return nil
    }
}

/// The JSON array of a run's epoch reports, each report encoded once. Every checkpoint repeats the
/// whole history, so encoding it afresh would make the n-th checkpoint cost n report encodings.
/// Not thread-safe: its checkpointer uses it from one thread at a time.
final class HistoryJSON {
    private var reports: [EpochReport] = []
    private var encoded: [String] = []

    func json(_ history: [EpochReport]) -> String {
        var kept = 0
        while kept < min(reports.count, history.count) && reports[kept] == history[kept] { kept += 1 }
        encoded.removeLast(encoded.count - kept)
        encoded += history[kept...].map { ModelFile.json($0) }
        reports = history
        return "[" + encoded.joined(separator: ",") + "]"
    }
}
