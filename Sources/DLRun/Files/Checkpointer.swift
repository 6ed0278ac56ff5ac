// When checkpoints are written, what they are called, and which are kept.
//
// A checkpoint is named by the number of steps applied before it (checkpoint-0000000141.safetensors),
// so names sort in run order. It is taken every `everyEpochs` epochs and after the last, every
// `everySteps` steps within an epoch if asked, and when a run stops on a failure; only the newest
// `keep` stay. Each is written atomically, so a crash at any instant leaves the previous one intact.
//
// Writing (encoding, checksum, fsync, rename) happens on a thread of its own, so training does not
// wait for the disk: the state is copied and handed over. When a new checkpoint is taken while the
// previous one is still being written, the newer replaces the one waiting, so under a slow disk
// some intermediate checkpoints are never written; the newest always is (`finish` waits for it).

import DLCore
import DLTraining
import Foundation

public struct CheckpointPolicy: Sendable, Equatable {
    public var everyEpochs: Int
    public var everySteps: Int?
    public var keep: Int
    /// Keras's ModelCheckpoint(save_best_only=True): model-best.safetensors is written after each
    /// epoch whose monitored value (the job's `monitor`) is the best so far.
    public var saveBest: Bool

    public init(everyEpochs: Int = 1, everySteps: Int? = nil, keep: Int = 3, saveBest: Bool = false) {
        self.everyEpochs = everyEpochs
        self.everySteps = everySteps
        self.keep = keep
        self.saveBest = saveBest
    }
}

public final class Checkpointer: CheckpointSink, @unchecked Sendable {
    public let job: TrainingJob
    public let directory: String
    public let policy: CheckpointPolicy
    // Shared with the writing thread, under `condition`.
    private let condition = NSCondition()
    private var waiting: (checkpoint: Checkpoint, path: String)?
    private var writing = false
    private var failure: Error?
    /// Used by whichever thread writes, one at a time (the writing thread, or `save` after `finish`).
    private let historyJSON = HistoryJSON()
    /// Told each checkpoint's path once it is on disk (from the thread that wrote it).
    private let written: (@Sendable (String) -> Void)?

    /// Starts the writing thread; false when none could be started (DetachedThread.start).
    private let startThread: (@escaping @Sendable () -> Void) -> Bool

    public init(
        job: TrainingJob, directory: String, policy: CheckpointPolicy, written: (@Sendable (String) -> Void)? = nil,
        startThread: @escaping (@escaping @Sendable () -> Void) -> Bool = DetachedThread.start
    ) {
        self.job = job
        self.directory = directory
        self.policy = policy
        self.written = written
        self.startThread = startThread
    }

    /// After a step: a checkpoint when the steps applied in this epoch are a multiple of `everySteps`.
    public func stepApplied(_ progress: TrainingProgress) throws {
        guard let every = policy.everySteps, !progress.epochStepsDone, progress.position.step % every == 0 else { return }
        try take(progress)
    }

    /// After an epoch's report: a checkpoint every `everyEpochs` epochs and after the last (the
    /// job's last, or the one after which training stopped early).
    public func epochFinished(_ progress: TrainingProgress) throws {
        if policy.saveBest { try saveIfBest(progress) }
        let finished = progress.position.epoch
        if finished % policy.everyEpochs == 0 || progress.isComplete(epochs: job.settings.epochs) { try take(progress) }
    }

    /// Writes model-best.safetensors when the epoch just finished has the best monitored value of
    /// the run so far, as Keras's ModelCheckpoint decides it (no min_delta; the first epoch is
    /// always the best so far). The best is found again in the history, so a resumed run goes on
    /// from the right one.
    private func saveIfBest(_ progress: TrainingProgress) throws {
        let monitor = job.settings.monitor
        let rule = EarlyStopping.Rule(patience: 0, monitor: monitor, minDelta: 0, restoreBestWeights: false)
        var best: Double?
        for report in progress.history.dropLast() {
            if let value = report.value(monitor), !value.isNaN, rule.improves(value, on: best) { best = value }
        }
        guard let current = progress.history.last?.value(monitor), !current.isNaN, rule.improves(current, on: best) else { return }
        try ModelFile(
            job: job, parameters: progress.parameters, epochs: progress.position.epoch, learningRate: progress.optimizer.learningRate)
            .write(to: directory + "/model-best.safetensors")
    }

    /// Hands a copy of `progress` to the writing thread; reports an earlier write's failure.
    private func take(_ progress: TrainingProgress) throws {
        let item = (Checkpoint(job: job, progress: progress).copied(), path(for: progress))
        condition.lock()
        if let failure {
            condition.unlock()
            throw failure
        }
        waiting = item
        let starts = !writing
        writing = true
        condition.unlock()
        // A process at its limit of threads gets no writing thread: the checkpoint is then written here.
        if starts && !startThread({ [self] in writeWhileWaiting() }) { writeWhileWaiting() }
    }

    private func writeWhileWaiting() {
        while true {
            condition.lock()
            guard let item = waiting else {
                writing = false
                condition.broadcast()
                condition.unlock()
                return
            }
            waiting = nil
            condition.unlock()
            do {
                try write(item.checkpoint, to: item.path)
            } catch {
                condition.lock()
                failure = error
                condition.unlock()
            }
        }
    }

    /// Waits until every checkpoint taken has been written; throws if one could not be.
    public func finish() throws {
        condition.lock()
        defer { condition.unlock() }
        while writing { condition.wait() }
        if let failure { throw failure }
    }

    /// Writes a checkpoint of `progress` now (after those being written) and removes the oldest
    /// beyond `keep`; returns its path.
    @discardableResult
    public func save(_ progress: TrainingProgress) throws -> String {
        try finish()
        let path = path(for: progress)
        try write(Checkpoint(job: job, progress: progress), to: path)
        return path
    }

    private func path(for progress: TrainingProgress) -> String {
        directory + "/" + Self.fileName(appliedSteps: progress.position.epoch * progress.stepsPerEpoch + progress.position.step)
    }

    private func write(_ checkpoint: Checkpoint, to path: String) throws {
        try checkpoint.write(to: path, history: historyJSON)
        written?(path)
        for old in Self.paths(in: directory).dropFirst(policy.keep) {
            try? FileManager.default.removeItem(atPath: old)
        }
    }

    static func fileName(appliedSteps: Int) -> String {
        let digits = String(appliedSteps)
        return "checkpoint-" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits + ".safetensors"
    }

    /// The checkpoint files in `directory`, newest first.
    public static func paths(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".safetensors") }.sorted(by: >)
            .map { directory + "/" + $0 }
    }

    /// The newest checkpoint in `directory` that reads back intact; damaged ones are skipped and
    /// named through `log`.
    public static func newest(in directory: String, log: (String) -> Void) throws -> (checkpoint: Checkpoint, path: String) {
        var skipped: [String] = []
        for path in paths(in: directory) {
            do {
                return (try Checkpoint.read(path: path), path)
            } catch {
                log("skipping \(error)")
                skipped.append("\(error)")
            }
        }
        throw RunError.noCheckpoint(directory: directory, skipped: skipped)
    }
}
