// A whole run as dlcoord performs it, in one process or across workers: check the job, train with
// Keras-style output, log every epoch to metrics.jsonl, and save model.safetensors. How the
// epochs are computed is the one thing the caller supplies.

import DLCore
import Foundation

public struct TrainingRun {
    public let settings: JobSettings
    public let runDirectory: String
    public let verbose: Int
    /// Where the console output goes (standard output unless a test captures it).
    public let output: ((String) -> Void)?

    public init(settings: JobSettings, runDirectory: String, verbose: Int, output: ((String) -> Void)? = nil) {
        self.settings = settings
        self.runDirectory = runDirectory
        self.verbose = verbose
        self.output = output
    }

    /// Trains in this process.
    @discardableResult
    public func runLocally() throws -> (reports: [EpochReport], model: ModelFile) {
        try run { job, observers in
            let trainer = LocalTrainer(job: job)
            let reports = try trainer.train(epochs: 0..<job.settings.epochs, observers: observers)
            return (reports, trainer.parameters)
        }
    }

    /// Builds the job, then lets `train` run all its epochs with the run's observers, and writes the
    /// model file. `train` returns the epoch reports and the trained parameters.
    @discardableResult
    public func run(
        _ train: (TrainingJob, [TrainingObserver]) throws -> (reports: [EpochReport], parameters: [Float])
    ) throws -> (reports: [EpochReport], model: ModelFile) {
        let job = try TrainingJob(settings)
        try RunDirectory.create(runDirectory)
        let console = ConsoleProgress(verbose: verbose, write: output)
        if verbose > 0 { console.note(Self.summary(job)) }
        let log = try MetricsLog(path: runDirectory + "/metrics.jsonl")
        let (reports, parameters) = try train(job, [console, log])
        let model = ModelFile(job: job, parameters: parameters, epochs: settings.epochs)
        let modelPath = runDirectory + "/model.safetensors"
        try model.write(to: modelPath)
        if verbose > 0 { console.note("Saved \(modelPath) and \(log.path)") }
        return (reports, model)
    }

    /// One paragraph on what is about to be trained.
    static func summary(_ job: TrainingJob) -> String {
        let layers = job.model.layers.map { "\($0.units) \($0.activation.rawValue)" }.joined(separator: " -> ")
        let validation = job.data.validation.map { ", \($0.count) validation rows" } ?? ""
        return """
            Model: \(job.model.inputDim) inputs -> \(layers) (\(job.model.layout.count) parameters), \
            loss \(job.loss.rawValue), optimizer \(job.optimizer.name)
            Data: \(job.settings.data): \(job.data.training.count) training rows\(validation), \
            \(job.schedule.shardCount) shard(s), global batch \(job.settings.batchSize), seed \(job.settings.seed)
            """
    }
}

public enum RunDirectory {
    /// runs/YYYYmmdd-HHMMSS, in the current directory.
    public static func defaultPath() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return "runs/" + formatter.string(from: Date())
    }

    public static func create(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw JobError.cannotWrite(path: path, reason: "cannot create the run directory: \(error.localizedDescription)")
        }
    }
}
