// dlcoord: the coordinator's command line. With no options it trains the seed job, the Keras lesson
// this project starts from, in this process.

import ArgumentParser
import DLCommandLine
import DLCore
import DLData
import DLMetrics
import DLRun
import DLTraining
import Foundation

@main
struct DLCoord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlcoord",
        abstract: "Train a dense neural network on a CSV table, with Keras's semantics and preprocessing.",
        discussion: """
            dlcoord --local trains in this process. dlcoord --workers N waits for N dlworker \
            processes (started by hand, before or after it, or by --spawn on this machine), deals the \
            rows into S logical shards (--shards, default N), sends each worker its shards' rows, and \
            averages their gradients synchronously. The result is the same to the bit as --local \
            with the same --shards.

            With no options, dlcoord trains the seed job: dataset/ThoraricSurgery.csv (in the current \
            directory, else the one installed in PREFIX/share/dltrain beside PREFIX/bin), columns 0-16 as \
            features and column 17 as label, Dense(30, relu) then Dense(1, sigmoid), mean_squared_error, \
            adam, 100 epochs of batch 10, seed 3.

            Settings come from the seed job, then from --config FILE (a JSON job file), then from the \
            flags, each overriding the one before. Columns are 0-based indices, A-B index ranges, or \
            header names. The trained model depends only on the data, the settings, --seed and \
            --shards: never on timing or on the number of processes.

            A table with words or missing cells needs no preprocessing code: each feature column is \
            typed from the data (numbers -> float, anything else -> string_categorical, as Keras's \
            FeatureSpace names them), or as --feature-types says; the types, vocabularies, means and \
            fills are fitted on the training rows and kept in the model file. The run's first lines \
            show every column's type (--verbose 2: what each becomes).

            The run directory receives metrics.jsonl (one JSON object per epoch) and \
            model.safetensors (the weights, with the architecture, feature columns, preprocessing, \
            standardization and label mapping in its metadata). See docs/cli.md.
            """,
        version: DLTrainVersion.current)

    /// Usage errors as every dltrain command reports them (DLCommandLine.CommandMain).
    static func main() { CommandMain.run(Self.self) }

    @Flag(help: "Train in this process, computing every shard here (the default without --workers).")
    var local = false

    @OptionGroup(title: "Distributed training")
    var clusterOptions: ClusterArguments

    @OptionGroup(title: "Checkpoints and resuming")
    var checkpointOptions: CheckpointArguments

    @OptionGroup(title: "Data")
    var dataOptions: DataOptions

    @OptionGroup(title: "Preprocessing: column types (Keras FeatureSpace's) and missing values")
    var preprocessingOptions: PreprocessingOptions

    @OptionGroup(title: "Model and training")
    var trainingOptions: TrainingOptions

    @OptionGroup(title: "Regularization, weights and learning-rate schedules (Keras's)")
    var fitOptions: FitOptions

    @Option(name: .customLong("config"), help: ArgumentHelp("A JSON job file with the same settings (flags override it).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("run-dir"), help: ArgumentHelp(
        "Where to write metrics.jsonl, curves.svg, TensorBoard's train/ and validation/ event files, checkpoints and "
            + "model.safetensors (default: runs/YYYYmmdd-HHMMSS, made new for each run, with -2, -3, ... when two start in "
            + "the same second; `tensorboard --logdir runs` shows every run). One run per directory: a directory that "
            + "holds another run, or that another run is using, is refused.",
        valueName: "dir"))
    var runDirectory: String?

    @Flag(help: "Delete the run already in --run-dir (its checkpoints, model files, metrics.jsonl, curves.svg, event files and worker logs; nothing dltrain did not write) and start this one there, once this run's job is checked.")
    var overwrite = false

    @Option(name: .customLong("log-steps"), parsing: .unconditional, help: ArgumentHelp(
        "Also log the training loss and metrics to TensorBoard every N steps (batch_loss, ...: the epoch's running mean, "
            + "as Keras's TensorBoard(update_freq=N) does).",
        valueName: "n"))
    var logSteps: Int?

    @Option(name: .customLong("metrics-address"), help: ArgumentHelp(
        "Serve the run's state at http://HOST:PORT/metrics in the Prometheus text format while it trains: its state, "
            + "epoch and step, samples per second, the last epoch's loss and metrics, the workers, their compute time, the "
            + "coordinator's traffic, the checkpoints. HOST is an IPv4 address, 0.0.0.0 for every interface. No secret "
            + "guards it, and it shows no data, only these figures.",
        valueName: "host:port"))
    var metricsAddress: String?

    @Option(name: .customLong("read-chunk"), parsing: .unconditional, help: ArgumentHelp(
        "Bytes of the data file read and parsed at once (of its text: a gzip file's inflated bytes; default 64 MiB). "
            + "The file is never held whole: --local holds "
            + "its rows as float32 and this much of the file; a coordinator holds a few chunks and sends each row to the "
            + "worker that owns its shard. The weights do not depend on it.",
        valueName: "bytes"))
    var readChunk: Int = CSVDocument.defaultChunkSize

    @Option(parsing: .unconditional, help: ArgumentHelp("0 silent, 1 a progress bar on a terminal (one line per epoch otherwise), 2 one line per epoch.", valueName: "0|1|2"))
    var verbose: Int = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Threads this process computes with: --local's steps, the coordinator's updates (default: the CPUs this process may run on, \(AvailableCPUs.count()) here). The weights do not depend on it.", valueName: "n"))
    var threads: Int?

    func validate() throws {
        guard (0...2).contains(verbose) else { throw ValidationError("--verbose must be 0, 1 or 2") }
        if local && clusterOptions.workers != nil { throw ValidationError("--local and --workers exclude each other") }
        if clusterOptions.spawn && clusterOptions.workers == nil { throw ValidationError("--spawn needs --workers N") }
        if !(0...1).contains(clusterOptions.audit) {
            throw ValidationError("--audit is a fraction from 0 to 1; got \(clusterOptions.audit)")
        }
        if clusterOptions.audit != 0 && clusterOptions.workers == nil {
            throw ValidationError("--audit checks workers' gradients: it needs --workers N")
        }
        if let workers = clusterOptions.workers, !(1...JobSettings.maximumShards).contains(workers) {
            throw ValidationError("--workers must be from 1 to \(JobSettings.maximumShards) (each computes at least one shard)")
        }
        if clusterOptions.minWorkers < 1 { throw ValidationError("--min-workers must be at least 1") }
        if let workers = clusterOptions.workers, clusterOptions.minWorkers > workers {
            throw ValidationError("--min-workers \(clusterOptions.minWorkers) is more than --workers \(workers): the run could never start")
        }
        if let threads, !(1...ComputePool.maximumThreads).contains(threads) {
            throw ValidationError("--threads must be from 1 to \(ComputePool.maximumThreads) (this process may run on \(AvailableCPUs.count()) CPUs)")
        }
        if let logSteps, logSteps < 1 { throw ValidationError("--log-steps must be at least 1") }
        if !(1...CSVDocument.largestChunkSize).contains(readChunk) {
            throw ValidationError("--read-chunk must be from 1 byte to \(CSVDocument.largestChunkSize) (1 GiB)")
        }
        if overwrite && checkpointOptions.resume != nil {
            throw ValidationError("--overwrite deletes the run in --run-dir and --resume continues it: give one of them")
        }
    }

    func run() throws {
        ComputePool.shared = ComputePool(threads: threads ?? AvailableCPUs.count())
        var madeDirectory: (path: String, madeParent: Bool)?
        var runDirectory: String?
        do {
            let resumeDirectory = try checkpointOptions.resumeDirectory(runDirectory: self.runDirectory)
            if let given = self.runDirectory ?? checkpointOptions.resume.flatMap({ $0 == CheckpointArguments.auto ? nil : $0 }) {
                runDirectory = given
            } else {
                madeDirectory = try RunDirectory.makeDefault()
                runDirectory = madeDirectory?.path
            }
            guard let runDirectory else { return }
            // Refused before the data is read: a directory another run uses, or that holds a run.
            try RunDirectory.check(
                runDirectory, for: RunDirectory.use(resuming: resumeDirectory, runDirectory: runDirectory, overwrite: overwrite))
            try train(in: runDirectory, resuming: resumeDirectory)
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("dlcoord: error: \(JobFlags.described(error))\n".utf8))
            if let madeDirectory { RunDirectory.removeIfEmpty(madeDirectory) }
            if Interrupt.requested, let runDirectory { printResumeCommand(runDirectory) }
            throw ExitCode.failure
        }
    }

    private func train(in runDirectory: String, resuming resumeDirectory: String?) throws {
        var settings: JobSettings
        var resume: (checkpoint: Checkpoint, path: String)?
        if let resumeDirectory {
            let found = try Checkpointer.newest(in: resumeDirectory) { note in
                FileHandle.standardError.write(Data("dlcoord: \(note)\n".utf8))
            }
            // --resume auto keeps the whole command line, --config included: the job it describes must
            // be the checkpoint's.
            var requested = try config.map(JobFile.read) ?? found.checkpoint.settings
            dataOptions.apply(to: &requested)
            try preprocessingOptions.apply(to: &requested)
            trainingOptions.apply(to: &requested)
            fitOptions.apply(to: &requested)
            if let workers = clusterOptions.workers { requested.shards = requested.shards ?? workers }
            settings = try Resumption.settings(checkpoint: found.checkpoint.settings, requested: requested)
            resume = found
        } else {
            settings = try config.map(JobFile.read) ?? JobSettings()
            dataOptions.apply(to: &settings)
            try preprocessingOptions.apply(to: &settings)
            trainingOptions.apply(to: &settings)
            fitOptions.apply(to: &settings)
        }
        settings.data = try SeedData.locate(settings.data)
        if let workers = clusterOptions.workers { settings.shards = settings.shards ?? workers }
        let recorded = resumeDirectory.flatMap { RunRecord.read(directory: $0) }
        let (endpoint, endpointNote) = clusterOptions.endpoint(recorded: recorded)
        if let endpointNote, clusterOptions.workers != nil { FileHandle.standardError.write(Data("dlcoord: \(endpointNote)\n".utf8)) }
        if let workers = recorded?.workers, clusterOptions.workers == nil && !local {
            FileHandle.standardError.write(Data(
                "dlcoord: the run trained on \(workers) worker(s); this resume trains it in this process (the same weights); give --workers N to resume it on workers\n".utf8))
        }
        let served = try startMetrics()
        defer { served?.server.stop() }
        let metrics = served?.metrics
        var checkpointWritten: (@Sendable (String) -> Void)?
        if let metrics { checkpointWritten = { _ in metrics.checkpointWritten() } }
        let distributed = clusterOptions.workers != nil
        let record = RunRecord(
            command: CommandLine.arguments, workers: clusterOptions.workers, spawn: clusterOptions.spawn,
            bind: distributed && !clusterOptions.spawn ? endpoint : nil)
        let run = TrainingRun(
            settings: settings, runDirectory: runDirectory, verbose: verbose, checkpoints: checkpointOptions.policy,
            resume: resume, observers: metrics.map { [$0] } ?? [], checkpointWritten: checkpointWritten,
            logSteps: logSteps, readChunk: readChunk, overwrite: overwrite, record: record)
        do {
            if distributed {
                try clusterOptions.train(run, endpoint: endpoint, monitor: metrics)
            } else {
                try run.runLocally(interruptible: true)
            }
            metrics?.set(.finished)
        } catch {
            metrics?.set(.failed)
            throw error
        }
    }

    /// After Ctrl-C or SIGTERM: the command that continues the run from the checkpoint just written
    /// (or starts it again where nothing was trained yet), ready to paste.
    private func printResumeCommand(_ runDirectory: String) {
        let distributed = clusterOptions.workers != nil && !clusterOptions.spawn
        let recorded = RunRecord.read(directory: runDirectory)
        let command = ResumeCommand.make(
            arguments: CommandLine.arguments, runDirectory: runDirectory, resumable: !Checkpointer.paths(in: runDirectory).isEmpty,
            bind: distributed ? recorded?.bind : nil, secretFile: clusterOptions.workers != nil ? clusterOptions.configuredSecretFile : nil)
        guard command.count > 1 else { return }
        let what = command[1] == "--resume" ? "To resume the run" : "Nothing was trained yet; to start the run again"
        FileHandle.standardError.write(Data("\(what), run:\n    \(ResumeCommand.shellLine(command))\n".utf8))
    }
}

extension DLCoord {
    /// With --metrics-address: the run's metrics and their server, listening.
    private func startMetrics() throws -> (metrics: RunMetrics, server: MetricsServer)? {
        guard let metricsAddress else { return nil }
        let metrics = RunMetrics()
        let server = try MetricsServer(address: metricsAddress, metrics: metrics)
        try server.start()
        if verbose > 0 { FileHandle.standardOutput.write(Data("Metrics: \(server.url)\n".utf8)) }
        return (metrics, server)
    }
}
