// A whole run as dlcoord performs it, in one process or across workers: check the job, claim the run
// directory (RunDirectory: its lock for the run's life, another run refused or cleared), train with
// Keras-style output, log every epoch to metrics.jsonl, TensorBoard's event files and curves.svg,
// and save model.safetensors. How the epochs are computed is the one thing the caller supplies.

import DLTraining
import DLCore
import DLData
import Foundation

public struct TrainingRun {
    public let settings: JobSettings
    public let runDirectory: String
    public let verbose: Int
    public let checkpoints: CheckpointPolicy
    /// The checkpoint to continue from, and its path.
    public let resume: (checkpoint: Checkpoint, path: String)?
    /// Where the console output goes (standard output unless a test captures it).
    public let output: ((String) -> Void)?
    /// Observers besides the console and metrics.jsonl (a metrics exporter).
    public let observers: [TrainingObserver]
    /// Told the path of every checkpoint written.
    public let checkpointWritten: (@Sendable (String) -> Void)?
    /// Also log the running training values to TensorBoard every this many steps.
    public let logSteps: Int?
    /// Bytes of the data file read and parsed at once.
    public let readChunk: Int
    /// Remove the run already in the directory first (--overwrite), instead of refusing it.
    public let overwrite: Bool
    /// What run.json records of this run (by default: this process, in one process).
    public let record: RunRecord

    /// How a run's epochs are computed: from the job and where it stands, with the run's observers
    /// and checkpointer, to where it ends.
    public typealias Trainer = (TrainingJob, TrainingProgress, [TrainingObserver], CheckpointSink) throws -> TrainingProgress

    public init(
        settings: JobSettings, runDirectory: String, verbose: Int, checkpoints: CheckpointPolicy = CheckpointPolicy(),
        resume: (checkpoint: Checkpoint, path: String)? = nil, output: ((String) -> Void)? = nil,
        observers: [TrainingObserver] = [], checkpointWritten: (@Sendable (String) -> Void)? = nil, logSteps: Int? = nil,
        readChunk: Int = CSVDocument.defaultChunkSize, overwrite: Bool = false, record: RunRecord = .local()
    ) {
        self.settings = settings
        self.runDirectory = runDirectory
        self.verbose = verbose
        self.checkpoints = checkpoints
        self.resume = resume
        self.output = output
        self.observers = observers
        self.checkpointWritten = checkpointWritten
        self.logSteps = logSteps
        self.readChunk = readChunk
        self.overwrite = overwrite
        self.record = record
    }

    /// How the run uses its directory: it resumes the run there when it continues one of its
    /// checkpoints; otherwise it starts one.
    public var directoryUse: RunDirectory.Use {
        let resumed = resume.map { ($0.path as NSString).deletingLastPathComponent }
        return RunDirectory.use(resuming: resumed, runDirectory: runDirectory, overwrite: overwrite)
    }

    /// Trains in this process. `interruptible`: Ctrl-C and SIGTERM stop the run after the step in
    /// progress, with a checkpoint (`RunError.interrupted`), instead of ending the process.
    @discardableResult
    public func runLocally(interruptible: Bool = false) throws -> (history: [EpochReport], model: ModelFile) {
        try run { job, progress, observers, checkpointer in
            let trainer = LocalTrainer(job: job, progress: progress)
            if interruptible { Interrupt.install() }
            try trainer.train(observers: observers, checkpointer: checkpointer) { interruptible && Interrupt.requested }
            if interruptible && Interrupt.requested && !trainer.progress.isComplete(epochs: job.settings.epochs) {
                let path = try checkpointer.save(trainer.progress)
                throw RunError.interrupted(cause: Interrupt.cause, checkpoint: path, position: "\(trainer.progress.position)")
            }
            return trainer.progress
        }
    }

    /// Builds the job (checking it against the checkpoint when resuming), lets `train` run its
    /// epochs with the run's observers and checkpointer, and writes the model file. Without
    /// `loadingRows` the job describes its data and holds none of its rows.
    @discardableResult
    public func run(loadingRows: Bool = true, _ train: Trainer) throws -> (history: [EpochReport], model: ModelFile) {
        let job = try TrainingJob(settings, loadsRows: loadingRows, chunkSize: readChunk)
        if checkpoints.saveBest { try job.checkMonitor(settings.monitor) }
        let progress: TrainingProgress
        if let resume {
            try Resumption.check(job, against: resume.checkpoint, path: resume.path)
            progress = resume.checkpoint.progress(for: job)
        } else {
            progress = TrainingProgress(job: job)
        }
        let claim = try RunDirectory.claim(runDirectory, for: directoryUse, record: record)
        defer { claim.lock.release() }
        let console = ConsoleProgress(verbose: verbose, write: output)
        if verbose > 0 {
            console.note(Self.summary(job))
            if let note = Self.clearedNote(claim, directory: runDirectory, use: directoryUse) { console.note(note) }
            if let resume { console.note("Resuming from \(resume.path) at \(progress.position)") }
            if let stopped = progress.earlyStopping?.stoppedEpoch {
                console.note("The run in \(runDirectory) stopped early after epoch \(stopped + 1): nothing to train")
            } else if progress.position.epoch >= job.settings.epochs {
                console.note("The run in \(runDirectory) already trained its \(job.settings.epochs) epochs: nothing to train")
            }
        }
        let log = try MetricsLog(path: runDirectory + "/metrics.jsonl", history: progress.history)
        let tensorBoard = try TensorBoardLog(
            runDirectory: runDirectory, history: progress.history, learningRate: job.optimizer.learningRate, logSteps: logSteps)
        let curves = CurvesChart(path: runDirectory + "/curves.svg", history: progress.history)
        if verbose > 0 {
            console.note("Curves: \(curves.path) (redrawn as the epochs end); TensorBoard: tensorboard --logdir \(runDirectory)")
        }
        let checkpointer = Checkpointer(job: job, directory: runDirectory, policy: checkpoints, written: checkpointWritten)
        let everyObserver: [TrainingObserver] = [console, log, tensorBoard, curves] + observers
        for observer in everyObserver { observer.runStarted(job, at: progress.position) }
        let final: TrainingProgress
        do {
            final = try train(job, progress, everyObserver, checkpointer)
        } catch {
            try? checkpointer.finish()  // what was taken before the failure still reaches the disk
            try? curves.finish()
            throw job.explained(error)
        }
        try checkpointer.finish()
        try curves.finish()
        if verbose > 0, let stopping = final.earlyStopping {
            // Keras's EarlyStopping(verbose=1) lines.
            if let stopped = stopping.stoppedEpoch { console.note("Epoch \(stopped + 1): early stopping") }
            if stopping.rule.restoreBestWeights, stopping.bestParameters != nil {
                console.note("Restoring model weights from the end of the best epoch: \(stopping.bestEpoch + 1).")
            }
        }
        // A distributed run fits the standardization as it streams the rows; one that had nothing
        // left to train streamed none.
        try job.data.fitStandardization(chunkSize: readChunk)
        let model = ModelFile(
            job: job, parameters: final.finalParameters, epochs: final.position.epoch, learningRate: final.optimizer.learningRate)
        let modelPath = runDirectory + "/model.safetensors"
        try model.write(to: modelPath)
        if verbose > 0 { console.note("Saved \(modelPath) and \(log.path)") }
        return (final.history, model)
    }

    /// What claiming the directory removed (and kept), if anything.
    static func clearedNote(_ claim: RunDirectory.Claim, directory: String, use: RunDirectory.Use) -> String? {
        guard !claim.removed.isEmpty || !claim.kept.isEmpty else { return nil }
        let removed = claim.removed.isEmpty ? "" : ": removed \(claim.removed.joined(separator: ", "))"
        let kept = claim.kept.isEmpty ? "" : "; kept what dltrain did not write: \(claim.kept.joined(separator: ", "))"
        switch use {
        case .overwrite: return "Overwriting \(directory)\(removed)\(kept)"
        case .start: return "Starting in \(directory) after an attempt that trained nothing\(removed)"
        case .resume: return "Resuming in \(directory)\(removed) (left by a process that was killed)"
        }
    }

    /// One paragraph on what is about to be trained.
    static func summary(_ job: TrainingJob) -> String {
        var stages = job.model.inputDropout.map { ["dropout \($0)"] } ?? []
        for layer in job.model.layers {
            stages.append("\(layer.units) \(layer.activation.rawValue)")
            if let rate = layer.dropout { stages.append("dropout \(rate)") }
        }
        let layers = stages.joined(separator: " -> ")
        let validation = job.data.validationCount > 0 ? ", \(job.data.validationCount) validation rows" : ""
        let chosen = job.data.head.choice.map { choice in
            "\nOutput: auto chose \(choice.summary)" + (job.metricNames == job.settings.metrics ? "" : "; metrics \(job.metricNames.joined(separator: ", "))")
        } ?? ""
        return """
            Model: \(job.model.inputDim) inputs -> \(layers) (\(job.model.layout.count) parameters), \
            loss \(job.loss.rawValue), optimizer \(job.optimizer.name)\(chosen)
            Data: \(job.settings.data): \(job.data.trainingCount) training rows\(validation), \
            \(job.schedule.shardCount) shard(s), global batch \(job.settings.batchSize), seed \(job.settings.seed)
            """
    }
}
