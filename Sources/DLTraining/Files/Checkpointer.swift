// When checkpoints are written, what they are called, and which are kept.
//
// A checkpoint is named by the number of steps applied before it (checkpoint-0000000141.safetensors),
// so names sort in run order. It is written every `everyEpochs` epochs and after the last, every
// `everySteps` steps within an epoch if asked, and when a run stops on a failure; only the newest
// `keep` stay. Each is written atomically, so a crash at any instant leaves the previous one intact.

import Foundation

public struct CheckpointPolicy: Sendable, Equatable {
    public var everyEpochs: Int
    public var everySteps: Int?
    public var keep: Int

    public init(everyEpochs: Int = 1, everySteps: Int? = nil, keep: Int = 3) {
        self.everyEpochs = everyEpochs
        self.everySteps = everySteps
        self.keep = keep
    }
}

public final class Checkpointer {
    public let job: TrainingJob
    public let directory: String
    public let policy: CheckpointPolicy

    public init(job: TrainingJob, directory: String, policy: CheckpointPolicy) {
        self.job = job
        self.directory = directory
        self.policy = policy
    }

    /// After a step: a checkpoint when the steps applied in this epoch are a multiple of `everySteps`.
    public func stepApplied(_ progress: TrainingProgress) throws {
        guard let every = policy.everySteps, !progress.epochStepsDone, progress.position.step % every == 0 else { return }
        try save(progress)
    }

    /// After an epoch's report: a checkpoint every `everyEpochs` epochs and after the last.
    public func epochFinished(_ progress: TrainingProgress) throws {
        let finished = progress.position.epoch
        if finished % policy.everyEpochs == 0 || finished == job.settings.epochs { try save(progress) }
    }

    /// Writes a checkpoint of `progress` and removes the oldest beyond `keep`; returns its path.
    @discardableResult
    public func save(_ progress: TrainingProgress) throws -> String {
        let applied = progress.position.epoch * progress.stepsPerEpoch + progress.position.step
        let path = directory + "/" + Self.fileName(appliedSteps: applied)
        try Checkpoint(job: job, progress: progress).write(to: path)
        for old in Self.paths(in: directory).dropFirst(policy.keep) {
            try? FileManager.default.removeItem(atPath: old)
        }
        return path
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
        throw CheckpointError.noCheckpoint(directory: directory, skipped: skipped)
    }
}
