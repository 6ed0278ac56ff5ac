// Where a trainer hands the run's state to be saved (the checkpointer, in DLRun), so that the
// trainers here depend on no file format: after every applied step and every finished epoch it
// decides whether to write; when a run stops early it writes at once.

public protocol CheckpointSink: AnyObject {
    func stepApplied(_ progress: TrainingProgress) throws
    func epochFinished(_ progress: TrainingProgress) throws
    /// Saves `progress` now; returns the path written.
    func save(_ progress: TrainingProgress) throws -> String
}
