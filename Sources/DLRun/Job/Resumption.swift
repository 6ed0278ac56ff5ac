// Continuing a run from a checkpoint, and refusing to when the result could not be the same as a
// run that was never interrupted: other settings than the epoch count, another data file content,
// or a model that would come out differently.

import DLTraining
import DLData
import Foundation

public enum Resumption {
    /// The settings to resume with: `requested` is the checkpoint's settings with the user's
    /// flags applied; `--epochs` and `--data` (a moved file with the same content) may differ from
    /// the checkpoint's, anything else is refused, naming it.
    public static func settings(checkpoint: JobSettings, requested: JobSettings) throws -> JobSettings {
        let before = try fields(of: checkpoint), after = try fields(of: requested)
        let differences = Set(before.keys).union(after.keys)
            .filter { $0 != "epochs" && $0 != "data" && before[$0] != after[$0] }
        guard differences.isEmpty else {
            let listed = differences.sorted().map { key in
                "\(key) (checkpoint \(before[key] ?? "unset"), now \(after[key] ?? "unset"))"
            }
            throw RunError.cannotResume(
                "these settings differ from the checkpoint's: \(listed.joined(separator: ", ")); "
                    + "only --epochs (and --data, for a moved file) may change")
        }
        return requested
    }

    /// Checks that the job built from the resumed settings is the checkpoint's job, and that the
    /// checkpoint (read from `path`) holds a state that job reaches.
    public static func check(_ job: TrainingJob, against checkpoint: Checkpoint, path: String) throws {
        guard job.data.fingerprint == checkpoint.data else {
            throw RunError.cannotResume(
                "the data file \(job.settings.data) is not the one the checkpoint was trained on "
                    + "(checkpoint: \(checkpoint.data); now: \(job.data.fingerprint))")
        }
        guard job.model == checkpoint.model else {
            throw RunError.cannotResume("the model built from these settings is not the checkpoint's")
        }
        guard checkpoint.position.epoch <= job.settings.epochs else {
            throw RunError.cannotResume(
                "the checkpoint has \(checkpoint.position.epoch) epochs done; --epochs \(job.settings.epochs) is fewer")
        }
        if let reason = checkpoint.inconsistency(for: job) { throw RunError.inconsistentCheckpoint(path: path, reason: reason) }
    }

    /// Every setting as JSON text, by its job-file key.
    private static func fields(of settings: JobSettings) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(settings)) as? [String: Any] ?? [:]
        return object.mapValues { value in
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
    }
}
