// What the model, checkpoint and job targets do with an input their reader accepts: what the
// commands do with it. A model is summarized, and predicts and evaluates the rows of a small CSV
// (Tests/Fuzz/data/rows.csv) as `dlmodel` does; a checkpoint is resumed as `dlcoord --resume DIR
// --data rows.csv` resumes it (the data named by the flag, as for a moved file), trained for a few
// steps and used as the model `dlmodel` makes of it; a job file's job is built and trained for a
// few steps on the same rows. A crash anywhere is a bug of the reader that let the input in.
//
// Besides crashes, the run of an accepted input must keep what a run keeps; a broken promise ends
// the process as a crash would, so libFuzzer keeps the input:
// - dltrain reads back what it writes: the model, or the resumed run's checkpoint, written again
//   reads again (and passes the resume checks), so no check refuses dltrain's own files;
// - a resumed run stands where a run can stand: within the epochs and steps of its job, with one
//   report per finished epoch and one optimizer update per step applied;
// - a prediction can name every class the model has (two for one sigmoid unit, one per unit).

import DLCore
import DLData
import DLRun
import DLTraining
import Foundation

enum EndToEnd {
    /// The CSV the models are used on and the jobs trained on: $DLFUZZ_ROWS, or the repository's.
    static let rows: String = {
        if let given = ProcessInfo.processInfo.environment["DLFUZZ_ROWS"] { return given }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("Tests/Fuzz/data/rows.csv").path
        guard FileManager.default.fileExists(atPath: path) else {
            FileHandle.standardError.write(Data("dlfuzz: \(path) is missing; set DLFUZZ_ROWS to the fuzzing CSV\n".utf8))
            exit(2)
        }
        return path
    }()

    /// The most parameters of a model a job input trains: a valid job may ask for gigabytes, which
    /// fuzzing would only spend time allocating.
    static let largestTrainedModel = 100_000

    // MARK: Models

    /// `dlmodel summary`, `predict` and `evaluate` on the fuzzing CSV.
    static func use(_ model: ModelFile) {
        _ = ModelSummary.text(of: model)
        let predictor = Predictor(model: model)
        let width = model.model.outputWidth, classes = model.labels.classes?.count ?? 0
        switch predictor.reading {
        case .probability where classes > 2, .classProbabilities where classes > width:
            broken("the model has \(classes) classes, which its \(width) output(s) cannot all predict")
        default:
            break
        }
        _ = try? predictor.predict(csv: rows, keep: [.index(0)]) { _ in }
        _ = try? Evaluator(model: model).evaluate(csv: rows)
    }

    /// The model file's reader, and what is done with what it accepts.
    static func readModel(_ bytes: [UInt8]) {
        guard let file = try? SafeTensors(decoding: bytes, path: "fuzz.safetensors"),
            let model = try? ModelFile(file, path: "fuzz.safetensors")
        else { return }
        use(model)
        let written = model.safeTensors().encoded()
        let read = Result { try ModelFile(SafeTensors(decoding: written, path: "written.safetensors"), path: "written.safetensors") }
        guard case let .success(again) = read, again == model else {
            broken("a model read from a file, written again, does not read back: \(read)")
        }
    }

    // MARK: Checkpoints

    /// `dlcoord --resume` (with `--data`) and `dlmodel` on a checkpoint.
    static func resume(_ bytes: [UInt8]) {
        let path = "fuzz.checkpoint"
        guard let checkpoint = try? Checkpoint(decoding: bytes, path: path) else { return }
        var requested = checkpoint.settings
        requested.data = rows
        guard let settings = try? Resumption.settings(checkpoint: checkpoint.settings, requested: requested),
            let job = job(settings), (try? Resumption.check(job, against: checkpoint, path: path)) != nil
        else { return }
        let progress = checkpoint.progress(for: job)
        checkStanding(progress, job: job)
        let written = Checkpoint(job: job, progress: progress).encoded()
        let again = Result { try Checkpoint(decoding: written, path: "written.checkpoint") }
        guard case let .success(reread) = again, (try? Resumption.check(job, against: reread, path: "written.checkpoint")) != nil else {
            broken("a resumed checkpoint, written again, does not read back or resume: \(again)")
        }
        guard let trained = train(job, from: progress) else { return }
        checkStanding(trained, job: job)
        use(ModelFile(job: job, parameters: trained.finalParameters, epochs: trained.position.epoch))
    }

    /// Where a run of `job` can stand.
    private static func checkStanding(_ progress: TrainingProgress, job: TrainingJob) {
        let position = progress.position, steps = job.schedule.stepsPerEpoch
        let applied = position.epoch.multipliedReportingOverflow(by: steps).partialValue &+ position.step
        guard (0...job.settings.epochs).contains(position.epoch), (0...steps).contains(position.step),
            progress.history.count == position.epoch, progress.optimizer.iterations == applied
        else {
            broken("a resumed run stands at \(position) with \(progress.history.count) report(s) and "
                + "\(progress.optimizer.iterations) update(s), in a job of \(job.settings.epochs) epochs of \(steps) steps")
        }
    }

    // MARK: Jobs

    /// A job file's job, built on the fuzzing CSV and trained for a few steps.
    static func train(_ settings: JobSettings) {
        var settings = settings
        settings.data = rows
        guard let job = job(settings), job.model.layout.count <= largestTrainedModel,
            let trained = train(job, from: TrainingProgress(job: job))
        else { return }
        use(ModelFile(job: job, parameters: trained.finalParameters, epochs: trained.position.epoch))
    }

    /// At most four steps (or epoch ends) of training from `progress`; nil if training failed.
    private static func train(_ job: TrainingJob, from progress: TrainingProgress) -> TrainingProgress? {
        let trainer = LocalTrainer(job: job, progress: progress)
        var asked = 0
        guard (try? trainer.train { asked += 1; return asked > 4 }) != nil,
            (try? job.data.fitStandardization()) != nil
        else { return nil }
        return trainer.progress
    }

    /// The job of `settings`, kept while the next input asks for the same (mutations of one field
    /// of a checkpoint mostly leave its settings alone, and reading the rows is most of a job).
    private static func job(_ settings: JobSettings) -> TrainingJob? {
        if let last = lastJob, last.settings == settings { return last.job }
        let job = try? TrainingJob(settings)
        lastJob = (settings, job)
        return job
    }

    nonisolated(unsafe) private static var lastJob: (settings: JobSettings, job: TrainingJob?)?

    /// A promise broken: the process ends as a crash does, so the fuzzer keeps the input.
    private static func broken(_ what: String) -> Never {
        FileHandle.standardError.write(Data("dlfuzz: \(what)\n".utf8))
        abort()
    }
}
