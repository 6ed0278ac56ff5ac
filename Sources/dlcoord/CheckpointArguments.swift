// dlcoord's options for checkpoints and resuming: how often, how many to keep, --save-best, and
// which run directory --resume continues.

import ArgumentParser
import DLRun

struct CheckpointArguments: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Continue the run in this directory from its newest intact checkpoint (with --local or --workers N; only --epochs "
            + "may change). `--resume auto` with --run-dir DIR continues the run in DIR if it has a checkpoint and starts it "
            + "there otherwise, so one command line serves a first start and every restart (a requeued Slurm job, a "
            + "restarted pod); a run that finished is not trained again. On workers without --bind, a resume listens where "
            + "the run listened (its run.json). Ctrl-C prints the command that resumes a run.",
        valueName: "run-dir|auto"))
    var resume: String?

    static let auto = "auto"

    /// The directory to resume from: --resume's, or with `--resume auto` the run directory if it holds a
    /// checkpoint (nil: start afresh).
    func resumeDirectory(runDirectory: String?) throws -> String? {
        guard let resume else { return nil }
        guard resume == Self.auto else { return resume }
        guard let runDirectory else {
            throw ValidationError("--resume auto continues the run in --run-dir DIR if it has a checkpoint: give --run-dir")
        }
        return Checkpointer.paths(in: runDirectory).isEmpty ? nil : runDirectory
    }

    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: ArgumentHelp(
        "Take a checkpoint every N epochs and after the last. Training does not wait for the disk: one taken while the one "
            + "before is still being written waits, and a newer one replaces it unwritten, so when epochs are shorter than "
            + "a write some are skipped. The newest taken is always written next, and the last epoch's (or a stopped run's) "
            + "is on disk before dlcoord exits.",
        valueName: "n"))
    var checkpointEvery: Int = 1

    @Option(name: .customLong("checkpoint-every-steps"), parsing: .unconditional, help: ArgumentHelp("Also write one every N steps within an epoch.", valueName: "n"))
    var checkpointEverySteps: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("How many checkpoints to keep, newest first.", valueName: "n"))
    var keep: Int = 3

    func validate() throws {
        guard checkpointEvery >= 1, (checkpointEverySteps ?? 1) >= 1, keep >= 1 else {
            throw ValidationError("--checkpoint-every, --checkpoint-every-steps and --keep must be at least 1")
        }
    }

    @Flag(name: .customLong("save-best"), help: "Write model-best.safetensors after each epoch with the best --monitor value so far (Keras's ModelCheckpoint(save_best_only=True)).")
    var saveBest = false

    var policy: CheckpointPolicy {
        CheckpointPolicy(everyEpochs: checkpointEvery, everySteps: checkpointEverySteps, keep: keep, saveBest: saveBest)
    }
}
